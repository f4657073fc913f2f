#include "shim/connect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cargo_credential/line_io.h"
#include "cargo_credential/subprocess.h"
#include "common/accounts.h"
#include "common/paths.h"
#include "common/unix_socket.h"
#include "lib/files.h"
#include "lib/programs.h"

namespace credcache {
namespace {

absl::Status Unavailable(const std::string& socket, absl::string_view what) {
  return absl::UnavailableError(
      absl::StrCat("credcached is not reachable on ", socket, ": ", what));
}

// Connects and checks the daemon runs as `expected` (this user, or the
// team daemon's account); NotFound when nothing listens.
absl::StatusOr<int> ConnectToDaemonOf(const std::string& socket, uid_t expected,
                                      const std::string& owner) {
  absl::StatusOr<int> fd = ConnectUnixSocket(socket);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<uid_t> peer = PeerUid(*fd);
  // A team daemon's socket that systemd made (credcached-team.socket) was
  // listened on by systemd, which the kernel names: root.
  const bool systemd_made = !owner.empty() && peer.ok() && *peer == 0;
  if (!peer.ok() || (*peer != expected && !systemd_made)) {
    close(*fd);
    if (!peer.ok()) return absl::PermissionDeniedError(peer.status().message());
    return absl::PermissionDeniedError(
        owner.empty()
            ? absl::StrCat("the process on ", socket, " runs as uid ", *peer,
                           ", not as you; if it is a team daemon, say which account runs it: "
                           "CREDCACHE_SOCKET_OWNER=<account>")
            : absl::StrCat("the process on ", socket, " runs as uid ", *peer, ", not as ", owner,
                           " (uid ", expected,
                           ") as CREDCACHE_SOCKET_OWNER says: refusing to "
                           "send it anything"));
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
  // Where the daemon logs once it runs: what it says before that (a config
  // it refuses) goes to the same file.
  if (absl::Status made = cargo_credential::MakeDirectories(DefaultStateDirectory(), 0700);
      !made.ok()) {
    return made;
  }
  spawn.stderr_file = DefaultStateDirectory() + "/credcached.log";
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

absl::StatusOr<int> ConnectToOwnDaemon(const std::string& socket) {
  return ConnectToDaemonOf(socket, geteuid(), "");
}

// A daemon of another account: checked, never started.
absl::StatusOr<int> ConnectToTeamDaemon(const ConnectOptions& options) {
  const std::string& socket = options.socket_path;
  absl::StatusOr<uid_t> owner = UserId(options.owner);
  if (!owner.ok()) {
    return Unavailable(socket, absl::StrCat("CREDCACHE_SOCKET_OWNER: ", owner.status().message()));
  }
  // Whoever can write the directory could put their own socket there.
  const std::string dir = cargo_credential::DirectoryOf(socket);
  struct stat info;
  if (stat(dir.c_str(), &info) != 0) {
    return absl::NotFoundError(
        absl::StrCat("credcached is not reachable on ", socket, ": ", dir, ": ", strerror(errno)));
  }
  if ((info.st_uid != *owner && info.st_uid != 0) || (info.st_mode & 022) != 0) {
    return Unavailable(socket, absl::StrCat(dir, " must belong to ", options.owner,
                                            " (or root) and be writable by nobody else"));
  }
  absl::StatusOr<int> fd = ConnectToDaemonOf(socket, *owner, options.owner);
  if (absl::IsNotFound(fd.status())) {
    return absl::NotFoundError(absl::StrCat(
        "credcached is not reachable on ", socket, ": no team daemon runs there (", options.owner,
        "'s; it is never started on demand): ask whoever runs it, e.g. "
        "`systemctl start credcached-team.socket`"));
  }
  if (!fd.ok()) return Unavailable(socket, fd.status().message());
  return fd;
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

ConnectOptions ConnectOptionsFor(std::string socket_path) {
  ConnectOptions options;
  options.socket_path = std::move(socket_path);
  if (const char* owner = getenv("CREDCACHE_SOCKET_OWNER"); owner != nullptr && *owner != '\0') {
    options.owner = owner;
    options.spawn = false;
  }
  return options;
}

absl::StatusOr<int> ConnectToDaemonSocket(const ConnectOptions& options) {
  const std::string& socket = options.socket_path;
  const std::string dir = cargo_credential::DirectoryOf(socket);
  if (!options.owner.empty()) return ConnectToTeamDaemon(options);
  absl::Status private_dir = EnsurePrivateDirectory(dir);
  if (!private_dir.ok()) {
    struct stat info;
    const bool others = stat(dir.c_str(), &info) == 0 && info.st_uid != geteuid();
    return Unavailable(socket, absl::StrCat(private_dir.message(),
                                            others ? "; if it is a team daemon's socket, say "
                                                     "which account runs it: "
                                                     "CREDCACHE_SOCKET_OWNER=<account>"
                                                   : ""));
  }

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
    return Unavailable(
        socket, absl::StrCat("could not start ", FindDaemonProgram(), ": ", spawned.message(),
                             " (see ", DefaultStateDirectory(), "/credcached.log)"));
  }
  if (!fd.ok()) return Unavailable(socket, fd.status().message());
  return fd;
}

}  // namespace credcache
