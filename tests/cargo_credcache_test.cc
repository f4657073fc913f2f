// The real cargo through cargo-credential-credcache and credcached, against
// the local registry that requires exactly one token: the product as a user
// meets it.
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/cargo_sandbox.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/registry_server.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::SubprocessResult;
using ::testing::HasSubstr;
using ::testing::Not;

class CargoCredcacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = RandomToken();
    absl::StatusOr<std::unique_ptr<RegistryServer>> registry = RegistryServer::Start(token_);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    cargo_.SetEnv(env_.Environment());
    // cargo runs the shim for every registry, as a user's global setting.
    cargo_.WriteConfig(absl::StrCat("[registries.myreg]\nindex = \"", registry_->index_url(),
                                    "\"\n\n[registry]\nglobal-credential-providers = [\"",
                                    DaemonEnv::ShimPath(), "\"]\n\n[net]\nretry = 0\n"));
    bar_ = cargo_.NewCrate("bar", "myreg", "foo = { version = \"0.1\", registry = \"myreg\" }\n");
  }

  SubprocessResult Cargo(const std::vector<std::string>& args, const std::string& cwd,
                         const std::string& input = "") {
    absl::StatusOr<SubprocessResult> result = cargo_.Cargo(args, cwd, input);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return SubprocessResult{-1, "", ""};
    return *result;
  }
  void Ok(const std::vector<std::string>& args, const std::string& cwd,
          const std::string& input = "") {
    SubprocessResult result = Cargo(args, cwd, input);
    EXPECT_EQ(result.exit_code, 0) << "cargo " << args[0] << ":\n" << result.stderr_text;
  }
  // Publishes foo 0.1.0 so that bar can depend on it.
  void PublishFoo() {
    const std::string foo = cargo_.NewCrate("foo", "myreg");
    Ok({"publish", "--registry", "myreg", "--no-verify", "--allow-dirty"}, foo);
  }
  // A `command` backend that counts its calls and prints the registry's
  // token, read from a private file.
  // `extra` goes before the counted backend, `after` after it.
  void UseCountingBackend(const std::string& extra = "", const std::string& after = "") {
    const std::string token_file = env_.root() + "/registry-token";
    WriteFile(token_file, token_);
    const std::string script = env_.root() + "/token.sh";
    WriteFile(script,
              absl::StrCat("#!/bin/sh\necho call >> ", Counter(), "\ncat ", token_file, "\n"));
    chmod(script.c_str(), 0700);
    env_.WriteConfig(absl::StrCat(
        extra, "[[backend]]\nname = \"counted\"\nkind = \"command\"\nindex_urls = [\"*\"]\n",
        "command = [\"", script, "\"]\n", after));
    cargo_.SetEnv(env_.Environment());
  }
  std::string Counter() const { return env_.root() + "/calls"; }

  DaemonEnv env_;
  CargoSandbox cargo_;
  std::unique_ptr<RegistryServer> registry_;
  std::string token_;
  std::string bar_;
};

// No config at all: the embedded default's token file takes cargo login.
TEST_F(CargoCredcacheTest, LoginPublishFetchLogoutOnTheEmbeddedDefault) {
  const std::string tokens = env_.data_dir() + "/tokens.toml";
  SubprocessResult login = Cargo({"login", "--registry", "myreg"}, cargo_.root(), token_ + "\n");
  ASSERT_EQ(login.exit_code, 0) << login.stderr_text;
  // cargo prints nothing for a provider's login: credcache says where it went.
  EXPECT_THAT(login.stderr_text, HasSubstr("credcache: the token for `myreg`"));
  EXPECT_THAT(login.stderr_text, HasSubstr("is saved in backend `file` (file)"));
  EXPECT_THAT(login.stderr_text, Not(HasSubstr(token_)));
  EXPECT_THAT(ReadFile(tokens), HasSubstr(token_));
  struct stat info;
  ASSERT_EQ(stat(tokens.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  PublishFoo();
  Ok({"fetch"}, bar_);
  EXPECT_THAT(ReadFile(bar_ + "/Cargo.lock"), HasSubstr("name = \"foo\""));

  SubprocessResult logout = Cargo({"logout", "--registry", "myreg"}, cargo_.root());
  ASSERT_EQ(logout.exit_code, 0) << logout.stderr_text;
  EXPECT_THAT(logout.stderr_text, HasSubstr("the token is gone from backend `file`"));
  EXPECT_THAT(ReadFile(tokens), Not(HasSubstr(token_)));
  SubprocessResult after = Cargo({"generate-lockfile"}, bar_);
  EXPECT_NE(after.exit_code, 0);
  EXPECT_THAT(after.stderr_text, HasSubstr("no token found for `myreg`"));

  // A logout the backend had nothing for is cargo's "not logged in".
  SubprocessResult again = Cargo({"logout", "--registry", "myreg"}, cargo_.root());
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_THAT(again.stderr_text, HasSubstr("not currently logged in"));
  for (const LoggedRequest& request : registry_->Requests()) {
    EXPECT_NE(request.auth, "wrong") << request.method << " " << request.path;
  }
}

TEST_F(CargoCredcacheTest, ALoginBehindABackendAskedFirstSaysSo) {
  // A read-only command ahead of the file: the login goes to the file, but
  // gets keep coming from the command; the user is told.
  UseCountingBackend("", "[[backend]]\nkind = \"file\"\n");
  SubprocessResult login =
      Cargo({"login", "--registry", "myreg"}, cargo_.root(), RandomToken() + "\n");
  ASSERT_EQ(login.exit_code, 0) << login.stderr_text;
  EXPECT_THAT(login.stderr_text, HasSubstr("is saved in backend `file`"));
  EXPECT_THAT(login.stderr_text, HasSubstr("ask `counted` first"));
}

TEST_F(CargoCredcacheTest, ARegistryNoBackendServesSaysWhichConfigAndBackendsWereAsked) {
  env_.WriteConfig(
      "[[backend]]\nname = \"corp\"\nkind = \"file\"\n"
      "index_urls = [\"sparse+https://cargo.corp.example/*\"]\n");
  cargo_.SetEnv(env_.Environment());
  SubprocessResult result = Cargo({"generate-lockfile"}, bar_);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.stderr_text,
              HasSubstr(absl::StrCat("credcache: no backend of ", env_.config_path(), " serves ")));
  EXPECT_THAT(result.stderr_text,
              HasSubstr("its backends: `corp` (sparse+https://cargo.corp.example/*)"));
}

TEST_F(CargoCredcacheTest, ASecondCargoRunMakesNoBackendCall) {
  UseCountingBackend();
  PublishFoo();
  const int after_publish = CountLines(Counter());
  EXPECT_EQ(after_publish, 1);
  Ok({"generate-lockfile"}, bar_);
  Ok({"fetch"}, bar_);
  Ok({"generate-lockfile"}, bar_);
  EXPECT_EQ(CountLines(Counter()), 1);  // Three cargo runs, served from the daemon.

  // forget and flush send the next run to the backend again.
  EXPECT_EQ(env_.Shim({"forget", registry_->index_url()}).exit_code, 0);
  Ok({"generate-lockfile"}, bar_);
  EXPECT_EQ(CountLines(Counter()), 2);
  EXPECT_EQ(env_.Shim({"flush"}).exit_code, 0);
  Ok({"generate-lockfile"}, bar_);
  EXPECT_EQ(CountLines(Counter()), 3);
}

TEST_F(CargoCredcacheTest, ExpiringTokensAreFetchedAgainWhenTheyExpire) {
  // Tokens live 3 s; the daemon drops them 1 s early. Within its life every
  // cargo request is served from the cache (cargo itself will not reuse a
  // token within 60 s of expiry, so it asks the shim each time).
  UseCountingBackend("[cache]\nexpiry_margin = \"1s\"\n\n");
  {
    std::string config = ReadFile(env_.config_path());
    config += "cache = \"expires\"\nlifetime = \"3s\"\n";
    env_.WriteConfig(config);
  }
  PublishFoo();
  const int calls = CountLines(Counter());
  absl::SleepFor(absl::Seconds(3));
  Ok({"generate-lockfile"}, bar_);
  EXPECT_GT(CountLines(Counter()), calls);
}

TEST_F(CargoCredcacheTest, BackendErrorsReachTheUserThroughCargo) {
  env_.WriteConfig(
      "[[backend]]\nname = \"sso\"\nkind = \"command\"\nindex_urls = [\"*\"]\ncommand = [\"sh\", "
      "\"-c\", "
      "\"echo 'session expired: run sso-login' >&2; exit 4\"]\n");
  cargo_.SetEnv(env_.Environment());
  SubprocessResult result = Cargo({"generate-lockfile"}, bar_);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.stderr_text, HasSubstr("credcache backend `sso` failed"));
  EXPECT_THAT(result.stderr_text, HasSubstr("session expired: run sso-login"));
}

TEST_F(CargoCredcacheTest, WhatABackendSaysOnStderrReachesTheUserThroughCargo) {
  // An SSO-style command that warns on stderr and prints the token: cargo
  // shows the warning as it would show its own provider's, and works.
  const std::string token_file = env_.root() + "/registry-token";
  WriteFile(token_file, token_);
  env_.WriteConfig(absl::StrCat(
      "[[backend]]\nname = \"sso\"\nkind = \"command\"\nindex_urls = [\"*\"]\n",
      "command = [\"sh\", \"-c\", \"echo 'your SSO session expires in 5 minutes' >&2; cat ",
      token_file, "\"]\n"));
  cargo_.SetEnv(env_.Environment());
  const std::string foo = cargo_.NewCrate("foo", "myreg");
  SubprocessResult result =
      Cargo({"publish", "--registry", "myreg", "--no-verify", "--allow-dirty"}, foo);
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stderr_text, HasSubstr("your SSO session expires in 5 minutes"));
  // The daemon's log says that it spoke, never what.
  const std::string log = ReadFile(env_.log());
  EXPECT_THAT(log, HasSubstr("backend `sso` wrote"));
  EXPECT_THAT(log, Not(HasSubstr("SSO session expires")));
}

// A user of cargo:token moves to credcache: their credentials.toml's token
// goes into credcache's file backend, cargo then works through credcache,
// and only --remove deletes the plaintext copy.
TEST_F(CargoCredcacheTest, ImportMovesCargoTokensIntoCredcache) {
  const std::string credentials = cargo_.cargo_home() + "/credentials.toml";
  WriteFile(credentials, absl::StrCat("[registries.myreg]\ntoken = \"", token_, "\"\n"));
  chmod(credentials.c_str(), 0600);

  SubprocessResult wrong =
      env_.Shim({"import", "--cargo-home", cargo_.cargo_home(), "--backend", "nope"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.stderr_text, HasSubstr("no backend named `nope`"));

  SubprocessResult imported =
      env_.Shim({"import", "--cargo-home", cargo_.cargo_home(), "--backend", "file"});
  EXPECT_EQ(imported.exit_code, 0) << imported.stderr_text;
  EXPECT_THAT(imported.stdout_text,
              HasSubstr(absl::StrCat("imported myreg (", registry_->index_url(), ") into `file`")));
  EXPECT_THAT(imported.stdout_text, HasSubstr("global-credential-providers"));
  EXPECT_THAT(imported.stdout_text, Not(HasSubstr(token_)));
  EXPECT_THAT(ReadFile(env_.data_dir() + "/tokens.toml"), HasSubstr(token_));
  EXPECT_THAT(ReadFile(credentials), HasSubstr(token_));  // Nothing removed unasked.

  PublishFoo();  // cargo's only provider here is credcache.
  Ok({"generate-lockfile"}, bar_);

  SubprocessResult removed = env_.Shim({"import", "--cargo-home", cargo_.cargo_home(), "--remove"});
  EXPECT_EQ(removed.exit_code, 0) << removed.stderr_text;
  EXPECT_THAT(removed.stdout_text, HasSubstr("removed 1 token(s)"));
  EXPECT_THAT(ReadFile(credentials), Not(HasSubstr(token_)));
  Ok({"generate-lockfile"}, bar_);
}

}  // namespace
}  // namespace credcache_testing
