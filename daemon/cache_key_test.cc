#include "daemon/cache_key.h"

#include "gtest/gtest.h"

namespace credcache {
namespace {

using cargo_credential::Operation;
using cargo_credential::OperationKind;

TEST(CacheKeyTest, AnOperationKeyCarriesEveryPartOfTheOperation) {
  const CacheKey publish =
      CacheKey::For("u", {}, Operation{OperationKind::kPublish, "foo", "0.1.0", "ab"});
  EXPECT_EQ(publish.operation, "publish foo 0.1.0 ab");
  EXPECT_FALSE(publish.any_operation());
  EXPECT_EQ(CacheKey::For("u", {}, Operation{}).operation, "read");
  // Two publishes of different crates or versions never share a token.
  EXPECT_FALSE(publish ==
               CacheKey::For("u", {}, Operation{OperationKind::kPublish, "foo", "0.1.1", "ab"}));
  EXPECT_FALSE(publish ==
               CacheKey::For("v", {}, Operation{OperationKind::kPublish, "foo", "0.1.0", "ab"}));
}

TEST(CacheKeyTest, AnOperationIndependentKeyIsApartFromEveryOperationKey) {
  const CacheKey any = CacheKey::AnyOperation("u", {});
  EXPECT_TRUE(any.any_operation());
  EXPECT_FALSE(any == CacheKey::For("u", {}, Operation{}));
  EXPECT_TRUE(any < CacheKey::For("u", {}, Operation{}));
}

TEST(CacheKeyTest, ProviderArgumentsArePartOfTheKey) {
  EXPECT_FALSE(CacheKey::For("u", {"--profile", "a"}, Operation{}) ==
               CacheKey::For("u", {"--profile", "b"}, Operation{}));
  EXPECT_FALSE(CacheKey::AnyOperation("u", {"a"}) == CacheKey::AnyOperation("u", {}));
  // Not joined into one string: ["a b"] and ["a", "b"] are different lists.
  EXPECT_FALSE(CacheKey::For("u", {"a b"}, Operation{}) ==
               CacheKey::For("u", {"a", "b"}, Operation{}));
}

}  // namespace
}  // namespace credcache
