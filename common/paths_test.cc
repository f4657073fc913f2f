#include "common/paths.h"

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace credcache {
namespace {

// Sets (or, with nullopt, unsets) $HOME for one test, and puts it back.
class ScopedHome {
 public:
  explicit ScopedHome(const std::optional<std::string>& value) {
    if (const char* old = getenv("HOME")) old_ = old;
    if (value.has_value()) {
      setenv("HOME", value->c_str(), 1);
    } else {
      unsetenv("HOME");
    }
  }
  ~ScopedHome() {
    if (old_.has_value()) {
      setenv("HOME", old_->c_str(), 1);
    } else {
      unsetenv("HOME");
    }
  }

 private:
  std::optional<std::string> old_;
};

// What NSS says, in this test (linked dynamically, where getpwuid is fine):
// the answer HomeDirectory must give without it.
std::string PasswordDatabaseHome() {
  const struct passwd* entry = getpwuid(getuid());
  return entry != nullptr && entry->pw_dir[0] == '/' ? entry->pw_dir : "/";
}

TEST(PathsTest, HomeIsHomeWhenAbsolute) {
  ScopedHome home("/somewhere/else");
  EXPECT_EQ(HomeDirectory(), "/somewhere/else");
  EXPECT_EQ(ConfigHome(), "/somewhere/else/.config");
}

TEST(PathsTest, WithoutHomeThePasswordDatabaseSays) {
  ScopedHome home(std::nullopt);
  EXPECT_EQ(HomeDirectory(), PasswordDatabaseHome());
}

TEST(PathsTest, ARelativeHomeIsIgnored) {
  ScopedHome home("relative/home");
  EXPECT_EQ(HomeDirectory(), PasswordDatabaseHome());
}

}  // namespace
}  // namespace credcache
