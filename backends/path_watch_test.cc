#include "backends/path_watch.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/test_env.h"

namespace credcache {
namespace {

using credcache_testing::MakeTempDir;
using credcache_testing::WriteFile;

// inotify queues an event within the system call that caused it, so each
// check below follows its change at once: no waiting, no timing.
class PathWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    dir_ = root_ + "/data/credcache";
    path_ = dir_ + "/tokens.toml";
  }

  std::unique_ptr<PathWatch> Watch() {
    absl::StatusOr<std::unique_ptr<PathWatch>> watch = PathWatch::Start(path_);
    EXPECT_TRUE(watch.ok()) << watch.status();
    return watch.ok() ? *std::move(watch) : nullptr;
  }

  // Whether the watch reports a change now, and then nothing more.
  static bool Changed(PathWatch& watch) {
    const bool pending = watch.Pending();
    const bool changed = watch.Drain();
    if (changed) {
      EXPECT_TRUE(pending);
    }
    EXPECT_FALSE(watch.Pending());
    return changed;
  }

  std::string root_;
  std::string dir_;
  std::string path_;
};

TEST_F(PathWatchTest, RefusesARelativePath) {
  EXPECT_FALSE(PathWatch::Start("tokens.toml").ok());
  EXPECT_FALSE(PathWatch::Start("/").ok());
}

TEST_F(PathWatchTest, SeesTheDirectoriesAndTheFileComeIntoBeing) {
  std::unique_ptr<PathWatch> watch = Watch();
  ASSERT_NE(watch, nullptr);
  EXPECT_FALSE(Changed(*watch));
  const size_t above = watch->watched();
  ASSERT_EQ(mkdir((root_ + "/data").c_str(), 0700), 0);
  EXPECT_TRUE(Changed(*watch));
  EXPECT_EQ(watch->watched(), above + 1);
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  EXPECT_TRUE(Changed(*watch));
  EXPECT_EQ(watch->watched(), above + 2);
  WriteFile(path_, "[tokens]\n");
  EXPECT_TRUE(Changed(*watch));
}

TEST_F(PathWatchTest, SeesWritesRenamesRemovalsLinksAndModes) {
  ASSERT_EQ(mkdir((root_ + "/data").c_str(), 0700), 0);
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  WriteFile(path_, "[tokens]\n");
  std::unique_ptr<PathWatch> watch = Watch();
  ASSERT_NE(watch, nullptr);
  EXPECT_FALSE(Changed(*watch));

  // In place.
  FILE* file = fopen(path_.c_str(), "a");
  ASSERT_NE(file, nullptr);
  fputs("# more\n", file);
  fclose(file);
  EXPECT_TRUE(Changed(*watch));
  // As an editor saves: a new file renamed over the old one.
  WriteFile(dir_ + "/.tokens.toml.swp", "[tokens]\n");
  EXPECT_FALSE(Changed(*watch)) << "another name in the directory is none of its business";
  ASSERT_EQ(rename((dir_ + "/.tokens.toml.swp").c_str(), path_.c_str()), 0);
  EXPECT_TRUE(Changed(*watch));
  // Made readable by others, then replaced by a link, then removed.
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  EXPECT_TRUE(Changed(*watch));
  ASSERT_EQ(unlink(path_.c_str()), 0);
  EXPECT_TRUE(Changed(*watch));
  ASSERT_EQ(symlink("/etc/hostname", path_.c_str()), 0);
  EXPECT_TRUE(Changed(*watch));
  ASSERT_EQ(unlink(path_.c_str()), 0);
  EXPECT_TRUE(Changed(*watch));
}

TEST_F(PathWatchTest, FollowsItsDirectoriesThroughRemovalsAndRenames) {
  ASSERT_EQ(mkdir((root_ + "/data").c_str(), 0700), 0);
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  WriteFile(path_, "[tokens]\n");
  std::unique_ptr<PathWatch> watch = Watch();
  ASSERT_NE(watch, nullptr);
  const size_t all = watch->watched();

  // The directory removed with the file in it.
  ASSERT_EQ(unlink(path_.c_str()), 0);
  ASSERT_EQ(rmdir(dir_.c_str()), 0);
  EXPECT_TRUE(Changed(*watch));
  EXPECT_EQ(watch->watched(), all - 1);
  // Made again: the new directory is watched, not the old one.
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  EXPECT_TRUE(Changed(*watch));
  EXPECT_EQ(watch->watched(), all);
  WriteFile(path_, "[tokens]\n");
  EXPECT_TRUE(Changed(*watch));

  // A directory above renamed away, with the file: what is at the path now
  // is what counts, and the old directory, elsewhere, is no longer watched.
  ASSERT_EQ(rename((root_ + "/data").c_str(), (root_ + "/old").c_str()), 0);
  EXPECT_TRUE(Changed(*watch));
  EXPECT_EQ(watch->watched(), all - 2);
  WriteFile(root_ + "/old/credcache/tokens.toml", "[tokens]\n# elsewhere\n");
  EXPECT_FALSE(Changed(*watch));
  // Another put in its place, by a rename too.
  ASSERT_EQ(mkdir((root_ + "/new").c_str(), 0700), 0);
  ASSERT_EQ(mkdir((root_ + "/new/credcache").c_str(), 0700), 0);
  WriteFile(root_ + "/new/credcache/tokens.toml", "[tokens]\n");
  EXPECT_FALSE(Changed(*watch));
  ASSERT_EQ(rename((root_ + "/new").c_str(), (root_ + "/data").c_str()), 0);
  EXPECT_TRUE(Changed(*watch));
  EXPECT_EQ(watch->watched(), all);
  WriteFile(path_, "[tokens]\n# here\n");
  EXPECT_TRUE(Changed(*watch));
  // Its directory made unreadable, then readable again.
  ASSERT_EQ(chmod(dir_.c_str(), 0), 0);
  EXPECT_TRUE(Changed(*watch));
  ASSERT_EQ(chmod(dir_.c_str(), 0700), 0);
  EXPECT_TRUE(Changed(*watch));
  WriteFile(path_, "[tokens]\n# again\n");
  EXPECT_TRUE(Changed(*watch));
}

// More events than inotify queues (16384 by default) overflow the queue:
// that is a change, once, and the watch goes on.
TEST_F(PathWatchTest, ManyChangesAreOneReportAndAnOverflowIsAChange) {
  ASSERT_EQ(mkdir((root_ + "/data").c_str(), 0700), 0);
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  std::unique_ptr<PathWatch> watch = Watch();
  ASSERT_NE(watch, nullptr);
  const int fd = open(path_.c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 20000; ++i) ASSERT_EQ(write(fd, "x", 1), 1);
  close(fd);
  EXPECT_TRUE(Changed(*watch));
  WriteFile(path_, "[tokens]\n");
  EXPECT_TRUE(Changed(*watch));
}

}  // namespace
}  // namespace credcache
