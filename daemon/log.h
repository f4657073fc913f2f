// Log: credcached's own log, one line per event, at one of four levels.
//
// Where the lines go depends on how the daemon runs (credcached_main.cc
// decides, once, at start):
//   - detached (started by hand, or on demand by a shim): a file of its own,
//     DefaultLogFile(), timestamped lines, rotated by size (LogToFile);
//   - under systemd, with stderr connected to the journal (StderrIsJournal):
//     stderr, each line prefixed with its syslog priority ("<4>", as
//     sd-daemon.h's SD_WARNING) and without a timestamp or pid, which the
//     journal adds itself (LogToJournal);
//   - otherwise (--foreground by hand, or a service whose stderr is not the
//     journal): timestamped lines on stderr, the default.
//
// Callers pass messages that hold no secret: registry URLs, backend names,
// error messages (which by the project's rule never quote a token).
//
// A message is always one line: control characters in it (a client's
// registry name or URL may hold a line break or a terminal escape) are
// written as \xNN, and one longer than 2,000 bytes is cut.
//
// Thread-safety: every function may be called from any thread; lines never
// interleave. The setup functions are meant for main(), before threads.
#ifndef CREDCACHE_DAEMON_LOG_H_
#define CREDCACHE_DAEMON_LOG_H_

#include <stdint.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace credcache {

// Each level's value is its syslog priority, as the journal reads it.
enum class LogLevel {
  kError = 3,    // The daemon cannot do its job: it cannot start, or serve.
  kWarning = 4,  // Something failed and the daemon goes on: a backend call, a reload.
  kInfo = 6,     // Lifecycle (start, reload, stop) and backend calls that answered.
  kDebug = 7,    // Per-request detail: backends that declined, and the like.
};

// "error", "warning", "info" or "debug": what --log-level and CREDCACHE_LOG
// take. InvalidArgument naming the four otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name);
absl::string_view LogLevelName(LogLevel level);

// Lines less severe than `level` are dropped. The default is kInfo.
void SetLogLevel(LogLevel level);
// Whether a line at `level` would be written: lets a caller skip building
// a line nobody will read.
bool LogEnabled(LogLevel level);

// Writes `message` at `level`.
void Log(LogLevel level, absl::string_view message);
// Writes `message` at kInfo.
void Log(absl::string_view message);

// `status`'s message and its cause chain (lib/error.h), "message: cause:
// deeper cause", as cargo shows the user the same text as "Caused by:"
// lines. Empty for OK.
std::string ErrorText(const absl::Status& status);

// $XDG_STATE_HOME/credcache/credcached.log (when absolute), else
// ~/.local/state/credcache/credcached.log: state that outlives a reboot,
// where the XDG spec puts logs.
std::string DefaultLogFile();

// How big the log file grows before it is rotated, and how many old ones
// are kept (PATH.1 the newest .. PATH.keep the oldest).
struct LogFileLimits {
  int64_t max_bytes = int64_t{1} << 20;
  int keep = 3;
};

// Sends lines to the file at `path`, timestamped: its directory is made
// (0700) when missing, the file opened for appending (0600, never through a
// symlink) and made this process's stderr too, so that what libraries
// print there lands in the same file. Before a line would take the file
// past `limits.max_bytes`, the file is rotated. On failure nothing changes
// and lines keep going where they went.
absl::Status LogToFile(const std::string& path, LogFileLimits limits = {});

// Sends lines to stderr with a priority prefix and no timestamp or pid.
void LogToJournal();

// Sends timestamped lines to stderr: the default.
void LogToStderr();

// Whether stderr is systemd's journal: INVOCATION_ID is set (systemd runs
// this process) and JOURNAL_STREAM names stderr's device and inode (it is
// the stream systemd connected, not a redirection made since).
bool StderrIsJournal();

// Where lines go, for `status`: "journal", the file's path, or "stderr".
std::string LogDestination();

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_LOG_H_
