#include "tests/support/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace credcache_testing {
namespace {

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& each : strings) pointers.push_back(each.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Terminal>> Terminal::Start(
    const cargo_credential::SubprocessOptions& options) {
  const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
    if (master >= 0) close(master);
    return absl::InternalError(absl::StrCat("no pseudo-terminal: ", strerror(errno)));
  }
  const std::string slave = ptsname(master);
  std::vector<std::string> argv_strings = options.argv;
  std::vector<std::string> env_strings = cargo_credential::ChildEnvironment(options);
  std::vector<char*> argv = Pointers(argv_strings);
  std::vector<char*> envp = Pointers(env_strings);
  const pid_t pid = fork();
  if (pid < 0) {
    close(master);
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    // A new session: opening the pty makes it the controlling terminal.
    setsid();
    const int fd = open(slave.c_str(), O_RDWR);
    if (fd < 0) _exit(126);
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2) close(fd);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(126);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    execvpe(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  return std::unique_ptr<Terminal>(new Terminal(pid, master));
}

Terminal::~Terminal() {
  if (!exit_code_.has_value()) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  } else {
    kill(-pid_, SIGKILL);  // Whatever it left in its group.
  }
  close(master_);
}

void Terminal::Read(absl::Duration timeout) {
  struct pollfd ready = {master_, POLLIN, 0};
  if (poll(&ready, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) <= 0) return;
  char buffer[4096];
  ssize_t n;
  while ((n = read(master_, buffer, sizeof(buffer))) > 0) screen_.append(buffer, n);
}

const std::string& Terminal::Screen() {
  Read(absl::ZeroDuration());
  return screen_;
}

bool Terminal::WaitFor(const std::string& text, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!absl::StrContains(screen_, text)) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    Read(std::min(left, absl::Milliseconds(50)));
  }
  return true;
}

void Terminal::Type(const std::string& keys) {
  size_t written = 0;
  while (written < keys.size()) {
    const ssize_t n = write(master_, keys.data() + written, keys.size() - written);
    if (n > 0) {
      written += static_cast<size_t>(n);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return;
    }
  }
}

std::optional<int> Terminal::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!exit_code_.has_value()) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (absl::Now() >= deadline) break;
    Read(absl::Milliseconds(20));
  }
  Read(absl::ZeroDuration());
  return exit_code_;
}

}  // namespace credcache_testing
