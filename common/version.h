// The version credcached and its shim report (`--version`, `status`) and
// compare on every Perform (common/wire.h): a daemon of another build is
// replaced when the shim started it, and reported otherwise.
#ifndef CREDCACHE_COMMON_VERSION_H_
#define CREDCACHE_COMMON_VERSION_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "proto/wire_digest.h"

namespace credcache {

// The release.
inline constexpr char kVersion[] = "0.1.0";

// The release and the digest of the messages it speaks, e.g.
// "0.1.0 (wire 1a2b3c4d5e6f)": what shim and daemon must share.
inline std::string BuildVersion() { return absl::StrCat(kVersion, " (wire ", kWireDigest, ")"); }

}  // namespace credcache

#endif  // CREDCACHE_COMMON_VERSION_H_
