#include "lib/subprocess.h"

#include <signal.h>

#include <string>

#include "gtest/gtest.h"

namespace cargo_credential {
namespace {

absl::Time Soon() { return absl::Now() + absl::Seconds(10); }

TEST(SubprocessTest, RunCollectsOutputAndExitCode) {
  SubprocessOptions options;
  options.argv = {"/bin/sh", "-c", "read x; echo out:$x; echo err:$FOO >&2; exit 3"};
  options.set_env = {{"FOO", "bar"}};
  absl::StatusOr<SubprocessResult> result = RunSubprocess(options, "hi\n", absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->stdout_text, "out:hi\n");
  EXPECT_EQ(result->stderr_text, "err:bar\n");
}

TEST(SubprocessTest, RunKillsAChildThatHangs) {
  SubprocessOptions options;
  options.argv = {"/bin/sleep", "30"};
  const absl::Time start = absl::Now();
  absl::StatusOr<SubprocessResult> result = RunSubprocess(options, "", absl::Milliseconds(200));
  EXPECT_TRUE(absl::IsDeadlineExceeded(result.status())) << result.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(SubprocessTest, MissingProgramIsAnError) {
  SubprocessOptions options;
  options.argv = {"/nonexistent/program"};
  EXPECT_FALSE(Subprocess::Start(options).ok());
}

TEST(SubprocessTest, UnsetAndCwd) {
  setenv("SUBPROCESS_TEST_VAR", "visible", 1);
  SubprocessOptions options;
  options.argv = {"/bin/sh", "-c", "echo ${SUBPROCESS_TEST_VAR:-unset} $(pwd)"};
  options.unset_env = {"SUBPROCESS_TEST_VAR"};
  options.cwd = "/";
  absl::StatusOr<SubprocessResult> result = RunSubprocess(options, "", absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_text, "unset /\n");
}

TEST(SubprocessTest, LinesWaitAndSignals) {
  SubprocessOptions options;
  options.argv = {"/bin/sh", "-c", "echo ready; exec sleep 30"};
  absl::StatusOr<std::unique_ptr<Subprocess>> child = Subprocess::Start(options);
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ(**(*child)->stdout_lines().Next(Soon()), "ready");
  EXPECT_TRUE(absl::IsDeadlineExceeded(
      (*child)->Wait(absl::Now() + absl::Milliseconds(50)).status()));
  (*child)->Kill(SIGTERM);
  absl::StatusOr<int> code = (*child)->Wait(Soon());
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 128 + SIGTERM);
}

TEST(SubprocessTest, WritingToAChildThatExitedIsAnErrorNotADeath) {
  SubprocessOptions options;
  options.argv = {"/bin/true"};
  absl::StatusOr<std::unique_ptr<Subprocess>> child = Subprocess::Start(options);
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE((*child)->Wait(Soon()).ok());
  std::string big(1 << 20, 'x');
  EXPECT_FALSE((*child)->WriteStdin(big, Soon()).ok());
}

}  // namespace
}  // namespace cargo_credential
