#include "shim/connect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/paths.h"
#include "common/unix_socket.h"
#include "lib/files.h"
#include "lib/line_io.h"
#include "lib/programs.h"
#include "lib/subprocess.h"

namespace credcache {
namespace {

absl::Status Unavailable(const std::string& socket, absl::string_view what) {
  return absl::UnavailableError(
      absl::StrCat("credcached is not reachable on ", socket, ": ", what));
}

// Connects and checks the daemon is us; NotFound when nothing listens.
absl::StatusOr<int> ConnectToOwnDaemon(const std::string& socket) {
  absl::StatusOr<int> fd = ConnectUnixSocket(socket);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<uid_t> peer = PeerUid(*fd);
  if (!peer.ok() || *peer != geteuid()) {
    close(*fd);
    return absl::PermissionDeniedError(
        peer.ok() ? absl::StrCat("the process on ", socket, " runs as uid ", *peer, ", not as you")
                  : std::string(peer.status().message()));
  }
  // Non-blocking: grpc_lite waits with poll().
  fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// An exclusive flock on `path`, waited for until `deadline`; -1 if not had.
int LockUntil(const std::string& path, absl::Time deadline) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return -1;
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK || absl::Now() >= deadline) {
      close(fd);
      return -1;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return fd;
}

// Starts the daemon and waits for its "ready" (or its reason for failing).
absl::Status SpawnDaemon(const ConnectOptions& options, absl::Time deadline) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return absl::InternalError(strerror(errno));
  cargo_credential::SubprocessOptions spawn;
  spawn.argv = {FindDaemonProgram(),
                "--socket",
                options.socket_path,
                "--idle-exit",
                absl::FormatDuration(options.idle_exit),
                "--ready-fd",
                "3"};
  spawn.stdin_mode = cargo_credential::SubprocessOptions::Stdio::kNull;
  spawn.stdout_mode = cargo_credential::SubprocessOptions::Stdio::kNull;
  spawn.stderr_mode = cargo_credential::SubprocessOptions::Stdio::kFile;
  spawn.stderr_file = cargo_credential::DirectoryOf(options.socket_path) + "/credcached.log";
  spawn.pass_fds = {{ready[1], 3}};
  spawn.new_session = true;
  absl::StatusOr<std::unique_ptr<cargo_credential::Subprocess>> daemon =
      cargo_credential::Subprocess::Start(spawn);
  close(ready[1]);
  if (!daemon.ok()) {
    close(ready[0]);
    return daemon.status();
  }
  // credcached forks and its first process exits once the daemon is ready
  // (or has failed), leaving it to init; reap that first process so no
  // zombie is left. One still running at the deadline never got ready: it
  // goes (the Subprocess kills it, with its session's group).
  if (!(*daemon)->Wait(deadline).ok()) {
    close(ready[0]);
    return absl::DeadlineExceededError("it did not say it was ready in time");
  }
  (*daemon)->Release();
  cargo_credential::LineReader reader(ready[0], 4096);
  absl::StatusOr<std::optional<std::string>> said = reader.Next(deadline);
  close(ready[0]);
  if (!said.ok()) return absl::DeadlineExceededError("it did not say it was ready in time");
  if (!said->has_value()) return absl::UnavailableError("it exited before it was ready");
  if (**said != "ready") return absl::UnavailableError(**said);
  return absl::OkStatus();
}

}  // namespace

std::string FindDaemonProgram() {
  const char* configured = getenv("CREDCACHE_DAEMON");
  if (configured != nullptr && configured[0] != '\0') return configured;
  const std::string program = cargo_credential::SelfPath();
  if (!program.empty()) {
    // Installed: side by side. Built by Bazel and run from bazel-bin: the
    // daemon is among the shim's runfiles (its `data`).
    for (const std::string& candidate : {cargo_credential::DirectoryOf(program) + "/credcached",
                                         program + ".runfiles/credcache/daemon/credcached"}) {
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "credcached";  // posix_spawnp looks it up on PATH.
}

absl::StatusOr<int> ConnectToDaemonSocket(const ConnectOptions& options) {
  const std::string& socket = options.socket_path;
  const std::string dir = cargo_credential::DirectoryOf(socket);
  absl::Status private_dir = EnsurePrivateDirectory(dir);
  if (!private_dir.ok()) return Unavailable(socket, private_dir.message());

  absl::StatusOr<int> fd = ConnectToOwnDaemon(socket);
  if (fd.ok()) return fd;
  if (!absl::IsNotFound(fd.status())) return Unavailable(socket, fd.status().message());
  if (!options.spawn) {
    // NotFound: nothing serves here, as opposed to something wrong with it.
    return absl::NotFoundError(absl::StrCat(
        "credcached is not reachable on ", socket,
        ": no daemon runs, and starting one is off here (CREDCACHE_NO_SPAWN, or an admin "
        "command); start one with `credcached` or `systemctl --user start credcached.socket`"));
  }

  const absl::Time deadline = absl::Now() + options.spawn_timeout;
  const int lock = LockUntil(dir + "/spawn.lock", deadline);
  if (lock < 0)
    return Unavailable(socket, "timed out waiting for another shim to start credcached");
  // Another shim may have started one while we waited for the lock.
  fd = ConnectToOwnDaemon(socket);
  absl::Status spawned = absl::OkStatus();
  if (absl::IsNotFound(fd.status())) {
    spawned = SpawnDaemon(options, deadline);
    // Even a failed start may have lost a race to a daemon started outside
    // our lock (by hand, or by systemd): whoever serves now will do.
    fd = ConnectToOwnDaemon(socket);
    if (fd.ok()) spawned = absl::OkStatus();
  }
  close(lock);
  if (!spawned.ok()) {
    return Unavailable(socket, absl::StrCat("could not start ", FindDaemonProgram(), ": ",
                                            spawned.message(), " (see ", dir, "/credcached.log)"));
  }
  if (!fd.ok()) return Unavailable(socket, fd.status().message());
  return fd;
}

}  // namespace credcache
