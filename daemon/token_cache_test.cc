#include "daemon/token_cache.h"

#include "gtest/gtest.h"

namespace credcache {
namespace {

using cargo_credential::CacheControl;
using cargo_credential::CredentialResponse;
using cargo_credential::Operation;
using cargo_credential::OperationKind;
using cargo_credential::Secret;

constexpr char kUrl[] = "sparse+http://h/index/";

CredentialResponse Token(const std::string& value, CacheControl cache, bool independent = true) {
  return CredentialResponse::Get(Secret(absl::string_view(value)), cache, independent);
}

class TokenCacheTest : public ::testing::Test {
 protected:
  bool Insert(const CredentialResponse& response, const Operation& operation = Operation{}) {
    return cache_.Insert(kUrl, std::string("myreg"), {}, operation, response, "file", policy_,
                         cache_.Generation(kUrl, std::string("myreg")));
  }
  std::optional<std::string> Lookup(const Operation& operation = Operation{}) {
    std::optional<CredentialResponse> hit = cache_.Lookup(kUrl, {}, operation);
    if (!hit.has_value()) return std::nullopt;
    return hit->token.Expose();
  }

  FakeClock clock_;
  TokenCache cache_{&clock_};
  CachePolicy policy_{absl::Minutes(10), absl::Hours(1), absl::Seconds(60)};
};

TEST_F(TokenCacheTest, SessionTokensLiveForTheTtl) {
  ASSERT_TRUE(Insert(Token("t", CacheControl::Session())));
  clock_.Advance(absl::Minutes(9));
  EXPECT_EQ(Lookup(), "t");
  clock_.Advance(absl::Minutes(2));
  EXPECT_EQ(Lookup(), std::nullopt);
}

TEST_F(TokenCacheTest, NeverAndUnknownAreNotCached) {
  EXPECT_FALSE(Insert(Token("t", CacheControl::Never())));
  EXPECT_FALSE(Insert(Token("t", CacheControl{cargo_credential::CacheKind::kUnknown, 0})));
  EXPECT_EQ(Lookup(), std::nullopt);
}

TEST_F(TokenCacheTest, ExpiresHonoursTheBackendMinusTheMargin) {
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  ASSERT_TRUE(Insert(Token("t", CacheControl::Expires(now + 300))));
  clock_.Advance(absl::Seconds(239));
  EXPECT_EQ(Lookup(), "t");
  clock_.Advance(absl::Seconds(2));  // 59 s before expiry: inside the margin.
  EXPECT_EQ(Lookup(), std::nullopt);
}

TEST_F(TokenCacheTest, ExpiresIsCappedByTheTtl) {
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  ASSERT_TRUE(Insert(Token("t", CacheControl::Expires(now + 86400))));
  clock_.Advance(absl::Minutes(11));
  EXPECT_EQ(Lookup(), std::nullopt);
}

TEST_F(TokenCacheTest, AlmostExpiredTokensAreNotCached) {
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  EXPECT_FALSE(Insert(Token("t", CacheControl::Expires(now + 30))));
}

TEST_F(TokenCacheTest, MaxTtlCapsEverything) {
  policy_.ttl = absl::Hours(5);
  ASSERT_TRUE(Insert(Token("t", CacheControl::Session())));
  clock_.Advance(absl::Minutes(61));
  EXPECT_EQ(Lookup(), std::nullopt);
}

TEST_F(TokenCacheTest, AnswerIsTheBackendsOwn) {
  const int64_t expiration = absl::ToUnixSeconds(clock_.Now()) + 3600;
  ASSERT_TRUE(Insert(Token("t", CacheControl::Expires(expiration), false),
                     Operation{OperationKind::kRead, "", "", ""}));
  std::optional<CredentialResponse> hit = cache_.Lookup(kUrl, {}, Operation{});
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->cache.kind, cargo_credential::CacheKind::kExpires);
  EXPECT_EQ(hit->cache.expiration, expiration);
  EXPECT_FALSE(hit->operation_independent);
}

TEST_F(TokenCacheTest, OperationBoundTokensServeOnlyTheirOperation) {
  const Operation publish{OperationKind::kPublish, "foo", "0.1.0", "ab"};
  ASSERT_TRUE(Insert(Token("pub", CacheControl::Session(), false), publish));
  EXPECT_EQ(Lookup(publish), "pub");
  EXPECT_EQ(Lookup(Operation{}), std::nullopt);
  EXPECT_EQ(Lookup(Operation{OperationKind::kPublish, "foo", "0.2.0", "cd"}), std::nullopt);
  // An independent token serves every operation.
  ASSERT_TRUE(Insert(Token("any", CacheControl::Session(), true)));
  EXPECT_EQ(Lookup(Operation{OperationKind::kYank, "foo", "0.1.0", ""}), "any");
}

TEST_F(TokenCacheTest, ForgetByUrlOrNameAndStaleInsertsAreDropped) {
  ASSERT_TRUE(Insert(Token("t", CacheControl::Session())));
  const uint64_t before = cache_.Generation(kUrl, std::nullopt);
  EXPECT_EQ(cache_.Forget("myreg"), 1);
  EXPECT_EQ(Lookup(), std::nullopt);
  // A get that started before the forget must not repopulate the cache.
  EXPECT_FALSE(cache_.Insert(kUrl, std::nullopt, {}, Operation{},
                             Token("old", CacheControl::Session()), "file", policy_, before));
  EXPECT_EQ(cache_.Forget(kUrl), 0);
}

TEST_F(TokenCacheTest, ForgetByNameVoidsAFetchUnderWayThatHasNoEntryYet) {
  // The miss has no entry to match the name against: only its generation
  // can say that the registry was forgotten meanwhile.
  const std::optional<std::string> name("myreg");
  const uint64_t before = cache_.Generation(kUrl, name);
  EXPECT_EQ(cache_.Forget("myreg"), 0);
  EXPECT_FALSE(cache_.Insert(kUrl, name, {}, Operation{}, Token("old", CacheControl::Session()),
                             "file", policy_, before));
  EXPECT_EQ(Lookup(), std::nullopt);
  // A fetch that starts after the forget caches as usual.
  EXPECT_TRUE(cache_.Insert(kUrl, name, {}, Operation{}, Token("new", CacheControl::Session()),
                            "file", policy_, cache_.Generation(kUrl, name)));
}

TEST_F(TokenCacheTest, FlushEmptiesAndInvalidatesInFlightInserts) {
  const uint64_t before = cache_.Generation(kUrl, std::nullopt);
  ASSERT_TRUE(Insert(Token("t", CacheControl::Session())));
  EXPECT_EQ(cache_.Flush(), 1);
  EXPECT_EQ(cache_.Size(), 0u);
  EXPECT_FALSE(cache_.Insert(kUrl, std::nullopt, {}, Operation{},
                             Token("t", CacheControl::Session()), "file", policy_, before));
}

TEST_F(TokenCacheTest, ListShowsEverythingButTheToken) {
  ASSERT_TRUE(Insert(Token("secret-value", CacheControl::Session())));
  Lookup();
  std::vector<CacheEntryInfo> entries = cache_.List();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].index_url, kUrl);
  EXPECT_EQ(entries[0].name, "myreg");
  EXPECT_EQ(entries[0].backend, "file");
  EXPECT_EQ(entries[0].left, absl::Minutes(10));
  EXPECT_EQ(entries[0].hits, 1);
}

TEST_F(TokenCacheTest, ATokenForAnUnknownOperationAloneIsNeverCached) {
  // A newer cargo's operation carries no parts this cache could key on.
  Operation unknown;
  unknown.kind = cargo_credential::OperationKind::kUnknown;
  EXPECT_FALSE(
      Insert(Token("t", CacheControl::Session(), /*operation_independent=*/false), unknown));
  EXPECT_FALSE(Lookup(unknown).has_value());
  EXPECT_TRUE(Insert(Token("t", CacheControl::Session()), unknown))
      << "an operation-independent one is, as it serves any operation";
}

TEST_F(TokenCacheTest, TokensAskedWithOtherProviderArgumentsAreKeptApart) {
  ASSERT_TRUE(cache_.Insert(kUrl, std::nullopt, {"--profile", "a"}, Operation{},
                            Token("for a", CacheControl::Session()), "file", policy_,
                            cache_.Generation(kUrl, std::nullopt)));
  std::optional<CredentialResponse> a = cache_.Lookup(kUrl, {"--profile", "a"}, Operation{});
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->token.Expose(), "for a");
  EXPECT_FALSE(cache_.Lookup(kUrl, {"--profile", "b"}, Operation{}).has_value());
  EXPECT_FALSE(cache_.Lookup(kUrl, {}, Operation{}).has_value());
  ASSERT_EQ(cache_.List().size(), 1u);
  EXPECT_EQ(cache_.List()[0].args, (std::vector<std::string>{"--profile", "a"}));
}

}  // namespace
}  // namespace credcache
