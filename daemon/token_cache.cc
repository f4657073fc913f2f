#include "daemon/token_cache.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace credcache {

using cargo_credential::CacheKind;
using cargo_credential::CredentialResponse;
using cargo_credential::Operation;
using cargo_credential::OperationKind;

TokenCache::TokenCache(const Clock* clock) : clock_(clock) {}

std::optional<CredentialResponse> TokenCache::Lookup(const std::string& index_url,
                                                     const std::vector<std::string>& args,
                                                     const Operation& operation, int64_t owner,
                                                     std::string* backend) {
  absl::MutexLock lock(&mutex_);
  const absl::Time now = clock_->Now();
  for (const CacheKey& key : {CacheKey::AnyOperation(index_url, args, owner),
                              CacheKey::For(index_url, args, operation, owner)}) {
    auto it = entries_.find(key);
    if (it == entries_.end()) continue;
    if (it->second.expires_at <= now) {
      entries_.erase(it);  // The Secret wipes itself.
      continue;
    }
    ++it->second.hits;
    if (backend != nullptr) *backend = it->second.backend;
    return it->second.response.Clone();
  }
  return std::nullopt;
}

uint64_t TokenCache::Generation(const std::string& index_url,
                                const std::optional<std::string>& name) const {
  absl::MutexLock lock(&mutex_);
  return GenerationLocked(index_url, name);
}

uint64_t TokenCache::GenerationLocked(const std::string& index_url,
                                      const std::optional<std::string>& name) const {
  // Every part only grows, so any bump changes the sum.
  uint64_t generation = epoch_;
  for (const std::string* key : {&index_url, name.has_value() ? &*name : nullptr}) {
    if (key == nullptr) continue;
    auto it = generations_.find(*key);
    if (it != generations_.end()) generation += it->second;
  }
  return generation;
}

bool TokenCache::Insert(const std::string& index_url, const std::optional<std::string>& name,
                        const std::vector<std::string>& args, const Operation& operation,
                        const CredentialResponse& response, const std::string& backend,
                        const CachePolicy& policy, uint64_t generation, const EntryOwner& owner) {
  if (response.kind != cargo_credential::ResponseKind::kGet) return false;
  // An operation this daemon does not know carries no parts it can key on
  // (a newer cargo's): a token for it alone is never cached.
  if (!response.operation_independent && operation.kind == OperationKind::kUnknown) return false;
  absl::MutexLock lock(&mutex_);
  if (GenerationLocked(index_url, name) != generation) return false;

  const absl::Time now = clock_->Now();
  if (now - last_sweep_ > absl::Minutes(1)) {
    DropExpiredLocked(now);
    last_sweep_ = now;
  }
  absl::Time expires_at;
  switch (response.cache.kind) {
    case CacheKind::kSession:
      expires_at = now + std::min(policy.ttl, policy.max_ttl);
      break;
    case CacheKind::kExpires:
      expires_at = std::min(absl::FromUnixSeconds(response.cache.expiration) - policy.expiry_margin,
                            now + std::min(policy.ttl, policy.max_ttl));
      break;
    case CacheKind::kNever:
    case CacheKind::kUnknown:
      return false;
  }
  if (expires_at <= now) return false;
  const CacheKey key = response.operation_independent
                           ? CacheKey::AnyOperation(index_url, args, owner.uid)
                           : CacheKey::For(index_url, args, operation, owner.uid);
  if (owner.cap > 0 && entries_.count(key) == 0) {
    int charged = 0;
    for (const auto& [each_key, each] : entries_) {
      if (each.charged == owner.charged && each.expires_at > now) ++charged;
    }
    // Served all the same, uncached: one user's many registries never
    // evict another's tokens.
    if (charged >= owner.cap) return false;
  }
  Entry& entry = entries_[key];
  entry.charged = owner.charged;
  entry.response = response.Clone();
  entry.name = name;
  entry.backend = backend;
  entry.expires_at = expires_at;
  entry.hits = 0;
  return true;
}

int TokenCache::Forget(const std::string& registry, std::optional<int64_t> owner) {
  absl::MutexLock lock(&mutex_);
  int removed = 0;
  ++generations_[registry];  // An index URL or a name: Generation() sums both.
  for (auto it = entries_.begin(); it != entries_.end();) {
    if ((it->first.index_url == registry || it->second.name == registry) &&
        (!owner.has_value() || it->first.owner == *owner)) {
      if (it->first.index_url != registry) ++generations_[it->first.index_url];
      it = entries_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

int TokenCache::ForgetBackend(const std::string& backend) {
  absl::MutexLock lock(&mutex_);
  // A fetch from this backend still under way (a miss has no entry yet)
  // must not land after the backend changed: every in-flight insert is void.
  ++epoch_;
  int removed = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.backend == backend) {
      ++generations_[it->first.index_url];
      it = entries_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

int TokenCache::ForgetStale(const std::optional<std::string>& index_url, const StaleEntry& stale) {
  absl::MutexLock lock(&mutex_);
  if (index_url.has_value()) {
    ++generations_[*index_url];
  } else {
    ++epoch_;
  }
  int removed = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if ((!index_url.has_value() || it->first.index_url == *index_url) &&
        stale(it->first.index_url, it->second.name, it->second.backend)) {
      ++generations_[it->first.index_url];
      it = entries_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

int TokenCache::Flush() {
  absl::MutexLock lock(&mutex_);
  const int removed = static_cast<int>(entries_.size());
  entries_.clear();
  ++epoch_;
  return removed;
}

void TokenCache::DropExpiredLocked(absl::Time now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.expires_at <= now ? entries_.erase(it) : std::next(it);
  }
}

std::vector<CacheEntryInfo> TokenCache::List() const {
  absl::MutexLock lock(&mutex_);
  const absl::Time now = clock_->Now();
  std::vector<CacheEntryInfo> out;
  for (const auto& [key, entry] : entries_) {
    if (entry.expires_at <= now) continue;
    out.push_back({key.owner, key.index_url, entry.name.value_or(""), entry.backend, key.args,
                   key.operation, entry.response.cache.kind, entry.expires_at - now, entry.hits});
  }
  return out;
}

size_t TokenCache::Size() const { return List().size(); }

}  // namespace credcache
