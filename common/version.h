// The version credcached and its shim report; they must match to talk.
#ifndef CREDCACHE_COMMON_VERSION_H_
#define CREDCACHE_COMMON_VERSION_H_

namespace credcache {

inline constexpr char kVersion[] = "0.1.0";

}  // namespace credcache

#endif  // CREDCACHE_COMMON_VERSION_H_
