#include "daemon/peer.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

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

namespace {

// The descriptor of a call gRPC names "fd:N".
absl::StatusOr<int> CallDescriptor(absl::string_view grpc_peer) {
  int fd = -1;
  absl::string_view number = grpc_peer;
  if (!absl::ConsumePrefix(&number, "fd:") || !absl::SimpleAtoi(number, &fd) || fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot tell who is asking: the call came from `",
                                               grpc_peer,
                                               "`, not from a connection credcached accepted"));
  }
  return fd;
}

}  // namespace

absl::StatusOr<PeerProcess> PeerProcess::OfCall(absl::string_view grpc_peer) {
  absl::StatusOr<int> fd = CallDescriptor(grpc_peer);
  if (!fd.ok()) return fd.status();
  return OfSocket(*fd);
}

absl::StatusOr<PeerIdentity> PeerIdentity::OfSocket(int fd) {
  absl::StatusOr<struct ucred> credentials = PeerCredentials(fd);
  if (!credentials.ok()) return credentials.status();
  PeerIdentity identity;
  identity.uid = credentials->uid;
  identity.gid = credentials->gid;
  identity.pid = credentials->pid;
  // The kernel says how much room the list needs when given too little.
  std::vector<gid_t> groups(32);
  for (int attempt = 0; attempt < 4; ++attempt) {
    socklen_t length = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &length) == 0) {
      groups.resize(length / sizeof(gid_t));
      identity.groups = std::move(groups);
      return identity;
    }
    if (errno != ERANGE) break;
    groups.resize(length / sizeof(gid_t) + 1);
  }
  // Deciding on the primary group alone could admit a caller a rule on
  // its missing groups would refuse, or the reverse: never guess.
  return absl::UnavailableError(
      absl::StrCat("cannot tell the groups of who is asking (SO_PEERGROUPS): ", strerror(errno)));
}

absl::StatusOr<PeerIdentity> PeerIdentity::OfCall(absl::string_view grpc_peer) {
  absl::StatusOr<int> fd = CallDescriptor(grpc_peer);
  if (!fd.ok()) return fd.status();
  return OfSocket(*fd);
}

bool PeerIdentity::InGroup(gid_t group) const {
  return group == gid || std::find(groups.begin(), groups.end(), group) != groups.end();
}

bool PeerProcess::Exited() const {
  if (!pidfd_.valid()) return false;
  struct pollfd ready = {pidfd_.get(), POLLIN, 0};
  return poll(&ready, 1, 0) > 0;
}

}  // namespace credcache
