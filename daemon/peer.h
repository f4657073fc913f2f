// PeerProcess: the process at the other end of a call to credcached, in the
// kernel's words, never the request's.
//
// Listener hands each accepted connection to gRPC, which names it "fd:N" as
// its calls' peer (grpc::AddInsecureChannelFromFd); while one of its calls
// runs, that descriptor is still the connection, so the kernel can be asked
// then: SO_PEERCRED for who connected, and a pidfd for when that process
// exits (SO_PEERPIDFD where the kernel has it, Linux 6.5+, which names the
// very process that connected; before it, pidfd_open of the pid
// SO_PEERCRED gave, taken while the caller still waits on its call).
//
// Ownership: owns its pidfd.
// Thread-safety: const methods may run from any thread.
#ifndef CREDCACHE_DAEMON_PEER_H_
#define CREDCACHE_DAEMON_PEER_H_

#include <sys/socket.h>
#include <sys/types.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/files.h"

namespace credcache {

class PeerProcess {
 public:
  // The process on the other end of the connected Unix socket `fd`.
  // Unavailable when the kernel does not say (never guessed).
  static absl::StatusOr<PeerProcess> OfSocket(int fd);
  // The same for a gRPC call whose peer string is `grpc_peer` ("fd:N"):
  // Unavailable for any other peer (a TCP one, say).
  static absl::StatusOr<PeerProcess> OfCall(absl::string_view grpc_peer);

  pid_t pid() const { return credentials_.pid; }
  uid_t uid() const { return credentials_.uid; }
  // Whether the kernel gave a pidfd, so that Exited() tells.
  bool Watchable() const { return pidfd_.valid(); }
  // Whether the process has exited (its pidfd is readable). False while it
  // runs, and always when no pidfd could be had (it had exited already, or
  // runs in another pid namespace): then nothing tells.
  bool Exited() const;

 private:
  PeerProcess(struct ucred credentials, int pidfd) : credentials_(credentials), pidfd_(pidfd) {}

  struct ucred credentials_;
  cargo_credential::ScopedFd pidfd_;
};

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_PEER_H_
