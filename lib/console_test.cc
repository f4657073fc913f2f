#include "cargo_credential/console.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "cargo_credential/line_io.h"
#include "gtest/gtest.h"

namespace cargo_credential {
namespace {

// Runs `body` with stdin replaced by `fd`, then puts stdin back.
template <typename Body>
void WithStdin(int fd, Body body) {
  const int saved = dup(STDIN_FILENO);
  ASSERT_GE(saved, 0);
  ASSERT_GE(dup2(fd, STDIN_FILENO), 0);
  body();
  dup2(saved, STDIN_FILENO);
  close(saved);
}

TEST(ReadLineTest, ReadsOneTrimmedLineAndLeavesTheRest) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_TRUE(WriteAll(fds[1], "  first answer \r\nsecond\n").ok());
  close(fds[1]);
  WithStdin(fds[0], [] {
    absl::StatusOr<std::string> first = ReadLine();
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ(*first, "first answer");
    absl::StatusOr<std::string> second = ReadLine();
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(*second, "second");
    EXPECT_TRUE(absl::IsFailedPrecondition(ReadLine().status())) << "stdin closed";
  });
  close(fds[0]);
}

TEST(ReadLineTest, NoTerminalIsAClearErrorNotAWait) {
  const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(null, 0);
  WithStdin(null, [] {
    absl::StatusOr<std::string> line = ReadLine();
    EXPECT_TRUE(absl::IsFailedPrecondition(line.status())) << line.status();
  });
  close(null);
}

}  // namespace
}  // namespace cargo_credential
