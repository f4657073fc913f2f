// Process hardening for programs that hold secrets in memory.
//
// Thread-safety: call once, early in main(), before starting threads.
#ifndef CREDCACHE_LIB_HARDENING_H_
#define CREDCACHE_LIB_HARDENING_H_

#include "absl/status/status.h"

namespace cargo_credential {

// Turns off core dumps (RLIMIT_CORE 0) and marks the process non-dumpable,
// which also keeps other processes of the same user from ptrace-attaching
// and reading /proc/<pid>/mem, as ssh-agent and gpg-agent do. Ignores
// SIGPIPE, so a reader that went away is an error to handle, not a death.
// Fails only if a setting could not be applied; the caller decides whether
// that is fatal.
absl::Status HardenProcess();

}  // namespace cargo_credential

#endif  // CREDCACHE_LIB_HARDENING_H_
