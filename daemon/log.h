// Log: one timestamped line per event on stderr, which is the terminal with
// --foreground and the daemon's log file otherwise.
//
// Callers pass messages that hold no secret: registry URLs, backend names,
// error messages (which by the project's rule never quote a token).
//
// A message is always one line: control characters in it (a client's
// registry name or URL may hold a line break or a terminal escape) are
// written as \xNN, and one longer than 2,000 bytes is cut.
//
// Thread-safety: Log() may be called from any thread; lines never interleave.
#ifndef CREDCACHE_DAEMON_LOG_H_
#define CREDCACHE_DAEMON_LOG_H_

#include "absl/strings/string_view.h"

namespace credcache {

void Log(absl::string_view message);

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_LOG_H_
