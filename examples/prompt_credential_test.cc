#include "examples/prompt_credential.h"

#include <deque>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cargo_credential/error.h"
#include "cargo_credential/protocol.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/builders.h"
#include "tests/support/test_env.h"

namespace credcache_examples {
namespace {

using cargo_credential::Action;
using cargo_credential::CausedBy;
using cargo_credential::CredentialResponse;
using cargo_credential::ErrorKind;
using cargo_credential::KindOf;
using cargo_credential::OperationKind;
using cargo_credential::RegistryInfo;
using cargo_credential::Secret;
using credcache_testing::Get;
using credcache_testing::Login;
using credcache_testing::Logout;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

Action Mutation(OperationKind kind) {
  Action action = Get(kind);
  action.operation.name = "foo";
  action.operation.vers = "0.1.0";
  return action;
}

// The inner provider is the example file provider, run as cargo would run
// it; the terminal is scripted.
class PromptCredentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = credcache_testing::MakeTempDir("prompt");
    tokens_ = dir_ + "/tokens";
    args_ = {credcache_testing::Runfile("examples/cargo-credential-example-file"), "--file",
             tokens_};
    registry_ = credcache_testing::Registry("sparse+http://127.0.0.1:1/index/", "myreg");
  }

  PromptConsole Scripted() {
    PromptConsole console;
    console.ask = [this](absl::string_view question) -> absl::StatusOr<std::string> {
      questions_.emplace_back(question);
      if (answers_.empty()) return absl::FailedPreconditionError("no terminal to read from");
      std::string answer = answers_.front();
      answers_.pop_front();
      return answer;
    };
    console.read_token = [this](const cargo_credential::LoginOptions& login,
                                const RegistryInfo&) -> absl::StatusOr<Secret> {
      ++token_prompts_;
      if (login.token.has_value()) return login.token->Clone();
      return Secret(absl::string_view(typed_token_));
    };
    return console;
  }

  absl::StatusOr<CredentialResponse> Run(const Action& action) {
    PromptCredential credential(Scripted());
    return credential.Perform(registry_, action, args_);
  }

  // An inner provider written for the test: it notes its argv and
  // environment in `dump`, and answers every request with `answer`.
  std::string ScriptedInner(const std::string& answer) {
    const std::string path = dir_ + "/inner.sh";
    credcache_testing::WriteFile(path,
                                 absl::StrCat("#!/bin/sh\n"
                                              "printf '{\"v\":[1]}\\n'\n"
                                              "{ echo \"argv: $*\"; env; } > '",
                                              dir_, "/dump'\n",
                                              "read -r request\n"
                                              "printf '%s\\n' '",
                                              answer, "'\n"),
                                 0700);
    return path;
  }

  std::string dir_;
  std::string tokens_;
  std::vector<std::string> args_;
  RegistryInfo registry_;
  std::deque<std::string> answers_;
  std::vector<std::string> questions_;
  std::string typed_token_ = "Bearer typed at the terminal";
  int token_prompts_ = 0;
};

TEST_F(PromptCredentialTest, LoginAsksForTheTokenAndTheInnerProviderStoresIt) {
  absl::StatusOr<CredentialResponse> login = Run(Login(""));
  ASSERT_TRUE(login.ok()) << login.status();
  EXPECT_EQ(login->kind, cargo_credential::ResponseKind::kLogin);
  EXPECT_EQ(token_prompts_, 1);
  EXPECT_EQ(credcache_testing::ReadFile(tokens_),
            absl::StrCat(registry_.index_url, " ", typed_token_, "\n"));

  // Reads pass through without a question, and are never
  // operation-independent, so that cargo asks again before a change.
  absl::StatusOr<CredentialResponse> got = Run(Get());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->token.Expose(), typed_token_);
  EXPECT_EQ(got->cache.kind, cargo_credential::CacheKind::kSession);
  EXPECT_FALSE(got->operation_independent);
  EXPECT_THAT(questions_, IsEmpty());
}

TEST_F(PromptCredentialTest, TheTerminalConsoleTakesCargosTokenWithoutAsking) {
  // Cargo passed a token (stdin was not a terminal): the real console's
  // ReadToken takes it, and no terminal is needed.
  PromptConsole console = PromptConsole::Terminal();
  console.ask = nullptr;
  PromptCredential credential(console);
  ASSERT_TRUE(credential.Perform(registry_, Login("Bearer from cargo"), args_).ok());
  EXPECT_EQ(credcache_testing::ReadFile(tokens_),
            absl::StrCat(registry_.index_url, " Bearer from cargo\n"));
}

TEST_F(PromptCredentialTest, AChangeIsAskedAboutAndGoesAheadOnYes) {
  ASSERT_TRUE(Run(Login("Bearer t")).ok());
  answers_ = {"y", " YES \r"};
  absl::StatusOr<CredentialResponse> publish = Run(Mutation(OperationKind::kPublish));
  ASSERT_TRUE(publish.ok()) << publish.status();
  EXPECT_EQ(publish->token.Expose(), "Bearer t");
  EXPECT_FALSE(publish->operation_independent);
  ASSERT_TRUE(Run(Mutation(OperationKind::kOwners)).ok());
  EXPECT_THAT(questions_,
              ElementsAre("Use your token for myreg to publish foo 0.1.0? [y/N] ",
                          "Use your token for myreg to list or change the owners of foo? [y/N] "));
}

TEST_F(PromptCredentialTest, AnythingButYesRefusesWithoutRunningTheInnerProvider) {
  args_ = {ScriptedInner(R"({"Ok":{"kind":"get","token":"t","cache":"session",)"
                         R"("operation_independent":true}})")};
  for (const std::string answer : {"n", "", "yep", "no"}) {
    answers_ = {answer};
    absl::StatusOr<CredentialResponse> yank = Run(Mutation(OperationKind::kYank));
    ASSERT_FALSE(yank.ok()) << answer;
    EXPECT_EQ(KindOf(yank.status()), ErrorKind::kOther);
    EXPECT_THAT(yank.status().message(),
                HasSubstr("refused to use the token for `myreg` to yank foo 0.1.0: not confirmed"));
  }
  EXPECT_EQ(credcache_testing::ReadFile(dir_ + "/dump"), "");
}

TEST_F(PromptCredentialTest, NoTerminalRefusesAndSaysWhy) {
  ASSERT_TRUE(Run(Login("Bearer t")).ok());
  registry_.name.reset();
  absl::StatusOr<CredentialResponse> unyank = Run(Mutation(OperationKind::kUnyank));
  ASSERT_FALSE(unyank.ok());
  EXPECT_EQ(KindOf(unyank.status()), ErrorKind::kOther);
  EXPECT_THAT(unyank.status().message(),
              HasSubstr("refused to use the token for `sparse+http://127.0.0.1:1/index/` to "
                        "unyank foo 0.1.0: no one could be asked"));
  EXPECT_THAT(CausedBy(unyank.status()),
              ElementsAre("no terminal to read from", HasSubstr("run cargo from one")));
}

TEST_F(PromptCredentialTest, AnOperationOfANewerCargoIsAskedAbout) {
  ASSERT_TRUE(Run(Login("Bearer t")).ok());
  answers_ = {"y"};
  ASSERT_TRUE(Run(Mutation(OperationKind::kUnknown)).ok());
  EXPECT_THAT(questions_, ElementsAre(HasSubstr("an operation this provider does not know")));
}

TEST_F(PromptCredentialTest, NotFoundAndLogoutPassThrough) {
  EXPECT_EQ(KindOf(Run(Get()).status()), ErrorKind::kNotFound);
  ASSERT_TRUE(Run(Login("Bearer t")).ok());
  absl::StatusOr<CredentialResponse> logout = Run(Logout());
  ASSERT_TRUE(logout.ok()) << logout.status();
  EXPECT_EQ(logout->kind, cargo_credential::ResponseKind::kLogout);
  EXPECT_EQ(credcache_testing::ReadFile(tokens_), "");
  EXPECT_EQ(KindOf(Run(Logout()).status()), ErrorKind::kNotFound);
}

TEST_F(PromptCredentialTest, ALoginTheInnerProviderRefusedIsNotAcknowledged) {
  args_.push_back("--no-such-option");
  absl::StatusOr<CredentialResponse> login = Run(Login("Bearer t"));
  ASSERT_FALSE(login.ok());
  EXPECT_THAT(login.status().message(), HasSubstr("unknown argument `--no-such-option`"));

  // An inner provider that answers a login with something else.
  args_ = {ScriptedInner(R"({"Ok":{"kind":"logout"}})")};
  login = Run(Login("Bearer t"));
  ASSERT_FALSE(login.ok());
  EXPECT_THAT(login.status().message(), HasSubstr("answered a login request with another kind"));

  // One that answers not-found: cargo sees not-found, not a login.
  args_ = {ScriptedInner(R"({"Err":{"kind":"not-found"}})")};
  EXPECT_EQ(KindOf(Run(Login("Bearer t")).status()), ErrorKind::kNotFound);
}

TEST_F(PromptCredentialTest, TheTokenIsNeverInTheInnerProvidersArgvOrEnvironment) {
  args_ = {ScriptedInner(R"({"Ok":{"kind":"login"}})"), "--inner-arg"};
  typed_token_ = "Bearer 5ecret-typed-token";
  ASSERT_TRUE(Run(Login("")).ok());
  const std::string dump = credcache_testing::ReadFile(dir_ + "/dump");
  EXPECT_THAT(dump, HasSubstr("argv: --cargo-plugin\n"));
  EXPECT_THAT(dump, Not(HasSubstr("5ecret")));
}

TEST_F(PromptCredentialTest, ALoginTokenCargoCouldNotSendIsRefused) {
  typed_token_ = "two\nlines";
  absl::StatusOr<CredentialResponse> login = Run(Login(""));
  ASSERT_FALSE(login.ok());
  EXPECT_EQ(credcache_testing::ReadFile(tokens_), "");
}

TEST_F(PromptCredentialTest, WithoutAnInnerProviderItSaysHowToConfigureOne) {
  args_.clear();
  absl::StatusOr<CredentialResponse> got = Run(Get());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
  EXPECT_THAT(got.status().message(), HasSubstr("no inner provider given"));
  EXPECT_THAT(CausedBy(got.status()), ElementsAre(HasSubstr("credential-provider = [")));
}

}  // namespace
}  // namespace credcache_examples
