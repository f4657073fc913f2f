#include "lib/hardening.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace cargo_credential {

absl::Status HardenProcess() {
  signal(SIGPIPE, SIG_IGN);
  struct rlimit no_core = {0, 0};
  if (setrlimit(RLIMIT_CORE, &no_core) != 0) {
    return absl::InternalError(absl::StrCat("setrlimit(RLIMIT_CORE): ", strerror(errno)));
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return absl::InternalError(absl::StrCat("prctl(PR_SET_DUMPABLE): ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status WipeFreedMemory(char** argv) {
  // tcache_count=0: freed blocks go through the paths that perturb them.
  // perturb: freed blocks are filled with this byte (and fresh ones with its
  // complement), so nothing a block held survives its free().
  constexpr char kTunables[] = "glibc.malloc.tcache_count=0:glibc.malloc.perturb=165";
  // Set across the re-execution to what GLIBC_TUNABLES was before ("" for
  // unset): glibc has read the tunables by the time main() runs, so the
  // variable goes back to the user's, and programs this one starts do not
  // inherit the setting.
  constexpr char kBefore[] = "CREDCACHE_GLIBC_TUNABLES_BEFORE";
  if (const char* before = getenv(kBefore)) {
    if (before[0] == '\0') {
      unsetenv("GLIBC_TUNABLES");
    } else {
      setenv("GLIBC_TUNABLES", before, 1);
    }
    unsetenv(kBefore);
    return absl::OkStatus();
  }
  const char* current = getenv("GLIBC_TUNABLES");
  const std::string original = current != nullptr ? current : "";
  const std::string tunables =
      original.empty() ? kTunables : absl::StrCat(original, ":", kTunables);
  if (setenv(kBefore, original.c_str(), 1) != 0 ||
      setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) {
    return absl::InternalError(absl::StrCat("setenv: ", strerror(errno)));
  }
  execv("/proc/self/exe", argv);
  const int error = errno;
  // Not re-executed: as it was, so children do not inherit half of it.
  if (current != nullptr) {
    setenv("GLIBC_TUNABLES", original.c_str(), 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
  unsetenv(kBefore);
  return absl::InternalError(absl::StrCat("cannot re-execute /proc/self/exe: ", strerror(error)));
}

}  // namespace cargo_credential
