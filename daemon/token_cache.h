// TokenCache: tokens in memory, each until the earlier of what its backend
// allows and what the configuration allows.
//
// Entries are keyed by index URL (the registry name is only a hint, kept for
// `list` and `forget`) plus, for a token that is not operation-independent,
// the operation it was issued for: a publish token for foo 0.1.0 is never
// handed out for a yank. An operation-independent entry serves every
// operation of its registry.
//
// Login and logout change what a backend holds while a get may be in flight;
// Forget() bumps the registry's generation, and Insert() with a generation
// taken before the backend call is dropped if the generation moved, so a
// token fetched before a logout is never cached after it.
//
// In a team daemon each entry has an owner (CacheKey::owner: a uid, or
// shared) and is charged to the uid whose request added it: one user may
// add at most a set number of entries (EntryOwner::cap), so that nobody can
// fill the daemon and push everyone else's tokens out.
//
// Tokens are Secrets: Lookup returns a clone, and entries are wiped when
// they expire or are removed.
//
// Thread-safety: all methods are thread-safe.
#ifndef CREDCACHE_DAEMON_TOKEN_CACHE_H_
#define CREDCACHE_DAEMON_TOKEN_CACHE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cargo_credential/protocol.h"
#include "daemon/cache_key.h"
#include "daemon/clock.h"

namespace credcache {

// How long entries may live, from the configuration.
struct CachePolicy {
  absl::Duration ttl = absl::Minutes(30);    // For `session` tokens.
  absl::Duration max_ttl = absl::Hours(12);  // For any token.
  // An `expires` token leaves the cache this long before its expiration, so
  // cargo is never handed one that dies mid-command (cargo itself reuses a
  // token only while more than 60 s remain).
  absl::Duration expiry_margin = absl::Seconds(60);
};

// Whose an entry is, and who pays for it.
struct EntryOwner {
  int64_t uid = kSharedOwner;      // Whose token it is (CacheKey::owner).
  int64_t charged = kSharedOwner;  // The uid whose request added it.
  int cap = 0;                     // Most live entries `charged` may add; 0: no cap.
};

// What `list` shows of an entry: everything but the token.
struct CacheEntryInfo {
  int64_t owner = kSharedOwner;
  std::string index_url;
  std::string name;
  std::string backend;
  std::vector<std::string> args;  // The provider arguments it was asked with.
  std::string operation;          // Empty for operation-independent tokens.
  cargo_credential::CacheKind cache;
  absl::Duration left;
  int64_t hits;
};

class TokenCache {
 public:
  // `clock` must outlive the cache.
  explicit TokenCache(const Clock* clock);

  // A live token for `operation` on `index_url` asked with `args`, counting
  // a hit, or nullopt.
  // Only `owner`'s own entries and shared ones answer; `backend`, when
  // given, is set to the backend the answer came from.
  std::optional<cargo_credential::CredentialResponse> Lookup(
      const std::string& index_url, const std::vector<std::string>& args,
      const cargo_credential::Operation& operation, int64_t owner = kSharedOwner,
      std::string* backend = nullptr);

  // The registry's current generation; pass it to Insert. It moves when
  // the registry is forgotten by its index URL or by its name, so a forget
  // voids a fetch under way however the registry was named.
  uint64_t Generation(const std::string& index_url, const std::optional<std::string>& name) const;

  // Caches `response` (a get answer) from `backend` for `operation` asked
  // with `args`, under
  // `policy` (the backend's ttl already folded in). Does nothing when the
  // answer must not be cached (never, unknown, or already too close to its
  // expiration), when `generation` is stale, or when `owner.charged` has
  // added `owner.cap` live entries already. Returns whether it cached.
  bool Insert(const std::string& index_url, const std::optional<std::string>& name,
              const std::vector<std::string>& args, const cargo_credential::Operation& operation,
              const cargo_credential::CredentialResponse& response, const std::string& backend,
              const CachePolicy& policy, uint64_t generation, const EntryOwner& owner = {});

  // Removes every entry of the registry whose index URL or name hint is
  // `registry`, and bumps the generation of each such index URL (and of
  // `registry` itself, when it is a URL). Returns how many were removed.
  // With `owner`, only the entries that are that owner's (a team daemon's
  // user logging in or out of a personal store leaves the team's alone).
  int Forget(const std::string& registry, std::optional<int64_t> owner = std::nullopt);

  // Removes every entry that came from `backend`, and voids every insert in
  // flight (whichever backend it is from). Returns how many were removed.
  int ForgetBackend(const std::string& backend);

  // For a change in a backend's store (Broker::StoreChanged): removes the
  // entries of the registry `index_url` (with nullopt, of any registry)
  // that `stale` says the change made stale, given each one's index URL,
  // name hint and backend; and voids the inserts in flight of `index_url`
  // (with nullopt, every one), since the token a fetch under way read may
  // be the old one. Returns how many were removed. `stale` runs under the
  // cache's lock: it must not call the cache.
  using StaleEntry =
      std::function<bool(const std::string& index_url, const std::optional<std::string>& name,
                         const std::string& backend)>;
  int ForgetStale(const std::optional<std::string>& index_url, const StaleEntry& stale);

  // Removes every entry and bumps every generation. Returns the count.
  int Flush();

  // Live entries, by index URL.
  std::vector<CacheEntryInfo> List() const;
  size_t Size() const;

 private:
  struct Entry {
    cargo_credential::CredentialResponse response;
    std::optional<std::string> name;
    std::string backend;
    int64_t charged = kSharedOwner;
    absl::Time expires_at;
    int64_t hits = 0;
  };

  void DropExpiredLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  uint64_t GenerationLocked(const std::string& index_url,
                            const std::optional<std::string>& name) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const Clock* const clock_;
  mutable absl::Mutex mutex_;
  std::map<CacheKey, Entry> entries_ ABSL_GUARDED_BY(mutex_);
  // Bumped by Forget(), by index URL and by name alike.
  std::map<std::string, uint64_t> generations_ ABSL_GUARDED_BY(mutex_);
  // Bumped by Flush, so that every in-flight insert is stale.
  uint64_t epoch_ ABSL_GUARDED_BY(mutex_) = 0;
  // Expired entries are dropped when looked up, and all of them at most once
  // a minute on insert, so a daemon serving many registries stays small.
  absl::Time last_sweep_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
};

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_TOKEN_CACHE_H_
