#include "lib/private_file.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "cargo_credential/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_env.h"

namespace cargo_credential {
namespace {

using ::testing::HasSubstr;

std::string TempDir() { return credcache_testing::MakeTempDir("private"); }

TEST(PrivateFileTest, MissingFileIsNullopt) {
  absl::StatusOr<std::optional<std::string>> read = ReadPrivateFile(TempDir() + "/none");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->has_value());
}

TEST(PrivateFileTest, WritesPrivatelyCreatingDirectories) {
  const std::string dir = TempDir();
  const std::string path = dir + "/a/b/tokens";
  ASSERT_TRUE(WritePrivateFileAtomically(path, "one").ok());
  ASSERT_TRUE(WritePrivateFileAtomically(path, "two").ok());
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir + "/a/b").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  absl::StatusOr<std::optional<std::string>> read = ReadPrivateFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(**read, "two");
  // No temporary file is left beside it.
  EXPECT_NE(access((dir + "/a/b").c_str(), F_OK), -1);
}

TEST(PrivateFileTest, RefusesFilesOthersCanRead) {
  const std::string path = TempDir() + "/tokens";
  ASSERT_TRUE(WritePrivateFileAtomically(path, "x").ok());
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  absl::StatusOr<std::optional<std::string>> read = ReadPrivateFile(path);
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("not readable by others"));
}

TEST(PrivateFileTest, RefusesSymlinks) {
  const std::string dir = TempDir();
  ASSERT_TRUE(WritePrivateFileAtomically(dir + "/real", "x").ok());
  ASSERT_EQ(symlink((dir + "/real").c_str(), (dir + "/link").c_str()), 0);
  EXPECT_FALSE(ReadPrivateFile(dir + "/link").ok());
}

// The refusals of issue 12's team key file, now everyone's: each says what
// is wrong and its cause how to fix it.
TEST(PrivateFileTest, EachRefusalSaysWhatIsWrongAndHowToFixIt) {
  const std::string dir = TempDir();
  ASSERT_TRUE(WritePrivateFileAtomically(dir + "/real", "x").ok());
  ASSERT_EQ(symlink((dir + "/real").c_str(), (dir + "/link").c_str()), 0);
  absl::Status link = ReadPrivateFile(dir + "/link").status();
  EXPECT_THAT(std::string(link.message()), HasSubstr("it is a symbolic link"));
  EXPECT_THAT(CausedBy(link), testing::ElementsAre(HasSubstr("name the file itself")));

  ASSERT_EQ(chmod((dir + "/real").c_str(), 0644), 0);
  absl::Status open = ReadPrivateFile(dir + "/real").status();
  EXPECT_THAT(std::string(open.message()), HasSubstr("(mode 0644)"));
  EXPECT_THAT(CausedBy(open), testing::ElementsAre("fix it with: chmod 600 " + dir + "/real"));

  // A FIFO is refused at once, not waited on.
  ASSERT_EQ(mkfifo((dir + "/fifo").c_str(), 0600), 0);
  EXPECT_THAT(std::string(ReadPrivateFile(dir + "/fifo").status().message()),
              HasSubstr("not a regular file"));

  if (geteuid() == 0) {
    ASSERT_TRUE(WritePrivateFileAtomically(dir + "/theirs", "x").ok());
    ASSERT_EQ(chown((dir + "/theirs").c_str(), 65534, 65534), 0);
    absl::Status theirs = ReadPrivateFile(dir + "/theirs").status();
    EXPECT_THAT(std::string(theirs.message()), HasSubstr("owned by uid 65534"));
    EXPECT_THAT(CausedBy(theirs), testing::ElementsAre(HasSubstr("chown 0 ")));
  }
}

TEST(PrivateFileTest, AFileLargerThanAskedIsRefusedWithoutItsBytes) {
  const std::string path = TempDir() + "/big";
  ASSERT_TRUE(WritePrivateFileAtomically(path, std::string(10000, 's')).ok());
  absl::StatusOr<std::optional<std::string>> read = ReadPrivateFile(path, 9999);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(std::string(read.status().message()), path + ": larger than 9999 bytes");
  read = ReadPrivateFile(path, 10000);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ((*read)->size(), 10000u);
}

}  // namespace
}  // namespace cargo_credential
