#include "lib/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/programs.h"
#include "tests/support/test_env.h"

namespace cargo_credential {
namespace {

using credcache_testing::MakeTempDir;
using credcache_testing::ReadFile;
using ::testing::HasSubstr;

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

TEST(FilesTest, DirectoryOf) {
  EXPECT_EQ(DirectoryOf("/a/b/c"), "/a/b");
  EXPECT_EQ(DirectoryOf("/c"), "/");
  EXPECT_EQ(DirectoryOf("c"), ".");
}

TEST(FilesTest, MakeDirectoriesGivesEveryNewLevelTheMode) {
  const mode_t old_umask = umask(022);
  const std::string base = MakeTempDir("dirs");
  ASSERT_TRUE(MakeDirectories(base + "/a/b", 0700).ok());
  EXPECT_EQ(ModeOf(base + "/a"), 0700u);
  EXPECT_EQ(ModeOf(base + "/a/b"), 0700u);
  ASSERT_TRUE(MakeDirectories(base + "/c", 0755).ok());
  EXPECT_EQ(ModeOf(base + "/c"), 0755u);
  EXPECT_TRUE(MakeDirectories(base + "/a/b", 0755).ok()) << "an existing directory is fine";
  EXPECT_EQ(ModeOf(base + "/a/b"), 0700u) << "and is left as it was";
  umask(old_umask);
}

TEST(FilesTest, MakeDirectoriesNamesAPartThatIsNotADirectory) {
  const std::string base = MakeTempDir("dirs");
  credcache_testing::WriteFile(base + "/file", "x");
  const absl::Status status = MakeDirectories(base + "/file/sub", 0700);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr(base + "/file is not a directory"));
}

TEST(FilesTest, WriteFileAtomicallyReplacesWholeWithTheModeAndLeavesNoTemporary) {
  const std::string base = MakeTempDir("atomic");
  const std::string path = base + "/f";
  ASSERT_TRUE(WriteFileAtomically(path, "old", 0644).ok());
  EXPECT_EQ(ModeOf(path), 0644u);
  ASSERT_TRUE(WriteFileAtomically(path, "new contents", 0600).ok());
  EXPECT_EQ(ReadFile(path), "new contents");
  EXPECT_EQ(ModeOf(path), 0600u);
  // A link planted at a temporary name is never written through: the
  // temporary name is random and created exclusively. Nothing else is left.
  EXPECT_EQ(std::string(DirectoryOf(path)), base);
  EXPECT_EQ(access((path + ".tmp").c_str(), F_OK), -1);
}

TEST(FilesTest, WriteFileAtomicallyFailsCleanlyWhereItCannotWrite) {
  const absl::Status status = WriteFileAtomically("/nonexistent-dir/f", "x", 0600);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("cannot create /nonexistent-dir/f.tmp."));
}

TEST(FilesTest, ScopedFdClosesOnceAndCanLetGo) {
  int raw = -1;
  {
    ScopedFd fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    raw = fd.get();
    ScopedFd moved = std::move(fd);
    EXPECT_FALSE(fd.valid());  // NOLINT(bugprone-use-after-move): the contract.
    EXPECT_EQ(moved.get(), raw);
  }
  EXPECT_EQ(fcntl(raw, F_GETFD), -1) << "closed when its owner went";

  ScopedFd kept(open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int released = kept.release();
  EXPECT_FALSE(kept.valid());
  EXPECT_NE(fcntl(released, F_GETFD), -1);
  close(released);
}

TEST(ProgramsTest, SelfPathAndPathSearch) {
  EXPECT_THAT(SelfPath(), HasSubstr("files_test"));
  EXPECT_EQ(FindOnPath("/bin/sh"), "/bin/sh");
  EXPECT_FALSE(FindOnPath("sh").empty());
  EXPECT_EQ(FindOnPath("no-such-program-credcache"), "");
}

}  // namespace
}  // namespace cargo_credential
