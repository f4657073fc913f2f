// Terminal: a program run on a pseudo-terminal of its own, as a user runs it
// in a terminal window: a new session whose controlling terminal is the
// pty, with stdin, stdout and stderr on it. The test reads what the screen
// shows and types on the keyboard (Ctrl-C included: "\x03" reaches the
// foreground process group as SIGINT, as the real key does).
//
// Ownership: owns the child and the pty; the destructor kills the child's
// whole session (process group) and reaps it, so nothing outlives a test.
// Thread-safety: one thread per Terminal.
#ifndef CREDCACHE_TESTS_SUPPORT_TERMINAL_H_
#define CREDCACHE_TESTS_SUPPORT_TERMINAL_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cargo_credential/subprocess.h"

namespace credcache_testing {

class Terminal {
 public:
  // Starts `options.argv` with its set_env, unset_env and
  // cwd; the stdio modes are ignored (all three are the terminal).
  static absl::StatusOr<std::unique_ptr<Terminal>> Start(
      const cargo_credential::SubprocessOptions& options);
  ~Terminal();

  // Everything the screen has shown so far (read now).
  const std::string& Screen();
  // Whether `text` shows on the screen within `timeout`.
  bool WaitFor(const std::string& text, absl::Duration timeout);
  // Types `keys`.
  void Type(const std::string& keys);
  // The exit code once the program exits within `timeout` (128+N for
  // signal N), or nullopt. The screen keeps being read meanwhile, so a
  // program writing much never blocks on it.
  std::optional<int> Wait(absl::Duration timeout);
  pid_t pid() const { return pid_; }

 private:
  Terminal(pid_t pid, int master) : pid_(pid), master_(master) {}
  // Reads what is there to read, waiting up to `timeout` for the first byte.
  void Read(absl::Duration timeout);

  const pid_t pid_;
  const int master_;
  std::string screen_;
  std::optional<int> exit_code_;
};

}  // namespace credcache_testing

#endif  // CREDCACHE_TESTS_SUPPORT_TERMINAL_H_
