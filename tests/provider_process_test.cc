// The protocol's traps (waiting before the hello, lingering after EOF, extra
// stdout, a non-zero exit...), each checked on a real provider process (the example file provider,
// and a noisy one), the way cargo drives it: pipes on stdin and stdout, stderr passed through.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cargo_credential/error.h"
#include "cargo_credential/provider_client.h"
#include "cargo_credential/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/user_text.h"
#include "tests/support/builders.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::Subprocess;
using cargo_credential::SubprocessOptions;
using cargo_credential::SubprocessResult;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kHello[] = R"({"v":[1]})";

absl::Time Soon() { return absl::Now() + absl::Seconds(10); }

std::string FileProvider() { return Runfile("examples/cargo-credential-example-file"); }
std::string NoisyProvider() { return Runfile("tests/noisy_provider"); }

std::string Request(const std::string& action, const std::string& file) {
  return absl::StrCat(R"({"v":1,"registry":{"index-url":"sparse+http://h/index/","name":"r"},)",
                      action, R"(,"args":["--file",")", file, R"("]})", "\n");
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

class ProviderProcessTest : public ::testing::Test {
 protected:
  void SetUp() override { tokens_ = MakeTempDir("provider") + "/tokens"; }

  // Runs `program --cargo-plugin` to completion on `input`.
  SubprocessResult Run(const std::string& program, const std::string& input) {
    SubprocessOptions options;
    options.argv = {program, "--cargo-plugin"};
    absl::StatusOr<SubprocessResult> result =
        cargo_credential::RunSubprocess(options, input, absl::Seconds(20));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : SubprocessResult{-1, "", ""};
  }

  std::string tokens_;
};

TEST_F(ProviderProcessTest, HelloComesBeforeAnyInput) {
  SubprocessOptions options;
  options.argv = {FileProvider(), "--cargo-plugin"};
  absl::StatusOr<std::unique_ptr<Subprocess>> child = Subprocess::Start(options);
  ASSERT_TRUE(child.ok()) << child.status();
  // Nothing has been written to the provider; cargo waits for this line.
  absl::StatusOr<std::optional<std::string>> hello = (*child)->stdout_lines().Next(Soon());
  ASSERT_TRUE(hello.ok()) << hello.status();
  EXPECT_EQ(**hello, kHello);
}

TEST_F(ProviderProcessTest, ExitsPromptlyAndCleanlyAtEndOfInput) {
  SubprocessOptions options;
  options.argv = {FileProvider(), "--cargo-plugin"};
  absl::StatusOr<std::unique_ptr<Subprocess>> child = Subprocess::Start(options);
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_EQ(**(*child)->stdout_lines().Next(Soon()), kHello);
  (*child)->CloseStdin();
  absl::StatusOr<int> code = (*child)->Wait(absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(code.ok()) << "the provider stayed alive after EOF";
  EXPECT_EQ(*code, 0);
  absl::StatusOr<std::optional<std::string>> rest = (*child)->stdout_lines().Next(Soon());
  ASSERT_TRUE(rest.ok());
  EXPECT_FALSE(rest->has_value()) << "extra output: " << **rest;
}

TEST_F(ProviderProcessTest, SeveralRequestsInOneProcess) {
  const std::string input =
      Request(R"("kind":"get","operation":"read")", tokens_) +
      Request(R"("kind":"login","token":"Bearer one two")", tokens_) +
      Request(R"("kind":"get","operation":"publish","name":"foo","vers":"0.1.0","cksum":"ab")",
              tokens_) +
      Request(R"("kind":"logout")", tokens_) + Request(R"("kind":"logout")", tokens_);
  SubprocessResult result = Run(FileProvider(), input);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(
      Lines(result.stdout_text),
      ElementsAre(
          kHello, R"({"Err":{"kind":"not-found"}})", R"({"Ok":{"kind":"login"}})",
          R"({"Ok":{"kind":"get","token":"Bearer one two","cache":"session","operation_independent":true}})",
          R"({"Ok":{"kind":"logout"}})", R"({"Err":{"kind":"not-found"}})"));
  // The provider's own message goes to stderr, which cargo shows the user.
  EXPECT_THAT(result.stderr_text, HasSubstr("Login token for `r` saved"));
  EXPECT_THAT(result.stderr_text, Not(HasSubstr("one two")));
}

TEST_F(ProviderProcessTest, UnknownOperationsAndActionsReachTheProviderWhichDecides) {
  // A newer cargo's operation: the example serves its per-registry token
  // whatever the operation; a newer cargo's action it cannot do.
  const std::string input = Request(R"("kind":"login","token":"Bearer new")", tokens_) +
                            Request(R"("kind":"get","operation":"mirror")", tokens_) +
                            Request(R"("kind":"refresh")", tokens_);
  SubprocessResult result = Run(FileProvider(), input);
  std::vector<std::string> lines = absl::StrSplit(result.stdout_text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << result.stdout_text << result.stderr_text;
  EXPECT_EQ(
      lines[2],
      R"({"Ok":{"kind":"get","token":"Bearer new","cache":"session","operation_independent":true}})");
  EXPECT_EQ(lines[3], R"({"Err":{"kind":"operation-not-supported"}})");
}

TEST_F(ProviderProcessTest, NothingButProtocolLinesOnStdout) {
  const std::string input = Request(R"("kind":"get","operation":"read")", tokens_) +
                            Request(R"("kind":"logout")", tokens_);
  SubprocessResult result = Run(NoisyProvider(), input);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(
      Lines(result.stdout_text),
      ElementsAre(
          kHello,
          R"({"Ok":{"kind":"get","token":"Bearer noisy","cache":"never","operation_independent":true}})",
          R"({"Err":{"kind":"operation-not-supported"}})"));
  EXPECT_THAT(result.stdout_text, Not(HasSubstr("NOISE")));
  EXPECT_THAT(result.stderr_text, HasSubstr("noisy: handled a request"));
}

TEST_F(ProviderProcessTest, UnsupportedProtocolVersionIsAnsweredAndExitIsZero) {
  SubprocessResult result =
      Run(FileProvider(), R"({"v":2,"registry":{"index-url":"u"},"kind":"logout"})"
                          "\n");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(
      Lines(result.stdout_text),
      ElementsAre(
          kHello,
          R"({"Err":{"kind":"other","message":"unsupported protocol version 2","caused-by":[]}})"));
}

TEST_F(ProviderProcessTest, MalformedInputGetsAClearErrorAndExitIsZero) {
  SubprocessResult result = Run(FileProvider(), "{\"v\":1,\"registry\":\n");
  EXPECT_EQ(result.exit_code, 0);
  ASSERT_EQ(Lines(result.stdout_text).size(), 2u);
  EXPECT_THAT(
      Lines(result.stdout_text)[1],
      HasSubstr(
          R"("kind":"other","message":"invalid credential request","caused-by":["malformed JSON)"));
}

TEST_F(ProviderProcessTest, WithoutCargoPluginItExplainsItselfOnStderr) {
  SubprocessOptions options;
  options.argv = {FileProvider()};
  absl::StatusOr<SubprocessResult> result =
      cargo_credential::RunSubprocess(options, "", absl::Seconds(20));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 2);
  EXPECT_THAT(result->stdout_text, IsEmpty());
  EXPECT_THAT(result->stderr_text, HasSubstr("--cargo-plugin"));
}

// The library's client side, against real processes.
TEST_F(ProviderProcessTest, ClientTalksToTheExampleProvider) {
  cargo_credential::ProviderCommand command;
  command.program = FileProvider();
  command.timeout = absl::Seconds(20);
  cargo_credential::CredentialRequest request;
  request.registry.index_url = "sparse+http://h/index/";
  request.action = credcache_testing::Login("Bearer c");
  request.args = {"--file", tokens_};
  absl::StatusOr<cargo_credential::ProviderAnswer> login =
      cargo_credential::CallProvider(command, request);
  ASSERT_TRUE(login.ok()) << login.status();
  ASSERT_TRUE(login->result.ok()) << login->result.status();

  request.action = cargo_credential::Action{};
  absl::StatusOr<cargo_credential::ProviderAnswer> get =
      cargo_credential::CallProvider(command, request);
  ASSERT_TRUE(get.ok()) << get.status();
  ASSERT_TRUE(get->result.ok()) << get->result.status();
  EXPECT_EQ(get->result->token.Expose(), "Bearer c");

  request.registry.index_url = "sparse+http://elsewhere/index/";
  get = cargo_credential::CallProvider(command, request);
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(cargo_credential::KindOf(get->result.status()), cargo_credential::ErrorKind::kNotFound);
}

// Writes an executable shell script and returns its path.
std::string Script(const std::string& body) {
  const std::string path = MakeTempDir("script") + "/provider";
  WriteFile(path, "#!/bin/sh\n" + body);
  chmod(path.c_str(), 0755);
  return path;
}

TEST_F(ProviderProcessTest, ClientNeverHangsOnABrokenProvider) {
  cargo_credential::CredentialRequest request;
  request.registry.index_url = "u";
  struct Case {
    std::string body;
    std::string error;
  } cases[] = {
      {"exec sleep 30\n", "sent no hello"},
      {"echo '{\"v\":[2]}'; exec sleep 30\n", "supports protocol versions [2]"},
      {"echo '{\"v\":[1]}'; read line; exec sleep 30\n", "did not answer"},
      {"echo '{\"v\":[1]}'; read line; echo '{\"token\":\"x\"}'\n", "malformed answer"},
      {"echo '{\"v\":[1]}'; read line; echo '{\"Ok\":{\"kind\":\"logout\"}}'; exit 1\n",
       "exit status 1"},
      {"echo '{\"v\":[1]}'; read line; exit 0\n", "exited without answering"},
  };
  for (const Case& c : cases) {
    const std::string program = Script(c.body);
    cargo_credential::ProviderCommand command;
    command.program = program;
    command.timeout = absl::Milliseconds(500);
    const absl::Time start = absl::Now();
    absl::StatusOr<cargo_credential::ProviderAnswer> answer =
        cargo_credential::CallProvider(command, request);
    EXPECT_LT(absl::Now() - start, absl::Seconds(10)) << c.body;
    ASSERT_FALSE(answer.ok()) << c.body;
    EXPECT_THAT(std::string(answer.status().message()), HasSubstr(c.error)) << c.body;
    EXPECT_THAT(std::string(answer.status().message()), HasSubstr(program)) << c.body;
  }
}

TEST_F(ProviderProcessTest, AProvidersStderrCanBeToldToTheUserAndABabblingOneIsBounded) {
  cargo_credential::CredentialRequest request;
  request.registry.index_url = "u";
  std::string told;
  cargo_credential::UserTextCapture capture(
      [&told](absl::string_view text) { told.append(text.data(), text.size()); });

  cargo_credential::ProviderCommand command;
  command.stderr_to_tell_user = true;
  command.timeout = absl::Seconds(5);
  command.program = Script(
      "echo 'session expires soon' >&2; echo '{\"v\":[1]}'; read line; "
      "echo '{\"Err\":{\"kind\":\"not-found\"}}'\n");
  absl::StatusOr<cargo_credential::ProviderAnswer> answer =
      cargo_credential::CallProvider(command, request);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(told, "session expires soon\n");

  // One that never stops writing and never says hello: the call still ends
  // at its timeout, with at most kMaxCollected bytes kept. (fd 3 keeps its
  // stdout open: with stdout gone the call would end at once, before `yes`
  // had written anything.)
  told.clear();
  command.timeout = absl::Milliseconds(500);
  command.program = Script("exec yes noise 3>&1 >&2\n");
  answer = cargo_credential::CallProvider(command, request);
  ASSERT_FALSE(answer.ok());
  EXPECT_THAT(std::string(answer.status().message()), HasSubstr("sent no hello"));
  EXPECT_THAT(told, HasSubstr("noise\n")) << answer.status();
  EXPECT_LE(told.size(), cargo_credential::kMaxCollected);
}

// An interactive login: cargo gives no token, so the provider asks on the
// user's terminal (here a pseudo-terminal the test drives) while cargo's
// pipes carry only the protocol.
TEST_F(ProviderProcessTest, LoginWithoutTokenPromptsOnTheTerminal) {
  const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const std::string slave_name = ptsname(master);
  int to_child[2], from_child[2];
  // Close-on-exec, so the provider holds only the ends dup2 gives it and
  // sees EOF when the test closes its end.
  ASSERT_EQ(pipe2(to_child, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(from_child, O_CLOEXEC), 0);
  const std::string program = FileProvider();

  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // A new session whose controlling terminal is the pseudo-terminal.
    setsid();
    const int slave = open(slave_name.c_str(), O_RDWR);
    if (slave < 0) _exit(126);
    dup2(to_child[0], 0);
    dup2(from_child[1], 1);
    dup2(slave, 2);
    execl(program.c_str(), program.c_str(), "--cargo-plugin", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  cargo_credential::LineReader protocol(from_child[0], 1 << 16);
  ASSERT_EQ(**protocol.Next(Soon()), kHello);
  const std::string login = Request(R"("kind":"login","login-url":"http://h/me")", tokens_);
  ASSERT_TRUE(cargo_credential::WriteAll(to_child[1], login).ok());

  // Read the terminal until the prompt shows, then type the token.
  std::string screen;
  const absl::Time deadline = Soon();
  while (screen.find("below") == std::string::npos && absl::Now() < deadline) {
    struct pollfd pfd = {master, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    char buffer[512];
    const ssize_t n = read(master, buffer, sizeof(buffer));
    if (n > 0) screen.append(buffer, static_cast<size_t>(n));
  }
  EXPECT_THAT(screen, HasSubstr("please paste the token found on http://h/me below"));
  ASSERT_TRUE(cargo_credential::WriteAll(master, "Bearer typed-at-tty\n").ok());

  absl::StatusOr<std::optional<std::string>> answer = protocol.Next(Soon());
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(**answer, R"({"Ok":{"kind":"login"}})");
  close(to_child[1]);
  int status = 0;
  const absl::Time exit_deadline = Soon();
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (absl::Now() > exit_deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "the provider did not exit at end of input";
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  // Whatever else the terminal showed, the token was not echoed.
  char buffer[4096];
  ssize_t n;
  fcntl(master, F_SETFL, O_NONBLOCK);
  while ((n = read(master, buffer, sizeof(buffer))) > 0) screen.append(buffer, n);
  EXPECT_THAT(screen, Not(HasSubstr("typed-at-tty")));
  close(master);
  close(from_child[0]);
  EXPECT_EQ(ReadFile(tokens_), "sparse+http://h/index/ Bearer typed-at-tty\n");
}

}  // namespace
}  // namespace credcache_testing
