// Where a token goes: a sentinel token, logged in (or served) through each
// backend kind and used by the real cargo, must be found nowhere but its
// store. Not in the daemon's log, cargo's output, `list`/`stats`/`status`
// (text and --json), any process's argv, a backend child's environment, a
// temporary file, or the daemon's memory after `flush` (read from
// /proc/PID/mem, which needs root; elsewhere that part says so and skips).
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/cargo_sandbox.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/registry_server.h"
#include "tests/support/secret_scan.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::SubprocessResult;
using ::testing::HasSubstr;
using ::testing::Not;

class SecretHygieneTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    token_ = RandomToken();
    sentinel_ = token_.substr(token_.find(' ') + 1);  // The random part.
    absl::StatusOr<std::unique_ptr<RegistryServer>> registry = RegistryServer::Start(token_);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    store_ = env_.root() + "/store";
    mkdir(store_.c_str(), 0700);
    tmp_ = env_.root() + "/tmp";
    mkdir(tmp_.c_str(), 0700);
  }

  // The config for the backend kind under test, and what cargo must do
  // first to put the token in the store (a login, or nothing).
  std::string Config(const std::string& kind) {
    const std::string envdump = store_ + "/child-env";
    if (kind == "file") {
      return absl::StrCat("[[backend]]\nkind = \"file\"\npath = \"", store_, "/tokens.toml\"\n");
    }
    if (kind == "env") {
      return "[[backend]]\nkind = \"env\"\nvariable = \"HYGIENE_TOKEN\"\nindex_urls = [\"*\"]\n";
    }
    if (kind == "command") {
      WriteFile(store_ + "/token", token_);
      const std::string script = store_ + "/token.sh";
      WriteFile(script, absl::StrCat("#!/bin/sh\nenv > ", envdump, "\ncat ", store_, "/token\n"),
                0700);
      // An env backend beside it: its variable must not reach the command.
      return absl::StrCat(
          "[[backend]]\nkind = \"env\"\nvariable = \"HYGIENE_TOKEN\"\n"
          "index_urls = [\"sparse+https://elsewhere.example/*\"]\n"
          "[[backend]]\nkind = \"command\"\nindex_urls = [\"*\"]\ncommand = [\"",
          script, "\"]\n");
    }
    // cargo-provider: the example provider, keeping its own token file.
    const std::string wrapper = store_ + "/provider.sh";
    WriteFile(wrapper,
              absl::StrCat("#!/bin/sh\nenv > ", envdump, "\nexec ",
                           Runfile("examples/cargo-credential-example-file"), " \"$@\"\n"),
              0700);
    return absl::StrCat("[[backend]]\nkind = \"cargo-provider\"\nprovider = \"", wrapper,
                        "\"\nargs = [\"--file\", \"", store_, "/provider-tokens\"]\n");
  }

  SubprocessResult Cargo(const std::vector<std::string>& args, const std::string& cwd,
                         const std::string& input = "") {
    absl::StatusOr<SubprocessResult> result = cargo_.Cargo(args, cwd, input);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : SubprocessResult{-1, "", ""};
  }

  DaemonEnv env_;
  CargoSandbox cargo_;
  std::unique_ptr<RegistryServer> registry_;
  std::string token_;
  std::string sentinel_;
  std::string store_;
  std::string tmp_;
};

TEST_P(SecretHygieneTest, TheTokenIsFoundNowhereButItsStore) {
  const std::string kind = GetParam();
  env_.WriteConfig(Config(kind));
  std::vector<std::pair<std::string, std::string>> environment = env_.Environment();
  environment.push_back({"TMPDIR", tmp_});
  if (kind == "env") environment.push_back({"HYGIENE_TOKEN", token_});
  cargo_.SetEnv(environment);
  cargo_.WriteConfig(absl::StrCat("[registries.myreg]\nindex = \"", registry_->index_url(),
                                  "\"\n\n[registry]\nglobal-credential-providers = [\"",
                                  DaemonEnv::ShimPath(), "\"]\n\n[net]\nretry = 0\n"));
  const std::string foo = cargo_.NewCrate("foo", "myreg");

  std::string seen;  // Everything cargo and the admin commands printed.
  if (kind == "file" || kind == "cargo-provider") {
    SubprocessResult login = Cargo({"login", "--registry", "myreg"}, foo, token_ + "\n");
    EXPECT_EQ(login.exit_code, 0) << login.stderr_text;
    seen += login.stdout_text + login.stderr_text;
  }
  SubprocessResult publish =
      Cargo({"publish", "--registry", "myreg", "--no-verify", "--allow-dirty"}, foo);
  EXPECT_EQ(publish.exit_code, 0) << publish.stderr_text;
  seen += publish.stdout_text + publish.stderr_text;
  // The registry saw the token: it was really used.
  bool authorised = false;
  for (const LoggedRequest& request : registry_->Requests()) authorised |= request.auth == "ok";
  EXPECT_TRUE(authorised);

  const int pid = env_.DaemonPid();
  ASSERT_GT(pid, 0);
  // While it is cached: no process's argv holds it, nor any admin output.
  EXPECT_THAT(ArgvHolding(sentinel_), ::testing::IsEmpty());
  seen += env_.AdminOutput(environment);
  EXPECT_THAT(seen, Not(HasSubstr(sentinel_)));
  // A backend child's environment never holds it.
  const std::string child_env = ReadFile(store_ + "/child-env");
  if (kind == "command" || kind == "cargo-provider") {
    EXPECT_THAT(child_env, HasSubstr("PATH="));  // It ran, and wrote it.
  }
  EXPECT_THAT(child_env, Not(HasSubstr(sentinel_)));

  ASSERT_EQ(env_.Shim({"flush"}, "", environment).exit_code, 0);
  // Nowhere on disk but the store: not the log, not a temporary file.
  EXPECT_THAT(ReadFile(env_.log()), Not(HasSubstr(sentinel_)));
  EXPECT_THAT(FilesHolding(tmp_, sentinel_), ::testing::IsEmpty());
  EXPECT_THAT(FilesHolding(env_.root() + "/run", sentinel_), ::testing::IsEmpty());
  std::vector<std::string> on_disk = FilesHolding(env_.root(), sentinel_);
  for (const std::string& path : on_disk) {
    EXPECT_TRUE(absl::StartsWith(path, store_)) << path << " holds the token";
  }
  if (kind == "file" || kind == "cargo-provider" || kind == "command") {
    EXPECT_FALSE(on_disk.empty()) << "the store itself should hold it";
  }

  // Not in the daemon's memory after the flush. The env backend's store is
  // the daemon's own environment, which is in its memory by definition.
  if (geteuid() != 0) {
    GTEST_SKIP() << "reading another process's memory needs root; skipped as not root";
  }
  if (kind == "env") return;
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "under ASan, freed blocks wait in its quarantine and glibc's wiping allocator "
                  "is not used: the memory scan runs in the ordinary build";
#endif
  std::string where;
  const int copies = CountInMemory(pid, sentinel_, &where);
  ASSERT_GE(copies, 0) << "could not read /proc/" << pid << "/mem";
  EXPECT_EQ(copies, 0) << "copies of the token left in credcached's memory after flush:\n" << where;
}

// A backend's failure is logged with its cause, as the user is shown it:
// a wrapped provider that refuses a login and quotes the token in its
// message must not put the token in the log.
TEST(SecretHygieneLogTest, AFailedLoginsLogLineCarriesItsCauseNeverTheToken) {
  DaemonEnv env;
  const std::string token = RandomToken();
  const std::string sentinel = token.substr(token.find(' ') + 1);
  const std::string provider = env.root() + "/refusing-provider.sh";
  // Speaks cargo's protocol: the hello, one request, and an error quoting
  // the token the request carried.
  WriteFile(provider,
            "#!/bin/sh\n"
            "printf '{\"v\":[1]}\\n'\n"
            "IFS= read -r line\n"
            "token=$(printf '%s' \"$line\" | sed -n 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/p')\n"
            "printf '{\"Err\":{\"kind\":\"other\",\"message\":\"store refused %s\",'"
            "'\"caused-by\":[\"quota exceeded for %s\"]}}\\n' \"$token\" \"$token\"\n",
            0700);
  env.WriteConfig(absl::StrCat("[[backend]]\nname = \"wrapped\"\nkind = \"cargo-provider\"\n",
                               "provider = \"", provider, "\"\n"));
  const std::string login =
      absl::StrCat(R"({"v":1,"registry":{"index-url":"sparse+http://r.example/index/",)",
                   R"("name":"myreg"},"kind":"login","token":")", token, "\"}\n");
  SubprocessResult refused = env.Shim({"--cargo-plugin"}, login);
  // The provider's own words reach the user (they are its business)...
  EXPECT_THAT(refused.stdout_text, HasSubstr("store refused"));
  const std::string log = ReadFile(env.log());
  // ...and the log says the login failed and why, the token blanked out.
  EXPECT_THAT(log, HasSubstr("warning: backend `wrapped` login sparse+http://r.example/index/: "
                             "failed in "));
  EXPECT_THAT(log, HasSubstr("store refused REDACTED: quota exceeded for REDACTED"));
  EXPECT_THAT(log, Not(HasSubstr(sentinel)));
}

INSTANTIATE_TEST_SUITE_P(EveryBackendKind, SecretHygieneTest,
                         ::testing::Values("file", "env", "command", "cargo-provider"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
                           return name;
                         });

}  // namespace
}  // namespace credcache_testing
