// Stats: the daemon's counters, for `cargo-credential-credcache stats`.
//
// Counts and durations only: nothing here ever holds a token or a registry's
// request details beyond the backend's name.
//
// Thread-safety: all methods are thread-safe.
#ifndef CREDCACHE_DAEMON_STATS_H_
#define CREDCACHE_DAEMON_STATS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace credcache {

struct BackendCounters {
  int64_t calls = 0;
  int64_t errors = 0;  // Answers other than OK, not-found, url-not-supported.
  int64_t timeouts = 0;
  absl::Duration total = absl::ZeroDuration();
  absl::Duration max = absl::ZeroDuration();
};

struct StatsSnapshot {
  int64_t requests = 0;
  int64_t hits = 0;
  int64_t misses = 0;
  int64_t coalesced = 0;
  int64_t errors = 0;
  std::map<std::string, BackendCounters> backends;
  // When the counting began: the daemon's start, or the last reset.
  absl::Time since = absl::Now();
};

class Stats {
 public:
  void Request() { Add(&StatsSnapshot::requests); }
  void Hit() { Add(&StatsSnapshot::hits); }
  void Miss() { Add(&StatsSnapshot::misses); }
  void Coalesced() { Add(&StatsSnapshot::coalesced); }
  void Error() { Add(&StatsSnapshot::errors); }

  enum class Outcome { kAnswered, kFailed, kTimedOut };
  void BackendCall(const std::string& backend, absl::Duration took, Outcome outcome);

  StatsSnapshot Snapshot() const;
  // The counts so far, each then started again from zero, in one step:
  // nothing counted in between is lost or counted twice (`stats --reset`).
  StatsSnapshot SnapshotAndReset();

 private:
  void Add(int64_t StatsSnapshot::*counter);

  mutable absl::Mutex mutex_;
  StatsSnapshot counters_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_STATS_H_
