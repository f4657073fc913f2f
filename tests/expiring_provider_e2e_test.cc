// The real cargo through cargo-credential-example-expiring, against the local
// registry that requires a token: the token comes from a command (a script
// standing in for `aws codeartifact get-authorization-token` or a vault
// CLI) that notes each run in a file. With a long expiry cargo runs it once
// per cargo command; with one inside cargo's 60-second margin, once per
// HTTP request; a failing command's message reaches the user, its stdout
// does not; login is refused and logout finds nothing, each saying why.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/cargo_sandbox.h"
#include "tests/support/registry_server.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::SubprocessResult;
using ::testing::HasSubstr;
using ::testing::Not;

class ExpiringProviderEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = RandomToken();
    absl::StatusOr<std::unique_ptr<RegistryServer>> registry = RegistryServer::Start(token_);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    runs_ = cargo_.root() + "/runs";
    lifetime_ = cargo_.root() + "/lifetime";
    token_file_ = cargo_.root() + "/minted-token";
    WriteFile(token_file_, token_ + "\n");
    WriteFile(lifetime_, "3600\n");
    mint_ = cargo_.root() + "/mint-token";
    WriteFile(mint_,
              absl::StrCat("#!/bin/sh\n"
                           "echo \"$CARGO_REGISTRY_NAME_OPT $1\" >> '",
                           runs_, "'\ncat '", token_file_, "'\necho \"expires_in=$(cat '",
                           lifetime_, "')\"\n"),
              0700);
    UseCommand(mint_);
    foo_ = cargo_.NewCrate("foo", "myreg");
    bar_ = cargo_.NewCrate("bar", "myreg", "foo = { version = \"0.1\", registry = \"myreg\" }\n");
  }

  void UseCommand(const std::string& command) {
    cargo_.WriteConfig(absl::StrCat("[registries.myreg]\nindex = \"", registry_->index_url(),
                                    "\"\n", "credential-provider = [\"",
                                    Runfile("examples/cargo-credential-example-expiring"),
                                    "\", \"--timeout\", \"20s\", \"--\", \"", command,
                                    "\", \"{index_url}\"]\n\n", "[net]\nretry = 0\n"));
  }

  SubprocessResult Cargo(const std::vector<std::string>& args, const std::string& cwd,
                         const std::string& input = "") {
    absl::StatusOr<SubprocessResult> result = cargo_.Cargo(args, cwd, input);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : SubprocessResult{-1, "", ""};
  }

  void Publish() {
    SubprocessResult publish =
        Cargo({"publish", "--registry", "myreg", "--no-verify", "--allow-dirty"}, foo_);
    ASSERT_EQ(publish.exit_code, 0) << publish.stderr_text;
  }

  int Authorised() {
    int count = 0;
    for (const LoggedRequest& request : registry_->Requests()) {
      EXPECT_NE(request.auth, "wrong") << request.method << " " << request.path;
      if (request.auth == "ok") ++count;
    }
    return count;
  }

  CargoSandbox cargo_;
  std::string token_;
  std::string runs_;
  std::string lifetime_;
  std::string token_file_;
  std::string mint_;
  std::string foo_;
  std::string bar_;
  std::unique_ptr<RegistryServer> registry_;
};

TEST_F(ExpiringProviderEndToEndTest, ALongExpiryIsFetchedOncePerCargoRun) {
  // Publish: cargo's read token is good for the publish too.
  Publish();
  EXPECT_EQ(CountLines(runs_), 1);
  EXPECT_EQ(ReadFile(runs_), absl::StrCat("myreg ", registry_->index_url(), "\n"));

  // A consumer's fetch: config.json, the index file and the download, all
  // with the one token fetched at the start.
  const int before = Authorised();
  SubprocessResult fetch = Cargo({"fetch"}, bar_);
  ASSERT_EQ(fetch.exit_code, 0) << fetch.stderr_text;
  EXPECT_GE(Authorised() - before, 3);
  EXPECT_EQ(CountLines(runs_), 2);
  EXPECT_THAT(fetch.stderr_text, Not(HasSubstr(token_.substr(7))));
}

TEST_F(ExpiringProviderEndToEndTest, AnExpiryInsideCargosMarginIsFetchedForEveryRequest) {
  Publish();
  // 100 s, less the provider's 60 s margin, leaves 40 s: inside cargo's
  // own 60 s, so cargo keeps nothing and asks again for each request.
  WriteFile(lifetime_, "100\n");
  const int runs_before = CountLines(runs_);
  const int requests_before = Authorised();
  SubprocessResult fetch = Cargo({"fetch"}, bar_);
  ASSERT_EQ(fetch.exit_code, 0) << fetch.stderr_text;
  const int requests = Authorised() - requests_before;
  EXPECT_GE(requests, 3);
  EXPECT_EQ(CountLines(runs_) - runs_before, requests);
}

TEST_F(ExpiringProviderEndToEndTest, AFailingCommandsMessageReachesTheUserButNotItsOutput) {
  const std::string failing = cargo_.root() + "/failing-mint";
  WriteFile(failing,
            "#!/bin/sh\n"
            "echo 'Bearer half-minted-secret'\n"
            "echo 'mint: your SSO session has expired; run `mint login`' >&2\n"
            "exit 4\n",
            0700);
  UseCommand(failing);
  SubprocessResult fetch = Cargo({"generate-lockfile"}, bar_);
  EXPECT_EQ(fetch.exit_code, 101);
  EXPECT_THAT(fetch.stderr_text, HasSubstr("failed action `get`"));
  EXPECT_THAT(fetch.stderr_text, HasSubstr("failed with exit status 4; no token"));
  EXPECT_THAT(fetch.stderr_text, HasSubstr("your SSO session has expired; run `mint login`"));
  EXPECT_THAT(fetch.stderr_text, Not(HasSubstr("half-minted-secret")));

  // Output that is not a token is said to be so, without showing it.
  const std::string garbled = cargo_.root() + "/garbled-mint";
  WriteFile(garbled, "#!/bin/sh\nprintf 'not-a\\001token-secret\\n'\n", 0700);
  UseCommand(garbled);
  fetch = Cargo({"generate-lockfile"}, bar_);
  EXPECT_EQ(fetch.exit_code, 101);
  EXPECT_THAT(fetch.stderr_text, HasSubstr("printed no usable token"));
  EXPECT_THAT(fetch.stderr_text, HasSubstr("not a token cargo can send"));
  EXPECT_THAT(fetch.stderr_text, Not(HasSubstr("token-secret")));
}

TEST_F(ExpiringProviderEndToEndTest, LoginIsRefusedAndLogoutFindsNothingEachSayingWhy) {
  SubprocessResult login = Cargo({"login", "--registry", "myreg"}, foo_, "Bearer typed\n");
  EXPECT_EQ(login.exit_code, 101);
  EXPECT_THAT(login.stderr_text, HasSubstr("stores no token"));
  EXPECT_THAT(login.stderr_text, HasSubstr("failed action `login`"));
  EXPECT_THAT(login.stderr_text, HasSubstr("not supported"));

  SubprocessResult logout = Cargo({"logout", "--registry", "myreg"}, foo_);
  EXPECT_EQ(logout.exit_code, 0) << logout.stderr_text;
  EXPECT_THAT(logout.stderr_text, HasSubstr("not currently logged in to `myreg`"));
  EXPECT_THAT(logout.stderr_text, HasSubstr("revoke tokens where"));
}

}  // namespace
}  // namespace credcache_testing
