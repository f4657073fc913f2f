// The broker of a team daemon: personal tokens per owner, shared ones for
// everyone and never operation-independent, and per-user entry caps.
#include <memory>
#include <vector>

#include "backends/memory_backend.h"
#include "daemon/broker.h"
#include "daemon/fake_backend.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/builders.h"

namespace credcache {
namespace {

using cargo_credential::Action;
using cargo_credential::ErrorKind;
using cargo_credential::KindOf;
using cargo_credential::RegistryInfo;
using credcache_testing::Login;
using credcache_testing::Registry;

const RegistryInfo kShared = Registry("sparse+http://shared/index/", "shared");
const RegistryInfo kPersonal = Registry("sparse+http://personal/index/", "personal");
constexpr int64_t kAlice = 6001;
constexpr int64_t kBob = 6002;

class BrokerTeamTest : public ::testing::Test {
 protected:
  BrokerTeamTest() {
    shared_->SetToken(kShared.index_url, "team-token");
    for (int i = 0; i < 10; ++i) shared_->SetToken(Cap(i).index_url, "team-token");
    std::vector<Backend> backends;
    BackendSettings shared;
    shared.name = "team";
    shared.kind = "fake";
    shared.index_urls = {"sparse+http://shared/*", "sparse+http://cap*"};
    backends.push_back(Backend{shared, shared_});
    BackendSettings mine;
    mine.name = "mine";
    mine.kind = "memory";
    mine.personal = true;
    mine.index_urls = {"sparse+http://personal/*"};
    Backend personal{mine, std::make_shared<MemoryBackend>()};
    personal.personal = std::make_shared<PersonalStores>(
        []() -> absl::StatusOr<std::shared_ptr<cargo_credential::Credential>> {
          return std::make_shared<MemoryBackend>();
        });
    backends.push_back(std::move(personal));
    broker_.SetRouter(CachePolicy{}, std::make_shared<Router>(std::move(backends), &stats_));
    broker_.SetTeam(/*entries_per_user=*/3);
  }

  static RegistryInfo Cap(int i) {
    return Registry(absl::StrCat("sparse+http://cap", i, "/index/"), "cap");
  }

  absl::StatusOr<cargo_credential::CredentialResponse> As(int64_t uid, const RegistryInfo& registry,
                                                          const Action& action = Action{}) {
    CallWatch watch;
    watch.owner = uid;
    return broker_.PerformWatched(registry, action, {}, watch);
  }

  FakeClock clock_;
  Stats stats_;
  std::shared_ptr<FakeBackend> shared_ = std::make_shared<FakeBackend>();
  Broker broker_{&clock_, &stats_, CachePolicy{}, nullptr};
};

TEST_F(BrokerTeamTest, ASharedTokenIsFetchedOnceForEveryoneAndNeverOperationIndependent) {
  auto alice = As(kAlice, kShared);
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_FALSE(alice->operation_independent);
  auto bob = As(kBob, kShared);
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_EQ(bob->token.Expose(), "team-token");
  EXPECT_FALSE(bob->operation_independent);
  EXPECT_EQ(shared_->calls(), 1);
  // Cached for reads only: a publish asks the backend again.
  Action publish;
  publish.operation.kind = cargo_credential::OperationKind::kPublish;
  ASSERT_TRUE(As(kBob, kShared, publish).ok());
  EXPECT_EQ(shared_->calls(), 2);
  std::optional<cargo_credential::CredentialResponse> cached =
      broker_.Cached(kShared, Action{}, {}, kBob);
  ASSERT_TRUE(cached.has_value());
}

TEST_F(BrokerTeamTest, APersonalLoginIsItsOwnersAloneInTheStoreAndInTheCache) {
  ASSERT_TRUE(As(kAlice, kPersonal, Login("alice-token")).ok());
  auto alice = As(kAlice, kPersonal);
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_EQ(alice->token.Expose(), "alice-token");
  // Cached now, for alice only.
  EXPECT_TRUE(broker_.Cached(kPersonal, Action{}, {}, kAlice).has_value());
  EXPECT_FALSE(broker_.Cached(kPersonal, Action{}, {}, kBob).has_value());
  EXPECT_FALSE(broker_.Cached(kPersonal, Action{}, {}, kSharedOwner).has_value());
  EXPECT_FALSE(broker_.Cached(kPersonal, Action{}, {}, 0).has_value());
  auto bob = As(kBob, kPersonal);
  ASSERT_FALSE(bob.ok());
  EXPECT_EQ(KindOf(bob.status()), ErrorKind::kNotFound);
  auto root = As(0, kPersonal);
  EXPECT_EQ(KindOf(root.status()), ErrorKind::kNotFound);
  // Bob's own login is his, and alice's stays hers.
  ASSERT_TRUE(As(kBob, kPersonal, Login("bob-token")).ok());
  EXPECT_EQ(As(kBob, kPersonal)->token.Expose(), "bob-token");
  EXPECT_EQ(As(kAlice, kPersonal)->token.Expose(), "alice-token");
}

TEST_F(BrokerTeamTest, AUserAtTheEntryCapIsServedUncachedAndOthersAreUnaffected) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(As(kAlice, Cap(i)).ok());
  EXPECT_EQ(broker_.cache().Size(), 3u);
  EXPECT_FALSE(broker_.Cached(Cap(4), Action{}, {}, kAlice).has_value());
  // Alice's next asks of an uncached one go to the backend each time...
  const int calls = shared_->calls();
  ASSERT_TRUE(As(kAlice, Cap(4)).ok());
  EXPECT_EQ(shared_->calls(), calls + 1);
  // ...and bob's tokens are cached as ever.
  ASSERT_TRUE(As(kBob, Cap(5)).ok());
  EXPECT_TRUE(broker_.Cached(Cap(5), Action{}, {}, kBob).has_value());
  // A token alice's asks cached serves bob too: it is the team's.
  EXPECT_TRUE(broker_.Cached(Cap(0), Action{}, {}, kBob).has_value());
}

TEST_F(BrokerTeamTest, LoginsAndLogoutsNeverReachASharedBackend) {
  // Only the shared backend serves kShared: nothing a user can write.
  auto login = As(kAlice, kShared, Login("alice-token"));
  ASSERT_FALSE(login.ok());
  EXPECT_THAT(std::string(login.status().message()), ::testing::HasSubstr("keeps no personal"));
  EXPECT_FALSE(broker_.CanLogIn(kShared, "").ok());
  Action logout = Login("");
  logout.kind = cargo_credential::ActionKind::kLogout;
  EXPECT_FALSE(As(kAlice, kShared, logout).ok());
  EXPECT_EQ(As(kBob, kShared)->token.Expose(), "team-token");
  EXPECT_EQ(shared_->calls(), 1);  // Nothing was forgotten: still cached.
}

TEST_F(BrokerTeamTest, ALoginForgetsOnlyTheUsersOwnCachedTokens) {
  ASSERT_TRUE(As(kAlice, kPersonal, Login("a1")).ok());
  ASSERT_TRUE(As(kBob, kPersonal, Login("b1")).ok());
  ASSERT_TRUE(As(kAlice, kPersonal).ok());
  ASSERT_TRUE(As(kBob, kPersonal).ok());
  ASSERT_TRUE(As(kAlice, kPersonal, Login("a2")).ok());
  EXPECT_FALSE(broker_.Cached(kPersonal, Action{}, {}, kAlice).has_value());
  EXPECT_TRUE(broker_.Cached(kPersonal, Action{}, {}, kBob).has_value());
  EXPECT_EQ(As(kAlice, kPersonal)->token.Expose(), "a2");
}

}  // namespace
}  // namespace credcache
