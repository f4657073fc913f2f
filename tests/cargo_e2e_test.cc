// The real cargo against a local registry that requires a token, through the
// example file provider built on lib/: login, publish, fetch by a consumer,
// yank and unyank, owners, logout, and the failure cargo reports after it.
// The registry accepts a request only with exactly the provider's token,
// which holds a space ("Bearer <random>") so any rewriting would show.
#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
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

class CargoEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = RandomToken();
    absl::StatusOr<std::unique_ptr<RegistryServer>> registry = RegistryServer::Start(token_);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    tokens_file_ = cargo_.root() + "/provider-tokens";
    cargo_.WriteConfig(
        absl::StrCat("[registries.myreg]\nindex = \"", registry_->index_url(), "\"\n",
                     "credential-provider = [\"", Runfile("examples/cargo-credential-example-file"),
                     "\", \"--file\", \"", tokens_file_, "\"]\n\n[net]\nretry = 0\n"));
  }

  // Runs cargo and expects success, showing its output otherwise.
  SubprocessResult Ok(const std::vector<std::string>& args, const std::string& cwd,
                      const std::string& input = "") {
    absl::StatusOr<SubprocessResult> result = cargo_.Cargo(args, cwd, input);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return SubprocessResult{-1, "", ""};
    EXPECT_EQ(result->exit_code, 0) << "cargo " << args[0] << " failed:\n" << result->stderr_text;
    return *result;
  }

  bool Logged(const std::string& method, const std::string& path) {
    for (const LoggedRequest& request : registry_->Requests()) {
      if (request.method == method && request.path == path && request.auth == "ok" &&
          request.status == 200) {
        return true;
      }
    }
    return false;
  }

  CargoSandbox cargo_;
  std::string token_;
  std::string tokens_file_;
  std::unique_ptr<RegistryServer> registry_;
};

TEST_F(CargoEndToEndTest, FullLifecycleThroughTheExampleProvider) {
  const std::string foo = cargo_.NewCrate("foo", "myreg");
  const std::string bar =
      cargo_.NewCrate("bar", "myreg", "foo = { version = \"0.1\", registry = \"myreg\" }\n");

  // Login: cargo probes the registry (401), asks the provider for a token
  // (not-found), then hands it the token read from stdin.
  SubprocessResult login = Ok({"login", "--registry", "myreg"}, foo, token_ + "\n");
  EXPECT_THAT(login.stderr_text, HasSubstr("Login token for `myreg` saved"));
  EXPECT_EQ(ReadFile(tokens_file_), absl::StrCat(registry_->index_url(), " ", token_, "\n"));

  Ok({"publish", "--registry", "myreg", "--no-verify", "--allow-dirty"}, foo);
  EXPECT_TRUE(Logged("PUT", "/api/v1/crates/new"));

  Ok({"fetch"}, bar);
  EXPECT_THAT(ReadFile(bar + "/Cargo.lock"), HasSubstr("name = \"foo\""));
  EXPECT_TRUE(Logged("GET", "/dl/foo/0.1.0/download"));

  Ok({"yank", "--version", "0.1.0", "--registry", "myreg", "foo"}, foo);
  EXPECT_TRUE(Logged("DELETE", "/api/v1/crates/foo/0.1.0/yank"));
  Ok({"yank", "--undo", "--version", "0.1.0", "--registry", "myreg", "foo"}, foo);
  EXPECT_TRUE(Logged("PUT", "/api/v1/crates/foo/0.1.0/unyank"));

  Ok({"owner", "--add", "bob", "--registry", "myreg", "foo"}, foo);
  SubprocessResult owners = Ok({"owner", "--list", "--registry", "myreg", "foo"}, foo);
  EXPECT_THAT(owners.stdout_text, HasSubstr("bob"));
  Ok({"owner", "--remove", "bob", "--registry", "myreg", "foo"}, foo);
  EXPECT_TRUE(Logged("DELETE", "/api/v1/crates/foo/owners"));

  Ok({"logout", "--registry", "myreg"}, foo);
  EXPECT_EQ(ReadFile(tokens_file_), "");

  // With no token stored, the provider says not-found and cargo explains.
  absl::StatusOr<SubprocessResult> after = cargo_.Cargo({"generate-lockfile"}, bar);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_NE(after->exit_code, 0);
  EXPECT_THAT(after->stderr_text, HasSubstr("no token found for `myreg`"));

  // Cargo's first contact is unauthenticated (`cargo login` probes twice);
  // each such probe got a 401. Every request after them carried exactly the
  // provider's token; none carried a wrong one.
  const std::vector<LoggedRequest> requests = registry_->Requests();
  size_t first_authorised = 0;
  while (first_authorised < requests.size() && requests[first_authorised].auth == "missing") {
    EXPECT_EQ(requests[first_authorised].path, "/index/config.json");
    EXPECT_EQ(requests[first_authorised].status, 401);
    ++first_authorised;
  }
  EXPECT_GE(first_authorised, 1u);
  int authorised = 0;
  for (size_t i = first_authorised; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].auth, "ok") << i << ": " << requests[i].method << " " << requests[i].path;
    if (requests[i].auth == "ok") ++authorised;
  }
  EXPECT_GE(authorised, 10);

  // Secrets never reach cargo's output.
  for (const std::string& text :
       {login.stdout_text, login.stderr_text, owners.stderr_text, after->stderr_text}) {
    EXPECT_THAT(text, Not(HasSubstr(token_.substr(7))));
  }
}

TEST_F(CargoEndToEndTest, TheRegistryRejectsAnyOtherToken) {
  const std::string bar =
      cargo_.NewCrate("bar", "myreg", "foo = { version = \"0.1\", registry = \"myreg\" }\n");
  WriteFile(tokens_file_, absl::StrCat(registry_->index_url(), " Bearer not-the-token\n"));
  chmod(tokens_file_.c_str(), 0600);
  absl::StatusOr<SubprocessResult> fetch = cargo_.Cargo({"generate-lockfile"}, bar);
  ASSERT_TRUE(fetch.ok()) << fetch.status();
  EXPECT_NE(fetch->exit_code, 0);
  EXPECT_THAT(fetch->stderr_text, HasSubstr("token rejected for `myreg`"));
  bool wrong_seen = false;
  for (const LoggedRequest& request : registry_->Requests()) {
    wrong_seen = wrong_seen || request.auth == "wrong";
  }
  EXPECT_TRUE(wrong_seen);
}

TEST_F(CargoEndToEndTest, ProviderErrorsReachTheUser) {
  const std::string bar =
      cargo_.NewCrate("bar", "myreg", "foo = { version = \"0.1\", registry = \"myreg\" }\n");
  WriteFile(tokens_file_, "sparse+http://x/ t\n");
  chmod(tokens_file_.c_str(), 0644);  // The provider refuses a readable file.
  absl::StatusOr<SubprocessResult> fetch = cargo_.Cargo({"generate-lockfile"}, bar);
  ASSERT_TRUE(fetch.ok()) << fetch.status();
  EXPECT_NE(fetch->exit_code, 0);
  EXPECT_THAT(fetch->stderr_text, HasSubstr("not readable by others"));
  EXPECT_THAT(fetch->stderr_text, HasSubstr("chmod 600"));
}

}  // namespace
}  // namespace credcache_testing
