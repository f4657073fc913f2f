// The broker and the stores it watches (Broker::WatchStores, StoreChanged):
// what a change drops, a change during a fetch in flight, catching up before
// a get, the watches' lives; and a real token file edited by hand.
#include <stdio.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "backends/backend.h"
#include "backends/file_backend.h"
#include "daemon/broker.h"
#include "daemon/fake_backend.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/builders.h"
#include "tests/support/test_env.h"

namespace credcache {
namespace {

using cargo_credential::Action;
using cargo_credential::CredentialResponse;
using cargo_credential::RegistryInfo;
using credcache_testing::Registry;

const RegistryInfo kA = Registry("sparse+http://a/index/", "a");
const RegistryInfo kB = Registry("sparse+http://b/index/", "b");

// A FakeBackend whose store the test changes, as another program would, and
// whose watch it drives: Tell() is a change signalled at once (as a file's
// inotify event is), told when the watch catches up or when Deliver() runs
// (as the watch's own thread would).
class WatchedFake : public FakeBackend, public WatchableStore {
 public:
  class FakeWatch : public StoreWatch {
   public:
    FakeWatch(WatchedFake* store, StoreChanged changed)
        : store_(store), changed_(std::move(changed)) {}
    ~FakeWatch() override {
      absl::MutexLock lock(&store_->mutex_);
      store_->watch_ = nullptr;
      ++store_->stopped_;
    }
    bool Behind() const override {
      absl::MutexLock lock(&store_->mutex_);
      return !store_->pending_.empty();
    }
    void CatchUp() override { store_->Deliver(); }
    StoreChanged changed() const { return changed_; }

   private:
    WatchedFake* const store_;
    const StoreChanged changed_;
  };

  absl::StatusOr<std::unique_ptr<StoreWatch>> Watch(StoreChanged changed) override {
    absl::MutexLock lock(&mutex_);
    if (!refusal_.ok()) return refusal_;
    auto watch = std::make_unique<FakeWatch>(this, std::move(changed));
    watch_ = watch.get();
    ++started_;
    return watch;
  }

  // The store changed: `index_url`'s token (nullopt: any).
  void Tell(const std::optional<std::string>& index_url) {
    absl::MutexLock lock(&mutex_);
    pending_.push_back(index_url);
  }
  // Tells the watch's StoreChanged what is pending.
  void Deliver() {
    std::vector<std::optional<std::string>> pending;
    StoreChanged changed;
    {
      absl::MutexLock lock(&mutex_);
      pending.swap(pending_);
      if (watch_ != nullptr) changed = watch_->changed();
    }
    if (!changed) return;
    for (const std::optional<std::string>& each : pending) changed(each);
  }
  void RefuseWatches(absl::Status why) {
    absl::MutexLock lock(&mutex_);
    refusal_ = std::move(why);
  }
  int started() const {
    absl::MutexLock lock(&mutex_);
    return started_;
  }
  int stopped() const {
    absl::MutexLock lock(&mutex_);
    return stopped_;
  }

 private:
  mutable absl::Mutex mutex_;
  FakeWatch* watch_ ABSL_GUARDED_BY(mutex_) = nullptr;
  std::vector<std::optional<std::string>> pending_ ABSL_GUARDED_BY(mutex_);
  absl::Status refusal_ ABSL_GUARDED_BY(mutex_);
  int started_ ABSL_GUARDED_BY(mutex_) = 0;
  int stopped_ ABSL_GUARDED_BY(mutex_) = 0;
};

// A backend whose gets wait at a gate the test opens: a fetch in flight.
class GatedBackend : public cargo_credential::Credential {
 public:
  absl::StatusOr<CredentialResponse> Perform(const RegistryInfo& registry, const Action& action,
                                             const std::vector<std::string>& args) override {
    entered_.Notify();
    open_.WaitForNotification();
    return CredentialResponse::Get(cargo_credential::Secret(absl::string_view("Bearer old")),
                                   cargo_credential::CacheControl::Session(), true);
  }
  absl::Notification entered_;
  absl::Notification open_;
};

class BrokerWatchTest : public ::testing::Test {
 protected:
  BrokerWatchTest() {
    first_->SetToken(kA.index_url, "Bearer first-a");
    second_->SetToken(kA.index_url, "Bearer second-a");
    second_->SetToken(kB.index_url, "Bearer second-b");
  }

  // `first` then `second`, both serving every registry.
  std::shared_ptr<const Router> TwoBackends() {
    std::vector<Backend> backends;
    for (const auto& [name, credential] :
         std::vector<std::pair<std::string, std::shared_ptr<cargo_credential::Credential>>>{
             {"first", first_}, {"second", second_}}) {
      BackendSettings settings;
      settings.name = name;
      settings.kind = "fake";
      backends.push_back(Backend{settings, credential});
    }
    return std::make_shared<Router>(std::move(backends), &stats_);
  }

  std::string Token(const RegistryInfo& registry) {
    absl::StatusOr<CredentialResponse> got = broker_.Perform(registry, Action{}, {});
    return got.ok() ? got->token.Expose() : absl::StrCat("error: ", got.status().message());
  }

  FakeClock clock_;
  Stats stats_;
  std::shared_ptr<WatchedFake> first_ = std::make_shared<WatchedFake>();
  std::shared_ptr<WatchedFake> second_ = std::make_shared<WatchedFake>();
  Broker broker_{&clock_, &stats_, CachePolicy{}, TwoBackends()};
};

TEST_F(BrokerWatchTest, AChangeDropsThatRegistrysTokenFromThatBackend) {
  EXPECT_EQ(Token(kA), "Bearer first-a");
  EXPECT_EQ(Token(kB), "Bearer second-b");
  first_->SetToken(kA.index_url, "Bearer first-a2");
  EXPECT_EQ(Token(kA), "Bearer first-a") << "cached, and nobody said";
  EXPECT_EQ(broker_.StoreChanged("first", kA.index_url), 1);
  EXPECT_EQ(Token(kA), "Bearer first-a2");
  EXPECT_EQ(Token(kB), "Bearer second-b");
  EXPECT_EQ(first_->calls(), 3);  // A, A again, and B (which `first` lacks).
  EXPECT_EQ(second_->calls(), 1);
  // A change `first` tells of B, which came from `second` after it: `first`
  // may hold B's token now.
  first_->SetToken(kB.index_url, "Bearer first-b");
  EXPECT_EQ(broker_.StoreChanged("first", kB.index_url), 1);
  EXPECT_EQ(Token(kB), "Bearer first-b");
}

TEST_F(BrokerWatchTest, AChangeOfAnyDropsWhatItAnsweredAndWhatItShadows) {
  EXPECT_EQ(Token(kA), "Bearer first-a");
  EXPECT_EQ(Token(kB), "Bearer second-b");
  // `second` comes after `first`: its change leaves A (from `first`) alone.
  EXPECT_EQ(broker_.StoreChanged("second", std::nullopt), 1);
  EXPECT_EQ(broker_.cache().Size(), 1u);
  EXPECT_EQ(Token(kB), "Bearer second-b");
  // `first` comes first: A is its own, B may be its own now.
  EXPECT_EQ(broker_.StoreChanged("first", std::nullopt), 2);
  EXPECT_EQ(broker_.cache().Size(), 0u);
  // A backend the router does not know (gone with a reload): its own only.
  EXPECT_EQ(Token(kA), "Bearer first-a");
  EXPECT_EQ(broker_.StoreChanged("gone", std::nullopt), 0);
  EXPECT_EQ(broker_.cache().Size(), 1u);
}

// A fetch under way read the old token; the store changes before it is
// cached: it is answered to its asker (who asked before the change) but
// never cached, for one registry or for any.
TEST_F(BrokerWatchTest, AChangeDuringAFetchInFlightKeepsItsTokenOutOfTheCache) {
  for (const std::optional<std::string>& what :
       {std::optional<std::string>(kA.index_url), std::optional<std::string>()}) {
    auto gated = std::make_shared<GatedBackend>();
    BackendSettings settings;
    settings.name = "gated";
    std::vector<Backend> backends;
    backends.push_back(Backend{settings, gated});
    broker_.SetRouter(CachePolicy{}, std::make_shared<Router>(std::move(backends), &stats_));
    broker_.cache().Flush();
    std::thread fetch([&] { EXPECT_EQ(Token(kA), "Bearer old"); });
    gated->entered_.WaitForNotification();
    broker_.StoreChanged("gated", what);
    gated->open_.Notify();
    fetch.join();
    EXPECT_EQ(broker_.cache().Size(), 0u) << what.value_or("*");
  }
}

TEST_F(BrokerWatchTest, AGetCatchesUpWithWhatWasSignalledBeforeIt) {
  broker_.WatchStores();
  EXPECT_EQ(first_->started(), 1);
  EXPECT_EQ(second_->started(), 1);
  EXPECT_EQ(Token(kA), "Bearer first-a");
  ASSERT_TRUE(broker_.Cached(kA, Action{}, {}).has_value());
  // Changed, and signalled, but not told yet: the cache must not answer.
  first_->SetToken(kA.index_url, "Bearer first-a2");
  first_->Tell(kA.index_url);
  EXPECT_FALSE(broker_.Cached(kA, Action{}, {}).has_value())
      << "a thread that must not wait leaves it to Perform";
  EXPECT_EQ(Token(kA), "Bearer first-a2");
  ASSERT_TRUE(broker_.Cached(kA, Action{}, {}).has_value());
  // Told by the watch's own thread first: the same.
  first_->SetToken(kA.index_url, "Bearer first-a3");
  first_->Tell(kA.index_url);
  first_->Deliver();
  EXPECT_FALSE(broker_.Cached(kA, Action{}, {}).has_value());
  EXPECT_EQ(Token(kA), "Bearer first-a3");
}

TEST_F(BrokerWatchTest, WatchesFollowTheRouterAndStopWithTheBroker) {
  second_->RefuseWatches(absl::UnavailableError("no D-Bus session"));
  broker_.WatchStores();
  broker_.WatchStores();  // The same router: nothing restarts.
  EXPECT_EQ(first_->started(), 1);
  EXPECT_EQ(first_->stopped(), 0);
  EXPECT_EQ(second_->started(), 0);
  // A reload: the new backends are watched, then the old watches stop.
  auto next = std::make_shared<WatchedFake>();
  BackendSettings settings;
  settings.name = "next";
  std::vector<Backend> backends;
  backends.push_back(Backend{settings, next});
  broker_.SetRouter(CachePolicy{}, std::make_shared<Router>(std::move(backends), &stats_));
  broker_.WatchStores();
  EXPECT_EQ(next->started(), 1);
  EXPECT_EQ(first_->stopped(), 1);
  {
    Broker other(&clock_, &stats_, CachePolicy{}, TwoBackends());
    other.WatchStores();
    EXPECT_EQ(first_->started(), 2);
  }
  EXPECT_EQ(first_->stopped(), 2);
  // Backends that run in the caller, or are personal, are not the daemon's
  // to watch.
  auto caller = std::make_shared<WatchedFake>();
  BackendSettings in_caller;
  in_caller.name = "in-caller";
  in_caller.run_in_caller = true;
  std::vector<Backend> more;
  more.push_back(Backend{in_caller, caller});
  broker_.SetRouter(CachePolicy{}, std::make_shared<Router>(std::move(more), &stats_));
  broker_.WatchStores();
  EXPECT_EQ(caller->started(), 0);
  EXPECT_EQ(next->stopped(), 1);
}

// The real token file, fixed by hand as an editor saves it: the very next
// get answers the new token (its write returned before the get began, and
// the get catches up first), with no waiting anywhere.
TEST(BrokerFileTest, ATokenFixedByHandIsTheNextGetsAnswer) {
  const std::string path = credcache_testing::MakeTempDir() + "/tokens.toml";
  auto file = std::make_shared<FileBackend>(path);
  BackendSettings settings;
  settings.name = "file";
  settings.kind = "file";
  std::vector<Backend> backends;
  backends.push_back(Backend{settings, file});
  FakeClock clock;
  Stats stats;
  Broker broker(&clock, &stats, CachePolicy{},
                std::make_shared<Router>(std::move(backends), &stats));
  broker.WatchStores();
  for (int i = 0; i < 100; ++i) {
    const std::string token = absl::StrCat("Bearer fixed-", i);
    credcache_testing::WriteFile(
        path + ".new", absl::StrCat("[tokens]\n\"", kA.index_url, "\" = \"", token, "\"\n\"",
                                    kB.index_url, "\" = \"Bearer b\"\n"));
    ASSERT_EQ(rename((path + ".new").c_str(), path.c_str()), 0);
    absl::StatusOr<CredentialResponse> got = broker.Perform(kA, Action{}, {});
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->token.Expose(), token);
    got = broker.Perform(kB, Action{}, {});
    ASSERT_TRUE(got.ok()) << got.status();
  }
  // B never changed: after its first fetch, it was always a hit.
  EXPECT_EQ(stats.Snapshot().hits, 99);
  // Removed by hand: gone from the cache too.
  ASSERT_EQ(unlink(path.c_str()), 0);
  EXPECT_FALSE(broker.Perform(kA, Action{}, {}).ok());
  EXPECT_FALSE(broker.Perform(kB, Action{}, {}).ok());
}

}  // namespace
}  // namespace credcache
