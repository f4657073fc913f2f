#include "lib/private_file.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

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

}  // namespace
}  // namespace cargo_credential
