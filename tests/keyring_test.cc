// The libsecret backend and credcache's embedded default against a real
// gnome-keyring in a private D-Bus session (run by with_keyring.sh), and the
// real cargo reading back a token that `secret-tool` stored.
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "backends/libsecret_backend.h"
#include "cargo_credential/error.h"
#include "cargo_credential/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/builders.h"
#include "tests/support/cargo_sandbox.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/registry_server.h"
#include "tests/support/secret_scan.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::ErrorKind;
using cargo_credential::KindOf;
using cargo_credential::RegistryInfo;
using cargo_credential::SubprocessResult;
using credcache::LibsecretBackend;
using ::testing::HasSubstr;

SubprocessResult RunTool(const std::vector<std::string>& argv, const std::string& input = "") {
  cargo_credential::SubprocessOptions options;
  options.argv = argv;
  absl::StatusOr<SubprocessResult> result =
      cargo_credential::RunSubprocess(options, input, absl::Seconds(30));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : SubprocessResult{-1, "", ""};
}

class KeyringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(getenv("DBUS_SESSION_BUS_ADDRESS"), nullptr) << "run me with with_keyring.sh";
    registry_.index_url =
        absl::StrCat("sparse+http://keyring-", RandomToken().substr(7), "/index/");
    registry_.name = "kr";
  }
  RegistryInfo registry_;
  LibsecretBackend backend_;
};

TEST_F(KeyringTest, SecretServiceAnswers) { EXPECT_TRUE(credcache::ProbeSecretService().ok()); }

TEST_F(KeyringTest, LoginGetLogout) {
  EXPECT_EQ(KindOf(backend_.Perform(registry_, Action{}, {}).status()), ErrorKind::kNotFound);
  ASSERT_TRUE(backend_.Perform(registry_, Login("Bearer k1"), {}).ok());
  absl::StatusOr<cargo_credential::CredentialResponse> got =
      backend_.Perform(registry_, Action{}, {});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->token.Expose(), "Bearer k1");
  EXPECT_EQ(got->cache.kind, cargo_credential::CacheKind::kSession);
  EXPECT_TRUE(got->operation_independent);
  ASSERT_TRUE(backend_.Perform(registry_, Logout(), {}).ok());
  EXPECT_EQ(KindOf(backend_.Perform(registry_, Action{}, {}).status()), ErrorKind::kNotFound);
  EXPECT_EQ(KindOf(backend_.Perform(registry_, Logout(), {}).status()), ErrorKind::kNotFound);
}

// Stored our way, the item is what cargo:libsecret looks for: its schema
// name, its `url` attribute, its label.
TEST_F(KeyringTest, OurTokensAreWhereCargoLooks) {
  ASSERT_TRUE(backend_.Perform(registry_, Login("Bearer k2"), {}).ok());
  SubprocessResult lookup = RunTool({"secret-tool", "lookup", "xdg:schema",
                                     "org.rust-lang.cargo.registry", "url", registry_.index_url});
  EXPECT_EQ(lookup.exit_code, 0) << lookup.stderr_text;
  EXPECT_EQ(lookup.stdout_text, "Bearer k2");
  SubprocessResult search = RunTool({"secret-tool", "search", "url", registry_.index_url});
  EXPECT_THAT(search.stdout_text, HasSubstr("label = cargo-registry:kr"));
}

TEST_F(KeyringTest, FindsTokensStoredBySecretTool) {
  // As cargo:libsecret stores them (its schema name)...
  SubprocessResult stored = RunTool({"secret-tool", "store", "--label=by hand", "xdg:schema",
                                     "org.rust-lang.cargo.registry", "url", registry_.index_url},
                                    "Bearer by-hand");
  ASSERT_EQ(stored.exit_code, 0) << stored.stderr_text;
  absl::StatusOr<cargo_credential::CredentialResponse> got =
      backend_.Perform(registry_, Action{}, {});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->token.Expose(), "Bearer by-hand");
  // ...and as a plain `secret-tool store ... url URL` does.
  RegistryInfo plain = registry_;
  plain.index_url += "plain/";
  ASSERT_EQ(
      RunTool({"secret-tool", "store", "--label=plain", "url", plain.index_url}, "Bearer plain")
          .exit_code,
      0);
  got = backend_.Perform(plain, Action{}, {});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->token.Expose(), "Bearer plain");
}

TEST_F(KeyringTest, ALockedKeyringLetsTheNextBackendTry) {
  ASSERT_TRUE(backend_.Perform(registry_, Login("Bearer locked"), {}).ok());
  SubprocessResult locked =
      RunTool({"dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets",
               "/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock",
               "array:objpath:/org/freedesktop/secrets/collection/login"});
  ASSERT_EQ(locked.exit_code, 0) << locked.stderr_text;
  absl::Status status = backend_.Perform(registry_, Action{}, {}).status();
  EXPECT_EQ(KindOf(status), ErrorKind::kUrlNotSupported) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("locked"));
  // Unlock again for the tests after this one (same password as the wrapper).
  RunTool(
      {"sh", "-c",
       "printf %s credcache-test | gnome-keyring-daemon --unlock --replace --components=secrets "
       ">/dev/null"});
}

// doctor (issue 13) finds a locked keyring through the daemon, and says
// how to unlock it, without fetching a token.
TEST_F(KeyringTest, DoctorSaysALockedKeyringIsAProblemAndHowToFixIt) {
  DaemonEnv env;
  env.WriteConfig("[[backend]]\nname = \"desktop\"\nkind = \"libsecret\"\n");
  auto keyring_check = [&env]() {
    SubprocessResult doctor = env.Shim({"doctor", "--json"});
    const std::string& out = doctor.stdout_text;
    const size_t at = out.find("`desktop` (libsecret)");
    EXPECT_NE(at, std::string::npos) << out;
    return at == std::string::npos ? std::string() : out.substr(out.rfind('{', at));
  };
  const std::string unlocked = keyring_check();
  EXPECT_THAT(unlocked, HasSubstr(R"("status":"ok")"));
  SubprocessResult locked =
      RunTool({"dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets",
               "/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock",
               "array:objpath:/org/freedesktop/secrets/collection/login"});
  ASSERT_EQ(locked.exit_code, 0) << locked.stderr_text;
  const std::string found = keyring_check();
  EXPECT_THAT(found, HasSubstr(R"("status":"problem")"));
  EXPECT_THAT(found, HasSubstr("locked"));
  EXPECT_THAT(found, HasSubstr("unlock"));
  RunTool(
      {"sh", "-c",
       "printf %s credcache-test | gnome-keyring-daemon --unlock --replace --components=secrets "
       ">/dev/null"});
  env.Shim({"stop"});
}

// The real cargo, through credcache on its embedded default, reads a token a
// user stored with secret-tool, and `cargo login` lands in the keyring.
TEST_F(KeyringTest, CargoThroughCredcacheUsesTheKeyring) {
  DaemonEnv env;
  CargoSandbox cargo;
  const std::string token = RandomToken();
  absl::StatusOr<std::unique_ptr<RegistryServer>> registry = RegistryServer::Start(token);
  ASSERT_TRUE(registry.ok()) << registry.status();
  cargo.SetEnv(env.Environment());
  cargo.WriteConfig(absl::StrCat("[registries.kr]\nindex = \"", (*registry)->index_url(),
                                 "\"\ncredential-provider = [\"", DaemonEnv::ShimPath(), "\"]\n"));
  ASSERT_EQ(RunTool({"secret-tool", "store", "--label=cargo-registry:kr", "xdg:schema",
                     "org.rust-lang.cargo.registry", "url", (*registry)->index_url()},
                    token)
                .exit_code,
            0);
  const std::string lib = cargo.NewCrate("lib", "kr");
  absl::StatusOr<SubprocessResult> published =
      cargo.Cargo({"publish", "--registry", "kr", "--no-verify", "--allow-dirty"}, lib);
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->exit_code, 0) << published->stderr_text;
  const std::string app =
      cargo.NewCrate("app", "kr", "lib = { version = \"0.1\", registry = \"kr\" }\n");
  absl::StatusOr<SubprocessResult> fetched = cargo.Cargo({"generate-lockfile"}, app);
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->exit_code, 0) << fetched->stderr_text;
  bool authorised = false;
  for (const LoggedRequest& request : (*registry)->Requests()) {
    EXPECT_NE(request.auth, "wrong");
    authorised = authorised || request.auth == "ok";
  }
  EXPECT_TRUE(authorised);
  EXPECT_THAT(env.Shim({"status"}).stdout_text, HasSubstr("libsecret"));
  EXPECT_THAT(ReadFile(env.log()), HasSubstr("a Secret Service answers"));

  // A new login through cargo replaces it in the keyring.
  const std::string fresh = RandomToken();
  absl::StatusOr<SubprocessResult> login =
      cargo.Cargo({"login", "--registry", "kr"}, app, fresh + "\n");
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(login->exit_code, 0) << login->stderr_text;
  SubprocessResult lookup = RunTool({"secret-tool", "lookup", "url", (*registry)->index_url()});
  EXPECT_EQ(lookup.stdout_text, fresh);
}

// The backend's watch hears a change made outside credcache, and nothing
// once it is gone.
TEST_F(KeyringTest, TheWatchHearsAnItemChangedBySecretTool) {
  absl::Mutex mutex;
  int told = 0;
  absl::StatusOr<std::unique_ptr<credcache::StoreWatch>> watch =
      backend_.Watch([&](const std::optional<std::string>& index_url) {
        absl::MutexLock lock(&mutex);
        ++told;
      });
  ASSERT_TRUE(watch.ok()) << watch.status();
  ASSERT_EQ(RunTool({"secret-tool", "store", "--label=by hand", "url", registry_.index_url},
                    "Bearer watched")
                .exit_code,
            0);
  {
    absl::MutexLock lock(&mutex);
    auto heard = [&told]() { return told > 0; };
    EXPECT_TRUE(mutex.AwaitWithTimeout(absl::Condition(&heard), absl::Seconds(30)));
  }
  watch->reset();
  int before = 0;
  {
    absl::MutexLock lock(&mutex);
    before = told;
  }
  ASSERT_EQ(RunTool({"secret-tool", "clear", "url", registry_.index_url}).exit_code, 0);
  // A round trip through the service, after which its signal was sent.
  RunTool({"secret-tool", "lookup", "url", registry_.index_url});
  absl::MutexLock lock(&mutex);
  EXPECT_EQ(told, before);
}

// The point of the watch: a token changed in the keyring by hand is what
// the next get through the daemon answers, not the cached old one (the
// cache would keep it for 30 minutes).
TEST_F(KeyringTest, AKeyringItemChangedByHandReplacesTheCachedCopy) {
  DaemonEnv env;
  env.WriteConfig("[[backend]]\nkind = \"libsecret\"\n");
  ASSERT_EQ(
      RunTool({"secret-tool", "store", "--label=cargo-registry:kr", "url", registry_.index_url},
              "Bearer before")
          .exit_code,
      0);
  const std::string line = GetRequestLine(registry_.index_url, "kr");
  EXPECT_THAT(AnswerLine(env.Shim({"--cargo-plugin"}, line)), HasSubstr("Bearer before"));
  EXPECT_THAT(AnswerLine(env.Shim({"--cargo-plugin"}, line)), HasSubstr("Bearer before"));
  EXPECT_THAT(env.Shim({"list"}).stdout_text, HasSubstr(registry_.index_url));

  ASSERT_EQ(
      RunTool({"secret-tool", "store", "--label=cargo-registry:kr", "url", registry_.index_url},
              "Bearer after")
          .exit_code,
      0);
  // The signal comes through D-Bus, after secret-tool's answer: poll.
  std::string answer;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    answer = AnswerLine(env.Shim({"--cargo-plugin"}, line));
    if (absl::StrContains(answer, "Bearer after")) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_THAT(answer, HasSubstr("Bearer after"));
  EXPECT_THAT(ReadFile(env.log()),
              HasSubstr("backend `libsecret`: its tokens changed in its store"));
  EXPECT_THAT(ReadFile(env.log()), ::testing::Not(HasSubstr("Bearer")));

  // Erased by hand: no copy answers.
  ASSERT_EQ(RunTool({"secret-tool", "clear", "url", registry_.index_url}).exit_code, 0);
  while (absl::Now() < deadline + absl::Seconds(30)) {
    answer = AnswerLine(env.Shim({"--cargo-plugin"}, line));
    if (!absl::StrContains(answer, "Bearer")) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_THAT(answer, ::testing::Not(HasSubstr("Bearer")));
}

// The secret-hygiene check of tests/secret_hygiene_test.cc, for the
// libsecret backend (which needs this file's keyring): a sentinel token
// logged in through cargo into the keyring and used by cargo is nowhere but
// the keyring once the cache is flushed.
TEST_F(KeyringTest, ATokenInTheKeyringIsFoundNowhereElse) {
  DaemonEnv env;
  CargoSandbox cargo;
  const std::string token = RandomToken();
  const std::string sentinel = token.substr(token.find(' ') + 1);
  absl::StatusOr<std::unique_ptr<RegistryServer>> registry = RegistryServer::Start(token);
  ASSERT_TRUE(registry.ok()) << registry.status();
  env.WriteConfig("[[backend]]\nkind = \"libsecret\"\n");
  cargo.SetEnv(env.Environment());
  cargo.WriteConfig(absl::StrCat("[registries.kr]\nindex = \"", (*registry)->index_url(),
                                 "\"\ncredential-provider = [\"", DaemonEnv::ShimPath(), "\"]\n"));
  const std::string lib = cargo.NewCrate("lib", "kr");
  absl::StatusOr<SubprocessResult> login =
      cargo.Cargo({"login", "--registry", "kr"}, lib, token + "\n");
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(login->exit_code, 0) << login->stderr_text;
  absl::StatusOr<SubprocessResult> published =
      cargo.Cargo({"publish", "--registry", "kr", "--no-verify", "--allow-dirty"}, lib);
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->exit_code, 0) << published->stderr_text;
  EXPECT_EQ(RunTool({"secret-tool", "lookup", "url", (*registry)->index_url()}).stdout_text, token);

  const std::string seen = login->stdout_text + login->stderr_text + published->stdout_text +
                           published->stderr_text + env.AdminOutput();
  EXPECT_THAT(seen, ::testing::Not(HasSubstr(sentinel)));
  EXPECT_THAT(ArgvHolding(sentinel), ::testing::IsEmpty());
  const int pid = env.DaemonPid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(env.Shim({"flush"}).exit_code, 0);
  EXPECT_THAT(ReadFile(env.log()), ::testing::Not(HasSubstr(sentinel)));
  EXPECT_THAT(FilesHolding(env.root(), sentinel), ::testing::IsEmpty());
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "under ASan freed blocks wait in its quarantine: the memory scan runs in the "
                  "ordinary build";
#endif
  if (geteuid() != 0) GTEST_SKIP() << "reading another process's memory needs root";
  std::string where;
  const int copies = CountInMemory(pid, sentinel, &where);
  ASSERT_GE(copies, 0) << "could not read /proc/" << pid << "/mem";
  EXPECT_EQ(copies, 0) << "copies of the token left in credcached's memory after flush:\n" << where;
}

}  // namespace
}  // namespace credcache_testing
