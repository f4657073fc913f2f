#include "common/unix_socket.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/paths.h"
#include "lib/files.h"

namespace credcache {

absl::Status EnsurePrivateDirectory(const std::string& dir) {
  struct stat info;
  if (lstat(dir.c_str(), &info) != 0) {
    if (errno != ENOENT) {
      return absl::UnavailableError(absl::StrCat("cannot inspect ", dir, ": ", strerror(errno)));
    }
    const std::string parent = cargo_credential::DirectoryOf(dir);
    if (parent != dir && parent != "/" && parent != ".") {
      // Parents are made like `mkdir -p` would, each checked as it is made
      // (another user could win a mkdir race); only the last level must be
      // private when it exists already (the runtime dir's parents are
      // /run/user and the like).
      struct stat parent_info;
      if (stat(parent.c_str(), &parent_info) != 0) {
        absl::Status made = EnsurePrivateDirectory(parent);
        if (!made.ok()) return made;
      }
    }
    // Created with its final mode, never chmod-ed after: no window in which
    // another user could slip in.
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", strerror(errno)));
    }
    if (lstat(dir.c_str(), &info) != 0) {
      return absl::UnavailableError(absl::StrCat("cannot inspect ", dir, ": ", strerror(errno)));
    }
  }
  if (!S_ISDIR(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(dir, " is not a directory"));
  }
  if (info.st_uid != geteuid()) {
    return absl::PermissionDeniedError(absl::StrCat("socket directory ", dir, " belongs to uid ",
                                                    info.st_uid, ", not to you (uid ", geteuid(),
                                                    "); use another with CREDCACHE_SOCKET"));
  }
  if ((info.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "permissions on socket directory ", dir, " are too loose; fix them with: chmod 700 ", dir));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ConnectUnixSocket(const std::string& path) {
  if (path.size() > kMaxSocketPath) {
    return absl::InvalidArgumentError(
        absl::StrCat("socket path is longer than ", kMaxSocketPath, " bytes: ", path));
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", strerror(errno)));
  struct sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, path.data(), path.size());
  while (connect(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof(address)) != 0) {
    if (errno == EINTR) continue;
    const int error = errno;
    close(fd);
    if (error == ENOENT || error == ECONNREFUSED) {
      return absl::NotFoundError(absl::StrCat("no daemon listens on ", path));
    }
    return absl::UnavailableError(absl::StrCat("cannot connect to ", path, ": ", strerror(error)));
  }
  return fd;
}

absl::StatusOr<struct ucred> PeerCredentials(int fd) {
  struct ucred credentials;
  socklen_t length = sizeof(credentials);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return absl::UnavailableError(absl::StrCat("SO_PEERCRED: ", strerror(errno)));
  }
  if (length != sizeof(credentials)) return absl::UnavailableError("SO_PEERCRED: short answer");
  return credentials;
}

absl::StatusOr<uid_t> PeerUid(int fd) {
  absl::StatusOr<struct ucred> credentials = PeerCredentials(fd);
  if (!credentials.ok()) return credentials.status();
  return credentials->uid;
}

}  // namespace credcache
