// DaemonClient: one gRPC call to credcached, from connect to close.
//
// Every part of the shim that talks to the daemon (cargo's requests, the
// admin commands, import) goes through CallDaemon: connect (or start the
// daemon) as connect.h describes, send one request with grpc_lite.h, parse
// the answer, close. Wire buffers are wiped, since Perform's carry tokens.
//
// Thread-safety: functions; each call has its own connection.
#ifndef CREDCACHE_SHIM_DAEMON_CLIENT_H_
#define CREDCACHE_SHIM_DAEMON_CLIENT_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message_lite.h"
#include "shim/connect.h"

namespace credcache {

// Called when a call has waited a second on a backend the daemon named.
using WaitingNotice = std::function<void(absl::string_view backend, absl::Duration timeout)>;

// Waits until no daemon holds `<socket>.lock` (the one there has handed
// over: a new request starts a new daemon), or until `deadline`.
void WaitForHandOver(const std::string& socket, absl::Time deadline);

// Calls `method` (e.g. "Perform", a method of credcache.v1.Credcache),
// bounded by `timeout`. Failures say where they came from:
//  - Unavailable naming the socket when no daemon can be reached or started;
//  - "credcached (pid N) on SOCKET is not answering", with what to do, when
//    the daemon holds the connection but answers nothing (stopped, wedged),
//    found within grpc_lite's liveness limit (2 s), however long `timeout`;
//  - "credcached on SOCKET did not answer: why" when the call broke off;
//  - FailedPrecondition naming both versions and the fix when the daemon is
//    of another build (common/version.h) and no shim started it (systemd's:
//    `systemctl --user restart credcached.service`), or when a Perform's
//    answer does not say the daemon's version (one from before versions
//    were exchanged);
//  - the daemon's own gRPC status otherwise, code and message unchanged.
// A call the daemon dropped unanswered (it was stopping) is made once more,
// which finds, or starts, a daemon that will answer. A daemon of another
// build that a shim started on demand is stopped and replaced by this
// shim's own (as Bazel's client replaces a server of another version),
// with a line on stderr saying so; the call then goes to the new one. Only
// the daemon that refused is stopped: if another shim has replaced it
// meanwhile, the call goes to the new one as it is. Two builds of the shim
// sharing one socket replace each other's daemon in turn, as two Bazel
// versions in one workspace do; give each its own CREDCACHE_SOCKET.
absl::Status CallDaemon(const ConnectOptions& options, absl::string_view method,
                        const google::protobuf::MessageLite& request,
                        google::protobuf::MessageLite* response, absl::Duration timeout,
                        WaitingNotice on_waiting = nullptr);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_DAEMON_CLIENT_H_
