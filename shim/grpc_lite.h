// A unary gRPC call over HTTP/2 on an already connected socket, with no
// threads and nothing set up that one call does not use.
//
// The shim runs once per cargo request, so its start-up is paid on every
// build: the stock gRPC C++ client starts six threads and an event engine
// before its first byte (see bench/RESULTS.md). This speaks gRPC's own wire
// protocol (HTTP/2 with prior knowledge, `application/grpc`, 5-byte message
// framing, `grpc-status` trailers) through nghttp2, a well-kept HTTP/2
// library, to the same gRPC daemon.
//
// Liveness. A daemon that is stopped (SIGSTOP) or wedged still has its
// connections accepted by the kernel, so nothing fails by itself. The call
// sends an HTTP/2 PING with the request and again after each second of
// quiet; gRPC's transport answers PINGs whatever its handlers are doing, so
// an unanswered one means the process itself is not running. A daemon that
// is merely waiting on a slow backend answers them, and says in its response
// headers which backend it waits on (common/wire.h), which the caller may
// show the user.
//
// Thread-safety: one call at a time per descriptor.
#ifndef CREDCACHE_SHIM_GRPC_LITE_H_
#define CREDCACHE_SHIM_GRPC_LITE_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace credcache {

struct CallOptions {
  // The whole call, connect excluded.
  absl::Time deadline = absl::InfiniteFuture();
  // A daemon that leaves a PING unanswered this long is not answering.
  absl::Duration liveness = absl::Seconds(2);
  // Called at most once, when the call has waited `notice_after` and the
  // daemon said it waits on a backend: with the backend's name and timeout.
  std::function<void(absl::string_view backend, absl::Duration timeout)> on_waiting;
  absl::Duration notice_after = absl::Seconds(1);
  // Sent as request headers (gRPC metadata): lowercase names, printable
  // ASCII values.
  std::vector<std::pair<std::string, std::string>> metadata;
};

// The daemon's response headers and trailers named "credcache-*"
// (common/wire.h), the first value of each.
using ReceivedMetadata = std::map<std::string, std::string>;

// Why a call failed, apart from what the daemon answered.
enum class CallFailure {
  kNone,            // The call worked, or the status is the daemon's own.
  kConnectionLost,  // Closed or reset before an answer: nothing was done
                    // that a retry could repeat wrongly (a stopping daemon).
  kNotAnswering,    // The peer holds the connection but answers nothing.
  kDeadline,        // CallOptions::deadline passed.
  kMalformed,       // The peer does not speak gRPC.
};

// What kind of failure `status` (from UnaryCall) is; kNone for OK and for
// the daemon's own gRPC status, passed through with its code and message.
CallFailure FailureOf(const absl::Status& status);

// Calls `method` ("/package.Service/Method") on the gRPC server at the other
// end of `fd` (a connected stream socket, left open) with the serialized
// request, and returns the serialized response. `received`, when given,
// gets the daemon's credcache-* metadata, whatever the outcome.
absl::StatusOr<std::string> UnaryCall(int fd, absl::string_view method, absl::string_view request,
                                      const CallOptions& options,
                                      ReceivedMetadata* received = nullptr);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_GRPC_LITE_H_
