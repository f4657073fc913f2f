#include "cargo_credential/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
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

TEST(SubprocessTest, RunCanLeaveStderrWhereThisProcessHasIt) {
  // This process's stderr, for the length of the run, is a file.
  const std::string path = absl::StrCat(getenv("TEST_TMPDIR"), "/stderr.txt");
  const int file = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(file, 0);
  const int saved = dup(2);
  dup2(file, 2);
  SubprocessOptions options;
  options.argv = {"/bin/sh", "-c", "echo prompt: >&2; echo token"};
  options.collect_stderr = false;
  absl::StatusOr<SubprocessResult> result = RunSubprocess(options, "", absl::Seconds(10));
  dup2(saved, 2);
  close(saved);
  close(file);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_text, "token\n");
  EXPECT_EQ(result->stderr_text, "");
  std::ifstream written(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(written), {}), "prompt:\n");
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
  EXPECT_TRUE(
      absl::IsDeadlineExceeded((*child)->Wait(absl::Now() + absl::Milliseconds(50)).status()));
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

TEST(SubprocessTest, OutputPastTheCapIsDroppedAndSaidSo) {
  SubprocessOptions options;
  options.argv = {"/bin/sh", "-c", "head -c 1048577 /dev/zero | tr '\\0' x; echo small >&2"};
  absl::StatusOr<SubprocessResult> result = RunSubprocess(options, "", absl::Seconds(20));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->stdout_truncated);
  EXPECT_EQ(result->stdout_text.size(), kMaxCollected);
  EXPECT_FALSE(result->stderr_truncated);
  EXPECT_EQ(result->stderr_text, "small\n");
}

TEST(SubprocessTest, OutputOfExactlyTheCapIsWhole) {
  SubprocessOptions options;
  options.argv = {"/bin/sh", "-c", "head -c 1048576 /dev/zero"};
  absl::StatusOr<SubprocessResult> result = RunSubprocess(options, "", absl::Seconds(20));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->stdout_truncated);
  EXPECT_EQ(result->stdout_text.size(), kMaxCollected);
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0; }

TEST(SubprocessTest, ATimeoutKillsEverythingInTheChildsProcessGroup) {
  SubprocessOptions options;
  // The grandchild writes its pid and outlives its parent's timeout.
  const std::string pid_file = absl::StrCat(getenv("TEST_TMPDIR"), "/grandchild.pid");
  options.argv = {"/bin/sh", "-c", absl::StrCat("sleep 1000 & echo $! > ", pid_file, "; wait")};
  options.new_process_group = true;
  absl::StatusOr<SubprocessResult> result = RunSubprocess(options, "", absl::Milliseconds(500));
  EXPECT_TRUE(absl::IsDeadlineExceeded(result.status())) << result.status();
  std::ifstream in(pid_file);
  pid_t grandchild = 0;
  ASSERT_TRUE(in >> grandchild);
  // Killed, then reaped by init (or left a zombie where PID 1 does not
  // reap): either way it no longer runs.
  for (int i = 0; i < 200 && Alive(grandchild); ++i) {
    std::ifstream status(absl::StrCat("/proc/", grandchild, "/status"));
    std::string text((std::istreambuf_iterator<char>(status)), std::istreambuf_iterator<char>());
    if (text.find("State:\tZ") != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  std::ifstream status(absl::StrCat("/proc/", grandchild, "/status"));
  std::string text((std::istreambuf_iterator<char>(status)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(text.empty() || text.find("State:\tZ") != std::string::npos) << text;
}

TEST(SubprocessTest, AGrandchildHoldingTheOutputOpenIsATimeoutNotAHang) {
  SubprocessOptions options;
  options.argv = {"/bin/sh", "-c", "sleep 1000 & echo token"};
  options.new_process_group = true;
  const absl::Time start = absl::Now();
  absl::StatusOr<SubprocessResult> result = RunSubprocess(options, "", absl::Milliseconds(500));
  EXPECT_TRUE(absl::IsDeadlineExceeded(result.status())) << result.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(SubprocessTest, UnsetTakesGlobs) {
  setenv("GLOB_TEST_A_TOKEN", "a", 1);
  setenv("GLOB_TEST_B_TOKEN", "b", 1);
  SubprocessOptions options;
  options.argv = {"/bin/sh", "-c", "echo ${GLOB_TEST_A_TOKEN:-unset} ${GLOB_TEST_B_TOKEN:-unset}"};
  options.unset_env = {"GLOB_TEST_*_TOKEN"};
  absl::StatusOr<SubprocessResult> result = RunSubprocess(options, "", absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_text, "unset unset\n");
}

TEST(SubprocessTest, AFarDeadlineDoesNotSpin) {
  // An "infinite" timeout once overflowed poll()'s int and spun a core.
  SubprocessOptions options;
  options.argv = {"/bin/sh", "-c", "sleep 1"};
  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  absl::StatusOr<SubprocessResult> result = RunSubprocess(options, "", absl::InfiniteDuration());
  getrusage(RUSAGE_SELF, &after);
  ASSERT_TRUE(result.ok()) << result.status();
  const double cpu = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) +
                     (after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e6;
  // Waiting a second costs next to no CPU; a spin costs the whole second.
  EXPECT_LT(cpu, 0.5);
}

}  // namespace
}  // namespace cargo_credential
