// The version credcached and its shim report (`--version`, `status`, which
// warns when the running daemon's differs from the shim's).
#ifndef CREDCACHE_COMMON_VERSION_H_
#define CREDCACHE_COMMON_VERSION_H_

namespace credcache {

inline constexpr char kVersion[] = "0.1.0";

}  // namespace credcache

#endif  // CREDCACHE_COMMON_VERSION_H_
