#include "lib/hardening.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

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

}  // namespace cargo_credential
