#include "daemon/log.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cargo_credential/error.h"
#include "common/paths.h"
#include "lib/files.h"

namespace credcache {
namespace {

// The longest message logged whole; a registry "name" sent by a client can
// be anything.
constexpr size_t kMaxMessage = 2000;

// `message` as one line of plain text: control characters (a line break
// that would forge a line, a terminal escape) are escaped, and an overlong
// message is cut.
std::string OneLine(absl::string_view message) {
  std::string out;
  for (const char c : message.substr(0, kMaxMessage)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      absl::StrAppend(&out, "\\x", absl::Hex(byte, absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  if (message.size() > kMaxMessage) absl::StrAppend(&out, "... (", message.size(), " bytes)");
  return out;
}

enum class Sink { kStderr, kJournal, kFile };

struct LogState {
  // Read on every line without the mutex: a level is one word.
  std::atomic<int> level{static_cast<int>(LogLevel::kInfo)};
  // Held while a line is written, so that a rotation never splits one.
  absl::Mutex mutex;
  Sink sink ABSL_GUARDED_BY(mutex) = Sink::kStderr;
  std::string path ABSL_GUARDED_BY(mutex);  // With Sink::kFile.
  LogFileLimits limits ABSL_GUARDED_BY(mutex);
};

// Never destroyed: a detached thread may log while the process exits.
LogState& State() {
  static LogState* const state = new LogState();
  return *state;
}

// Opens `path` for appending and makes it stderr. A FIFO or device planted
// at the path is refused (O_NONBLOCK: opening a FIFO nobody reads would
// otherwise block the daemon), and so is a symlink (O_NOFOLLOW).
absl::Status OpenAsStderr(const std::string& path) {
  cargo_credential::ScopedFd fd(open(
      path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600));
  if (!fd.valid()) return cargo_credential::FileError("cannot open the log file", path);
  struct stat info;
  if (fstat(fd.get(), &info) != 0) return cargo_credential::FileError("cannot inspect", path);
  if (!S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("the log file ", path, " is not a file"));
  }
  // An older file (say, from a build that made it 0644) is made private
  // too: the log names registries and backends.
  if (fchmod(fd.get(), 0600) != 0) return cargo_credential::FileError("cannot chmod", path);
  fcntl(fd.get(), F_SETFL, O_APPEND);
  if (dup2(fd.get(), STDERR_FILENO) < 0) {
    return cargo_credential::FileError("cannot make stderr", path);
  }
  return absl::OkStatus();
}

// Moves PATH.(keep-1) .. PATH.1 up one (the oldest goes), PATH to PATH.1,
// and opens a new PATH as stderr. Other daemons of the same user (another
// socket) may write the same file: the directory's lock keeps two from
// rotating at once, and a file that is no longer the one at PATH was
// rotated by another, so it is only reopened. On failure the old file
// stays stderr: lines go on, past the limit, rather than nowhere.
void Rotate(LogState& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(state.mutex) {
  // A copy, not a reference: clang's thread-safety analysis cannot tell
  // that a reference to a guarded member is only used under the lock.
  const std::string path = state.path;
  cargo_credential::ScopedFd dir(
      open(cargo_credential::DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) flock(dir.get(), LOCK_EX);
  struct stat ours;
  struct stat named;
  const bool still_ours = fstat(STDERR_FILENO, &ours) == 0 && lstat(path.c_str(), &named) == 0 &&
                          ours.st_dev == named.st_dev && ours.st_ino == named.st_ino;
  if (still_ours) {
    for (int i = state.limits.keep - 1; i >= 1; --i) {
      rename(absl::StrCat(path, ".", i).c_str(), absl::StrCat(path, ".", i + 1).c_str());
    }
    if (state.limits.keep >= 1) {
      rename(path.c_str(), absl::StrCat(path, ".1").c_str());
    } else {
      unlink(path.c_str());
    }
  }
  (void)OpenAsStderr(path);
  // Closing the directory drops its lock.
}

// Writes one line at `level`, in the sink's format.
void Write(LogLevel level, absl::string_view message) {
  LogState& state = State();
  absl::MutexLock lock(&state.mutex);
  std::string line;
  if (state.sink == Sink::kJournal) {
    // journald reads the priority from the prefix (SyslogLevelPrefix=, on
    // by default) and stamps the time and pid itself.
    line = absl::StrCat("<", static_cast<int>(level), ">", OneLine(message), "\n");
  } else {
    line = absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                        " credcached[", getpid(), "] ", LogLevelName(level), ": ", OneLine(message),
                        "\n");
  }
  // fstat rather than a count of our own bytes: what libraries print on
  // stderr goes to the same file.
  // The limit is read here, under the lock: the lambda is checked by
  // clang's thread-safety analysis as a function of its own, which holds
  // no lock.
  const int64_t max_bytes = state.limits.max_bytes;
  auto too_big = [max_bytes, &line]() {
    struct stat info;
    return fstat(STDERR_FILENO, &info) == 0 && info.st_size > 0 &&
           info.st_size + static_cast<int64_t>(line.size()) > max_bytes;
  };
  // Twice at most: the file another writer's rotation left may itself be
  // full by now, and is then ours to rotate.
  for (int i = 0; i < 2 && state.sink == Sink::kFile && too_big(); ++i) Rotate(state);
  // One write() per line: O_APPEND keeps whole lines of several writers
  // (a library, another daemon on the same file) apart.
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name) {
  for (const LogLevel level :
       {LogLevel::kError, LogLevel::kWarning, LogLevel::kInfo, LogLevel::kDebug}) {
    if (name == LogLevelName(level)) return level;
  }
  return absl::InvalidArgumentError("takes error, warning, info or debug");
}

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "info";
}

void SetLogLevel(LogLevel level) { State().level = static_cast<int>(level); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) <= State().level.load(); }

void Log(LogLevel level, absl::string_view message) {
  if (LogEnabled(level)) Write(level, message);
}

void Log(absl::string_view message) { Log(LogLevel::kInfo, message); }

std::string ErrorText(const absl::Status& status) {
  if (status.ok()) return "";
  std::string text(status.message());
  if (text.empty()) {
    text = std::string(cargo_credential::DefaultMessage(cargo_credential::KindOf(status)));
  }
  for (const std::string& cause : cargo_credential::CausedBy(status)) {
    absl::StrAppend(&text, ": ", cause);
  }
  return text;
}

std::string DefaultLogFile() {
  if (const char* state = getenv("XDG_STATE_HOME"); state != nullptr && *state == '/') {
    return absl::StrCat(state, "/credcache/credcached.log");
  }
  return absl::StrCat(HomeDirectory(), "/.local/state/credcache/credcached.log");
}

absl::Status LogToFile(const std::string& path, LogFileLimits limits) {
  const std::string dir = cargo_credential::DirectoryOf(path);
  if (absl::Status made = cargo_credential::MakeDirectories(dir, 0700); !made.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot make the log's directory ", dir, ": ", made.message()));
  }
  LogState& state = State();
  absl::MutexLock lock(&state.mutex);
  if (absl::Status opened = OpenAsStderr(path); !opened.ok()) return opened;
  state.sink = Sink::kFile;
  state.path = path;
  state.limits = limits;
  return absl::OkStatus();
}

void LogToJournal() {
  LogState& state = State();
  absl::MutexLock lock(&state.mutex);
  state.sink = Sink::kJournal;
  state.path.clear();
}

void LogToStderr() {
  LogState& state = State();
  absl::MutexLock lock(&state.mutex);
  state.sink = Sink::kStderr;
  state.path.clear();
}

bool StderrIsJournal() {
  const char* invocation = getenv("INVOCATION_ID");
  const char* stream = getenv("JOURNAL_STREAM");
  if (invocation == nullptr || *invocation == '\0' || stream == nullptr) return false;
  // "DEVICE:INODE", both decimal (systemd.exec(5)).
  const std::vector<absl::string_view> parts = absl::StrSplit(stream, ':');
  uint64_t device = 0;
  uint64_t inode = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &device) ||
      !absl::SimpleAtoi(parts[1], &inode)) {
    return false;
  }
  struct stat info;
  return fstat(STDERR_FILENO, &info) == 0 && static_cast<uint64_t>(info.st_dev) == device &&
         static_cast<uint64_t>(info.st_ino) == inode;
}

std::string LogDestination() {
  LogState& state = State();
  absl::MutexLock lock(&state.mutex);
  switch (state.sink) {
    case Sink::kJournal:
      return "journal";
    case Sink::kFile:
      return state.path;
    case Sink::kStderr:
      break;
  }
  return "stderr";
}

}  // namespace credcache
