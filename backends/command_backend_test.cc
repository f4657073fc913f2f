#include "backends/command_backend.h"

#include <stdlib.h>

#include <string>
#include <vector>

#include "backends/test_support.h"
#include "cargo_credential/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credcache {
namespace {

using cargo_credential::CacheKind;
using cargo_credential::CredentialResponse;
using cargo_credential::ErrorKind;
using cargo_credential::KindOf;
using credcache_testing::Describe;
using credcache_testing::Get;
using credcache_testing::Login;
using credcache_testing::Logout;
using credcache_testing::Registry;
using credcache_testing::TestConfig;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUrl[] = "sparse+https://example.com/index/";

// Runs the backend configured by `body` (with `timeout`) for a get.
absl::StatusOr<CredentialResponse> RunGet(const std::string& body,
                                          std::optional<std::string> name = "my-reg",
                                          absl::Duration timeout = absl::Seconds(10),
                                          const std::vector<std::string>& args = {}) {
  TestConfig config(body);
  absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> backend =
      MakeCommandBackend(config.Options(timeout));
  if (!backend.ok()) return backend.status();
  return (*backend)->Perform(Registry(kUrl, std::move(name)), Get(), args);
}

// The token the command printed, or the error as text.
std::string TokenOf(const absl::StatusOr<CredentialResponse>& got) {
  if (!got.ok()) return "error: " + Describe(got.status());
  return got->token.Expose();
}

TEST(CommandBackendTest, OneLineIsTheToken) {
  absl::StatusOr<CredentialResponse> got = RunGet(R"(command = ["echo", "Bearer a b"])");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->token.Expose(), "Bearer a b");
  EXPECT_EQ(got->cache.kind, CacheKind::kSession);
  EXPECT_TRUE(got->operation_independent);
  EXPECT_EQ(TokenOf(RunGet(R"(command = ["printf", "Bearer crlf\r\n"])")), "Bearer crlf");
  EXPECT_EQ(TokenOf(RunGet(R"(command = ["printf", "Bearer bare"])")), "Bearer bare");
}

TEST(CommandBackendTest, AnUnknownPlaceholderIsAConfigError) {
  EXPECT_EQ(UnknownPlaceholder("--url={index_url}"), "");
  EXPECT_EQ(UnknownPlaceholder("{name}"), "");
  EXPECT_EQ(UnknownPlaceholder("{\"json\": 1}"), "") << "braces that are no placeholder pass";
  EXPECT_EQ(UnknownPlaceholder("--url={index-url}"), "{index-url}");
  EXPECT_EQ(UnknownPlaceholder("--url={indexurl}"), "{indexurl}");
  EXPECT_EQ(UnknownPlaceholder("{NAME}"), "{NAME}");
  EXPECT_EQ(UnknownPlaceholder("echo ${HOME} ${X-unset}"), "") << "the shell's";
  TestConfig typo("command = [\"t\", \"{indexurl}\"]");
  EXPECT_THAT(Describe(MakeCommandBackend(typo.Options()).status()),
              HasSubstr("`command` has an unknown placeholder `{indexurl}`"));
}

TEST(CommandBackendTest, SubstitutesIndexUrlAndName) {
  EXPECT_EQ(TokenOf(RunGet(R"(command = ["echo", "{index_url}|{name}|x{name}x"])")),
            "sparse+https://example.com/index/|my-reg|xmy-regx");
  EXPECT_EQ(TokenOf(RunGet(R"(command = ["echo", "[{name}]"])", std::nullopt)), "[]");
}

TEST(CommandBackendTest, ArgsStandForTheProviderArgumentsOneElementEach) {
  const char* body = R"(command = ["sh", "-c", "echo \"$#:$1:$2\"", "sh", "{args}"])";
  EXPECT_EQ(TokenOf(RunGet(body, "my-reg", absl::Seconds(10), {"--profile", "a b"})),
            "2:--profile:a b");
  EXPECT_EQ(TokenOf(RunGet(body)), "0::") << "no arguments, no elements";
  // Only a whole element is the placeholder.
  EXPECT_EQ(TokenOf(RunGet(R"(command = ["echo", "x{args}"])", "my-reg", absl::Seconds(10), {"a"})),
            "x{args}");
}

TEST(CommandBackendTest, SetsCargosVariables) {
  setenv("CARGO_REGISTRY_NAME_OPT", "the daemon's own", 1);
  const std::string body =
      R"(command = ["sh", "-c", 'echo "$CARGO_REGISTRY_INDEX_URL|${CARGO_REGISTRY_NAME_OPT-unset}"'])";
  EXPECT_EQ(TokenOf(RunGet(body)), "sparse+https://example.com/index/|my-reg");
  EXPECT_EQ(TokenOf(RunGet(body, std::nullopt)), "sparse+https://example.com/index/|unset");
  unsetenv("CARGO_REGISTRY_NAME_OPT");
}

TEST(CommandBackendTest, MoreThanOneLineIsRefused) {
  absl::StatusOr<CredentialResponse> got =
      RunGet(R"(command = ["printf", "Bearer s3cr3t\nmore\n"])");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
  EXPECT_EQ(Describe(got.status()), "command `printf` printed more than one line");
  EXPECT_THAT(TokenOf(RunGet(R"(command = ["printf", "Bearer s3cr3t\n\n"])")),
              HasSubstr("more than one line"));
}

TEST(CommandBackendTest, NoOutputIsRefused) {
  for (const char* body :
       {R"(command = ["true"])", R"(command = ["echo"])", R"(command = ["printf", "\r\n"])"}) {
    absl::StatusOr<CredentialResponse> got = RunGet(body);
    ASSERT_FALSE(got.ok()) << body;
    EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
    EXPECT_THAT(Describe(got.status()), HasSubstr("printed no token")) << body;
  }
}

TEST(CommandBackendTest, FailureShowsStderrButNeverStdout) {
  absl::StatusOr<CredentialResponse> got = RunGet(R"(
command = ["sh", "-c", 'echo "Bearer s3cr3t"; echo first >&2; echo "  vault: access denied " >&2; echo >&2; exit 3']
)");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
  EXPECT_EQ(std::string(got.status().message()), "command `sh` failed with exit status 3");
  EXPECT_THAT(cargo_credential::CausedBy(got.status()),
              ::testing::ElementsAre("vault: access denied"));
  EXPECT_THAT(Describe(got.status()), Not(HasSubstr("s3cr3t")));
}

TEST(CommandBackendTest, LongStderrIsCut) {
  absl::StatusOr<CredentialResponse> got =
      RunGet(R"(command = ["sh", "-c", 'printf "%0500d" 0 >&2; exit 1'])");
  ASSERT_FALSE(got.ok());
  std::vector<std::string> causes = cargo_credential::CausedBy(got.status());
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0].size(), 300u);
  EXPECT_THAT(causes[0], ::testing::EndsWith("..."));
}

TEST(CommandBackendTest, AProgramThatCannotRunIsNamed) {
  absl::StatusOr<CredentialResponse> got = RunGet(R"(command = ["/nonexistent/tokenizer"])");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
  EXPECT_THAT(Describe(got.status()),
              HasSubstr("command `/nonexistent/tokenizer` could not be run"));
}

TEST(CommandBackendTest, AHangingCommandIsKilledAtTheTimeout) {
  const absl::Time start = absl::Now();
  absl::StatusOr<CredentialResponse> got =
      RunGet(R"(command = ["sleep", "30"])", "my-reg", absl::Milliseconds(300));
  const absl::Duration took = absl::Now() - start;
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
  EXPECT_EQ(Describe(got.status()), "command `sleep` did not finish within 300ms");
  EXPECT_LT(took, absl::Seconds(5));
}

TEST(CommandBackendTest, CacheKinds) {
  absl::StatusOr<CredentialResponse> got = RunGet("command = [\"echo\", \"t\"]\ncache = \"never\"");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->cache.kind, CacheKind::kNever);

  got = RunGet("command = [\"echo\", \"t\"]\ncache = \"expires\"\nlifetime = \"1h\"");
  const int64_t expected = absl::ToUnixSeconds(absl::Now() + absl::Hours(1));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->cache.kind, CacheKind::kExpires);
  EXPECT_NEAR(got->cache.expiration, expected, 5);
}

TEST(CommandBackendTest, LoginAndLogoutAreNotSupported) {
  TestConfig config(R"(command = ["echo", "t"])");
  std::unique_ptr<cargo_credential::Credential> backend = *MakeCommandBackend(config.Options());
  for (const cargo_credential::Action& action : {Login("Bearer x"), Logout()}) {
    absl::StatusOr<CredentialResponse> done = backend->Perform(Registry(kUrl), action, {});
    ASSERT_FALSE(done.ok());
    EXPECT_EQ(KindOf(done.status()), ErrorKind::kOperationNotSupported);
  }
}

TEST(MakeCommandBackendTest, ConfigErrors) {
  struct Case {
    const char* body;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"", "credcache.toml:1:1: backend `test`: `command` is required"},
           {"command = []", "credcache.toml:2:11: backend `test`: `command` is required"},
           {"command = \"echo t\"", "`command` must be a list of strings"},
           {"command = [\"echo\"]\ncache = \"forever\"",
            "credcache.toml:3:9: backend `test`: `cache` must be \"session\", \"never\" or "
            "\"expires\""},
           {"command = [\"echo\"]\nlifetime = \"1h\"",
            "credcache.toml:3:12: backend `test`: `lifetime` is only allowed when `cache` is "
            "\"expires\""},
           {"command = [\"echo\"]\ncache = \"session\"\nlifetime = 60",
            "`lifetime` is only allowed when `cache` is \"expires\""},
           {"command = [\"echo\"]\ncache = \"expires\"",
            "`lifetime` is required when `cache` is \"expires\""},
           {"command = [\"echo\"]\ncache = \"expires\"\nlifetime = \"soon\"",
            "`lifetime` must be a duration"},
       }) {
    TestConfig config(c.body);
    absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> made =
        MakeCommandBackend(config.Options());
    ASSERT_FALSE(made.ok()) << c.body;
    EXPECT_TRUE(absl::IsInvalidArgument(made.status())) << c.body;
    EXPECT_THAT(Describe(made.status()), HasSubstr(c.error)) << c.body;
  }
}

}  // namespace
}  // namespace credcache
