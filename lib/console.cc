#include "cargo_credential/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "cargo_credential/line_io.h"
#include "lib/files.h"

namespace cargo_credential {
namespace {

// A pasted token is short; anything longer is a mistake (a file, say).
constexpr size_t kMaxTokenLine = 64 * 1024;

// Restores the terminal's echo on every path out of PromptSecret, including
// a failed read.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) == 0) {
      struct termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      quiet.c_lflag |= ECHONL;
      active_ = tcsetattr(fd_, TCSANOW, &quiet) == 0;
    }
  }
  ~EchoOff() {
    if (active_) tcsetattr(fd_, TCSANOW, &saved_);
  }

 private:
  const int fd_;
  struct termios saved_ {};
  bool active_ = false;
};

}  // namespace

absl::Status AttachStdioToConsole() {
  fflush(stdout);
  std::cout.flush();
  int console = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (console < 0) console = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (console < 0) {
    return absl::InternalError(absl::StrCat("open /dev/null: ", strerror(errno)));
  }
  const bool ok = dup2(console, STDIN_FILENO) >= 0 && dup2(console, STDOUT_FILENO) >= 0;
  const int saved_errno = errno;
  close(console);
  if (!ok) {
    return absl::InternalError(absl::StrCat("dup2: ", strerror(saved_errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Secret> PromptSecret(absl::string_view prompt) {
  ScopedFd tty(open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (tty.get() < 0) {
    return absl::FailedPreconditionError(
        "no terminal to ask for the token on; give it on stdin instead, "
        "e.g. `echo \"$TOKEN\" | cargo login --registry NAME`");
  }
  std::optional<std::string> line;
  {
    // Echo goes off before the prompt shows, so nothing typed after the
    // prompt appears can be echoed.
    EchoOff quiet(tty.get());
    absl::Status written = WriteAll(tty.get(), prompt);
    if (!written.ok()) return written;
    LineReader reader(tty.get(), kMaxTokenLine);
    absl::StatusOr<std::optional<std::string>> read = reader.Next();
    if (!read.ok()) return read.status();
    line = std::move(*read);
  }
  if (!line.has_value()) {
    return absl::InvalidArgumentError("no token was entered");
  }
  std::string value = std::move(*line);
  // Trim what a paste often brings along: a CR and surrounding blanks.
  const size_t begin = value.find_first_not_of(" \t\r");
  const size_t end = value.find_last_not_of(" \t\r");
  Secret token(begin == std::string::npos
                   ? absl::string_view()
                   : absl::string_view(value).substr(begin, end - begin + 1));
  WipeString(value);
  if (token.empty()) return absl::InvalidArgumentError("no token was entered");
  return token;
}

absl::StatusOr<std::string> ReadLine() {
  struct stat info;
  if (fstat(STDIN_FILENO, &info) == 0 && S_ISCHR(info.st_mode) && !isatty(STDIN_FILENO)) {
    return absl::FailedPreconditionError("no terminal to read the answer from");
  }
  // A byte at a time, through no buffer: what follows the line stays in
  // stdin for whoever reads next (a terminal hands over a line at a time
  // anyway).
  std::string line;
  bool ended = false;
  while (!ended) {
    char c;
    const ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::InternalError(absl::StrCat("read stdin: ", strerror(errno)));
    if (n == 0) {
      if (line.empty()) return absl::FailedPreconditionError("no answer: stdin is closed");
      break;
    }
    if (c == '\n') {
      ended = true;
    } else if (line.size() >= kMaxTokenLine) {
      return absl::InvalidArgumentError("the line is too long");
    } else {
      line += c;
    }
  }
  const size_t begin = line.find_first_not_of(" \t\r");
  const size_t end = line.find_last_not_of(" \t\r");
  return begin == std::string::npos ? std::string() : line.substr(begin, end - begin + 1);
}

absl::StatusOr<Secret> ReadToken(const LoginOptions& login, const RegistryInfo& registry) {
  if (login.token.has_value()) {
    if (login.token->empty()) {
      return absl::InvalidArgumentError("cargo passed an empty token");
    }
    return login.token->Clone();
  }
  std::string prompt;
  if (login.login_url.has_value()) {
    prompt = absl::StrCat("please paste the token found on ", *login.login_url, " below\n");
  } else {
    prompt = absl::StrCat("please paste the token for ", registry.name.value_or(registry.index_url),
                          " below\n");
  }
  return PromptSecret(prompt);
}

}  // namespace cargo_credential
