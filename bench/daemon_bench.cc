// Benchmarks 3-5: the daemon under load, coalescing, and memory.
//
//   daemon_bench [SECONDS]
//
// 3. Throughput and latency: 64 clients, each on its own persistent
//    connection, issue cached gets for SECONDS; requests a second, p50 and
//    p99 latency, and the daemon's CPU use. Reference, same run and same
//    clients: the Stats call, which does no cache or backend work.
// 4. Coalescing: 100 concurrent cold gets for one registry whose backend
//    takes 500 ms: backend calls made, and the time until all are served.
//    Reference: one cold get alone, measured first.
// 5. Memory: the daemon's resident memory idle, and holding 10,000 cached
//    registries. Reference: git's credential-cache daemon holding one
//    credential (idle), and the idle figure (10,000).
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/daemon_probe.h"
#include "bench/load.h"
#include "bench/stopwatch.h"
#include "proto/credcache.grpc.pb.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_env.h"

namespace credcache_bench {
namespace {

using credcache::v1::Credcache;

bool Get(Credcache::Stub& stub, const credcache::v1::PerformRequest& request) {
  grpc::ClientContext context;
  credcache_bench::SayVersion(&context);
  credcache::v1::PerformResponse response;
  return stub.Perform(&context, request, &response).ok() && response.has_ok();
}

// git's credential-cache daemon serving `socket`, or 0.
int GitDaemonPid(const std::string& socket) {
  DIR* proc = opendir("/proc");
  int found = 0;
  while (struct dirent* entry = proc != nullptr ? readdir(proc) : nullptr) {
    const std::string cmdline =
        credcache_testing::ReadFile(absl::StrCat("/proc/", entry->d_name, "/cmdline"));
    if (!socket.empty() && cmdline.find("credential-cache--daemon") != std::string::npos &&
        cmdline.find(socket) != std::string::npos) {
      (void)absl::SimpleAtoi(entry->d_name, &found);
    }
  }
  if (proc != nullptr) closedir(proc);
  return found;
}

void Throughput(credcache_testing::DaemonEnv& env, absl::Duration duration) {
  env.WriteConfig(
      "[[backend]]\nkind = \"env\"\nindex_urls = [\"*\"]\nvariable = \"CREDCACHE_BENCH_TOKEN\"\n");
  setenv("CREDCACHE_BENCH_TOKEN", "Bearer bench", 1);
  // The first get starts the daemon (which inherits the variable) and warms the cache.
  env.Shim({"--cargo-plugin"},
           "{\"v\":1,\"registry\":{\"index-url\":\"sparse+http://bench/index/\"},\"kind\":"
           "\"get\",\"operation\":\"read\"}\n");
  const int pid = env.DaemonPid();
  const LoadResult gets =
      MeasureLoad(env.socket(), pid, 64, duration, Gets(GetRequest("sparse+http://bench/index/")));
  const LoadResult floor = MeasureLoad(env.socket(), pid, 64, duration, StatsCalls());
  printf("\ndaemon under load: 64 clients on persistent connections, %s each\n",
         absl::FormatDuration(duration).c_str());
  Report("cached gets per second", gets.per_second, "req/s", "Stats calls per second",
         floor.per_second);
  Report("cached get latency p50", gets.latency.median_ms, "ms", "Stats p50",
         floor.latency.median_ms);
  Report("cached get latency p99", gets.latency.p99_ms, "ms", "Stats p99", floor.latency.p99_ms);
  Report("daemon CPU while serving gets", gets.cpu_percent, "%", "while serving Stats",
         floor.cpu_percent);
  // The clients share the machine's cores with the daemon; what the daemon
  // itself spends per request says what it could serve with a core alone.
  Report("daemon CPU per cached get", 1e6 * gets.cpu_percent / 100.0 / gets.per_second, "us",
         "per Stats call", 1e6 * floor.cpu_percent / 100.0 / floor.per_second);

  // The same gets from a token file, which the daemon watches (inotify):
  // each hit first catches up with the file's changes. Reference: the env
  // backend above, which has nothing to watch.
  const std::string tokens = env.root() + "/bench-tokens.toml";
  credcache_testing::WriteFile(
      tokens, "[tokens]\n\"sparse+http://bench/index/\" = \"Bearer bench\"\n", 0600);
  env.WriteConfig(absl::StrCat("[[backend]]\nkind = \"file\"\npath = \"", tokens, "\"\n"));
  env.Shim({"reload"});
  env.Shim({"--cargo-plugin"},
           "{\"v\":1,\"registry\":{\"index-url\":\"sparse+http://bench/index/\"},\"kind\":"
           "\"get\",\"operation\":\"read\"}\n");
  const LoadResult watched =
      MeasureLoad(env.socket(), pid, 64, duration, Gets(GetRequest("sparse+http://bench/index/")));
  printf("\nthe same from a watched token file (file backend)\n");
  Report("cached gets per second, watched file", watched.per_second, "req/s",
         "env backend, nothing watched", gets.per_second);
  Report("daemon CPU per cached get, watched file",
         1e6 * watched.cpu_percent / 100.0 / watched.per_second, "us", "env backend",
         1e6 * gets.cpu_percent / 100.0 / gets.per_second);
}

void Coalescing(credcache_testing::DaemonEnv& env) {
  const std::string counter = env.root() + "/calls";
  const std::string script = env.root() + "/slow.sh";
  credcache_testing::WriteFile(
      script,
      absl::StrCat("#!/bin/sh\necho call >> ", counter, "\nsleep 0.5\necho 'Bearer slow'\n"), 0700);
  env.WriteConfig(absl::StrCat(
      "[[backend]]\nkind = \"command\"\nindex_urls = [\"*\"]\ncommand = [\"", script, "\"]\n"));
  env.Shim({"reload"});
  auto stub = Connect(env.socket());
  const absl::Time single_start = absl::Now();
  Get(*stub, GetRequest("sparse+http://single/index/"));
  const double single_ms = absl::ToDoubleMilliseconds(absl::Now() - single_start);
  const int before = credcache_testing::CountLines(counter);

  std::vector<std::unique_ptr<Credcache::Stub>> stubs;
  for (int i = 0; i < 100; ++i) stubs.push_back(Connect(env.socket()));
  const credcache::v1::PerformRequest cold = GetRequest("sparse+http://cold/index/");
  std::atomic<int> served{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (auto& each : stubs) {
    threads.emplace_back([&, stub = each.get()] {
      if (Get(*stub, cold)) ++served;
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double all_ms = absl::ToDoubleMilliseconds(absl::Now() - start);
  printf("\ncoalescing: 100 concurrent cold gets, backend takes 500 ms\n");
  Report("backend calls for 100 cold gets", credcache_testing::CountLines(counter) - before,
         "calls", "the ideal", 1);
  Report("requests served", served.load(), "reqs", "requests made", 100);
  Report("time until all 100 were served", all_ms, "ms", "one cold get alone", single_ms);
}

void Memory(credcache_testing::DaemonEnv& env, const std::string& git_socket) {
  env.StopDaemon();
  env.WriteConfig(
      "[[backend]]\nkind = \"env\"\nindex_urls = [\"*\"]\nvariable = \"CREDCACHE_BENCH_TOKEN\"\n");
  env.Shim({"--cargo-plugin"},
           "{\"v\":1,\"registry\":{\"index-url\":\"sparse+http://bench/index/\"},\"kind\":"
           "\"get\",\"operation\":\"read\"}\n");
  const int pid = env.DaemonPid();
  absl::SleepFor(absl::Milliseconds(200));
  const double idle = RssMiB(pid);
  const int git_pid = GitDaemonPid(git_socket);
  const double git = git_pid > 0 ? RssMiB(git_pid) : 0;

  // Fill the cache with 10,000 registries over 8 connections.
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto stub = Connect(env.socket());
      for (int i = t; i < 10000; i += 8) {
        Get(*stub, GetRequest(absl::StrCat("sparse+https://registry-", i, ".example/index/")));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::string stats = env.Shim({"stats", "--json"}).stdout_text;
  const double full = RssMiB(pid);
  printf("\nmemory: daemon resident set (%s)\n",
         stats.find("\"cached_entries\":10001") != std::string::npos ? "10,001 entries cached"
                                                                     : stats.c_str());
  Report("daemon RSS idle (1 entry)", idle, "MiB", "git credential-cache daemon", git);
  Report("daemon RSS with 10,000 registries", full, "MiB", "idle", idle);
}

}  // namespace
}  // namespace credcache_bench

int main(int argc, char** argv) {
  const absl::Duration duration = absl::Seconds(argc > 1 ? atoi(argv[1]) : 5);
  const char* git_socket = getenv("CREDCACHE_BENCH_GIT_SOCKET");
  credcache_testing::DaemonEnv env;
  for (const auto& [name, value] : env.Environment()) setenv(name.c_str(), value.c_str(), 1);
  credcache_bench::Throughput(env, duration);
  credcache_bench::Coalescing(env);
  credcache_bench::Memory(env, git_socket != nullptr ? git_socket : "");
  return 0;
}
