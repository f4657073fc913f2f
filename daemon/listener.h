// Listener: the daemon's Unix socket, its lock, and the door check.
//
// Only the holder of `<socket>.lock` (an flock held while the daemon serves)
// may serve a socket path: it alone may remove a stale socket file and bind
// a new one. So two daemons never serve one socket, and a starting daemon
// never steals a live one's socket: it fails, naming the pid that holds it.
// A daemon that stops hands over: it releases socket and lock first and only
// then drains; a daemon starting meanwhile waits a moment for the lock.
//
// A personal daemon's socket is bound under umask 077 and made 0600 inside
// a 0700 directory; every accepted connection's peer uid (SO_PEERCRED) must
// be this user's, or the connection is closed unread. A team daemon's
// (BindShared) is 0660, its group the team's, in a 0750 directory owned by
// the daemon's account and that group: the filesystem is the first gate,
// and the daemon's rules (daemon/team_gate.h) decide on every call. It is
// never an abstract socket, which would have no permissions at all.
// Accepted connections are handed to gRPC, which cannot check peers of a
// Unix socket itself.
//
// Ownership: owns the listening socket and the lock; the destructor closes
// both and removes the socket file.
// Thread-safety: Serve() runs on one thread; Stop() may be called from any.
#ifndef CREDCACHE_DAEMON_LISTENER_H_
#define CREDCACHE_DAEMON_LISTENER_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"

namespace credcache {

class Listener {
 public:
  // Takes the lock and binds `socket_path`. FailedPrecondition when another
  // daemon holds the lock.
  static absl::StatusOr<std::unique_ptr<Listener>> Bind(const std::string& socket_path);
  // Binds a team daemon's socket, shared with `group` (none: this
  // process's own group), as described above; any uid may connect. Makes
  // the directory when missing; refuses one that others could write.
  static absl::StatusOr<std::unique_ptr<Listener>> BindShared(const std::string& socket_path,
                                                              std::optional<gid_t> group);

  // Serves a listening socket someone else made and owns (systemd socket
  // activation passes it as `fd`): takes the lock beside its path, but never
  // binds, and never removes the socket file, which outlives this daemon.
  // `shared`: a team daemon's socket (systemd's SocketMode=0660).
  static absl::StatusOr<std::unique_ptr<Listener>> Adopt(int fd, bool shared = false);
  ~Listener();

  // Accepts connections into `server` until Stop(). Returns when stopped.
  void Serve(grpc::Server* server);
  // Makes Serve() return soon; safe from any thread, and more than once.
  void Stop();
  // After Serve() returned: closes the socket and removes its file (unless
  // systemd owns it), then releases the lock, so that a new daemon can take
  // over at once while this one finishes its calls in flight: clients of a
  // stopping daemon start (or find) the next one instead of failing.
  void Release();

  const std::string& socket_path() const { return socket_path_; }

 private:
  Listener() = default;

  // Bind and BindShared.
  static absl::StatusOr<std::unique_ptr<Listener>> BindWith(const std::string& socket_path,
                                                            bool shared,
                                                            std::optional<gid_t> group);
  // Takes `<socket_path_>.lock` and sets up the wake-up pipe.
  absl::Status Lock();

  std::string socket_path_;
  bool owns_socket_file_ = true;
  bool shared_ = false;  // A team daemon's: any uid may connect.
  int lock_fd_ = -1;
  int listen_fd_ = -1;
  int wake_read_ = -1;
  int wake_write_ = -1;
};

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_LISTENER_H_
