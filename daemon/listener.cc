#include "daemon/listener.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/paths.h"
#include "common/unix_socket.h"
#include "daemon/log.h"
#include "grpcpp/server_posix.h"
#include "lib/files.h"

namespace credcache {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", strerror(errno)));
}

// The pid written in a lock file by its holder, for the error message.
std::string HolderOf(int fd) {
  char buffer[32] = {};
  const ssize_t n = pread(fd, buffer, sizeof(buffer) - 1, 0);
  int pid = 0;
  if (n > 0 && absl::SimpleAtoi(absl::string_view(buffer, n), &pid)) {
    return absl::StrCat(" (pid ", pid, ")");
  }
  return "";
}

// A team socket's directory: this account's (or root's, made by systemd),
// writable by nobody else, so nobody else can put a socket of their own in
// its place. `group`, when given, may enter it.
absl::Status EnsureSharedDirectory(const std::string& dir, std::optional<gid_t> group) {
  struct stat info;
  if (lstat(dir.c_str(), &info) != 0) {
    if (errno != ENOENT) return Errno(absl::StrCat("cannot check ", dir));
    absl::Status made = cargo_credential::MakeDirectories(dir, 0750);
    if (!made.ok()) return made;
    if (group.has_value() && chown(dir.c_str(), static_cast<uid_t>(-1), *group) != 0) {
      return Errno(absl::StrCat("cannot give ", dir, " to group ", *group,
                                " (add this account to the group)"));
    }
    if (chmod(dir.c_str(), 0750) != 0) return Errno(absl::StrCat("cannot chmod ", dir));
    if (lstat(dir.c_str(), &info) != 0) return Errno(absl::StrCat("cannot check ", dir));
  }
  if (!S_ISDIR(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(dir, " is not a directory"));
  }
  if ((info.st_uid != geteuid() && info.st_uid != 0) || (info.st_mode & 022) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the team socket's directory ", dir, " must belong to this account (uid ",
                     geteuid(), ") and be writable by nobody else (mode 0750); it is uid ",
                     info.st_uid, ", mode ", absl::StrFormat("%04o", info.st_mode & 07777)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Listener>> Listener::Bind(const std::string& socket_path) {
  return BindWith(socket_path, /*shared=*/false, std::nullopt);
}

absl::StatusOr<std::unique_ptr<Listener>> Listener::BindShared(const std::string& socket_path,
                                                               std::optional<gid_t> group) {
  return BindWith(socket_path, /*shared=*/true, group);
}

absl::StatusOr<std::unique_ptr<Listener>> Listener::BindWith(const std::string& socket_path,
                                                             bool shared,
                                                             std::optional<gid_t> group) {
  if (socket_path.size() > kMaxSocketPath) {
    return absl::InvalidArgumentError(
        absl::StrCat("socket path is longer than ", kMaxSocketPath, " bytes: ", socket_path));
  }
  const std::string dir = cargo_credential::DirectoryOf(socket_path);
  absl::Status checked = shared ? EnsureSharedDirectory(dir, group) : EnsurePrivateDirectory(dir);
  if (!checked.ok()) return checked;

  std::unique_ptr<Listener> listener(new Listener());
  listener->socket_path_ = socket_path;
  listener->shared_ = shared;
  absl::Status locked = listener->Lock();
  if (!locked.ok()) return locked;

  // We hold the lock, so any socket file here is a dead daemon's.
  unlink(socket_path.c_str());
  listener->listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener->listen_fd_ < 0) return Errno("socket");
  struct sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, socket_path.data(), socket_path.size());
  // The socket is born 0600 (a team's 0660 with this process's group,
  // given to the team's group before anyone can connect: listen() comes
  // after): there is no moment in which it is wider.
  const mode_t saved_umask = umask(shared ? 0117 : 0177);
  const int bound =
      bind(listener->listen_fd_, reinterpret_cast<struct sockaddr*>(&address), sizeof(address));
  umask(saved_umask);
  if (bound != 0) return Errno(absl::StrCat("cannot bind ", socket_path));
  if (group.has_value() && chown(socket_path.c_str(), static_cast<uid_t>(-1), *group) != 0) {
    return Errno(absl::StrCat("cannot give ", socket_path, " to group ", *group,
                              " (a daemon may give its files only to a group it is in: add its "
                              "account to the group, or let systemd make the socket, "
                              "credcached-team.socket)"));
  }
  if (listen(listener->listen_fd_, SOMAXCONN) != 0) return Errno("listen");
  return listener;
}

absl::StatusOr<std::unique_ptr<Listener>> Listener::Adopt(int fd, bool shared) {
  struct sockaddr_un address = {};
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<struct sockaddr*>(&address), &length) != 0 ||
      address.sun_family != AF_UNIX || address.sun_path[0] == '\0') {
    return absl::InvalidArgumentError(
        "the socket passed by systemd is not a Unix socket with a path; use ListenStream=PATH");
  }
  std::unique_ptr<Listener> listener(new Listener());
  listener->socket_path_ = address.sun_path;
  listener->owns_socket_file_ = false;
  listener->shared_ = shared;
  listener->listen_fd_ = fd;
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  const std::string dir = cargo_credential::DirectoryOf(listener->socket_path_);
  absl::Status checked =
      shared ? EnsureSharedDirectory(dir, std::nullopt) : EnsurePrivateDirectory(dir);
  if (!checked.ok()) return checked;
  absl::Status locked = listener->Lock();
  if (!locked.ok()) return locked;
  return listener;
}

absl::Status Listener::Lock() {
  const std::string lock_path = socket_path_ + ".lock";
  lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock_fd_ < 0) return Errno(absl::StrCat("cannot open ", lock_path));
  // A daemon that is stopping releases the lock before it drains; one
  // starting in that instant (a shim's retry) waits for it a moment.
  const absl::Time give_up = absl::Now() + absl::Seconds(1);
  while (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("another credcached is serving ", socket_path_, HolderOf(lock_fd_)));
    }
    return Errno(absl::StrCat("cannot lock ", lock_path));
  }
  const std::string pid = absl::StrCat(getpid(), "\n");
  if (ftruncate(lock_fd_, 0) != 0 || pwrite(lock_fd_, pid.data(), pid.size(), 0) < 0) {
    return Errno(absl::StrCat("cannot write ", lock_path));
  }
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) return Errno("pipe");
  wake_read_ = wake[0];
  wake_write_ = wake[1];
  return absl::OkStatus();
}

Listener::~Listener() {
  Release();
  if (wake_read_ >= 0) close(wake_read_);
  if (wake_write_ >= 0) close(wake_write_);
}

void Listener::Serve(grpc::Server* server) {
  const uid_t self = geteuid();
  while (true) {
    struct pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      Log(LogLevel::kError, absl::StrCat("poll: ", strerror(errno)));
      return;
    }
    if (fds[1].revents != 0) return;
    // Non-blocking: gRPC's poller expects EAGAIN, not a read that waits.
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: the socket stays readable, so pause rather
        // than spin and flood the log.
        Log(LogLevel::kWarning, absl::StrCat("accept: ", strerror(errno), "; pausing"));
        absl::SleepFor(absl::Milliseconds(100));
      } else if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
        Log(LogLevel::kWarning, absl::StrCat("accept: ", strerror(errno)));
      }
      continue;
    }
    absl::StatusOr<uid_t> peer = PeerUid(fd);
    if (!peer.ok() || (*peer != self && !shared_)) {
      Log(LogLevel::kWarning,
          peer.ok() ? absl::StrCat("refused a connection from uid ", *peer)
                    : absl::StrCat("refused a connection: ", peer.status().message()));
      close(fd);
      continue;
    }
    // gRPC owns the descriptor from here on.
    grpc::AddInsecureChannelFromFd(server, fd);
  }
}

void Listener::Release() {
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    listen_fd_ = -1;
    if (owns_socket_file_) unlink(socket_path_.c_str());
  }
  if (lock_fd_ >= 0) {
    close(lock_fd_);  // Releases the lock: the next daemon may start.
    lock_fd_ = -1;
  }
}

void Listener::Stop() {
  const char byte = 0;
  ssize_t ignored = write(wake_write_, &byte, 1);
  (void)ignored;
}

}  // namespace credcache
