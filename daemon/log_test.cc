#include "daemon/log.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cargo_credential/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_env.h"

namespace credcache {
namespace {

using credcache_testing::MakeTempDir;
using credcache_testing::ReadFile;
using credcache_testing::WriteFile;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

// Every test points the log (and so stderr) somewhere of its own; the
// test's own stderr, the log's sink and level come back afterwards.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_stderr_ = dup(STDERR_FILENO);
    dir_ = MakeTempDir("log");
  }
  void TearDown() override {
    LogToStderr();
    SetLogLevel(LogLevel::kInfo);
    dup2(saved_stderr_, STDERR_FILENO);
    close(saved_stderr_);
    unsetenv("INVOCATION_ID");
    unsetenv("JOURNAL_STREAM");
  }
  // Makes `path` stderr, as a service manager would.
  void StderrTo(const std::string& path) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  static int Mode(const std::string& path) {
    struct stat info;
    return stat(path.c_str(), &info) == 0 ? static_cast<int>(info.st_mode & 0777) : -1;
  }

  int saved_stderr_ = -1;
  std::string dir_;
};

TEST_F(LogTest, ParsesTheFourLevelsAndRefusesOthers) {
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(*ParseLogLevel("warning"), LogLevel::kWarning);
  EXPECT_EQ(*ParseLogLevel("info"), LogLevel::kInfo);
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  const absl::StatusOr<LogLevel> bad = ParseLogLevel("verbose");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "takes error, warning, info or debug");
  EXPECT_FALSE(ParseLogLevel("INFO").ok());
}

TEST_F(LogTest, FileLinesAreTimestampedWithPidAndLevel) {
  const std::string path = dir_ + "/state/credcache/credcached.log";
  ASSERT_TRUE(LogToFile(path).ok());
  Log(LogLevel::kWarning, "reload refused");
  Log("serving");
  const std::string text = ReadFile(path);
  EXPECT_THAT(text, ContainsRegex(absl::StrCat(
                        "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
                        "credcached\\[",
                        getpid(), "\\] warning: reload refused\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("credcached[", getpid(), "] info: serving\n")));
  EXPECT_EQ(LogDestination(), path);
}

TEST_F(LogTest, TheFileIsPrivateInAPrivateDirectory) {
  const std::string state = dir_ + "/state";
  const std::string path = state + "/credcache/credcached.log";
  ASSERT_TRUE(LogToFile(path).ok());
  Log("x");
  EXPECT_EQ(Mode(state), 0700);
  EXPECT_EQ(Mode(state + "/credcache"), 0700);
  EXPECT_EQ(Mode(path), 0600);
  // One left by an older build, readable by others, is made private.
  const std::string old = dir_ + "/old.log";
  WriteFile(old, "before\n", 0644);
  ASSERT_TRUE(LogToFile(old).ok());
  EXPECT_EQ(Mode(old), 0600);
}

TEST_F(LogTest, WhatLibrariesPrintOnStderrLandsInTheFile) {
  const std::string path = dir_ + "/credcached.log";
  ASSERT_TRUE(LogToFile(path).ok());
  const std::string stray = "a library's warning\n";
  ASSERT_EQ(write(STDERR_FILENO, stray.data(), stray.size()), static_cast<ssize_t>(stray.size()));
  EXPECT_THAT(ReadFile(path), HasSubstr(stray));
}

TEST_F(LogTest, TheFileIsNeverOpenedThroughASymlink) {
  const std::string victim = dir_ + "/victim";
  WriteFile(victim, "untouched\n");
  const std::string path = dir_ + "/credcached.log";
  ASSERT_EQ(symlink(victim.c_str(), path.c_str()), 0);
  const absl::Status opened = LogToFile(path);
  EXPECT_FALSE(opened.ok());
  EXPECT_THAT(opened.message(), HasSubstr(path));
  Log("x");
  EXPECT_EQ(ReadFile(victim), "untouched\n");
  EXPECT_EQ(LogDestination(), "stderr");
}

TEST_F(LogTest, TheFileIsRotatedBySizeKeepingTheNewestOnes) {
  const std::string path = dir_ + "/credcached.log";
  ASSERT_TRUE(LogToFile(path, LogFileLimits{/*max_bytes=*/300, /*keep=*/2}).ok());
  for (int i = 0; i < 40; ++i) Log(absl::StrCat("line ", i, " ", std::string(30, 'x')));
  // The newest lines in the file, the ones before in .1 and .2; older ones
  // are gone, and no .3 was made.
  const std::string current = ReadFile(path);
  const std::string first = ReadFile(path + ".1");
  const std::string second = ReadFile(path + ".2");
  EXPECT_THAT(current, HasSubstr("line 39 "));
  EXPECT_THAT(first, Not(HasSubstr("line 39 ")));
  EXPECT_FALSE(first.empty());
  EXPECT_FALSE(second.empty());
  EXPECT_THAT(second, Not(HasSubstr("line 0 ")));
  EXPECT_NE(access((path + ".3").c_str(), F_OK), 0);
  for (const std::string& text : {current, first, second}) {
    EXPECT_LE(text.size(), 300u);
    // Whole lines only.
    EXPECT_EQ(text.back(), '\n');
  }
  // The lines kept are the newest, each in one place, in order.
  std::vector<std::string> lines =
      absl::StrSplit(second + first + current, '\n', absl::SkipEmpty());
  int last = -1;
  for (const std::string& line : lines) {
    const size_t at = line.find("line ");
    ASSERT_NE(at, std::string::npos) << line;
    const int n = std::stoi(line.substr(at + 5));
    if (last >= 0) {
      EXPECT_EQ(n, last + 1) << line;
    }
    last = n;
  }
  EXPECT_EQ(last, 39);
  EXPECT_EQ(Mode(path), 0600);
  EXPECT_EQ(Mode(path + ".1"), 0600);
}

TEST_F(LogTest, AnotherWritersRotationIsFollowedNotRepeated) {
  const std::string path = dir_ + "/credcached.log";
  ASSERT_TRUE(LogToFile(path, LogFileLimits{/*max_bytes=*/200, /*keep=*/3}).ok());
  Log(std::string(150, 'a'));
  // Another daemon of this user rotated the shared file meanwhile, and
  // wrote a line to its new one.
  ASSERT_EQ(rename(path.c_str(), (path + ".1").c_str()), 0);
  WriteFile(path, "the other's line\n");
  Log("after");
  // This one joins the new file rather than rotating again.
  EXPECT_THAT(ReadFile(path + ".1"), HasSubstr(std::string(150, 'a')));
  EXPECT_THAT(ReadFile(path), HasSubstr("the other's line\n"));
  EXPECT_THAT(ReadFile(path), HasSubstr("after"));
  EXPECT_NE(access((path + ".2").c_str(), F_OK), 0);
}

TEST_F(LogTest, AFileFullOnArrivalIsRotatedInTurn) {
  const std::string path = dir_ + "/credcached.log";
  ASSERT_TRUE(LogToFile(path, LogFileLimits{/*max_bytes=*/200, /*keep=*/3}).ok());
  Log(std::string(150, 'a'));
  ASSERT_EQ(rename(path.c_str(), (path + ".1").c_str()), 0);
  WriteFile(path, std::string(150, 'b') + "\n");
  Log("after");
  EXPECT_THAT(ReadFile(path + ".2"), HasSubstr(std::string(150, 'a')));
  EXPECT_THAT(ReadFile(path + ".1"), HasSubstr(std::string(150, 'b')));
  EXPECT_THAT(ReadFile(path), HasSubstr("after"));
  EXPECT_THAT(ReadFile(path), Not(HasSubstr(std::string(150, 'b'))));
}

TEST_F(LogTest, LevelsBelowTheSetOneAreDropped) {
  const std::string path = dir_ + "/credcached.log";
  ASSERT_TRUE(LogToFile(path).ok());
  Log(LogLevel::kDebug, "hidden at info");
  EXPECT_FALSE(LogEnabled(LogLevel::kDebug));
  SetLogLevel(LogLevel::kWarning);
  Log(LogLevel::kInfo, "hidden at warning");
  Log(LogLevel::kWarning, "shown at warning");
  Log(LogLevel::kError, "error shown at warning");
  SetLogLevel(LogLevel::kDebug);
  Log(LogLevel::kDebug, "shown at debug");
  const std::string text = ReadFile(path);
  EXPECT_THAT(text, Not(HasSubstr("hidden")));
  EXPECT_THAT(text, HasSubstr("warning: shown at warning"));
  EXPECT_THAT(text, HasSubstr("error: error shown at warning"));
  EXPECT_THAT(text, HasSubstr("debug: shown at debug"));
}

TEST_F(LogTest, JournalLinesCarryThePriorityAndNoTimestampOrPid) {
  const std::string path = dir_ + "/journal";
  StderrTo(path);
  LogToJournal();
  SetLogLevel(LogLevel::kDebug);
  Log(LogLevel::kError, "e");
  Log(LogLevel::kWarning, "w");
  Log(LogLevel::kInfo, "i");
  Log(LogLevel::kDebug, "d");
  EXPECT_EQ(ReadFile(path), "<3>e\n<4>w\n<6>i\n<7>d\n");
  EXPECT_EQ(LogDestination(), "journal");
}

TEST_F(LogTest, ALineCannotBeForgedOrCarryTerminalEscapes) {
  const std::string path = dir_ + "/journal";
  StderrTo(path);
  LogToJournal();
  Log("x\n<3>forged\x1b[31m");
  EXPECT_EQ(ReadFile(path), "<6>x\\x0a<3>forged\\x1b[31m\n");
}

TEST_F(LogTest, StderrIsTheJournalOnlyWhenJournalStreamNamesIt) {
  const std::string path = dir_ + "/stream";
  StderrTo(path);
  struct stat info;
  ASSERT_EQ(fstat(STDERR_FILENO, &info), 0);
  const std::string stream = absl::StrCat(info.st_dev, ":", info.st_ino);
  setenv("JOURNAL_STREAM", stream.c_str(), 1);
  EXPECT_FALSE(StderrIsJournal()) << "not run by systemd (no INVOCATION_ID)";
  setenv("INVOCATION_ID", "0123456789abcdef", 1);
  EXPECT_TRUE(StderrIsJournal());
  // stderr redirected since systemd connected it (`credcached 2>file` in a
  // unit's shell): no longer the journal.
  StderrTo(dir_ + "/elsewhere");
  EXPECT_FALSE(StderrIsJournal());
  setenv("JOURNAL_STREAM", "garbage", 1);
  EXPECT_FALSE(StderrIsJournal());
}

TEST_F(LogTest, TheDefaultFileIsUnderXdgStateHome) {
  const char* saved_state = getenv("XDG_STATE_HOME");
  const std::string saved = saved_state == nullptr ? "" : saved_state;
  const char* saved_home_env = getenv("HOME");
  const std::string saved_home = saved_home_env == nullptr ? "" : saved_home_env;
  setenv("XDG_STATE_HOME", "/state", 1);
  EXPECT_EQ(DefaultLogFile(), "/state/credcache/credcached.log");
  setenv("HOME", "/home/u", 1);
  setenv("XDG_STATE_HOME", "relative", 1);  // Ignored, as the XDG spec says.
  EXPECT_EQ(DefaultLogFile(), "/home/u/.local/state/credcache/credcached.log");
  unsetenv("XDG_STATE_HOME");
  EXPECT_EQ(DefaultLogFile(), "/home/u/.local/state/credcache/credcached.log");
  if (saved_state != nullptr) setenv("XDG_STATE_HOME", saved.c_str(), 1);
  setenv("HOME", saved_home.c_str(), 1);
}

TEST_F(LogTest, ErrorTextIsTheMessageAndItsCausesAsCargoShowsThem) {
  EXPECT_EQ(ErrorText(cargo_credential::OtherError(
                "credcache backend `sso` failed",
                {"command `sso` failed with exit status 3", "session expired"})),
            "credcache backend `sso` failed: command `sso` failed with exit status 3: "
            "session expired");
  EXPECT_EQ(ErrorText(cargo_credential::NotFoundError()),
            cargo_credential::DefaultMessage(cargo_credential::ErrorKind::kNotFound));
  EXPECT_EQ(ErrorText(absl::OkStatus()), "");
}

}  // namespace
}  // namespace credcache
