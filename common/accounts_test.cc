#include "common/accounts.h"

#include <pwd.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

using credcache::FindEntry;
using credcache::GroupId;
using credcache::GroupName;
using credcache::HomeDirectoryOf;
using credcache::UserId;
using credcache::UserName;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(AccountsTest, NamesAndIdsRoundTrip) {
  // root and its group exist on every Unix system.
  ASSERT_TRUE(UserId("root").ok());
  EXPECT_EQ(*UserId("root"), 0u);
  EXPECT_EQ(*GroupId("root"), 0u);
  EXPECT_EQ(UserName(0), "root");
  EXPECT_EQ(GroupName(0), "root");
  EXPECT_EQ(*UserId(UserName(geteuid())), geteuid());
}

TEST(AccountsTest, NumbersStandForThemselvesAndUnknownNamesAreNotFound) {
  EXPECT_EQ(*UserId("4242"), 4242u);
  EXPECT_EQ(*GroupId("4243"), 4243u);
  EXPECT_EQ(UserName(4242999), "4242999");
  EXPECT_TRUE(absl::IsNotFound(UserId("no-such-user-credcache").status()));
  EXPECT_TRUE(absl::IsNotFound(GroupId("no-such-group-credcache").status()));
  EXPECT_TRUE(absl::IsNotFound(UserId("").status()));
}

TEST(AccountsTest, HomeDirectoryIsWhatThePasswordDatabaseSays) {
  // This test is linked dynamically: getpwuid may answer here.
  const struct passwd* entry = getpwuid(geteuid());
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(*HomeDirectoryOf(geteuid()), entry->pw_dir);
  EXPECT_TRUE(absl::IsNotFound(HomeDirectoryOf(4242999).status()));
}

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "short:x:7:7\n"
    "relative:x:8:8::home/relative:/bin/sh\n"
    "ann:x:1001:1001:Ann,,,:/home/ann:/bin/bash\n"
    "ann2:x:1001:1001::/home/ann2:/bin/sh\n"
    "\n"
    "bob:x:1002:1002::/home/bob:/bin/sh";  // No line break at the end.

TEST(AccountsTest, FindEntryTakesTheFirstWholeEntryWithTheKey) {
  EXPECT_THAT(FindEntry(kPasswd, 7, 0, "root"),
              ElementsAre("root", "x", "0", "0", "root", "/root", "/bin/bash"));
  EXPECT_EQ(FindEntry(kPasswd, 7, 2, "1001")[0], "ann");
  EXPECT_EQ(FindEntry(kPasswd, 7, 2, "1002")[5], "/home/bob");
  EXPECT_EQ(FindEntry(kPasswd, 7, 5, "home/relative")[0], "relative");
}

TEST(AccountsTest, FindEntrySkipsShortLinesAndMatchesWholeFields) {
  // "short" has 4 fields: a group's entry, not a user's.
  EXPECT_THAT(FindEntry(kPasswd, 7, 0, "short"), IsEmpty());
  EXPECT_EQ(FindEntry(kPasswd, 4, 0, "short")[2], "7");
  EXPECT_THAT(FindEntry(kPasswd, 7, 0, "roo"), IsEmpty());
  EXPECT_THAT(FindEntry(kPasswd, 7, 2, "100"), IsEmpty());
  EXPECT_THAT(FindEntry(kPasswd, 7, 0, ""), IsEmpty());
  EXPECT_THAT(FindEntry(kPasswd, 7, 0, "root:x"), IsEmpty());
  // A column past the fields asked for is never read.
  EXPECT_THAT(FindEntry(kPasswd, 4, 5, "/root"), IsEmpty());
  EXPECT_THAT(FindEntry("", 7, 0, ""), IsEmpty());
}

}  // namespace
