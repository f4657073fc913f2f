// ParseIdleExit: how long a daemon waits idle before it exits, as both
// programs take it (the shim's CREDCACHE_IDLE_EXIT, credcached's
// --idle-exit), so that one value means the same to both.
//
// Thread-safety: a pure function.
#ifndef CREDCACHE_COMMON_DURATION_H_
#define CREDCACHE_COMMON_DURATION_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace credcache {

// A duration as the config's are written ("90s", "15m", "1h30m") or a bare
// number of seconds ("900"); zero ("0", "0s") is never. At least a second
// and at most 30 days.
// Anything else, a negative or infinite one included, is InvalidArgument
// saying what is taken: a typo must not be taken for "never", or for the
// default.
absl::StatusOr<absl::Duration> ParseIdleExit(absl::string_view text);

}  // namespace credcache

#endif  // CREDCACHE_COMMON_DURATION_H_
