// The admin command line: cargo-credential-credcache without --cargo-plugin.
//
//   status | list | forget REGISTRY | flush | stats | reload | stop
//   install-service | uninstall-service | import
//
// One table (admin.cc, on command_line.h) names each command, its
// arguments, options, help and handler. The daemon commands talk to the
// running daemon (never starting one) and print for people, or with --json
// one JSON object for scripts. Nothing printed ever holds a token: the
// daemon's admin answers carry none.
//
// Thread-safety: call from main().
#ifndef CREDCACHE_SHIM_ADMIN_H_
#define CREDCACHE_SHIM_ADMIN_H_

namespace credcache {

// Runs the admin command in argv[1..]; returns the exit code: 0 done,
// 1 failed (no daemon, or it refused), 2 bad command line.
int RunAdmin(int argc, char** argv);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_ADMIN_H_
