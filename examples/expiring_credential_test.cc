#include "examples/expiring_credential.h"

#include <stdlib.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cargo_credential/error.h"
#include "cargo_credential/protocol.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/builders.h"
#include "tests/support/test_env.h"

namespace credcache_examples {
namespace {

using cargo_credential::CacheKind;
using cargo_credential::CausedBy;
using cargo_credential::CredentialResponse;
using cargo_credential::ErrorKind;
using cargo_credential::KindOf;
using cargo_credential::RegistryInfo;
using credcache_testing::Get;
using credcache_testing::Login;
using credcache_testing::Logout;
using ::testing::AllOf;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

std::string Everything(const absl::Status& status) {
  std::string text(status.message());
  for (const std::string& cause : CausedBy(status)) absl::StrAppend(&text, "\n", cause);
  return text;
}

TEST(ParseMintedTokenTest, TheTokenAlone) {
  absl::StatusOr<MintedToken> minted = ParseMintedToken("  Bearer a b \r\n\n", kNow);
  ASSERT_TRUE(minted.ok()) << minted.status();
  EXPECT_EQ(minted->token.Expose(), "Bearer a b");
  EXPECT_FALSE(minted->expires.has_value());
}

TEST(ParseMintedTokenTest, ExpiresInAndAt) {
  absl::StatusOr<MintedToken> in = ParseMintedToken("t\r\nexpires_in=3600\r\n", kNow);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->expires, kNow + absl::Hours(1));
  absl::StatusOr<MintedToken> at = ParseMintedToken("t\n\nexpires_at=1700000100", kNow);
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_EQ(at->expires, absl::FromUnixSeconds(1700000100));
}

TEST(ParseMintedTokenTest, MistakesAreErrorsThatNeverQuoteTheOutput) {
  struct Case {
    std::string output;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"", "the first line, the token, is empty"},
      {"\nexpires_in=5", "the first line, the token, is empty"},
      {"s3cr3t\ns3cr3t-two", "line 2 is neither `expires_in=SECONDS` nor"},
      {"s3cr3t\nexpires-in=60", "line 2 is neither"},
      {"s3cr3t\nexpires_in=0", "line 2: expires_in needs a whole number of seconds above 0"},
      {"s3cr3t\nexpires_in=-5", "expires_in needs a whole number"},
      {"s3cr3t\nexpires_in=1h", "expires_in needs a whole number"},
      {"s3cr3t\nexpires_at=soon", "line 2: expires_at needs Unix seconds"},
      {"s3cr3t\nexpires_in=60\nexpires_at=1800000000", "line 3 gives a second expiry"},
      {"s3cr3t\x01x", "the first line is not a token cargo can send"},
      {"s3cr3t\nexpires_at=1699999999", "the token expired already"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<MintedToken> minted = ParseMintedToken(c.output, kNow);
    ASSERT_FALSE(minted.ok()) << c.output;
    EXPECT_EQ(KindOf(minted.status()), ErrorKind::kOther);
    EXPECT_THAT(Everything(minted.status()), AllOf(HasSubstr(c.error), Not(HasSubstr("s3cr3t"))))
        << c.output;
  }
}

class ExpiringCredentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = credcache_testing::MakeTempDir("expiring");
    registry_ = credcache_testing::Registry("sparse+http://127.0.0.1:1/index/", "myreg");
  }

  // A command that runs `script` with /bin/sh.
  std::vector<std::string> Command(const std::string& script) {
    const std::string path = absl::StrCat(dir_, "/command", ++scripts_, ".sh");
    credcache_testing::WriteFile(path, absl::StrCat("#!/bin/sh\n", script), 0700);
    return {path};
  }

  absl::StatusOr<CredentialResponse> Run(const cargo_credential::Action& action,
                                         const std::vector<std::string>& args) {
    ExpiringCredential credential([] { return kNow; });
    return credential.Perform(registry_, action, args);
  }

  std::string dir_;
  int scripts_ = 0;
  RegistryInfo registry_;
};

TEST_F(ExpiringCredentialTest, AnswersExpiresAtTheTokensEndLessTheMargin) {
  absl::StatusOr<CredentialResponse> got =
      Run(Get(), Command("printf 'Bearer minted\\nexpires_in=3600\\n'"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->token.Expose(), "Bearer minted");
  EXPECT_EQ(got->cache.kind, CacheKind::kExpires);
  EXPECT_EQ(got->cache.expiration, absl::ToUnixSeconds(kNow) + 3600 - 60);
  EXPECT_TRUE(got->operation_independent);

  std::vector<std::string> args = {"--margin", "10m", "--timeout", "5s", "--"};
  for (const std::string& arg : Command("printf 't\\nexpires_at=1700003600\\n'")) {
    args.push_back(arg);
  }
  got = Run(Get(cargo_credential::OperationKind::kPublish), args);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->cache.expiration, 1700003600 - 600);
}

TEST_F(ExpiringCredentialTest, ATokenInsideTheMarginIsStillServedButNotForLater) {
  absl::StatusOr<CredentialResponse> got = Run(Get(), Command("printf 't\\nexpires_in=30\\n'"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->cache.kind, CacheKind::kExpires);
  EXPECT_EQ(got->cache.expiration, absl::ToUnixSeconds(kNow));
}

TEST_F(ExpiringCredentialTest, NoExpiryIsSession) {
  absl::StatusOr<CredentialResponse> got = Run(Get(), Command("echo t"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->cache.kind, CacheKind::kSession);
}

TEST_F(ExpiringCredentialTest, TheCommandLearnsTheRegistryButSeesNoOtherToken) {
  setenv("CARGO_REGISTRY_TOKEN", "crates-io-token", 1);
  setenv("CARGO_REGISTRIES_OTHER_TOKEN", "other-token", 1);
  std::vector<std::string> args =
      Command(absl::StrCat("{ echo \"argv: $*\"; env; } > '", dir_, "/dump'\necho t\n"));
  args.push_back("--index={index_url}");
  ASSERT_TRUE(Run(Get(), args).ok());
  unsetenv("CARGO_REGISTRY_TOKEN");
  unsetenv("CARGO_REGISTRIES_OTHER_TOKEN");
  const std::string dump = credcache_testing::ReadFile(dir_ + "/dump");
  EXPECT_THAT(dump, HasSubstr("argv: --index=sparse+http://127.0.0.1:1/index/\n"));
  EXPECT_THAT(dump, HasSubstr("CARGO_REGISTRY_INDEX_URL=sparse+http://127.0.0.1:1/index/\n"));
  EXPECT_THAT(dump, HasSubstr("CARGO_REGISTRY_NAME_OPT=myreg\n"));
  EXPECT_THAT(dump, Not(HasSubstr("crates-io-token")));
  EXPECT_THAT(dump, Not(HasSubstr("other-token")));
}

TEST_F(ExpiringCredentialTest, AFailingCommandShowsItsStatusAndStderrButNeverItsStdout) {
  absl::StatusOr<CredentialResponse> got =
      Run(Get(), Command("echo 'Bearer half-minted'\n"
                         "echo 'vault: permission denied' >&2\n"
                         "printf 'run \\033[31mvault login\\n' >&2\n"
                         "exit 3\n"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
  EXPECT_THAT(got.status().message(), HasSubstr("failed with exit status 3; no token"));
  EXPECT_THAT(CausedBy(got.status()),
              ElementsAre("vault: permission denied", "run ?[31mvault login"));
  EXPECT_THAT(Everything(got.status()), Not(HasSubstr("half-minted")));
}

TEST_F(ExpiringCredentialTest, ItsStderrIsBounded) {
  absl::StatusOr<CredentialResponse> got =
      Run(Get(), Command("i=0; while [ $i -lt 500 ]; do echo \"noise $i\" >&2; i=$((i+1)); done\n"
                         "echo 'the real reason' >&2; exit 1\n"));
  ASSERT_FALSE(got.ok());
  const std::vector<std::string> causes = CausedBy(got.status());
  EXPECT_THAT(causes, SizeIs(10));
  EXPECT_EQ(causes.back(), "the real reason");
  EXPECT_THAT(causes, Each(SizeIs(::testing::Lt(100))));
}

TEST_F(ExpiringCredentialTest, ASilentFailureAndANoTokenOutputAreClear) {
  absl::StatusOr<CredentialResponse> got = Run(Get(), Command("exit 7"));
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(CausedBy(got.status()), ElementsAre("it wrote nothing on stderr"));

  got = Run(Get(), Command("true"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
  EXPECT_THAT(got.status().message(), HasSubstr("printed no usable token"));
}

TEST_F(ExpiringCredentialTest, AHungCommandIsKilledAtItsTimeout) {
  std::vector<std::string> args = {"--timeout", "300ms"};
  for (const std::string& arg : Command("sleep 30 & wait\n")) args.push_back(arg);
  const absl::Time start = absl::Now();
  absl::StatusOr<CredentialResponse> got = Run(Get(), args);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
  EXPECT_THAT(got.status().message(), HasSubstr("could not get a token from"));
}

TEST_F(ExpiringCredentialTest, BadConfigurationIsExplained) {
  absl::StatusOr<CredentialResponse> got = Run(Get(), {});
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("no command given"));
  got = Run(Get(), {"--timeout", "soon", "echo"});
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("`--timeout` needs a duration"));
  got = Run(Get(), {dir_ + "/no-such-command"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
  EXPECT_THAT(got.status().message(), HasSubstr("could not get a token from"));
}

TEST_F(ExpiringCredentialTest, LoginIsNotSupportedAndLogoutFindsNothing) {
  const std::vector<std::string> args = Command("echo t");
  EXPECT_EQ(KindOf(Run(Login("Bearer t"), args).status()), ErrorKind::kOperationNotSupported);
  EXPECT_EQ(KindOf(Run(Logout(), args).status()), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace credcache_examples
