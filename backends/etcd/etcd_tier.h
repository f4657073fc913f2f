// EtcdTier: the shared cache tier that spans machines. Each machine's
// credcached keeps its own in-memory cache (daemon/token_cache.h) in front;
// behind it, for shared backends, this tier keeps one sealed copy of each
// token in etcd, so that a fleet fetches a token from its backend once.
//
// Under the team's key prefix P (EtcdTierSettings::prefix), per index URL
// (U: a digest of it) and provider arguments (A: a digest of them):
//   P token/U/A   the sealed token (sealed_value.h), with a lease of its TTL
//   P claim/U/A   who is fetching it now, with this daemon's session lease
//   P gen/U       bumped by every logout, login and forget of the registry
// A value is served only when it opens with a team key, is bound to its
// etcd key and index URL, has not expired by its own sealed expiry (etcd
// extends leases on a leader change, so the lease alone is not trusted),
// and carries the registry's current generation (so an old value put back
// by hand is refused). Anything else is deleted, counted, and fetched anew.
//
// A miss claims the fetch in one transaction (no value and no claim: claim
// it); the winner asks the backend and writes the sealed value if the
// generation did not move meanwhile; the others wait on the watch for the
// value, up to a deadline, then fetch for themselves. A claimer that dies
// loses its claim with its session lease, and a waiter claims in its place.
//
// Every daemon watches P: a token deleted (logout, expiry) or a generation
// bumped evicts that registry's copies from its memory (SetEvictor). A
// watch cancelled by compaction, or a cluster that was unreachable, drops
// every copy the tier served, reads the revision again and watches on.
//
// etcd down is not cargo down: a call that fails or outlasts the deadline
// marks the tier down; until a probe reaches the cluster again, gets go
// straight to the backend (as on a single machine), and the invalidations
// of logouts made meanwhile are kept and sent on rejoining.
//
// Ownership: the tier owns its client, keys and two threads (watch and
// upkeep), stopped by the destructor. Thread-safety: all methods are
// thread-safe.
#ifndef CREDCACHE_BACKENDS_ETCD_ETCD_TIER_H_
#define CREDCACHE_BACKENDS_ETCD_ETCD_TIER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backends/backend.h"
#include "backends/etcd/etcd_client.h"
#include "backends/etcd/etcd_settings.h"
#include "backends/etcd/team_key.h"
#include "cargo_credential/credential.h"

namespace credcache {

// What `status` shows.
struct EtcdTierStatus {
  std::vector<std::string> endpoints;
  std::string prefix;
  bool up = false;
  uint64_t leader = 0;         // The leader's member id, when known.
  int64_t watch_revision = 0;  // The last revision the watch has seen.
  std::string last_error;      // Empty when none yet.
  absl::Time last_error_at = absl::InfinitePast();
};

// What `stats` shows.
struct EtcdTierStats {
  int64_t hits = 0;           // Gets answered from etcd.
  int64_t claims = 0;         // Fetches this daemon claimed.
  int64_t waits = 0;          // Gets that waited on another's claim.
  int64_t evictions = 0;      // Registries evicted from memory by the watch.
  int64_t open_failures = 0;  // Values refused: tampered, foreign, stale, expired.
  int64_t local = 0;          // Gets served without the tier (it was down).
};

class EtcdTier {
 public:
  // Told to drop this daemon's in-memory copies of the registry with this
  // index URL: the tier is a store whose tokens others change, and tells
  // as every such store does (backends/backend.h), always naming one.
  using Evictor = StoreChanged;
  // Told what the log should say (never a token), and how much it matters:
  // progress (joined), or trouble the tier works around (unreachable, a
  // value refused, a watch behind).
  enum class NoticeLevel { kProgress, kTrouble };
  using Notice = std::function<void(NoticeLevel level, const std::string& message)>;
  // A get of the backend behind the tier.
  using Fetch = std::function<absl::StatusOr<cargo_credential::CredentialResponse>()>;

  // Loads the team key, makes the client and starts the threads, waiting
  // (at most two deadlines) until the first attempt to join the cluster
  // succeeded or failed; until it joins, the tier counts as down.
  // InvalidArgument or FailedPrecondition naming the file for a bad key
  // file or TLS file.
  static absl::StatusOr<std::shared_ptr<EtcdTier>> Start(EtcdTierSettings settings, Notice notice);
  ~EtcdTier();

  // Reads the files `settings` names (team key, TLS files, password) as
  // Start() would, without reaching the cluster: for `--check-config`.
  // Errors name the config line of the setting.
  static absl::Status CheckFiles(const EtcdTierSettings& settings);

  void SetEvictor(Evictor evictor);
  // Told of each value refused (the registry, and why), for an audit trail;
  // the log hears of it either way.
  using Refusal = std::function<void(const std::string& index_url, const std::string& why)>;
  void SetRefusalAudit(Refusal refusal);

  // A read token for `index_url` asked with `args`: from etcd when a valid
  // value is there, else fetched once for the fleet through `fetch` (its
  // answer is returned as it is, errors included). `session_ttl` is how long
  // a `session` answer is shared; an `expires` one is shared until
  // `expiry_margin` before its expiration. Waits on another daemon's fetch
  // until `wait_until`, then fetches itself.
  absl::StatusOr<cargo_credential::CredentialResponse> Get(const std::string& index_url,
                                                           const std::vector<std::string>& args,
                                                           absl::Duration session_ttl,
                                                           absl::Duration expiry_margin,
                                                           absl::Time wait_until,
                                                           const Fetch& fetch);

  // Deletes every shared value of the registry and bumps its generation, so
  // that every daemon evicts it. While the cluster is down the
  // invalidation waits and is sent on rejoining; returns whether it was
  // sent now.
  bool Invalidate(const std::string& index_url);
  // Invalidate() for every registry the tier has seen (a backend's store
  // changed, and it cannot say which token). Returns whether all were sent.
  bool InvalidateAll();

  EtcdTierStatus Status() const;
  EtcdTierStats Stats() const;
  // The counts so far, each then started again from zero (`stats --reset`).
  EtcdTierStats StatsAndReset();
  const EtcdTierSettings& settings() const { return settings_; }
  bool up() const { return up_.load(); }

  // The etcd keys of a registry and arguments (for tests and tools).
  std::string TokenKey(const std::string& index_url, const std::vector<std::string>& args) const;
  std::string GenerationKey(const std::string& index_url) const;

 private:
  EtcdTier(EtcdTierSettings settings, TeamKeys keys, std::unique_ptr<EtcdClient> client,
           Notice notice);

  // The team key file, its errors naming the setting's line.
  static absl::StatusOr<TeamKeys> LoadKeys(const EtcdTierSettings& settings);
  std::string UrlDigest(const std::string& index_url) const;
  std::string ClaimKey(const std::string& index_url, const std::vector<std::string>& args) const;
  // Marks the tier down after a failed call, saying why once.
  void MarkDown(const absl::Status& why);
  // This daemon's session lease for claims, granted on first use.
  absl::StatusOr<int64_t> SessionLease();
  // A lease for a value that lives `ttl`: one granted now, or one granted
  // for the same TTL very recently.
  absl::StatusOr<int64_t> ValueLease(absl::Duration ttl);
  // Seals and writes `answer` if it may be shared and `generation` (the
  // generation key's mod revision) still holds; drops the claim either way.
  void Publish(const std::string& index_url, const std::vector<std::string>& args,
               const cargo_credential::CredentialResponse& answer, int64_t generation,
               absl::Duration session_ttl, absl::Duration expiry_margin);
  // Why a value in etcd was not served.
  enum class Refused {
    kNo,
    kStale,       // Expired, or of a generation that is gone: delete it.
    kUnreadable,  // Does not open: maybe another's under a key this one lacks.
  };
  // Opens `value`; counts and says why when it may not be served.
  std::optional<cargo_credential::CredentialResponse> Serve(
      const std::string& key, const std::string& index_url, const std::string& value,
      int64_t generation, absl::Duration expiry_margin, Refused* why);
  // The registry's generation (the mod revision of its generation key),
  // writing the key when etcd has none.
  absl::StatusOr<int64_t> EnsureGeneration(const std::string& gen_key);
  // Notes `index_url` for evictions by digest (bounded).
  void Remember(const std::string& index_url);
  // A claim this daemon could not drop: dropped on rejoining.
  void Unclaim(const std::string& claim_key);
  // The watch thread: watch P, evict on events, resync after compaction.
  // It waits on the stream; the responses come on gRPC's threads.
  void WatchLoop();
  // One response of the watch that started at revision `from`; false ends
  // it.
  bool OnWatchResponse(const etcdserverpb::WatchResponse& response, int64_t from);
  // Handles one watch response; false when the watch must be started anew.
  bool OnWatch(const etcdserverpb::WatchResponse& response);
  // The upkeep thread: keeps the session lease, learns the leader, and
  // probes the cluster while it is down.
  void UpkeepLoop();
  // Reads the revision, evicts every copy the tier served, and sends the
  // invalidations that waited; the revision to watch from, or why not.
  absl::StatusOr<int64_t> Resync();
  // Sends one invalidation.
  absl::Status SendInvalidation(const std::string& index_url);
  // Evicts the registry, or (nullopt) every registry the tier served.
  void Evict(const std::optional<std::string>& index_url);

  const EtcdTierSettings settings_;
  const TeamKeys keys_;
  const std::unique_ptr<EtcdClient> client_;
  const Notice notice_;
  const std::string writer_;  // "host:pid", sealed with each value.

  std::atomic<bool> up_{false};
  std::atomic<bool> stopping_{false};
  // Set when the current watch was cancelled by a compaction.
  std::atomic<bool> compacted_{false};
  // Set when etcd confirmed the current watch.
  std::atomic<bool> created_{false};

  mutable absl::Mutex mutex_;
  Evictor evictor_ ABSL_GUARDED_BY(mutex_);
  Refusal refusal_ ABSL_GUARDED_BY(mutex_);
  // The index URLs the tier has seen, by digest: a watch event names a
  // digest, the memory cache an index URL.
  std::map<std::string, std::string> urls_ ABSL_GUARDED_BY(mutex_);
  std::set<std::string> pending_invalidations_ ABSL_GUARDED_BY(mutex_);
  std::set<std::string> pending_unclaims_ ABSL_GUARDED_BY(mutex_);
  int64_t session_lease_ ABSL_GUARDED_BY(mutex_) = 0;
  // Recent value leases by TTL in seconds: id and when granted.
  std::map<int64_t, std::pair<int64_t, absl::Time>> value_leases_ ABSL_GUARDED_BY(mutex_);
  EtcdTierStatus status_ ABSL_GUARDED_BY(mutex_);
  EtcdTierStats stats_ ABSL_GUARDED_BY(mutex_);
  // Moves on every token put and claim delete the watch sees: waiters on a
  // claim look again.
  uint64_t events_ ABSL_GUARDED_BY(mutex_) = 0;
  // The watch being read, for MarkDown and the destructor to cancel; owned
  // by the watch thread.
  EtcdWatch* watch_ ABSL_GUARDED_BY(mutex_) = nullptr;

  absl::Mutex stop_mutex_;
  bool stop_ ABSL_GUARDED_BY(stop_mutex_) = false;
  // Set when the watch thread first joined the cluster or failed to.
  bool first_try_done_ ABSL_GUARDED_BY(stop_mutex_) = false;
  std::thread watch_thread_;
  std::thread upkeep_thread_;
};

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_ETCD_ETCD_TIER_H_
