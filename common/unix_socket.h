// Unix-socket plumbing shared by the shim and the daemon.
//
// The socket is the daemon's only door, so the directory it lives in is
// private (0700, owned by the user), checked on every start by both sides;
// a socket in a directory others can enter is refused, as git's
// credential-cache and gpg-agent refuse theirs.
//
// Thread-safety: plain functions on descriptors.
#ifndef CREDCACHE_COMMON_UNIX_SOCKET_H_
#define CREDCACHE_COMMON_UNIX_SOCKET_H_

#include <sys/socket.h>
#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"

namespace credcache {

// Creates `dir` (and missing parents) with mode 0700, or checks that an
// existing one is a directory owned by this user with no group or other
// access. Fails with a message saying how to fix it.
absl::Status EnsurePrivateDirectory(const std::string& dir);

// Connects to the socket at `path`. NotFound when nothing listens there
// (no socket, or a stale one: ENOENT, ECONNREFUSED); other failures as
// Unavailable. The descriptor is close-on-exec.
absl::StatusOr<int> ConnectUnixSocket(const std::string& path);

// The kernel's word on the process at the other end of a connected Unix
// socket (pid, uid, gid as they were at connect()).
absl::StatusOr<struct ucred> PeerCredentials(int fd);
// Its uid.
absl::StatusOr<uid_t> PeerUid(int fd);

// Longest usable socket path on Linux (sun_path less its terminator).
inline constexpr size_t kMaxSocketPath = 107;

}  // namespace credcache

#endif  // CREDCACHE_COMMON_UNIX_SOCKET_H_
