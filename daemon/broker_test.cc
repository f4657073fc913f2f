#include "daemon/broker.h"

#include <memory>
#include <thread>
#include <vector>

#include "daemon/fake_backend.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/builders.h"

namespace credcache {
namespace {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::CacheControl;
using cargo_credential::ErrorKind;
using cargo_credential::KindOf;
using cargo_credential::RegistryInfo;
using credcache_testing::Login;
using credcache_testing::Registry;
using ::testing::HasSubstr;

const RegistryInfo kRegistry = Registry("sparse+http://h/index/", "myreg");

class BrokerTest : public ::testing::Test {
 protected:
  BrokerTest() { backend_->SetToken(kRegistry.index_url, "Bearer t"); }

  std::shared_ptr<const Router> RouterWith(std::shared_ptr<FakeBackend> backend,
                                           absl::Duration timeout = absl::Seconds(5)) {
    BackendSettings settings;
    settings.name = "fake";
    settings.kind = "fake";
    settings.timeout = timeout;
    std::vector<Backend> backends;
    backends.push_back(Backend{settings, std::move(backend)});
    return std::make_shared<Router>(std::move(backends), &stats_);
  }

  absl::StatusOr<cargo_credential::CredentialResponse> Get(
      const RegistryInfo& registry = kRegistry) {
    return broker_.Perform(registry, Action{}, {});
  }
  absl::StatusOr<cargo_credential::CredentialResponse> Do(ActionKind kind,
                                                          const std::string& token = "") {
    Action action = Login(token);
    action.kind = kind;
    return broker_.Perform(kRegistry, action, {});
  }

  FakeClock clock_;
  Stats stats_;
  std::shared_ptr<FakeBackend> backend_ = std::make_shared<FakeBackend>();
  Broker broker_{&clock_, &stats_, CachePolicy{}, RouterWith(backend_)};
};

TEST_F(BrokerTest, SecondGetComesFromTheCache) {
  ASSERT_TRUE(Get().ok());
  absl::StatusOr<cargo_credential::CredentialResponse> again = Get();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->token.Expose(), "Bearer t");
  EXPECT_EQ(backend_->calls(), 1);
  StatsSnapshot stats = stats_.Snapshot();
  EXPECT_EQ(stats.hits, 1);
  EXPECT_EQ(stats.misses, 1);
}

TEST_F(BrokerTest, NeverTokensAreFetchedEachTime) {
  backend_->SetCache(CacheControl::Never());
  ASSERT_TRUE(Get().ok());
  ASSERT_TRUE(Get().ok());
  EXPECT_EQ(backend_->calls(), 2);
}

TEST_F(BrokerTest, ExpiryForcesANewBackendCall) {
  ASSERT_TRUE(Get().ok());
  clock_.Advance(absl::Minutes(31));
  ASSERT_TRUE(Get().ok());
  EXPECT_EQ(backend_->calls(), 2);
}

TEST_F(BrokerTest, NotFoundPassesThroughAndIsNotCached) {
  const RegistryInfo other = Registry("sparse+http://other/index/");
  EXPECT_EQ(KindOf(Get(other).status()), ErrorKind::kNotFound);
  backend_->SetToken(other.index_url, "late");
  ASSERT_TRUE(Get(other).ok());
  EXPECT_EQ(backend_->calls(), 2);
}

TEST_F(BrokerTest, LoginWritesThroughThenReplacesTheCachedToken) {
  ASSERT_TRUE(Get().ok());
  ASSERT_TRUE(Do(ActionKind::kLogin, "Bearer new").ok());
  absl::StatusOr<cargo_credential::CredentialResponse> got = Get();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->token.Expose(), "Bearer new");
}

TEST_F(BrokerTest, AFailedLoginLosesNothingStored) {
  ASSERT_TRUE(Get().ok());
  backend_->SetError(cargo_credential::OtherError("disk full"));
  EXPECT_FALSE(Do(ActionKind::kLogin, "Bearer new").ok());
  backend_->SetError(absl::OkStatus());
  // The cache forgot (a login that timed out might still land), so the next
  // get asks the backend, which still has the old token.
  absl::StatusOr<cargo_credential::CredentialResponse> got = Get();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->token.Expose(), "Bearer t");
  EXPECT_EQ(backend_->calls(), 3);
}

TEST_F(BrokerTest, AGetStartedAfterALoginNeverGetsTheOldToken) {
  backend_->SetDelay(absl::Milliseconds(300));
  std::thread early([&] { EXPECT_TRUE(Get().ok()); });  // Slow fetch, old token.
  absl::SleepFor(absl::Milliseconds(50));
  backend_->SetDelay(absl::ZeroDuration());
  ASSERT_TRUE(Do(ActionKind::kLogin, "Bearer new").ok());
  absl::StatusOr<cargo_credential::CredentialResponse> got = Get();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->token.Expose(), "Bearer new");
  early.join();
  got = Get();  // And the early fetch did not cache the old one.
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->token.Expose(), "Bearer new");
}

TEST_F(BrokerTest, LogoutErasesBackendAndCache) {
  ASSERT_TRUE(Get().ok());
  ASSERT_TRUE(Do(ActionKind::kLogout).ok());
  EXPECT_FALSE(backend_->Has(kRegistry.index_url));
  EXPECT_EQ(KindOf(Get().status()), ErrorKind::kNotFound);
  EXPECT_EQ(KindOf(Do(ActionKind::kLogout).status()), ErrorKind::kNotFound);
}

TEST_F(BrokerTest, PerformOnTargetsOneBackendByName) {
  ASSERT_TRUE(Get().ok());
  ASSERT_TRUE(broker_.PerformOn("fake", kRegistry, Login("Bearer moved"), {}).ok());
  absl::StatusOr<cargo_credential::CredentialResponse> got = Get();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->token.Expose(), "Bearer moved");  // The old cached token is gone.
  absl::Status unknown = broker_.PerformOn("nope", kRegistry, Login("Bearer moved"), {}).status();
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("no backend named `nope`"));
}

TEST_F(BrokerTest, ConcurrentColdGetsMakeOneBackendCall) {
  backend_->SetDelay(absl::Milliseconds(200));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&] {
      absl::StatusOr<cargo_credential::CredentialResponse> got = Get();
      if (got.ok() && got->token.Expose() == "Bearer t") ++ok;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 50);
  EXPECT_EQ(backend_->calls(), 1);
  EXPECT_EQ(stats_.Snapshot().coalesced + stats_.Snapshot().hits, 49);
}

TEST_F(BrokerTest, ASlowRegistryDoesNotBlockAnother) {
  auto slow = std::make_shared<FakeBackend>();
  slow->SetToken("slow", "s");
  slow->SetDelay(absl::Seconds(2));
  BackendSettings slow_settings;
  slow_settings.name = "slow";
  slow_settings.index_urls = {"slow"};
  slow_settings.timeout = absl::Seconds(5);
  BackendSettings fast_settings;
  fast_settings.name = "fast";
  std::vector<Backend> backends;
  backends.push_back(Backend{slow_settings, slow});
  backends.push_back(Backend{fast_settings, backend_});
  broker_.SetRouter(CachePolicy{}, std::make_shared<Router>(std::move(backends), &stats_));

  std::thread waiter([&] { EXPECT_TRUE(Get({"slow", std::nullopt, {}}).ok()); });
  absl::SleepFor(absl::Milliseconds(50));
  const absl::Time start = absl::Now();
  EXPECT_TRUE(Get().ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  waiter.join();
}

TEST_F(BrokerTest, TimeoutNamesTheBackendAndLeavesTheCacheAlone) {
  backend_->SetDelay(absl::Seconds(2));
  broker_.SetRouter(CachePolicy{}, RouterWith(backend_, absl::Milliseconds(200)));
  absl::Status status = Get().status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("`fake` did not answer"));
  EXPECT_EQ(broker_.cache().Size(), 0u);
  absl::SleepFor(absl::Seconds(2));  // The late answer arrives and is dropped.
  EXPECT_EQ(broker_.cache().Size(), 0u);
}

TEST_F(BrokerTest, ProviderArgumentsAreCachedApart) {
  ASSERT_TRUE(broker_.Perform(kRegistry, Action{}, {"--profile", "a"}).ok());
  ASSERT_TRUE(broker_.Perform(kRegistry, Action{}, {"--profile", "a"}).ok());
  EXPECT_EQ(backend_->calls(), 1);
  ASSERT_TRUE(broker_.Perform(kRegistry, Action{}, {"--profile", "b"}).ok());
  EXPECT_EQ(backend_->calls(), 2) << "another profile is another token";
  EXPECT_FALSE(broker_.Cached(kRegistry, Action{}, {}).has_value());
  EXPECT_TRUE(broker_.Cached(kRegistry, Action{}, {"--profile", "b"}).has_value());
}

}  // namespace
}  // namespace credcache
