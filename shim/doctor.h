// doctor: checks the whole chain from cargo to the backends and says, for
// each problem it finds, what to do.
//
//   cargo-credential-credcache doctor [--socket PATH] [--cargo-home DIR] [--json]
//
// In order: which of cargo's config files (read as cargo reads them from
// the working directory, shim/cargo_config.h) send registries to credcache;
// which cargo-credential-credcache cargo would run, and whether it is this
// one; the daemon (started as cargo's next request would start it), its
// version against this shim's, its socket directory's and config's
// permissions and where it logs; each backend as the daemon finds it (the
// Check call: a program on PATH, a token file private, a keyring unlocked,
// never a token fetched); the registries cargo knows and the backends that
// would serve each; the systemd user units. Problems make the exit code 1;
// notes do not. With --json, stdout gets one object: "ok", and "checks",
// each {"area", "status": "ok"|"problem"|"note", "detail", "fix"}.
//
// Thread-safety: call from main() (it may start a daemon and run
// systemctl).
#ifndef CREDCACHE_SHIM_DOCTOR_H_
#define CREDCACHE_SHIM_DOCTOR_H_

#include <string>

#include "shim/connect.h"

namespace credcache {

struct DoctorOptions {
  ConnectOptions connect;  // The daemon; started when none runs, unless told not to.
  std::string cargo_home;  // Empty: $CARGO_HOME, else ~/.cargo.
  bool json = false;
};

// Returns the exit code: 0 when no problem was found, else 1.
int RunDoctor(const DoctorOptions& options);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_DOCTOR_H_
