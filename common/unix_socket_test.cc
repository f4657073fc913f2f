#include "common/unix_socket.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

#include "common/paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_env.h"

namespace credcache {
namespace {

using ::testing::HasSubstr;

// Short, under /tmp: socket paths are limited to 107 bytes.
std::string TempDir() { return credcache_testing::MakeTempDir("ccsock", "/tmp"); }

TEST(UnixSocketTest, CreatesPrivateDirectoriesAndRefusesLooseOnes) {
  const std::string base = TempDir();
  const std::string dir = base + "/a/credcache";
  ASSERT_TRUE(EnsurePrivateDirectory(dir).ok());
  struct stat info;
  ASSERT_EQ(stat(dir.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  EXPECT_TRUE(EnsurePrivateDirectory(dir).ok());
  ASSERT_EQ(chmod(dir.c_str(), 0755), 0);
  absl::Status loose = EnsurePrivateDirectory(dir);
  EXPECT_FALSE(loose.ok());
  EXPECT_THAT(std::string(loose.message()), HasSubstr("chmod 700"));
}

TEST(UnixSocketTest, ConnectTellsNoDaemonFromOtherFailures) {
  const std::string dir = TempDir();
  EXPECT_TRUE(absl::IsNotFound(ConnectUnixSocket(dir + "/none.sock").status()));
  EXPECT_FALSE(ConnectUnixSocket(dir + "/" + std::string(200, 'x')).ok());

  // A listening socket: connect works and the peer is us.
  const std::string path = dir + "/s.sock";
  const int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  absl::StatusOr<int> fd = ConnectUnixSocket(path);
  ASSERT_TRUE(fd.ok()) << fd.status();
  absl::StatusOr<uid_t> uid = PeerUid(*fd);
  ASSERT_TRUE(uid.ok());
  EXPECT_EQ(*uid, geteuid());
  close(*fd);
  // Nobody listening any more: a stale socket file counts as no daemon.
  close(listener);
  EXPECT_TRUE(absl::IsNotFound(ConnectUnixSocket(path).status()));
}

TEST(PathsTest, EnvironmentWins) {
  setenv("CREDCACHE_SOCKET", "/x/y.sock", 1);
  EXPECT_EQ(DefaultSocketPath(), "/x/y.sock");
  unsetenv("CREDCACHE_SOCKET");
  setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
  EXPECT_EQ(DefaultSocketPath(), "/run/user/7/credcache/credcache.sock");
  setenv("XDG_RUNTIME_DIR", "relative", 1);  // Ignored, as XDG says.
  EXPECT_EQ(DefaultSocketPath(), "/tmp/credcache-" + std::to_string(getuid()) + "/credcache.sock");
  setenv("XDG_CONFIG_HOME", "/cfg", 1);
  EXPECT_EQ(DefaultConfigPath(), "/cfg/credcache/config.toml");
  setenv("XDG_DATA_HOME", "/data", 1);
  EXPECT_EQ(DefaultDataDirectory(), "/data/credcache");
}

}  // namespace
}  // namespace credcache
