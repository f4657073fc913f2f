#include "daemon/checkup.h"

#include <dirent.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "daemon/fake_backend.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credcache {
namespace {

using ::testing::HasSubstr;

Backend Store(const std::string& name, std::shared_ptr<FakeBackend> fake, absl::Duration timeout) {
  BackendSettings settings;
  settings.name = name;
  settings.kind = "memory";
  settings.timeout = timeout;
  return Backend{settings, std::move(fake)};
}

int Threads() {
  int count = 0;
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return -1;
  while (readdir(tasks) != nullptr) ++count;
  closedir(tasks);
  return count - 2;  // "." and ".."
}

// A working store says it has no token for the probe's registry.
TEST(CheckupTest, AStoreThatAnswersIsOk) {
  Stats stats;
  std::vector<Backend> backends;
  backends.push_back(Store("mem", std::make_shared<FakeBackend>(), absl::Seconds(1)));
  Router router(std::move(backends), &stats);
  const std::vector<BackendFinding> findings = CheckBackends(router);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_TRUE(findings[0].ok) << findings[0].detail;
}

// Attack on the Check call: a store that hangs. Each check left one more
// thread behind, however many were hung already, so doctor in a loop grew
// the daemon's threads without bound; and stores were asked one after the
// other, so a few hung ones took longer than doctor waits for the answer.
TEST(CheckupTest, HungStoresAreAskedTogetherAndPileUpNoThreads) {
  Stats stats;
  std::vector<std::shared_ptr<FakeBackend>> fakes;
  std::vector<Backend> backends;
  for (const char* name : {"a", "b", "c"}) {
    fakes.push_back(std::make_shared<FakeBackend>());
    fakes.back()->SetDelay(absl::Seconds(30));
    backends.push_back(Store(name, fakes.back(), absl::Milliseconds(200)));
  }
  Router router(std::move(backends), &stats);
  const int threads_before = Threads();
  for (int round = 0; round < kMaxHungCalls + 3; ++round) {
    const absl::Time start = absl::Now();
    const std::vector<BackendFinding> findings = CheckBackends(router);
    EXPECT_LT(absl::Now() - start, absl::Seconds(1)) << "bounded by one wait, not three";
    ASSERT_EQ(findings.size(), 3u);
    for (const BackendFinding& finding : findings) {
      EXPECT_FALSE(finding.ok);
      EXPECT_THAT(finding.detail, round < kMaxHungCalls ? HasSubstr("did not answer in 200ms")
                                                        : HasSubstr("still hung"));
    }
  }
  for (const auto& fake : fakes) EXPECT_EQ(fake->calls(), kMaxHungCalls);
  EXPECT_LE(Threads(), threads_before + 3 * kMaxHungCalls);
}

}  // namespace
}  // namespace credcache
