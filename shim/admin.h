// The admin command line: cargo-credential-credcache without --cargo-plugin.
//
//   status | list | forget REGISTRY | flush | stats | reload | stop | audit
//   install-service | uninstall-service | import | version
//
// One table (admin.cc, on command_line.h) names each command, its
// arguments, options, help and handler; a command takes only its own
// options. The daemon commands talk to the running daemon (never starting
// one) and print for people, or with --json exactly one JSON object on
// stdout for scripts, whether they succeed or fail ({"ok": false, "error",
// "hint"} and the exit code); what is for people then goes to stderr.
// Nothing printed ever holds a token: the daemon's admin answers carry none.
//
// Thread-safety: call from main().
#ifndef CREDCACHE_SHIM_ADMIN_H_
#define CREDCACHE_SHIM_ADMIN_H_

#include <string>

#include "absl/status/statusor.h"
#include "shim/connect.h"

namespace credcache {

// Runs the admin command in argv[1..]; returns the exit code: 0 done,
// 1 failed (no daemon, or it refused, or `forget` found nothing cached),
// 2 bad command line.
int RunAdmin(int argc, char** argv);

// The daemon on `socket_path`, and how a shim starts one, as the
// environment says: CREDCACHE_SOCKET_OWNER (connect.h), CREDCACHE_NO_SPAWN
// (a switch: 1/true/yes/on or 0/false/no/off) and CREDCACHE_IDLE_EXIT (a
// positive duration, "30m"). Any other value is an InvalidArgument naming
// the variable: what cargo's requests and `import` use.
absl::StatusOr<ConnectOptions> ConnectOptionsFromEnvironment(const std::string& socket_path);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_ADMIN_H_
