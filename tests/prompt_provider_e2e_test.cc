// The real cargo through cargo-credential-example-prompt in front of the
// example file provider, against the local registry that requires a token:
// `cargo login` on a terminal asks for the token with echo off; `cargo
// publish` and `cargo yank` on a terminal ask before the token is used, and
// go ahead only on "y"; without a terminal they are refused, and cargo shows
// why. Reads (index, downloads) never ask.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cargo_credential/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/cargo_sandbox.h"
#include "tests/support/registry_server.h"
#include "tests/support/terminal.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::SubprocessResult;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kCargoTimeout = absl::Seconds(120);

class PromptProviderEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = RandomToken();
    absl::StatusOr<std::unique_ptr<RegistryServer>> registry = RegistryServer::Start(token_);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    tokens_file_ = cargo_.root() + "/provider-tokens";
    cargo_.WriteConfig(absl::StrCat(
        "[registries.myreg]\nindex = \"", registry_->index_url(), "\"\n",
        "credential-provider = [\"", Runfile("examples/cargo-credential-example-prompt"), "\", \"",
        Runfile("examples/cargo-credential-example-file"), "\", \"--file\", \"", tokens_file_,
        "\"]\n\n[net]\nretry = 0\n"));
    foo_ = cargo_.NewCrate("foo", "myreg");
  }

  // Runs cargo with pipes and no terminal at all (a session of its own, as
  // in CI), so that nothing can be asked.
  SubprocessResult Piped(const std::vector<std::string>& args, const std::string& cwd,
                         const std::string& input = "") {
    cargo_credential::SubprocessOptions options = cargo_.Options(args, cwd);
    options.new_session = true;
    absl::StatusOr<SubprocessResult> result =
        cargo_credential::RunSubprocess(options, input, kCargoTimeout);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : SubprocessResult{-1, "", ""};
  }

  std::unique_ptr<Terminal> OnTerminal(const std::vector<std::string>& args,
                                       const std::string& cwd) {
    absl::StatusOr<std::unique_ptr<Terminal>> started = Terminal::Start(cargo_.Options(args, cwd));
    EXPECT_TRUE(started.ok()) << started.status();
    return started.ok() ? *std::move(started) : nullptr;
  }

  // Logs in with the token on stdin, as a script would: cargo passes it,
  // nothing is asked.
  void LogInFromStdin() {
    SubprocessResult login = Piped({"login", "--registry", "myreg"}, foo_, token_ + "\n");
    ASSERT_EQ(login.exit_code, 0) << login.stderr_text;
    ASSERT_EQ(ReadFile(tokens_file_), absl::StrCat(registry_->index_url(), " ", token_, "\n"));
  }

  // Runs `cargo <args>` on a terminal, waits for `question` and types
  // `answer`; returns the terminal, with cargo exited.
  std::unique_ptr<Terminal> Answer(const std::vector<std::string>& args,
                                   const std::string& question, const std::string& answer,
                                   std::optional<int>* exit_code) {
    std::unique_ptr<Terminal> terminal = OnTerminal(args, foo_);
    if (terminal == nullptr) return nullptr;
    EXPECT_TRUE(terminal->WaitFor(question, absl::Seconds(60))) << terminal->Screen();
    terminal->Type(answer + "\n");
    *exit_code = terminal->Wait(kCargoTimeout);
    return terminal;
  }

  int Count(const std::string& method, const std::string& path) {
    int count = 0;
    for (const LoggedRequest& request : registry_->Requests()) {
      if (request.method == method && request.path == path && request.auth == "ok" &&
          request.status == 200) {
        ++count;
      }
    }
    return count;
  }

  CargoSandbox cargo_;
  std::string token_;
  std::string tokens_file_;
  std::string foo_;
  std::unique_ptr<RegistryServer> registry_;
};

TEST_F(PromptProviderEndToEndTest, LoginOnATerminalAsksForTheTokenWithEchoOff) {
  std::unique_ptr<Terminal> login = OnTerminal({"login", "--registry", "myreg"}, foo_);
  ASSERT_NE(login, nullptr);
  // Cargo passes no token (stdin is a terminal) but the login URL from the
  // registry's 401.
  ASSERT_TRUE(login->WaitFor(absl::StrCat("please paste the token found on http://127.0.0.1:",
                                          registry_->port(), "/me below"),
                             absl::Seconds(60)))
      << login->Screen();
  login->Type(token_ + "\n");
  EXPECT_EQ(login->Wait(kCargoTimeout), 0) << login->Screen();
  // The inner provider stored it, and said so; the terminal never showed it.
  EXPECT_THAT(login->Screen(), HasSubstr("Login token for `myreg` saved"));
  EXPECT_THAT(login->Screen(), Not(HasSubstr(token_.substr(7))));
  EXPECT_EQ(ReadFile(tokens_file_), absl::StrCat(registry_->index_url(), " ", token_, "\n"));

  // Without a terminal and without a token there is no one to ask: the
  // login fails and says how to give the token.
  ASSERT_EQ(Piped({"logout", "--registry", "myreg"}, foo_).exit_code, 0);
  SubprocessResult blind = Piped({"login", "--registry", "myreg"}, foo_);
  EXPECT_NE(blind.exit_code, 0);
  EXPECT_THAT(blind.stderr_text, HasSubstr("failed action `login`"));
  EXPECT_EQ(ReadFile(tokens_file_), "");
}

TEST_F(PromptProviderEndToEndTest, PublishGoesAheadOnYesAndReadsAreNotAsked) {
  LogInFromStdin();
  std::optional<int> exit_code;
  std::unique_ptr<Terminal> publish =
      Answer({"publish", "--registry", "myreg", "--no-verify", "--allow-dirty"},
             "Use your token for myreg to publish foo 0.1.0? [y/N]", "y", &exit_code);
  ASSERT_NE(publish, nullptr);
  EXPECT_EQ(exit_code, 0) << publish->Screen();
  EXPECT_EQ(Count("PUT", "/api/v1/crates/new"), 1);

  // A consumer only reads: no question, on a terminal or not.
  const std::string bar =
      cargo_.NewCrate("bar", "myreg", "foo = { version = \"0.1\", registry = \"myreg\" }\n");
  SubprocessResult fetch = Piped({"fetch"}, bar);
  EXPECT_EQ(fetch.exit_code, 0) << fetch.stderr_text;
  EXPECT_THAT(fetch.stderr_text, Not(HasSubstr("Use your token")));
  EXPECT_EQ(Count("GET", "/dl/foo/0.1.0/download"), 1);
  EXPECT_THAT(fetch.stderr_text + publish->Screen(), Not(HasSubstr(token_.substr(7))));
}

TEST_F(PromptProviderEndToEndTest, YankIsRefusedOnNoAndWithoutATerminal) {
  LogInFromStdin();
  std::optional<int> exit_code;
  ASSERT_NE(Answer({"publish", "--registry", "myreg", "--no-verify", "--allow-dirty"},
                   "to publish foo 0.1.0? [y/N]", "y", &exit_code),
            nullptr);
  ASSERT_EQ(exit_code, 0);
  const std::vector<std::string> yank = {"yank",       "--version", "0.1.0",
                                         "--registry", "myreg",     "foo"};

  // "n": cargo stops, and the user sees why.
  std::unique_ptr<Terminal> no =
      Answer(yank, "Use your token for myreg to yank foo 0.1.0? [y/N]", "n", &exit_code);
  ASSERT_NE(no, nullptr);
  EXPECT_EQ(exit_code, 101) << no->Screen();
  EXPECT_THAT(no->Screen(),
              HasSubstr("refused to use the token for `myreg` to yank foo 0.1.0: not confirmed"));

  // No terminal: refused, saying that no one could be asked.
  SubprocessResult blind = Piped(yank, foo_);
  EXPECT_EQ(blind.exit_code, 101);
  EXPECT_THAT(blind.stderr_text, HasSubstr("failed action `get`"));
  EXPECT_THAT(blind.stderr_text,
              HasSubstr("refused to use the token for `myreg` to yank foo 0.1.0: no one could be "
                        "asked"));
  EXPECT_THAT(blind.stderr_text, HasSubstr("run cargo from one"));
  EXPECT_EQ(Count("DELETE", "/api/v1/crates/foo/0.1.0/yank"), 0);

  // "y" lets it through.
  std::unique_ptr<Terminal> yes = Answer(yank, "to yank foo 0.1.0? [y/N]", "y", &exit_code);
  ASSERT_NE(yes, nullptr);
  EXPECT_EQ(exit_code, 0) << yes->Screen();
  EXPECT_EQ(Count("DELETE", "/api/v1/crates/foo/0.1.0/yank"), 1);

  // Every request that carried a token carried exactly the stored one.
  for (const LoggedRequest& request : registry_->Requests()) {
    EXPECT_NE(request.auth, "wrong") << request.method << " " << request.path;
  }
}

}  // namespace
}  // namespace credcache_testing
