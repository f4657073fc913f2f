#include "examples/file_credential.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "cargo_credential/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/builders.h"
#include "tests/support/test_env.h"

namespace credcache_examples {
namespace {

using cargo_credential::Action;
using cargo_credential::ErrorKind;
using cargo_credential::KindOf;
using cargo_credential::RegistryInfo;
using cargo_credential::Secret;
using credcache_testing::Get;
using credcache_testing::Login;
using credcache_testing::Logout;
using ::testing::HasSubstr;

class FileCredentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = credcache_testing::MakeTempDir("file") + "/nested/tokens";
    args_ = {"--file", path_};
    registry_.index_url = "sparse+http://127.0.0.1:1/index/";
    registry_.name = "myreg";
  }

  absl::StatusOr<cargo_credential::CredentialResponse> Run(const Action& action) {
    return credential_.Perform(registry_, action, args_);
  }
  std::string Contents() {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  FileCredential credential_;
  std::string path_;
  std::vector<std::string> args_;
  RegistryInfo registry_;
};

TEST_F(FileCredentialTest, LoginGetLogout) {
  EXPECT_EQ(KindOf(Run(Get()).status()), ErrorKind::kNotFound);
  ASSERT_TRUE(Run(Login("Bearer a b")).ok());

  struct stat info;
  ASSERT_EQ(stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(Contents(), "sparse+http://127.0.0.1:1/index/ Bearer a b\n");

  absl::StatusOr<cargo_credential::CredentialResponse> got = Run(Get());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->token.Expose(), "Bearer a b");
  EXPECT_EQ(got->cache.kind, cargo_credential::CacheKind::kSession);
  EXPECT_TRUE(got->operation_independent);

  ASSERT_TRUE(Run(Logout()).ok());
  EXPECT_EQ(Contents(), "");
  EXPECT_EQ(KindOf(Run(Get()).status()), ErrorKind::kNotFound);
  EXPECT_EQ(KindOf(Run(Logout()).status()), ErrorKind::kNotFound);
}

TEST_F(FileCredentialTest, KeepsOtherRegistries) {
  ASSERT_TRUE(Run(Login("one")).ok());
  registry_.index_url = "sparse+http://other/index/";
  ASSERT_TRUE(Run(Login("two")).ok());
  ASSERT_TRUE(Run(Logout()).ok());
  EXPECT_EQ(Contents(), "sparse+http://127.0.0.1:1/index/ one\n");
}

TEST_F(FileCredentialTest, RefusesAFileOthersCanRead) {
  ASSERT_TRUE(Run(Login("t")).ok());
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  absl::Status status = Run(Get()).status();
  EXPECT_EQ(KindOf(status), ErrorKind::kOther);
  EXPECT_THAT(std::string(status.message()), HasSubstr("not readable by others"));
}

TEST_F(FileCredentialTest, MalformedFileNamesTheLine) {
  ASSERT_TRUE(Run(Login("t")).ok());
  {
    std::ofstream out(path_, std::ios::app);
    out << "no-space-here\n";
  }
  absl::Status status = Run(Get()).status();
  EXPECT_THAT(std::string(status.message()), HasSubstr(path_ + ":2: expected"));
}

TEST_F(FileCredentialTest, UnknownArgumentIsAnError) {
  args_.push_back("--bogus");
  absl::Status status = Run(Get()).status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("unknown argument `--bogus`"));
}

TEST_F(FileCredentialTest, LoginWithoutTokenOrTerminalFailsClearly) {
  // With a terminal the provider would (rightly) wait for the user; the
  // prompt itself is tested on a pseudo-terminal in tests/.
  const int tty = open("/dev/tty", O_RDWR | O_NOCTTY);
  if (tty >= 0) {
    close(tty);
    GTEST_SKIP() << "this run has a controlling terminal";
  }
  absl::Status status = Run(Login("")).status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("no terminal"));
}

}  // namespace
}  // namespace credcache_examples
