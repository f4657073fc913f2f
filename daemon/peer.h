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

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/files.h"

namespace credcache {

// Who is asking, for the access rules and the audit of a team daemon: the
// credentials the kernel recorded when the process connected (SO_PEERCRED)
// and the groups it held then (SO_PEERGROUPS: the process's own, so one
// that dropped its groups has none, whatever /etc/group says). The pid is
// for the audit only: pids are reused.
struct PeerIdentity {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
  std::vector<gid_t> groups;  // Supplementary groups, as the kernel gave them.

  // The identity of the peer of the connected Unix socket `fd`, or of the
  // gRPC call whose peer is `grpc_peer` ("fd:N"; resolve it while the call
  // runs, never keep it across calls: fd numbers are reused). Unavailable
  // whenever the kernel does not say all of it; never guessed.
  static absl::StatusOr<PeerIdentity> OfSocket(int fd);
  static absl::StatusOr<PeerIdentity> OfCall(absl::string_view grpc_peer);

  // Whether `group` is its primary or a supplementary group.
  bool InGroup(gid_t group) const;
};

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
