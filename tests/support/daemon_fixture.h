// DaemonEnv: a private world for credcached and its shim in one test: a
// short socket directory under /tmp (socket paths are limited to 107 bytes,
// and Bazel's temp paths are longer), a data directory, a config, and the
// environment that points the shim at them. Whatever daemon the test starts,
// by hand or through a shim, is stopped when the DaemonEnv dies, so no test
// leaves a process behind.
//
// Thread-safety: Shim() may run from several threads; the rest from one.
#ifndef CREDCACHE_TESTS_SUPPORT_DAEMON_FIXTURE_H_
#define CREDCACHE_TESTS_SUPPORT_DAEMON_FIXTURE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cargo_credential/subprocess.h"

namespace credcache_testing {

class DaemonEnv {
 public:
  DaemonEnv();
  ~DaemonEnv();

  const std::string& root() const { return root_; }
  const std::string& socket() const { return socket_; }
  // The daemon's log ($XDG_STATE_HOME/credcache/credcached.log), whose
  // directory is made up front so that a test can plant a file there.
  std::string log() const { return root_ + "/state/credcache/credcached.log"; }
  std::string data_dir() const { return root_ + "/data/credcache"; }
  std::string config_path() const { return root_ + "/config.toml"; }
  static std::string ShimPath();
  static std::string DaemonPath();

  // Writes the config file the daemon will read.
  void WriteConfig(const std::string& toml);

  // The environment for the shim and daemon (and for cargo running them).
  std::vector<std::pair<std::string, std::string>> Environment() const;

  // Runs the shim with `args` and `input` on stdin, in the working
  // directory `cwd` (empty: this process's).
  cargo_credential::SubprocessResult Shim(
      const std::vector<std::string>& args, const std::string& input = "",
      std::vector<std::pair<std::string, std::string>> extra_env = {}, const std::string& cwd = "");

  // Everything the read-only admin commands print (list, stats and status,
  // each plain and --json, stdout and stderr), each expected to succeed:
  // what a secret-hygiene test searches for a token.
  std::string AdminOutput(std::vector<std::pair<std::string, std::string>> extra_env = {});

  // Runs `program` (credcached unless given) with `args`, to completion (a
  // detaching daemon returns once it serves).
  cargo_credential::SubprocessResult Daemon(const std::vector<std::string>& args,
                                            const std::string& program = DaemonPath());

  // The pid written in the daemon's lock file, or 0.
  int DaemonPid() const;
  // Whether a daemon holds the socket's lock.
  bool DaemonRunning() const;
  // Stops the daemon (the `stop` command, then SIGKILL if it lingers) and
  // waits until it is gone.
  void StopDaemon();

 private:
  std::string root_;
  std::string socket_;
  bool config_written_ = false;
};

// A cargo `get`/`read` request line for `index_url`, with registry name
// `name`, ending in "\n".
// `systemd-socket-activate` listening on `env`'s socket, to start
// `daemon --config CONFIG` on the first connection as systemd's socket unit
// does, with each of `set_env` ("NAME=VALUE") in its environment and its
// stderr appended to `stderr_file` (a file: a pipe nobody reads could block
// the daemon). Waits (bounded) until the socket exists; null, with a test
// failure, when it cannot start.
std::unique_ptr<cargo_credential::Subprocess> StartSocketActivated(
    const DaemonEnv& env, const std::string& daemon, const std::string& stderr_file,
    const std::vector<std::string>& set_env = {});

std::string GetRequestLine(const std::string& index_url, const std::string& name = "myreg");

// The answer line of a shim's one-request exchange (its second line), or ""
// when it did not print exactly a hello and an answer.
std::string AnswerLine(const cargo_credential::SubprocessResult& result);

}  // namespace credcache_testing

#endif  // CREDCACHE_TESTS_SUPPORT_DAEMON_FIXTURE_H_
