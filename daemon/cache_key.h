// CacheKey: what one cached token answers, and so what requests that may
// share one backend call have in common. The one place that decides it:
// TokenCache files tokens under it, Broker coalesces requests by it.
//
// A token answers one registry (its index URL: the name is only cargo's
// hint), asked with one list of provider arguments (cargo's config may run
// the provider as `cargo-credential-credcache --profile a`, and another
// profile is another token), and either one operation or, when the backend
// said the token is operation-independent, any operation of that registry.
//
// In a team daemon a token may also belong to one user: a personal
// backend's answer is keyed by its owner's uid, and never answers another.
//
// Thread-safety: a value type.
#ifndef CREDCACHE_DAEMON_CACHE_KEY_H_
#define CREDCACHE_DAEMON_CACHE_KEY_H_

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "cargo_credential/protocol.h"

namespace credcache {

// The owner of a token any admitted caller may be given.
inline constexpr int64_t kSharedOwner = -1;

struct CacheKey {
  std::string index_url;
  std::vector<std::string> args;  // The request's, in order.
  // "" for any operation; else the operation and its parts, e.g.
  // "publish foo 0.1.0 <cksum>".
  std::string operation;
  // The uid whose token it is, or kSharedOwner.
  int64_t owner = kSharedOwner;

  // The key of a token for exactly `operation`.
  static CacheKey For(const std::string& index_url, const std::vector<std::string>& args,
                      const cargo_credential::Operation& operation, int64_t owner = kSharedOwner);
  // The key of an operation-independent token.
  static CacheKey AnyOperation(const std::string& index_url, const std::vector<std::string>& args,
                               int64_t owner = kSharedOwner);

  bool any_operation() const { return operation.empty(); }

  friend bool operator<(const CacheKey& a, const CacheKey& b) {
    return std::tie(a.index_url, a.args, a.operation, a.owner) <
           std::tie(b.index_url, b.args, b.operation, b.owner);
  }
  friend bool operator==(const CacheKey& a, const CacheKey& b) {
    return a.index_url == b.index_url && a.args == b.args && a.operation == b.operation &&
           a.owner == b.owner;
  }
};

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_CACHE_KEY_H_
