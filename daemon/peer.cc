#include "daemon/peer.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/unix_socket.h"

// Linux 6.5's; Debian 12's headers predate it.
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

namespace credcache {

absl::StatusOr<PeerProcess> PeerProcess::OfSocket(int fd) {
  absl::StatusOr<struct ucred> credentials = PeerCredentials(fd);
  if (!credentials.ok()) return credentials.status();
  int pidfd = -1;
  socklen_t length = sizeof(pidfd);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &length) != 0 || length != sizeof(pidfd)) {
    // An older kernel: the pid SO_PEERCRED gave. Its process is the one
    // still waiting on its call now, unless it has just died and its pid
    // been reused, which would only make a wait on it last its deadline.
    pidfd =
        credentials->pid > 0 ? static_cast<int>(syscall(SYS_pidfd_open, credentials->pid, 0)) : -1;
  }
  return PeerProcess(*credentials, pidfd);
}

absl::StatusOr<PeerProcess> PeerProcess::OfCall(absl::string_view grpc_peer) {
  int fd = -1;
  absl::string_view number = grpc_peer;
  if (!absl::ConsumePrefix(&number, "fd:") || !absl::SimpleAtoi(number, &fd) || fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot tell who is asking: the call came from `",
                                               grpc_peer,
                                               "`, not from a connection credcached accepted"));
  }
  return OfSocket(fd);
}

bool PeerProcess::Exited() const {
  if (!pidfd_.valid()) return false;
  struct pollfd ready = {pidfd_.get(), POLLIN, 0};
  return poll(&ready, 1, 0) > 0;
}

}  // namespace credcache
