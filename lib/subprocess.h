/// @file
/// Subprocess: a child process with pipes and deadlines.
///
/// Cargo runs providers as child processes, and so do credcache's backends
/// that wrap a command or another provider, and so do the tests. This is the
/// one place that spawns them: posix_spawn (no fork of a large process), pipes
/// that are close-on-exec on the parent's side, and every wait bounded by a
/// deadline so that a child that hangs is killed, never waited on forever.
///
/// Ownership: a Subprocess owns its pipes and the child. Destroying one whose
/// child still runs kills the child (SIGKILL, with its process group when it
/// has its own) and reaps it; one that was waited for or released is left be.
///
/// Thread-safety: one thread at a time per Subprocess.
///
/// A token printed by a command (an SSO tool, say), and the first line a child
/// prints within 5 seconds:
///
/// @code
/// #include <memory>
/// #include <optional>
/// #include <string>
/// #include <utility>
/// #include <vector>
///
/// #include "absl/status/status.h"
/// #include "absl/strings/ascii.h"
/// #include "absl/strings/str_cat.h"
/// #include "absl/time/clock.h"
/// #include "absl/time/time.h"
/// #include "cargo_credential/secret.h"
/// #include "cargo_credential/subprocess.h"
///
/// absl::StatusOr<cargo_credential::Secret> TokenFromCommand(std::vector<std::string> argv) {
///   cargo_credential::SubprocessOptions options;
///   options.argv = std::move(argv);
///   options.unset_env = {"CARGO_REGISTRY_TOKEN", "CARGO_REGISTRIES_*_TOKEN"};
///   absl::StatusOr<cargo_credential::SubprocessResult> result =
///       cargo_credential::RunSubprocess(std::move(options), /*input=*/"", absl::Seconds(30));
///   if (!result.ok()) return result.status();  // could not start, or killed at the timeout
///   if (result->exit_code != 0) {
///     return absl::UnavailableError(absl::StrCat("the token command exited with ",
///                                                result->exit_code, ": ", result->stderr_text));
///   }
///   absl::StripTrailingAsciiWhitespace(&result->stdout_text);
///   return cargo_credential::Secret(std::move(result->stdout_text));
/// }
///
/// absl::StatusOr<std::string> FirstLine(const cargo_credential::SubprocessOptions& options) {
///   absl::StatusOr<std::unique_ptr<cargo_credential::Subprocess>> child =
///       cargo_credential::Subprocess::Start(options);  // options.stdout_mode is kPipe
///   if (!child.ok()) return child.status();
///   absl::StatusOr<std::optional<std::string>> line =
///       (*child)->stdout_lines().Next(absl::Now() + absl::Seconds(5));
///   if (!line.ok()) return line.status();
///   if (!line->has_value()) return absl::UnavailableError("the child printed nothing");
///   return **line;  // the child, if still running, is killed as `child` goes
/// }
/// @endcode
#ifndef CARGO_CREDENTIAL_SUBPROCESS_H_
#define CARGO_CREDENTIAL_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cargo_credential/line_io.h"

namespace cargo_credential {

/// What to run, and how.
struct SubprocessOptions {
  /// Where one of the child's stdin, stdout and stderr goes.
  enum class Stdio {
    kPipe,     ///< a pipe to this process
    kInherit,  ///< this process's own descriptor
    kNull,     ///< /dev/null
    kFile,     ///< stderr only: appended to `stderr_file` (created 0600)
  };

  /// argv[0] is the program: a path, or a name looked up on PATH.
  std::vector<std::string> argv;
  /// Set in the child's environment, over what it inherits.
  std::vector<std::pair<std::string, std::string>> set_env;
  /// Removed from the child's environment: names, or shell globs on names
  /// ("CARGO_REGISTRIES_*_TOKEN").
  std::vector<std::string> unset_env;
  /// The child's working directory; empty for this process's.
  std::string cwd;
  Stdio stdin_mode = Stdio::kPipe;      ///< The child's stdin.
  Stdio stdout_mode = Stdio::kPipe;     ///< The child's stdout.
  Stdio stderr_mode = Stdio::kInherit;  ///< The child's stderr.
  std::string stderr_file;              ///< The file of stderr_mode kFile.
  /// Descriptors of this process to pass on, as (ours, the child's number).
  std::vector<std::pair<int, int>> pass_fds;
  /// Starts the child in a session of its own (setsid), detached from this
  /// process's terminal and process group, as a daemon should be.
  bool new_session = false;
  /// Starts the child in a process group of its own, so that Kill() and the
  /// destructor reach everything it started too (a `sh -c` and its `sleep`),
  /// not only the child itself.
  bool new_process_group = false;
  /// For RunSubprocess only: false leaves the child's stderr where this
  /// process has it instead of collecting it (a child that prompts there
  /// must be seen before it is answered); stderr_mode is ignored there.
  bool collect_stderr = true;
};

/// The environment a child started with `options` gets, as KEY=VALUE: this
/// process's, less `unset_env` (names or globs), with `set_env` over it.
std::vector<std::string> ChildEnvironment(const SubprocessOptions& options);

/// What RunSubprocess() collects.
struct SubprocessResult {
  /// The exit code, or 128 + the signal number for a child a signal ended.
  int exit_code = 0;
  std::string stdout_text;  ///< What the child printed on stdout.
  std::string stderr_text;  ///< What the child printed on stderr, when collected.
  /// Whether the child printed more than RunSubprocess keeps (kMaxCollected)
  /// on stdout, or on stderr: what was kept is then only the beginning.
  /// @{
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  /// @}
};

/// The most RunSubprocess keeps of each of stdout and stderr.
inline constexpr size_t kMaxCollected = size_t{1} << 20;

/// A running child process, with the parent's ends of its pipes.
class Subprocess {
 public:
  /// Starts the child. Fails when the program cannot be found or run.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(const SubprocessOptions& options);

  Subprocess(const Subprocess&) = delete;             ///< Not copyable: it owns the child.
  Subprocess& operator=(const Subprocess&) = delete;  ///< Not copyable: it owns the child.
  /// Kills the child if it still runs and was not released, and reaps it.
  ~Subprocess();

  /// The child's process ID.
  pid_t pid() const { return pid_; }
  /// The parent's ends of the pipes (non-blocking), or -1.
  /// @{
  int stdin_fd() const { return stdin_fd_; }
  int stdout_fd() const { return stdout_fd_; }
  int stderr_fd() const { return stderr_fd_; }
  /// @}

  /// Lines of the child's stdout; requires stdout_mode kPipe.
  LineReader& stdout_lines() { return *stdout_lines_; }

  /// Writes to the child's stdin; requires stdin_mode kPipe.
  absl::Status WriteStdin(absl::string_view data, absl::Time deadline);
  /// Closes the child's stdin, which it sees as end of input.
  void CloseStdin();

  /// Waits for the child to exit until `deadline`; returns its exit code (or
  /// 128 + signal). DeadlineExceeded leaves the child running.
  absl::StatusOr<int> Wait(absl::Time deadline);
  /// Sends `signal` to the child if it still runs, and to its whole process
  /// group when it has one of its own.
  void Kill(int signal);
  /// Lets the child outlive this object: it is neither killed nor waited for.
  void Release() { exit_code_ = 0; }

 private:
  Subprocess() = default;

  pid_t pid_ = -1;
  bool own_group_ = false;
  std::optional<int> exit_code_;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::unique_ptr<LineReader> stdout_lines_;
};

/// Runs a child to completion: writes `input` to its stdin (then closes it)
/// while collecting stdout and stderr (unless `collect_stderr` is false),
/// the first kMaxCollected bytes of each (the options' modes for those are
/// taken as kPipe; the rest is read and dropped, and the result says so). A
/// child still running at `timeout` is killed (with its process group, when
/// it has one), and the call fails with DeadlineExceeded naming the program.
/// The collected output is gathered without leaving copies in freed memory,
/// since it may be a token.
absl::StatusOr<SubprocessResult> RunSubprocess(SubprocessOptions options, absl::string_view input,
                                               absl::Duration timeout);

}  // namespace cargo_credential

#endif  // CARGO_CREDENTIAL_SUBPROCESS_H_
