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
    return absl::InternalError(
        absl::StrCat("setrlimit(RLIMIT_CORE): ", strerror(errno)));
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return absl::InternalError(
        absl::StrCat("prctl(PR_SET_DUMPABLE): ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status WipeFreedMemory(char** argv) {
  // tcache_count=0: freed blocks go through the paths that perturb them.
  // perturb: freed blocks are filled with this byte (and fresh ones with its
  // complement), so nothing a block held survives its free().
  constexpr char kTunables[] = "glibc.malloc.tcache_count=0:glibc.malloc.perturb=165";
  const char* current = getenv("GLIBC_TUNABLES");
  if (current != nullptr && strstr(current, kTunables) != nullptr) return absl::OkStatus();
  const std::string tunables =
      current != nullptr && current[0] != '\0' ? absl::StrCat(current, ":", kTunables) : kTunables;
  if (setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) {
    return absl::InternalError(absl::StrCat("setenv: ", strerror(errno)));
  }
  execv("/proc/self/exe", argv);
  const int error = errno;
  // Not re-executed: undo, so children do not inherit a half-applied setting.
  if (current != nullptr) {
    setenv("GLIBC_TUNABLES", current, 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
  return absl::InternalError(absl::StrCat("cannot re-execute /proc/self/exe: ", strerror(error)));
}

}  // namespace cargo_credential
