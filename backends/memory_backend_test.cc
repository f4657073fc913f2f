#include "backends/memory_backend.h"

#include "backends/test_support.h"
#include "cargo_credential/error.h"
#include "gtest/gtest.h"

namespace {

using cargo_credential::CacheKind;
using cargo_credential::ErrorKind;
using cargo_credential::KindOf;
using cargo_credential::ResponseKind;
using credcache::MemoryBackend;
using credcache_testing::Get;
using credcache_testing::Login;
using credcache_testing::Logout;
using credcache_testing::Registry;

constexpr char kUrlA[] = "sparse+https://a.example/index/";
constexpr char kUrlB[] = "sparse+https://b.example/index/";

TEST(MemoryBackendTest, KeepsWhatWasLoggedInWithPerRegistryUntilLogout) {
  MemoryBackend backend;
  EXPECT_EQ(KindOf(backend.Perform(Registry(kUrlA), Get(), {}).status()), ErrorKind::kNotFound);

  auto in = backend.Perform(Registry(kUrlA), Login("token-a"), {});
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->kind, ResponseKind::kLogin);
  auto got = backend.Perform(Registry(kUrlA), Get(), {});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->token.Expose(), "token-a");
  EXPECT_EQ(got->cache.kind, CacheKind::kSession);
  // Another registry's token is another entry.
  EXPECT_EQ(KindOf(backend.Perform(Registry(kUrlB), Get(), {}).status()), ErrorKind::kNotFound);

  // A second login replaces the first.
  ASSERT_TRUE(backend.Perform(Registry(kUrlA), Login("token-a2"), {}).ok());
  EXPECT_EQ(backend.Perform(Registry(kUrlA), Get(), {})->token.Expose(), "token-a2");

  auto out = backend.Perform(Registry(kUrlA), Logout(), {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(KindOf(backend.Perform(Registry(kUrlA), Get(), {}).status()), ErrorKind::kNotFound);
  // Logging out of nothing says so, as cargo's fallback rules expect.
  EXPECT_EQ(KindOf(backend.Perform(Registry(kUrlA), Logout(), {}).status()), ErrorKind::kNotFound);
}

TEST(MemoryBackendTest, AStoreHoldsABoundedNumberOfTokens) {
  MemoryBackend backend;
  for (size_t i = 0; i < credcache::kMaxMemoryTokens; ++i) {
    ASSERT_TRUE(
        backend.Perform(Registry("sparse+https://r" + std::to_string(i) + "/"), Login("t"), {})
            .ok());
  }
  auto refused = backend.Perform(Registry("sparse+https://one-more/"), Login("t"), {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(KindOf(refused.status()), ErrorKind::kOther);
  // Replacing a token it holds is still fine.
  EXPECT_TRUE(backend.Perform(Registry("sparse+https://r0/"), Login("t2"), {}).ok());
}

}  // namespace
