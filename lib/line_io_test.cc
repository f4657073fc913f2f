#include "cargo_credential/line_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace cargo_credential {
namespace {

class LineIoTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(pipe(fds_), 0); }
  void TearDown() override {
    close(fds_[0]);
    if (fds_[1] >= 0) close(fds_[1]);
  }
  void Send(const std::string& data) { ASSERT_TRUE(WriteAll(fds_[1], data).ok()); }
  void CloseWriter() {
    close(fds_[1]);
    fds_[1] = -1;
  }
  int fds_[2];
};

TEST_F(LineIoTest, SplitsLinesAndKeepsTheRest) {
  LineReader reader(fds_[0], 100);
  Send("one\ntwo\nthr");
  EXPECT_EQ(**reader.Next(), "one");
  EXPECT_EQ(**reader.Next(), "two");
  Send("ee\n");
  EXPECT_EQ(**reader.Next(), "three");
  CloseWriter();
  absl::StatusOr<std::optional<std::string>> end = reader.Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

TEST_F(LineIoTest, DeadlinePassesWithoutAWholeLine) {
  LineReader reader(fds_[0], 100);
  Send("partial");
  absl::StatusOr<std::optional<std::string>> line =
      reader.Next(absl::Now() + absl::Milliseconds(50));
  EXPECT_TRUE(absl::IsDeadlineExceeded(line.status()));
  Send(" line\n");
  EXPECT_EQ(**reader.Next(), "partial line");
}

TEST_F(LineIoTest, OverlongLinesAreRefusedThenSkipped) {
  LineReader reader(fds_[0], 8);
  Send("0123456789abcdef");
  EXPECT_TRUE(absl::IsResourceExhausted(reader.Next().status()));
  Send("still the same line\nnext\n");
  EXPECT_EQ(**reader.Next(), "next");
  Send("0123456789\nok\n");
  EXPECT_TRUE(absl::IsResourceExhausted(reader.Next().status()));
  EXPECT_EQ(**reader.Next(), "ok");
}

TEST_F(LineIoTest, WriteToAClosedReaderFails) {
  signal(SIGPIPE, SIG_IGN);
  close(fds_[0]);
  fds_[0] = open("/dev/null", O_RDONLY);
  EXPECT_FALSE(WriteLine(fds_[1], "x").ok());
}

}  // namespace
}  // namespace cargo_credential
