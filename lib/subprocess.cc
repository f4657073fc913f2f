#include "cargo_credential/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "cargo_credential/secret.h"

extern char** environ;

namespace cargo_credential {
namespace {

using Stdio = SubprocessOptions::Stdio;

// Both ends close-on-exec: the child gets its end through dup2 only, so no
// other child ever inherits a stray copy (which would hide EOF).
absl::Status MakePipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", strerror(errno)));
  }
  return absl::OkStatus();
}

void SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Blocks SIGPIPE for this thread while alive, and swallows one that a write
// to a child that went away raised, so that such a write fails with EPIPE
// instead of killing a process that did not choose to ignore the signal.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &saved_);
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      const struct timespec zero = {0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
  }

 private:
  sigset_t pipe_;
  sigset_t saved_;
  bool was_pending_ = false;
};

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

std::vector<std::string> ChildEnvironment(const SubprocessOptions& options) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    absl::string_view text(*entry);
    const size_t eq = text.find('=');
    if (eq == absl::string_view::npos) continue;
    env[std::string(text.substr(0, eq))] = std::string(text.substr(eq + 1));
  }
  for (const std::string& pattern : options.unset_env) {
    for (auto it = env.begin(); it != env.end();) {
      it = fnmatch(pattern.c_str(), it->first.c_str(), 0) == 0 ? env.erase(it) : std::next(it);
    }
  }
  for (const auto& [name, value] : options.set_env) env[name] = value;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [name, value] : env) out.push_back(absl::StrCat(name, "=", value));
  return out;
}

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(const SubprocessOptions& options) {
  if (options.argv.empty()) {
    return absl::InvalidArgumentError("no program to run");
  }
  int pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  const Stdio modes[3] = {options.stdin_mode, options.stdout_mode, options.stderr_mode};
  auto close_all = [&pipes]() {
    for (auto& pipe : pipes) {
      CloseFd(pipe[0]);
      CloseFd(pipe[1]);
    }
  };
  for (int i = 0; i < 3; ++i) {
    if (modes[i] != Stdio::kPipe) continue;
    absl::Status made = MakePipe(pipes[i]);
    if (!made.ok()) {
      close_all();
      return made;
    }
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int i = 0; i < 3; ++i) {
    switch (modes[i]) {
      case Stdio::kPipe:
        // The child reads stdin from the read end and writes the others.
        posix_spawn_file_actions_adddup2(&actions, pipes[i][i == 0 ? 0 : 1], i);
        break;
      case Stdio::kNull:
        posix_spawn_file_actions_addopen(&actions, i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0);
        break;
      case Stdio::kFile:
        // Never through a symlink someone planted where the log goes.
        posix_spawn_file_actions_addopen(&actions, i, options.stderr_file.c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600);
        break;
      case Stdio::kInherit:
        break;
    }
  }
  int first_unpassed = 3;
  for (const auto& [ours, theirs] : options.pass_fds) {
    // dup2 onto the same number clears close-on-exec (glibc 2.29+).
    posix_spawn_file_actions_adddup2(&actions, ours, theirs);
    first_unpassed = std::max(first_unpassed, theirs + 1);
  }
  // Whatever this process inherited without close-on-exec (from cargo, say)
  // stops here: a long-lived daemon must not hold it open.
  posix_spawn_file_actions_addclosefrom_np(&actions, first_unpassed);
  if (!options.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  }
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // The child starts with default signal handling, whatever this process
  // ignores (SIGPIPE, typically).
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  // Nor does it inherit signals this process blocks (a daemon blocks the
  // ones it waits for in a thread).
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (options.new_session) {
    flags |= POSIX_SPAWN_SETSID;  // A new session is a new process group too.
  } else if (options.new_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attributes, 0);
  }
  posix_spawnattr_setflags(&attributes, flags);

  std::vector<std::string> argv_strings = options.argv;
  std::vector<std::string> env_strings = ChildEnvironment(options);
  std::vector<char*> argv = Pointers(argv_strings);
  std::vector<char*> envp = Pointers(env_strings);
  pid_t pid = -1;
  const int error = posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    close_all();
    return absl::NotFoundError(absl::StrCat("cannot run ", options.argv[0], ": ", strerror(error)));
  }

  std::unique_ptr<Subprocess> child(new Subprocess());
  child->pid_ = pid;
  child->own_group_ = options.new_session || options.new_process_group;
  // Keep the parent's ends; close the child's.
  for (int i = 0; i < 3; ++i) {
    if (modes[i] != Stdio::kPipe) continue;
    const int keep = i == 0 ? 1 : 0;
    CloseFd(pipes[i][1 - keep]);
    SetNonBlocking(pipes[i][keep]);
  }
  child->stdin_fd_ = pipes[0][1];
  child->stdout_fd_ = pipes[1][0];
  child->stderr_fd_ = pipes[2][0];
  if (child->stdout_fd_ >= 0) {
    child->stdout_lines_ = std::make_unique<LineReader>(child->stdout_fd_, size_t{1} << 20);
  }
  return child;
}

Subprocess::~Subprocess() {
  CloseStdin();
  stdout_lines_.reset();
  CloseFd(stdout_fd_);
  CloseFd(stderr_fd_);
  if (!exit_code_.has_value() && pid_ > 0) {
    // Still running, neither waited for nor released: it goes, and with it
    // whatever it started in its own group.
    if (own_group_) kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

absl::Status Subprocess::WriteStdin(absl::string_view data, absl::Time deadline) {
  if (stdin_fd_ < 0) return absl::FailedPreconditionError("stdin is closed");
  SigpipeGuard guard;
  return WriteAll(stdin_fd_, data, deadline);
}

void Subprocess::CloseStdin() { CloseFd(stdin_fd_); }

absl::StatusOr<int> Subprocess::Wait(absl::Time deadline) {
  if (exit_code_.has_value()) return *exit_code_;
  // A pidfd becomes readable the moment the child exits, so waiting costs
  // nothing extra (Linux 5.3+); without one, poll with a growing pause.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  absl::Duration pause = absl::Microseconds(200);
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      if (pidfd >= 0) close(pidfd);
      exit_code_ = DecodeWaitStatus(status);
      return *exit_code_;
    }
    if (done < 0 && errno != EINTR) {
      if (pidfd >= 0) close(pidfd);
      return absl::InternalError(absl::StrCat("waitpid: ", strerror(errno)));
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      if (pidfd >= 0) close(pidfd);
      return absl::DeadlineExceededError("child process still running");
    }
    if (pidfd >= 0) {
      struct pollfd ready = {pidfd, POLLIN, 0};
      poll(&ready, 1, PollTimeout(deadline));
      continue;
    }
    absl::SleepFor(std::min(pause, deadline - now));
    pause = std::min(pause * 2, absl::Milliseconds(20));
  }
}

void Subprocess::Kill(int signal) {
  if (pid_ <= 0) return;
  // The group outlives its leader: signal it even after the child exited.
  if (own_group_) kill(-pid_, signal);
  if (!exit_code_.has_value()) kill(pid_, signal);
}

absl::StatusOr<SubprocessResult> RunSubprocess(SubprocessOptions options, absl::string_view input,
                                               absl::Duration timeout) {
  options.stdin_mode = Stdio::kPipe;
  options.stdout_mode = Stdio::kPipe;
  options.stderr_mode = options.collect_stderr ? Stdio::kPipe : Stdio::kInherit;
  absl::StatusOr<std::unique_ptr<Subprocess>> started = Subprocess::Start(options);
  if (!started.ok()) return started.status();
  Subprocess& child = **started;
  const absl::Time deadline = absl::Now() + timeout;
  SubprocessResult result;

  int in = child.stdin_fd();
  int outs[2] = {child.stdout_fd(), child.stderr_fd()};
  std::string* sinks[2] = {&result.stdout_text, &result.stderr_text};
  bool* truncated[2] = {&result.stdout_truncated, &result.stderr_truncated};
  if (input.empty()) {
    child.CloseStdin();
    in = -1;
  }
  while (in >= 0 || outs[0] >= 0 || outs[1] >= 0) {
    struct pollfd fds[3];
    int count = 0;
    if (in >= 0) fds[count++] = {in, POLLOUT, 0};
    for (int fd : outs) {
      if (fd >= 0) fds[count++] = {fd, POLLIN, 0};
    }
    if (absl::Now() >= deadline) break;
    const int ready = poll(fds, count, PollTimeout(deadline));
    if (ready < 0 && errno != EINTR) {
      WipeString(result.stdout_text);
      return absl::InternalError(absl::StrCat("poll: ", strerror(errno)));
    }
    if (ready <= 0) continue;
    for (int i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in) {
        SigpipeGuard guard;
        const ssize_t n = write(in, input.data(), input.size());
        if (n > 0) input.remove_prefix(static_cast<size_t>(n));
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || input.empty()) {
          child.CloseStdin();
          in = -1;
        }
        continue;
      }
      const int which = fds[i].fd == outs[0] ? 0 : 1;
      char buffer[8192];
      const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        // Past the cap the child is drained but not stored: a command that
        // prints without end must not grow its caller without end.
        const size_t room = kMaxCollected - std::min(kMaxCollected, sinks[which]->size());
        if (static_cast<size_t>(n) > room) *truncated[which] = true;
        AppendWiped(*sinks[which],
                    absl::string_view(buffer, std::min(room, static_cast<size_t>(n))));
        explicit_bzero(buffer, sizeof(buffer));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        outs[which] = -1;  // The Subprocess closes it.
      }
    }
  }
  const bool drained = in < 0 && outs[0] < 0 && outs[1] < 0;
  absl::StatusOr<int> code = child.Wait(deadline);
  if (!code.ok() || !drained) {
    // Out of time: the child, or something it started that still holds its
    // output open, is killed with everything in its group.
    child.Kill(SIGKILL);
    WipeString(result.stdout_text);
    return absl::DeadlineExceededError(
        absl::StrCat(options.argv[0], " did not finish within ", absl::FormatDuration(timeout)));
  }
  result.exit_code = *code;
  return result;
}

}  // namespace cargo_credential
