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

// Makes glibc's allocator overwrite every block when it is freed, so that
// copies of a secret made by libraries that do not wipe their own buffers
// (gRPC's send and receive buffers, protobuf, nlohmann/json) are gone once
// they are dropped, not left in freed memory until reused. glibc reads these
// settings only at start (its per-thread cache, which skips the overwrite,
// must be off): the first call re-executes the program, same pid, argv,
// descriptors and environment but GLIBC_TUNABLES, and does not return; in
// the re-executed program it puts GLIBC_TUNABLES back as it was (so programs
// it starts are not slowed by the setting) and returns. Call it first in main(),
// before threads. Fails (and the program goes on without it) only when the
// re-execution cannot be made.
absl::Status WipeFreedMemory(char** argv);

}  // namespace cargo_credential

#endif  // CREDCACHE_LIB_HARDENING_H_
