#include "daemon/credcached_main.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "backends/etcd/etcd_tier.h"
#include "backends/libsecret_backend.h"
#include "common/duration.h"
#include "common/paths.h"
#include "daemon/config.h"
#include "daemon/credcached_flags.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "lib/hardening.h"
#include "systemd/sd-daemon.h"

namespace credcache {
namespace {

// Exit codes, in one place.
enum ExitCode {
  kOk = 0,
  kFailed = 1,     // Could not start or serve (including: another daemon serves).
  kUsage = 2,      // Bad command line.
  kBadConfig = 3,  // The config was refused.
};

struct Flags {
  DaemonOptions daemon;
  bool foreground = false;
  bool check_config = false;
  std::optional<LogLevel> log_level;  // --log-level, which wins over CREDCACHE_LOG.
  int ready_fd = -1;                  // Internal: the shim's readiness pipe.
};

// A usage error for one option's value (`given`, or none): what it takes,
// rather than the whole usage.
bool BadValue(absl::string_view option, absl::string_view takes,
              const std::optional<std::string>& given, int* exit_code) {
  const std::string line =
      absl::StrCat("credcached: ", option, " takes ", takes,
                   given.has_value() ? absl::StrCat("; `", *given, "` is not one") : "",
                   "\n(credcached --help lists every option)\n");
  fputs(line.c_str(), stderr);
  *exit_code = kUsage;
  return false;
}

bool ParseFlags(int argc, char** argv, Flags* flags, int* exit_code) {
  flags->daemon.socket_path = DefaultSocketPath();
  flags->daemon.config_path = DefaultConfigPath();
  flags->daemon.config_required = getenv("CREDCACHE_CONFIG") != nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string text;
    if (arg == "--help" || arg == "-h") {
      fputs(CredcachedUsage().c_str(), stdout);
      *exit_code = kOk;
      return false;
    } else if (arg == "--version") {
      printf("credcached %s\n", flags->daemon.version.c_str());
      *exit_code = kOk;
      return false;
    } else if (arg == "--print-default-config") {
      fputs(std::string(EmbeddedDefaultText(ProbeSecretService().ok())).c_str(), stdout);
      *exit_code = kOk;
      return false;
    } else if (arg == "--config" && value(&flags->daemon.config_path)) {
      flags->daemon.config_path = Absolute(flags->daemon.config_path);
      flags->daemon.config_required = true;
    } else if (arg == "--socket" && value(&flags->daemon.socket_path)) {
      flags->daemon.socket_path = Absolute(flags->daemon.socket_path);
      flags->daemon.socket_explicit = true;
    } else if (arg == "--foreground") {
      flags->foreground = true;
    } else if (arg == "--check-config") {
      flags->check_config = true;
    } else if (arg == "--idle-exit") {
      const bool given = value(&text);
      absl::StatusOr<absl::Duration> idle =
          given ? ParseIdleExit(text) : absl::InvalidArgumentError("no value");
      if (!idle.ok()) {
        return BadValue(arg, "a duration such as 15m, 90s or 1h30m, or a number of seconds",
                        given ? std::optional<std::string>(text) : std::nullopt, exit_code);
      }
      flags->daemon.idle_exit = *idle;
    } else if (arg == "--log-level") {
      const bool given = value(&text);
      absl::StatusOr<LogLevel> level =
          given ? ParseLogLevel(text) : absl::InvalidArgumentError("no level");
      if (!level.ok()) {
        return BadValue(arg, "error, warning, info or debug",
                        given ? std::optional<std::string>(text) : std::nullopt, exit_code);
      }
      flags->log_level = *level;
    } else if (arg == "--ready-fd" && value(&text) && absl::SimpleAtoi(text, &flags->ready_fd)) {
      flags->daemon.started_by_shim = true;  // Only a shim passes its pipe.
    } else {
      fprintf(stderr, "credcached: bad argument `%s`\n\n%s", arg.c_str(),
              CredcachedUsage().c_str());
      *exit_code = kUsage;
      return false;
    }
  }
  return true;
}

// Signals go to one thread, which turns them into daemon calls: handlers
// proper could do almost nothing safely.
void BlockSignals(sigset_t* set) {
  sigemptyset(set);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, set, nullptr);
}

// Detaches like a classic daemon: fork, and the child starts a session of
// its own, so it belongs to no terminal and, its parent gone, to init (no
// zombie is left for a parent that never waits). Returns -1 in the child
// and the parent's exit code in the parent.
//
// Started by hand, the parent waits until the child serves (or says why it
// cannot) so that `credcached && cargo ...` just works. Started by a shim
// (`ready_fd` given), the parent exits at once: the shim itself waits on the
// readiness pipe, which the child inherits.
int Daemonize(int* ready_fd) {
  int pipe_fds[2] = {-1, -1};
  if (*ready_fd < 0 && pipe2(pipe_fds, O_CLOEXEC) != 0) return kFailed;
  const pid_t pid = fork();
  if (pid < 0) return kFailed;
  if (pid > 0) {
    if (*ready_fd >= 0) return kOk;
    close(pipe_fds[1]);
    char buffer[512];
    std::string said;
    ssize_t n;
    while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0) said.append(buffer, n);
    if (said.rfind("ready", 0) == 0) return kOk;
    fprintf(stderr, "credcached: %s\n", said.empty() ? "failed to start" : said.c_str());
    // The child exits with the code that says what failed (a refused config
    // is 3): pass it on.
    int status = 0;
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) != kOk) {
      return WEXITSTATUS(status);
    }
    return kFailed;
  }
  setsid();
  if (chdir("/") != 0) return kFailed;
  const int null = open("/dev/null", O_RDWR);
  dup2(null, STDIN_FILENO);
  dup2(null, STDOUT_FILENO);
  close(null);
  if (*ready_fd < 0) {
    close(pipe_fds[0]);
    *ready_fd = pipe_fds[1];
  }
  return -1;
}

void SayReady(int ready_fd, absl::string_view what) {
  if (ready_fd < 0) return;
  ssize_t ignored = write(ready_fd, what.data(), what.size());
  (void)ignored;
  close(ready_fd);
}

}  // namespace

int CredcachedMain(int argc, char** argv, const std::string& version) {
  // First, before any secret or thread exists (re-executes once; see why in
  // lib/hardening.h).
  absl::Status wiping = cargo_credential::WipeFreedMemory(argv);
  // Debian's abseil checks every Mutex acquisition for lock-order cycles,
  // a debugging aid that costs every request (measured: a few percent of
  // a cached get's CPU). The unit tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Flags flags;
  flags.daemon.version = version;
  int exit_code = kOk;
  if (!ParseFlags(argc, argv, &flags, &exit_code)) return exit_code;
  // The flag wins; an empty variable is one not set. A bad value is refused
  // rather than ignored: whoever set it expects to see what it asked for.
  if (const char* env = getenv("CREDCACHE_LOG");
      !flags.log_level.has_value() && env != nullptr && *env != '\0') {
    absl::StatusOr<LogLevel> level = ParseLogLevel(env);
    if (!level.ok()) {
      const std::string why =
          absl::StrCat("CREDCACHE_LOG=", env, ": ", level.status().message(), " (or --log-level)");
      fprintf(stderr, "credcached: %s\n", why.c_str());
      SayReady(flags.ready_fd, why);  // A shim that started it shows why.
      return kUsage;
    }
    flags.log_level = *level;
  }
  SetLogLevel(flags.log_level.value_or(LogLevel::kInfo));

  if (flags.check_config) {
    absl::StatusOr<Config> config = LoadConfig(flags.daemon);
    // The files [etcd] names are part of the config: a start would read them.
    if (config.ok() && config->etcd.has_value()) {
      const absl::Status files = EtcdTier::CheckFiles(*config->etcd);
      if (!files.ok()) config = files;
    }
    // So are the programs backends run: a start would run them later.
    if (config.ok()) {
      const absl::Status programs = CheckPrograms(*config);
      if (!programs.ok()) config = programs;
    }
    if (!config.ok()) {
      fprintf(stderr, "credcached: %s\n", std::string(config.status().message()).c_str());
      return kBadConfig;
    }
    printf("%s: ok, %zu backend(s)", config->source.c_str(), config->backends.size());
    if (config->team.has_value()) {
      printf("; a team daemon on %s with %zu access rule(s)", config->team->socket.c_str(),
             config->team->access.rules().size());
    }
    if (config->etcd.has_value()) {
      printf("; shared through etcd at %s under %s",
             absl::StrJoin(config->etcd->connection.endpoints, ",").c_str(),
             config->etcd->prefix.c_str());
    }
    printf("\n");
    return kOk;
  }

  umask(077);
  absl::Status hardened = cargo_credential::HardenProcess();
  // Socket activation (systemd, or systemd-socket-activate): serve the
  // socket we were given, in the foreground, as the service manager wants.
  const int passed = sd_listen_fds(1);
  if (passed > 1) {
    fprintf(stderr, "credcached: expected one socket from systemd, got %d\n", passed);
    return kFailed;
  }
  if (passed == 1) {
    flags.daemon.inherited_fd = SD_LISTEN_FDS_START;
    flags.foreground = true;
  }
  // A team daemon's socket is its config's (`[listen] socket`), unless
  // --socket says otherwise. Only a file can make
  // a team daemon: the embedded default is never looked at here, since
  // choosing it asks the Secret Service, and a D-Bus connection made
  // before the fork below would not work after it.
  if (absl::StatusOr<Config> peek = LoadConfigFile(flags.daemon.config_path);
      peek.ok() && peek->team.has_value() && !flags.daemon.socket_explicit) {
    flags.daemon.socket_path = peek->team->socket;
  }
  if (!flags.foreground) {
    const int parent_exit = Daemonize(&flags.ready_fd);
    if (parent_exit >= 0) return parent_exit;
    // Detached, the daemon keeps a file of its own, where state outlives a
    // reboot: stderr is the terminal it was started from, or whatever a
    // shim gave it. Should the file fail, stderr it stays, saying why.
    if (absl::Status file = LogToFile(DefaultLogFile()); !file.ok()) {
      Log(LogLevel::kWarning, absl::StrCat(file.message(), "; logging to stderr instead"));
    }
  } else if (StderrIsJournal()) {
    // journald stamps time and pid, and takes the priority from a prefix.
    LogToJournal();
  }
  if (!hardened.ok()) Log(LogLevel::kWarning, hardened.message());
  if (!wiping.ok()) {
    Log(LogLevel::kWarning,
        absl::StrCat("freed memory is not wiped (", wiping.message(),
                     "): copies of tokens in library buffers may linger until reused"));
  }

  sigset_t signals;
  BlockSignals(&signals);
  // The exit code says what failed: the config (3), or the start itself (1),
  // whatever status code either failure carries.
  absl::StatusOr<Config> config = LoadConfig(flags.daemon);
  const bool config_refused = !config.ok();
  absl::StatusOr<std::unique_ptr<Daemon>> daemon = Daemon::Start(flags.daemon, std::move(config));
  if (!daemon.ok()) {
    const std::string message(daemon.status().message());
    Log(LogLevel::kError, message);
    SayReady(flags.ready_fd, message);
    if (flags.foreground) fprintf(stderr, "credcached: %s\n", message.c_str());
    return config_refused ? kBadConfig : kFailed;
  }
  SayReady(flags.ready_fd, "ready\n");

  Daemon* raw = daemon->get();
  std::thread([raw, signals]() {
    while (true) {
      int signal_number = 0;
      if (sigwait(&signals, &signal_number) != 0) continue;
      if (signal_number == SIGHUP) {
        raw->Reload().IgnoreError();  // Reload logs either way.
      } else {
        // The thread goes on waiting: a later signal, even while the calls
        // in flight drain, is logged and changes nothing.
        Log(LogLevel::kInfo, absl::StrCat("signal ", strsignal(signal_number), ": stopping"));
        raw->RequestStop();
      }
    }
  }).detach();
  (*daemon)->Run();
  // The signal thread may still touch the daemon until the process ends, so
  // it is not destroyed; exiting releases what it holds (the lock included).
  // Held by a static so that leak checkers see it is meant to live.
  static Daemon* const kept_until_exit = daemon->release();
  (void)kept_until_exit;
  return kOk;
}

}  // namespace credcache
