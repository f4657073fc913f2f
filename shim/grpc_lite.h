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
// Thread-safety: one call at a time per descriptor.
#ifndef CREDCACHE_SHIM_GRPC_LITE_H_
#define CREDCACHE_SHIM_GRPC_LITE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace credcache {

// Calls `method` ("/package.Service/Method") on the gRPC server at the other
// end of `fd` (a connected stream socket, left open) with the serialized
// request, and returns the serialized response. A gRPC error status comes
// back as a Status with its code and message; a transport failure or the
// deadline as Unavailable / DeadlineExceeded.
absl::StatusOr<std::string> UnaryCall(int fd, absl::string_view method,
                                      absl::string_view request, absl::Time deadline);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_GRPC_LITE_H_
