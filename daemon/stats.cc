#include "daemon/stats.h"

#include <algorithm>

namespace credcache {

void Stats::Add(int64_t StatsSnapshot::*counter) {
  absl::MutexLock lock(&mutex_);
  ++(counters_.*counter);
}

void Stats::BackendCall(const std::string& backend, absl::Duration took, Outcome outcome) {
  absl::MutexLock lock(&mutex_);
  BackendCounters& counters = counters_.backends[backend];
  ++counters.calls;
  if (outcome != Outcome::kAnswered) ++counters.errors;
  if (outcome == Outcome::kTimedOut) ++counters.timeouts;
  counters.total += took;
  counters.max = std::max(counters.max, took);
}

StatsSnapshot Stats::Snapshot() const {
  absl::MutexLock lock(&mutex_);
  return counters_;
}

StatsSnapshot Stats::SnapshotAndReset() {
  absl::MutexLock lock(&mutex_);
  StatsSnapshot taken = std::move(counters_);
  counters_ = StatsSnapshot();
  return taken;
}

}  // namespace credcache
