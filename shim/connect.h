// Connecting the shim to credcached, starting the daemon when none runs.
//
// The handshake, in order:
//  1. The socket's directory must be private (0700, ours), or we stop: a
//     token must never be sent to a socket someone else could have made.
//  2. Connect. A daemon answers: check that its uid is ours, done.
//  3. Nothing listens (no socket, or a dead daemon's): unless spawning is
//     off (CREDCACHE_NO_SPAWN=1), take `<dir>/spawn.lock` and connect again
//     under it, since another shim may have just started one. Still nothing:
//     start `credcached --socket S --idle-exit 15m --ready-fd 3` in its own
//     session, wait until it writes "ready" (it does so after listen()), and
//     connect. The lock makes many shims starting at once start exactly one
//     daemon; the daemon's own lock makes even a lost race harmless.
//  4. Every wait is bounded: no path through here can hang cargo.
//
// A daemon run by another account (a team daemon, daemon/team.h) is used
// only when the caller says which account runs it (`owner`, from
// CREDCACHE_SOCKET_OWNER): then its directory must belong to that account
// (or root) and be writable by nobody else, the process on the socket must
// be exactly that account (or root: systemd listens on a socket it made for
// the service, and the kernel names the listener), and no daemon is ever
// started in its place.
//
// The daemon is `$CREDCACHE_DAEMON`, else `credcached` next to this program,
// else the one among this program's Bazel runfiles (so that bazel-bin's shim
// works before it is installed), else `credcached` on PATH. Its log goes to `<dir>/credcached.log`.
//
// Thread-safety: functions; call from one thread.
#ifndef CREDCACHE_SHIM_CONNECT_H_
#define CREDCACHE_SHIM_CONNECT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace credcache {

struct ConnectOptions {
  std::string socket_path;
  bool spawn = true;                             // Start a daemon when none runs.
  absl::Duration idle_exit = absl::Minutes(15);  // For a daemon we start.
  absl::Duration spawn_timeout = absl::Seconds(10);
  // The account (name or uid) that runs the daemon, when it is not this
  // user: a team daemon. Empty: this user's own daemon.
  std::string owner;
};

// ConnectOptions for `socket_path` as the environment asks: the owner from
// CREDCACHE_SOCKET_OWNER (a team daemon's account; spawning is then off).
ConnectOptions ConnectOptionsFor(std::string socket_path);

// A connected socket to a running daemon, checked to be this user's (the
// caller closes it). Fails with NotFound when no daemon runs and `spawn` is
// off; otherwise with Unavailable, naming the socket and what went wrong
// (a loose directory, another user's daemon, a start that failed).
absl::StatusOr<int> ConnectToDaemonSocket(const ConnectOptions& options);

// The daemon program to start.
std::string FindDaemonProgram();

}  // namespace credcache

#endif  // CREDCACHE_SHIM_CONNECT_H_
