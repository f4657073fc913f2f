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

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message_lite.h"
#include "shim/connect.h"

namespace credcache {

// Calls `method` (e.g. "Perform", a method of credcache.v1.Credcache).
// Unavailable with the socket named when the daemon cannot be reached, and
// "credcached on SOCKET did not answer: why" when the call itself failed;
// the daemon's own gRPC error status otherwise.
absl::Status CallDaemon(const ConnectOptions& options, absl::string_view method,
                        const google::protobuf::MessageLite& request,
                        google::protobuf::MessageLite* response, absl::Duration timeout);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_DAEMON_CLIENT_H_
