#include "common/accounts.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace {

using credcache::GroupId;
using credcache::GroupName;
using credcache::UserId;
using credcache::UserName;

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

}  // namespace
