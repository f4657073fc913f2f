// Fuzzes the shim's gRPC reader (shim/grpc_lite): the input is everything
// the "daemon" at the other end of a socket pair sends, then it hangs up.
// Whatever it sends, the call returns (a response or an error) without a
// crash, an overflow or a wait past its deadline.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/time/clock.h"
#include "shim/grpc_lite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // What fits a socket's buffer, so the peer never blocks writing it.
  if (size > 65536) return 0;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) abort();
  int buffer = 1 << 20;
  setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
  setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  size_t sent = 0;
  while (sent < size) {
    const ssize_t n = write(fds[1], data + sent, size - sent);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  shutdown(fds[1], SHUT_WR);
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  credcache::CallOptions options;
  options.deadline = absl::Now() + absl::Milliseconds(200);
  options.liveness = absl::Milliseconds(100);
  // So that the waiting header's parser runs on whatever the peer sends.
  options.notice_after = absl::ZeroDuration();
  options.on_waiting = [](absl::string_view, absl::Duration) {};
  options.metadata = {{"credcache-version", "0.1.0 (wire fuzz)"}};
  // So that the collection of the daemon's credcache-* metadata runs too.
  credcache::ReceivedMetadata received;
  absl::StatusOr<std::string> answer = credcache::UnaryCall(
      fds[0], "/credcache.v1.Credcache/Perform", "request", options, &received);
  (void)answer;
  close(fds[0]);
  close(fds[1]);
  return 0;
}
