#include "tests/support/daemon_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/test_env.h"

namespace credcache_testing {

DaemonEnv::DaemonEnv() {
  root_ = MakeTempDir("cctest", "/tmp");
  socket_ = root_ + "/run/credcache.sock";
  mkdir((root_ + "/state").c_str(), 0700);
  mkdir((root_ + "/state/credcache").c_str(), 0700);
}

DaemonEnv::~DaemonEnv() {
  StopDaemon();
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

std::string DaemonEnv::ShimPath() { return Runfile("shim/cargo-credential-credcache"); }
std::string DaemonEnv::DaemonPath() { return Runfile("daemon/credcached"); }

void DaemonEnv::WriteConfig(const std::string& toml) {
  WriteFile(config_path(), toml);
  config_written_ = true;
}

std::vector<std::pair<std::string, std::string>> DaemonEnv::Environment() const {
  std::vector<std::pair<std::string, std::string>> env = {
      {"CREDCACHE_SOCKET", socket_},        {"CREDCACHE_DAEMON", DaemonPath()},
      {"XDG_DATA_HOME", root_ + "/data"},   {"XDG_CONFIG_HOME", root_ + "/config-home"},
      {"XDG_STATE_HOME", root_ + "/state"},
  };
  if (config_written_) env.push_back({"CREDCACHE_CONFIG", config_path()});
  return env;
}

cargo_credential::SubprocessResult DaemonEnv::Shim(
    const std::vector<std::string>& args, const std::string& input,
    std::vector<std::pair<std::string, std::string>> extra_env, const std::string& cwd) {
  cargo_credential::SubprocessOptions options;
  options.argv = {ShimPath()};
  options.cwd = cwd;
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.set_env = Environment();
  options.set_env.insert(options.set_env.end(), extra_env.begin(), extra_env.end());
  options.unset_env = {"CREDCACHE_NO_SPAWN"};
  absl::StatusOr<cargo_credential::SubprocessResult> result =
      cargo_credential::RunSubprocess(options, input, absl::Seconds(60));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : cargo_credential::SubprocessResult{-1, "", ""};
}

std::string DaemonEnv::AdminOutput(std::vector<std::pair<std::string, std::string>> extra_env) {
  std::string seen;
  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{{"list"},
                                             {"list", "--json"},
                                             {"stats"},
                                             {"stats", "--json"},
                                             {"status"},
                                             {"status", "--json"}}) {
    cargo_credential::SubprocessResult admin = Shim(command, "", extra_env);
    EXPECT_EQ(admin.exit_code, 0) << absl::StrJoin(command, " ") << ": " << admin.stderr_text;
    seen += admin.stdout_text + admin.stderr_text;
  }
  return seen;
}

cargo_credential::SubprocessResult DaemonEnv::Daemon(const std::vector<std::string>& args,
                                                     const std::string& program) {
  cargo_credential::SubprocessOptions options;
  options.argv = {program};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.set_env = Environment();
  absl::StatusOr<cargo_credential::SubprocessResult> result =
      cargo_credential::RunSubprocess(options, "", absl::Seconds(30));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : cargo_credential::SubprocessResult{-1, "", ""};
}

int DaemonEnv::DaemonPid() const {
  int pid = 0;
  const std::string text = ReadFile(socket_ + ".lock");
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &pid)) return 0;
  return pid;
}

bool DaemonEnv::DaemonRunning() const {
  const int fd = open((socket_ + ".lock").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = flock(fd, LOCK_EX | LOCK_NB) != 0;
  close(fd);
  return held;
}

void DaemonEnv::StopDaemon() {
  if (!DaemonRunning()) return;
  const int pid = DaemonPid();
  Shim({"stop"});
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (DaemonRunning() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  if (DaemonRunning() && pid > 0) {
    ADD_FAILURE() << "credcached (pid " << pid << ") did not stop; killing it";
    kill(pid, SIGKILL);
  }
}

std::unique_ptr<cargo_credential::Subprocess> StartSocketActivated(
    const DaemonEnv& env, const std::string& daemon, const std::string& stderr_file,
    const std::vector<std::string>& set_env) {
  mkdir((env.root() + "/run").c_str(), 0700);
  cargo_credential::SubprocessOptions options;
  options.argv = {"systemd-socket-activate", "-l", env.socket()};
  for (const std::string& variable : set_env) {
    options.argv.push_back("-E");
    options.argv.push_back(variable);
  }
  options.argv.insert(options.argv.end(), {daemon, "--config", env.config_path()});
  options.stdout_mode = cargo_credential::SubprocessOptions::Stdio::kNull;
  options.stderr_mode = cargo_credential::SubprocessOptions::Stdio::kFile;
  options.stderr_file = stderr_file;
  absl::StatusOr<std::unique_ptr<cargo_credential::Subprocess>> activator =
      cargo_credential::Subprocess::Start(options);
  EXPECT_TRUE(activator.ok()) << activator.status();
  if (!activator.ok()) return nullptr;
  for (int i = 0; i < 500 && access(env.socket().c_str(), F_OK) != 0; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  return *std::move(activator);
}

std::string GetRequestLine(const std::string& index_url, const std::string& name) {
  return absl::StrCat(R"({"v":1,"registry":{"index-url":")", index_url, R"(","name":")", name,
                      R"("},"kind":"get","operation":"read"})", "\n");
}

std::string AnswerLine(const cargo_credential::SubprocessResult& result) {
  std::vector<std::string> lines = absl::StrSplit(result.stdout_text, '\n', absl::SkipEmpty());
  return lines.size() == 2 ? lines[1] : "";
}

}  // namespace credcache_testing
