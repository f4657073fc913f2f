// Benchmark 6: what a team daemon's access rules and audit cost a cached get.
//
//   team_bench [SECONDS]                          as root; default 5
//   team_bench --load SOCKET CLIENTS INDEX_URL    one load process (below)
//
// Makes a group, four users in it and a service account, named for the run,
// and runs credcached as the service account (setpriv) as a team daemon: a
// [listen] socket shared with the group, a [[rule]] letting the group read,
// an audit file, one shared env backend. The reference: a personal daemon
// (root's, no [listen], the same backend). Each is loaded with cached gets
// by 64 clients for SECONDS, from 4 load processes of 16 clients: for the
// team daemon one process per user, run as that user, so that the kernel
// names that user to the daemon (SO_PEERCRED, SO_PEERGROUPS); for the
// personal daemon, which admits only its own uid, all four as root. Prints
// each figure of the team daemon with its ratio to the personal one. The
// goal (issue 11): rules and audit cost at most 10% more daemon CPU per
// cached get; the ratio is printed, never failed on.
//
// Whatever the run made (users, group, files, processes) is removed when it
// ends, however it ends: return, exit(), SIGINT, SIGTERM or SIGHUP. Not run
// as root, it says that it skipped and exits 0.
//
// A load process connects CLIENTS clients to SOCKET (bench/load.h), warms
// each with one get of INDEX_URL, prints "ready", waits for "go SECONDS" on
// stdin, runs, and prints "done REQUESTS SECONDS", its latencies in
// nanoseconds (lines of up to 1000) and "end"; or "failed WHY" instead.
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/daemon_probe.h"
#include "bench/load.h"
#include "bench/stopwatch.h"
#include "cargo_credential/line_io.h"
#include "cargo_credential/subprocess.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_env.h"

namespace credcache_bench {
namespace {

using cargo_credential::Subprocess;
using cargo_credential::SubprocessOptions;
using cargo_credential::SubprocessResult;

constexpr int kUsers = 4;
constexpr int kClientsPerProcess = 16;
constexpr char kIndexUrl[] = "sparse+http://bench.example/index/";
// The one backend, the same in both daemons.
constexpr char kBackend[] =
    "[[backend]]\nname = \"bench\"\nkind = \"env\"\nscope = \"shared\"\nindex_urls = [\"*\"]\n"
    "variable = \"CREDCACHE_BENCH_TOKEN\"\n";

// What the run made outside itself, undone when it ends however it ends:
// at the end of main, at exit() (a load process that fails, say), and on
// SIGINT, SIGTERM and SIGHUP (WatchSignals).
class Leftovers {
 public:
  void Group(const std::string& name) {
    absl::MutexLock lock(&mutex_);
    group_ = name;
  }
  void User(const std::string& name) {
    absl::MutexLock lock(&mutex_);
    users_.push_back(name);
  }
  void Directory(const std::string& path) {
    absl::MutexLock lock(&mutex_);
    directories_.push_back(path);
  }
  // A child started in a process group of its own: killed with its group
  // and reaped, unless Reaped() says it was.
  void Child(pid_t pid) {
    absl::MutexLock lock(&mutex_);
    children_.push_back(pid);
  }
  void Reaped(pid_t pid) {
    absl::MutexLock lock(&mutex_);
    children_.erase(std::remove(children_.begin(), children_.end(), pid), children_.end());
  }
  // A process the run started that is not its child (a daemon a shim
  // started): killed, unless Stopped() says it was.
  void Daemon(pid_t pid) {
    absl::MutexLock lock(&mutex_);
    daemons_.push_back(pid);
  }
  void Stopped(pid_t pid) {
    absl::MutexLock lock(&mutex_);
    daemons_.erase(std::remove(daemons_.begin(), daemons_.end(), pid), daemons_.end());
  }

  // Kills the processes, then removes the users (who then own none), the
  // group and the directories. Once; later calls do nothing.
  void Undo() {
    absl::MutexLock lock(&mutex_);
    for (pid_t pid : children_) {
      kill(-pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    children_.clear();
    for (pid_t pid : daemons_) {
      kill(pid, SIGKILL);
      const absl::Time deadline = absl::Now() + absl::Seconds(5);
      while (kill(pid, 0) == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
    }
    daemons_.clear();
    std::vector<std::vector<std::string>> commands;
    for (auto user = users_.rbegin(); user != users_.rend(); ++user) {
      commands.push_back({"userdel", *user});
    }
    if (!group_.empty()) commands.push_back({"groupdel", group_});
    for (const std::string& directory : directories_) {
      commands.push_back({"rm", "-rf", "--", directory});
    }
    for (const std::vector<std::string>& command : commands) {
      if (std::string failed = Run(command); !failed.empty()) {
        fprintf(stderr, "team_bench: cannot undo the run: %s\n", failed.c_str());
      }
    }
    users_.clear();
    group_.clear();
    directories_.clear();
  }

  // Runs `argv` to completion; what it said on stderr if it failed.
  static std::string Run(const std::vector<std::string>& argv) {
    SubprocessOptions options;
    options.argv = argv;
    absl::StatusOr<SubprocessResult> result =
        cargo_credential::RunSubprocess(options, "", absl::Seconds(60));
    if (!result.ok()) return std::string(result.status().message());
    if (result->exit_code != 0) {
      return absl::StrCat(absl::StrJoin(argv, " "), " exited ", result->exit_code, ": ",
                          result->stderr_text);
    }
    return "";
  }

 private:
  absl::Mutex mutex_;
  std::string group_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> users_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> directories_ ABSL_GUARDED_BY(mutex_);
  std::vector<pid_t> children_ ABSL_GUARDED_BY(mutex_);
  std::vector<pid_t> daemons_ ABSL_GUARDED_BY(mutex_);
};

Leftovers& leftovers() {
  static Leftovers* const leftovers = new Leftovers();
  return *leftovers;
}

// From here on, SIGINT, SIGTERM and SIGHUP undo the run and end it, from a
// thread of their own (nothing is undone in a signal handler). Call before
// any other thread starts, so that every thread blocks them; children get
// their signals back (Subprocess clears the mask).
void WatchSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals, signal);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([signals] {
    int signal = 0;
    sigwait(&signals, &signal);
    fprintf(stderr, "team_bench: signal %d: removing the run's users and files\n", signal);
    leftovers().Undo();
    _exit(128 + signal);
  }).detach();
  atexit([] { leftovers().Undo(); });
}

// The team daemon and what it runs as.
struct Team {
  std::string group, service;
  std::vector<std::string> users;
  std::string root;  // 0755: everyone may run what is in bin/.
  std::string bin, service_dir, run_dir, socket, audit_file;
  std::unique_ptr<Subprocess> daemon;
  int pid = 0;
};

// Copies `from` to `to`, mode 0755, for the run's users to run (bazel-bin
// is under root's home).
absl::Status Install(const std::string& from, const std::string& to) {
  std::string failed = Leftovers::Run({"cp", "--", from, to});
  if (failed.empty() && chmod(to.c_str(), 0755) != 0) failed = absl::StrCat("chmod ", to);
  if (!failed.empty()) return absl::InternalError(failed);
  return absl::OkStatus();
}

std::string TeamConfig(const Team& team) {
  return absl::StrCat("[listen]\nsocket = \"", team.socket, "\"\ngroup = \"", team.group,
                      "\"\n\n[audit]\nfile = \"", team.audit_file,
                      // No rotation during the run: every record stays
                      // there to count.
                      "\"\nmax_size = ", int64_t{1} << 36, "\n\n[limits]\ncalls_per_user = 64\n\n",
                      kBackend, "\n[[rule]]\nregistries = [\"*\"]\ngroups = [\"", team.group,
                      "\"]\noperations = [\"read\"]\n");
}

// Makes the accounts and files, and starts the team daemon.
absl::Status StartTeam(Team& team) {
  absl::BitGen random;
  const std::string suffix =
      absl::StrFormat("%05d%04x", getpid() % 100000, absl::Uniform<uint32_t>(random, 0, 0x10000));
  team.group = "ccbg" + suffix;
  team.service = "ccbs" + suffix;
  if (std::string failed = Leftovers::Run({"groupadd", team.group}); !failed.empty()) {
    return absl::InternalError(failed);
  }
  leftovers().Group(team.group);
  std::vector<std::string> accounts = {team.service};
  for (int i = 0; i < kUsers; ++i) accounts.push_back(absl::StrCat("ccbu", i, suffix));
  for (const std::string& account : accounts) {
    if (std::string failed =
            Leftovers::Run({"useradd", "-M", "-s", "/usr/sbin/nologin", "-G", team.group, account});
        !failed.empty()) {
      return absl::InternalError(failed);
    }
    leftovers().User(account);
    if (account != team.service) team.users.push_back(account);
  }
  const struct passwd* service = getpwnam(team.service.c_str());
  const struct group* group = getgrnam(team.group.c_str());
  if (service == nullptr || group == nullptr) {
    return absl::InternalError("the accounts just made cannot be looked up");
  }

  team.root = credcache_testing::MakeTempDir("ccteambench", "/tmp");
  leftovers().Directory(team.root);
  team.bin = team.root + "/bin";
  team.service_dir = team.root + "/service";
  team.run_dir = team.root + "/run";
  team.socket = team.run_dir + "/team.sock";
  team.audit_file = team.service_dir + "/audit.log";
  if (chmod(team.root.c_str(), 0755) != 0 || mkdir(team.bin.c_str(), 0755) != 0 ||
      mkdir(team.service_dir.c_str(), 0700) != 0 || mkdir(team.run_dir.c_str(), 0750) != 0 ||
      chown(team.service_dir.c_str(), service->pw_uid, service->pw_gid) != 0 ||
      chown(team.run_dir.c_str(), service->pw_uid, group->gr_gid) != 0) {
    return absl::InternalError(absl::StrCat("cannot make the directories under ", team.root));
  }
  char self[4096] = {};
  if (readlink("/proc/self/exe", self, sizeof(self) - 1) <= 0) {
    return absl::InternalError("cannot tell where this program is (/proc/self/exe)");
  }
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {credcache_testing::DaemonEnv::DaemonPath(), team.bin + "/credcached"},
           {self, team.bin + "/team_bench"}}) {
    if (absl::Status installed = Install(from, to); !installed.ok()) return installed;
  }
  const std::string config = team.service_dir + "/team.toml";
  credcache_testing::WriteFile(config, TeamConfig(team));
  if (chown(config.c_str(), service->pw_uid, service->pw_gid) != 0) {
    return absl::InternalError(absl::StrCat("cannot chown ", config));
  }

  SubprocessOptions daemon;
  daemon.argv = {"setpriv",
                 absl::StrCat("--reuid=", team.service),
                 absl::StrCat("--regid=", team.service),
                 "--init-groups",
                 "--",
                 team.bin + "/credcached",
                 "--foreground",
                 "--config",
                 config};
  // Nothing of the personal daemon's environment (run.sh's, or this
  // process's): the team daemon reads its config alone.
  daemon.unset_env = {"CREDCACHE_*", "XDG_*", "INVOCATION_ID", "LISTEN_*", "NOTIFY_SOCKET"};
  daemon.set_env = {{"HOME", team.service_dir}, {"CREDCACHE_BENCH_TOKEN", "Bearer bench"}};
  daemon.cwd = team.root;
  daemon.stdin_mode = SubprocessOptions::Stdio::kNull;
  daemon.stdout_mode = SubprocessOptions::Stdio::kNull;
  daemon.stderr_mode = SubprocessOptions::Stdio::kFile;
  daemon.stderr_file = team.root + "/daemon.log";
  daemon.new_process_group = true;
  absl::StatusOr<std::unique_ptr<Subprocess>> started = Subprocess::Start(daemon);
  if (!started.ok()) return started.status();
  team.daemon = *std::move(started);
  leftovers().Child(team.daemon->pid());
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  struct stat info;
  while (stat(team.socket.c_str(), &info) != 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  if (stat(team.socket.c_str(), &info) != 0 ||
      !absl::SimpleAtoi(
          absl::StripAsciiWhitespace(credcache_testing::ReadFile(team.socket + ".lock")),
          &team.pid)) {
    return absl::UnavailableError(absl::StrCat(
        "the team daemon did not start: ", credcache_testing::ReadFile(team.root + "/daemon.log")));
  }
  return absl::OkStatus();
}

void StopTeam(Team& team) {
  if (team.daemon == nullptr) return;
  team.daemon->Kill(SIGTERM);
  if (!team.daemon->Wait(absl::Now() + absl::Seconds(15)).ok()) {
    team.daemon->Kill(SIGKILL);
    (void)team.daemon->Wait(absl::InfiniteFuture());
  }
  leftovers().Reaped(team.daemon->pid());
  team.daemon.reset();
}

// What a daemon did under one load.
struct Figures {
  int64_t requests = 0;
  double per_second = 0;
  Summary latency = {};
  double cpu_percent = 0;
  double cpu_us_per_get = 0;
  int64_t audit_records = 0;  // Written meanwhile, when an audit file is given.
};

// Loads the daemon `pid` on `socket` with cached gets for `duration`: one
// load process of kClientsPerProcess clients per entry of `users` ("root":
// this process's own uid; anyone else through setpriv), running the program
// at `self` in `cwd`. The audit file `audit`, when given, is counted.
absl::StatusOr<Figures> LoadDaemon(const std::string& self, const std::string& cwd,
                                   const std::string& socket, int pid,
                                   const std::vector<std::string>& users, absl::Duration duration,
                                   const std::string& audit = "") {
  std::vector<std::unique_ptr<Subprocess>> loads;
  // Every load process is reaped on every path out of here.
  struct Reap {
    std::vector<std::unique_ptr<Subprocess>>& loads;
    ~Reap() {
      for (auto& load : loads) {
        load->Kill(SIGKILL);
        (void)load->Wait(absl::InfiniteFuture());
        leftovers().Reaped(load->pid());
      }
    }
  } reap{loads};
  for (const std::string& user : users) {
    SubprocessOptions options;
    if (user != "root") {
      options.argv = {"setpriv", absl::StrCat("--reuid=", user), absl::StrCat("--regid=", user),
                      "--init-groups", "--"};
    }
    options.argv.insert(options.argv.end(),
                        {self, "--load", socket, absl::StrCat(kClientsPerProcess), kIndexUrl});
    options.cwd = cwd;
    options.new_process_group = true;
    absl::StatusOr<std::unique_ptr<Subprocess>> started = Subprocess::Start(options);
    if (!started.ok()) return started.status();
    leftovers().Child((*started)->pid());
    loads.push_back(*std::move(started));
  }
  // The next line of load process `i`, or why there is none.
  auto next = [&](size_t i, absl::Time deadline) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::optional<std::string>> line = loads[i]->stdout_lines().Next(deadline);
    if (!line.ok()) return line.status();
    if (!line->has_value()) {
      return absl::UnavailableError(
          absl::StrCat("the load process of ", users[i], " ended early (its stderr is above)"));
    }
    if (absl::StartsWith(**line, "failed ")) {
      return absl::UnavailableError(absl::StrCat("the load process of ", users[i], ": ", **line));
    }
    return **line;
  };
  const absl::Time ready_by = absl::Now() + absl::Seconds(60);
  for (size_t i = 0; i < loads.size(); ++i) {
    absl::StatusOr<std::string> ready = next(i, ready_by);
    if (!ready.ok()) return ready.status();
  }
  Figures figures;
  const int64_t audit_before = audit.empty() ? 0 : credcache_testing::CountLines(audit);
  const double cpu_before = CpuSeconds(pid);
  const absl::Time start = absl::Now();
  const std::string go = absl::StrCat("go ", absl::ToDoubleSeconds(duration));
  for (auto& load : loads) {
    if (absl::Status sent = cargo_credential::WriteLine(load->stdin_fd(), go, ready_by);
        !sent.ok()) {
      return sent;
    }
  }
  const absl::Time done_by = absl::Now() + duration + absl::Seconds(60);
  for (size_t i = 0; i < loads.size(); ++i) {
    absl::StatusOr<std::string> done = next(i, done_by);
    if (!done.ok()) return done.status();
    std::vector<std::string> words = absl::StrSplit(*done, ' ');
    int64_t requests = 0;
    double seconds = 0;
    if (words.size() != 3 || words[0] != "done" || !absl::SimpleAtoi(words[1], &requests) ||
        !absl::SimpleAtod(words[2], &seconds) || seconds <= 0) {
      return absl::InternalError(absl::StrCat("a load process said `", *done, "`"));
    }
    figures.requests += requests;
    figures.per_second += requests / seconds;
  }
  const double cpu = CpuSeconds(pid) - cpu_before;
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!audit.empty()) figures.audit_records = credcache_testing::CountLines(audit) - audit_before;
  std::vector<absl::Duration> latencies;
  for (size_t i = 0; i < loads.size(); ++i) {
    while (true) {
      absl::StatusOr<std::string> line = next(i, done_by);
      if (!line.ok()) return line.status();
      if (*line == "end") break;
      for (absl::string_view word : absl::StrSplit(*line, ' ', absl::SkipEmpty())) {
        int64_t nanoseconds = 0;
        if (!absl::SimpleAtoi(word, &nanoseconds)) {
          return absl::InternalError(absl::StrCat("a load process said `", word, "`"));
        }
        latencies.push_back(absl::Nanoseconds(nanoseconds));
      }
    }
  }
  if (static_cast<int64_t>(latencies.size()) != figures.requests || latencies.empty()) {
    return absl::InternalError("the load processes' latencies do not match their counts");
  }
  figures.latency = Summarize(std::move(latencies));
  figures.cpu_percent = 100.0 * cpu / seconds;
  figures.cpu_us_per_get = 1e6 * cpu / static_cast<double>(figures.requests);
  return figures;
}

// One load process (--load): see the top of the file.
int LoadProcess(const std::string& socket, int clients, const std::string& index_url) {
  auto say = [](const std::string& line) {
    (void)cargo_credential::WriteLine(STDOUT_FILENO, line);
  };
  Load load(socket, clients, Gets(GetRequest(index_url)));
  const Load::Measured warm = load.Warm();
  if (!warm.failure.empty()) {
    say("failed warming up: " + warm.failure);
    return 1;
  }
  say("ready");
  cargo_credential::LineReader input(STDIN_FILENO, 1024);
  absl::StatusOr<std::optional<std::string>> go = input.Next();
  double seconds = 0;
  if (!go.ok() || !go->has_value() || !absl::StartsWith(**go, "go ") ||
      !absl::SimpleAtod((*go)->substr(3), &seconds)) {
    say("failed: no `go SECONDS` on stdin");
    return 1;
  }
  const Load::Measured run = load.Run(absl::Seconds(seconds));
  if (!run.failure.empty()) {
    say("failed under load: " + run.failure);
    return 1;
  }
  say(absl::StrCat("done ", run.requests, " ", run.seconds));
  for (size_t i = 0; i < run.latencies.size(); i += 1000) {
    std::string line;
    for (size_t j = i; j < std::min(i + 1000, run.latencies.size()); ++j) {
      absl::StrAppend(&line, j > i ? " " : "", absl::ToInt64Nanoseconds(run.latencies[j]));
    }
    say(line);
  }
  say("end");
  return 0;
}

int Main(absl::Duration duration) {
  if (geteuid() != 0) {
    printf(
        "\nteam daemon: skipped: team_bench makes Unix users and runs as them; run it as root\n");
    return 0;
  }
  WatchSignals();
  setenv("CREDCACHE_BENCH_TOKEN", "Bearer bench", 1);
  Team team;
  if (absl::Status started = StartTeam(team); !started.ok()) {
    fprintf(stderr, "team_bench: %s\n", std::string(started.message()).c_str());
    return 1;  // main undoes the run.
  }
  absl::StatusOr<Figures> personal, shared;
  {
    // The reference: root's personal daemon, started and warmed by a get
    // through the shim, as cargo would.
    credcache_testing::DaemonEnv env;
    leftovers().Directory(env.root());
    env.WriteConfig(kBackend);
    env.Shim({"--cargo-plugin"}, credcache_testing::GetRequestLine(kIndexUrl, "bench"));
    const int pid = env.DaemonPid();
    if (pid <= 0) {
      fprintf(stderr, "team_bench: the personal daemon did not start\n");
      return 1;
    }
    leftovers().Daemon(pid);
    personal = LoadDaemon(team.bin + "/team_bench", team.root, env.socket(), pid,
                          std::vector<std::string>(kUsers, "root"), duration);
    if (personal.ok()) {
      shared = LoadDaemon(team.bin + "/team_bench", team.root, team.socket, team.pid, team.users,
                          duration, team.audit_file);
    }
    env.StopDaemon();
    leftovers().Stopped(pid);
  }
  StopTeam(team);
  for (const absl::StatusOr<Figures>* figures : {&personal, &shared}) {
    if (!figures->ok()) {
      fprintf(stderr, "team_bench: %s\n", std::string(figures->status().message()).c_str());
      return 1;
    }
  }
  printf(
      "\nteam daemon: rules and audit on every request; 64 clients in %d processes of %d on "
      "persistent connections, %s each\n(team: one process per user, as that user; personal: "
      "root's own daemon, all as root)\n",
      kUsers, kClientsPerProcess, absl::FormatDuration(duration).c_str());
  Report("cached gets per second, team daemon", shared->per_second, "req/s", "personal daemon",
         personal->per_second);
  Report("cached get latency p99, team daemon", shared->latency.p99_ms, "ms", "personal daemon",
         personal->latency.p99_ms);
  Report("daemon CPU while serving gets, team daemon", shared->cpu_percent, "%", "personal daemon",
         personal->cpu_percent);
  Report("daemon CPU per cached get, team daemon", shared->cpu_us_per_get, "us", "personal daemon",
         personal->cpu_us_per_get);
  Report("audit records per cached get, team daemon",
         static_cast<double>(shared->audit_records) / static_cast<double>(shared->requests), "rec",
         "the ideal", 1);
  const double ratio = shared->cpu_us_per_get / personal->cpu_us_per_get;
  printf("%-44s %s (ratio %.2f)\n", "goal: team CPU per cached get <= 1.10",
         ratio <= 1.10 ? "met" : "NOT met", ratio);
  fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace credcache_bench

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--load") {
    int clients = 0;
    if (!absl::SimpleAtoi(argv[3], &clients) || clients <= 0) return 2;
    return credcache_bench::LoadProcess(argv[2], clients, argv[4]);
  }
  const int code = credcache_bench::Main(absl::Seconds(argc > 1 ? atoi(argv[1]) : 5));
  credcache_bench::leftovers().Undo();
  return code;
}
