#include "cargo_credential/provider.h"

#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "cargo_credential/error.h"
#include "cargo_credential/line_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cargo_credential {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Answers gets with a fixed token, records what it was asked.
class FakeCredential : public Credential {
 public:
  absl::StatusOr<CredentialResponse> Perform(const RegistryInfo& registry, const Action& action,
                                             const std::vector<std::string>& args) override {
    calls.push_back(std::string(ActionKindName(action.kind)));
    if (registry.index_url == "unsupported") return UrlNotSupportedError();
    switch (action.kind) {
      case ActionKind::kGet:
        if (!token.has_value()) return NotFoundError();
        return CredentialResponse::Get(Secret(absl::string_view(*token)), CacheControl::Session(),
                                       true);
      case ActionKind::kLogin:
        token = action.login.token->Expose();
        return CredentialResponse::Login();
      case ActionKind::kLogout:
        if (registry.index_url == "wrong-kind") return CredentialResponse::Login();
        token.reset();
        return CredentialResponse::Logout();
      case ActionKind::kUnknown:
        break;
    }
    return OperationNotSupportedError();
  }

  std::optional<std::string> token;
  std::vector<std::string> calls;
};

// Runs Serve() over pipes on `input` and returns every line it wrote.
std::vector<std::string> ServeLines(Credential& credential, const std::string& input) {
  int in[2], out[2];
  EXPECT_EQ(pipe(in), 0);
  EXPECT_EQ(pipe(out), 0);
  std::thread writer([&] {
    EXPECT_TRUE(WriteAll(in[1], input).ok());
    close(in[1]);
  });
  absl::Status served = Serve(credential, in[0], out[1]);
  EXPECT_TRUE(served.ok()) << served;
  writer.join();
  close(in[0]);
  close(out[1]);
  std::vector<std::string> lines;
  LineReader reader(out[0], 1 << 20);
  while (true) {
    absl::StatusOr<std::optional<std::string>> line = reader.Next();
    if (!line.ok() || !line->has_value()) break;
    lines.push_back(**line);
  }
  close(out[0]);
  return lines;
}

constexpr char kGet[] = R"({"v":1,"registry":{"index-url":"u"},"kind":"get","operation":"read"})"
                        "\n";
constexpr char kLogin[] =
    R"({"v":1,"registry":{"index-url":"u"},"kind":"login","token":"Bearer x y"})"
    "\n";
constexpr char kLogout[] = R"({"v":1,"registry":{"index-url":"u"},"kind":"logout"})"
                           "\n";

TEST(ServeTest, HelloThenNothingAtEof) {
  FakeCredential credential;
  EXPECT_THAT(ServeLines(credential, ""), ElementsAre(R"({"v":[1]})"));
  EXPECT_TRUE(credential.calls.empty());
}

TEST(ServeTest, SeveralRequestsInOneProcess) {
  FakeCredential credential;
  EXPECT_THAT(
      ServeLines(credential, std::string(kGet) + kLogin + kGet + kLogout + kGet),
      ElementsAre(
          R"({"v":[1]})", R"({"Err":{"kind":"not-found"}})", R"({"Ok":{"kind":"login"}})",
          R"({"Ok":{"kind":"get","token":"Bearer x y","cache":"session","operation_independent":true}})",
          R"({"Ok":{"kind":"logout"}})", R"({"Err":{"kind":"not-found"}})"));
}

TEST(ServeTest, MalformedLinesGetErrorsAndTheLoopGoesOn) {
  FakeCredential credential;
  std::vector<std::string> lines =
      ServeLines(credential, std::string("garbage\n{\"v\":1}\n") + kLogout);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_THAT(lines[1], HasSubstr(R"("kind":"other","message":"invalid credential request")"));
  EXPECT_THAT(lines[1], HasSubstr("malformed JSON"));
  EXPECT_THAT(lines[2], HasSubstr("missing field `registry`"));
  EXPECT_EQ(lines[3], R"({"Ok":{"kind":"logout"}})");
}

TEST(ServeTest, UnsupportedVersionIsAnswered) {
  FakeCredential credential;
  std::vector<std::string> lines =
      ServeLines(credential, R"({"v":2,"registry":{"index-url":"u"},"kind":"logout"})"
                             "\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(
      lines[1],
      R"({"Err":{"kind":"other","message":"unsupported protocol version 2","caused-by":[]}})");
  EXPECT_TRUE(credential.calls.empty());
}

TEST(ServeTest, UnknownActionsAndOperationsReachThePerformWhichDecides) {
  // As the Rust crate passes `Unknown` on: a newer cargo's action or
  // operation is the provider's to serve or refuse.
  FakeCredential credential;
  credential.token = "t";
  std::vector<std::string> lines = ServeLines(
      credential, R"({"v":1,"registry":{"index-url":"u"},"kind":"refresh"})"
                  "\n"
                  R"({"v":1,"registry":{"index-url":"u"},"kind":"get","operation":"mirror"})"
                  "\n");
  EXPECT_THAT(
      lines,
      ElementsAre(
          R"({"v":[1]})", R"({"Err":{"kind":"operation-not-supported"}})",
          R"({"Ok":{"kind":"get","token":"t","cache":"session","operation_independent":true}})"));
  EXPECT_THAT(credential.calls, ElementsAre("unknown", "get"));
}

TEST(ServeTest, UnsupportedCredentialSendsCargoToTheNextProvider) {
  UnsupportedCredential credential;
  std::vector<std::string> lines = ServeLines(
      credential, R"({"v":1,"registry":{"index-url":"u"},"kind":"get","operation":"read"})"
                  "\n"
                  R"({"v":1,"registry":{"index-url":"u"},"kind":"login","token":"x"})"
                  "\n");
  EXPECT_THAT(lines, ElementsAre(R"({"v":[1]})", R"({"Err":{"kind":"url-not-supported"}})",
                                 R"({"Err":{"kind":"url-not-supported"}})"));
}

TEST(ServeTest, ErrorsPassThrough) {
  FakeCredential credential;
  std::vector<std::string> lines =
      ServeLines(credential, R"({"v":1,"registry":{"index-url":"unsupported"},"kind":"logout"})"
                             "\n");
  EXPECT_THAT(lines, ElementsAre(R"({"v":[1]})", R"({"Err":{"kind":"url-not-supported"}})"));
}

TEST(ServeTest, AMismatchedResponseKindBecomesAClearError) {
  FakeCredential credential;
  std::vector<std::string> lines =
      ServeLines(credential, R"({"v":1,"registry":{"index-url":"wrong-kind"},"kind":"logout"})"
                             "\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[1], HasSubstr("answered a `logout` request with a response of another kind"));
}

TEST(ServeTest, OverlongLineIsRefusedAndSkipped) {
  FakeCredential credential;
  std::string huge(kMaxRequestLine + 10, 'x');
  std::vector<std::string> lines = ServeLines(credential, huge + "\n" + kLogout);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[1], HasSubstr("line longer than"));
  EXPECT_EQ(lines[2], R"({"Ok":{"kind":"logout"}})");
}

TEST(ServeTest, LastLineWithoutNewlineIsServed) {
  FakeCredential credential;
  std::vector<std::string> lines =
      ServeLines(credential, R"({"v":1,"registry":{"index-url":"u"},"kind":"logout"})");
  EXPECT_THAT(lines, ElementsAre(R"({"v":[1]})", R"({"Ok":{"kind":"logout"}})"));
}

TEST(ServeTest, FailsWhenCargoHasGoneAway) {
  FakeCredential credential;
  int in[2], out[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  close(out[0]);  // Nobody reads the answers.
  signal(SIGPIPE, SIG_IGN);
  EXPECT_FALSE(Serve(credential, in[0], out[1]).ok());
  close(in[0]);
  close(in[1]);
  close(out[1]);
}

}  // namespace
}  // namespace cargo_credential
