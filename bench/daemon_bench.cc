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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "bench/daemon_probe.h"
#include "bench/stopwatch.h"
#include "common/unix_socket.h"
#include "grpcpp/create_channel_posix.h"
#include "lib/protocol.h"
#include "proto/convert.h"
#include "proto/credcache.grpc.pb.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_env.h"

namespace credcache_bench {
namespace {

using credcache::v1::Credcache;

credcache::v1::PerformRequest GetRequest(const std::string& url) {
  cargo_credential::CredentialRequest get;
  get.registry.index_url = url;
  credcache::v1::PerformRequest request;
  *request.mutable_request() = credcache::ToProto(get);
  return request;
}

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

struct LoadResult {
  double per_second;
  Summary latency;
  double cpu_percent;
};

// One client of the load: its own connection, one request outstanding at a
// time, driven by gRPC's callback API so that 64 clients need no 64 threads
// (they share the machine with the daemon under test).
class LoadClient {
 public:
  using Issue = std::function<void(Credcache::Stub*, grpc::ClientContext*,
                                   std::function<void(grpc::Status)>)>;
  LoadClient(const std::string& socket, Issue issue) : stub_(Connect(socket)), issue_(issue) {}

  // Issues requests back to back until `end`, then notifies `done`.
  void Run(absl::Time end, std::atomic<int>* running, absl::Notification* done) {
    end_ = end;
    running_ = running;
    done_ = done;
    Next();
  }
  const std::vector<absl::Duration>& latencies() const { return latencies_; }
  bool failed() const { return failed_; }

 private:
  void Next() {
    if (absl::Now() >= end_) {
      if (--*running_ == 0) done_->Notify();
      return;
    }
    context_ = std::make_unique<grpc::ClientContext>();
    started_ = absl::Now();
    issue_(stub_.get(), context_.get(), [this](grpc::Status status) {
      latencies_.push_back(absl::Now() - started_);
      if (!status.ok()) failed_ = true;
      Next();
    });
  }

  std::unique_ptr<Credcache::Stub> stub_;
  Issue issue_;
  std::unique_ptr<grpc::ClientContext> context_;
  absl::Time started_, end_;
  std::atomic<int>* running_ = nullptr;
  absl::Notification* done_ = nullptr;
  std::vector<absl::Duration> latencies_;
  bool failed_ = false;
};

LoadResult Load(const std::string& socket, int pid, int clients, absl::Duration duration,
                const LoadClient::Issue& issue) {
  std::vector<std::unique_ptr<LoadClient>> load;
  for (int i = 0; i < clients; ++i) load.push_back(std::make_unique<LoadClient>(socket, issue));
  {
    // Every connection up and warm before the clock starts.
    std::atomic<int> running{clients};
    absl::Notification done;
    for (auto& client : load) client->Run(absl::Now(), &running, &done);
    done.WaitForNotification();
  }
  std::atomic<int> running{clients};
  absl::Notification done;
  const double cpu_before = CpuSeconds(pid);
  const absl::Time start = absl::Now();
  for (auto& client : load) client->Run(start + duration, &running, &done);
  done.WaitForNotification();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const double cpu = CpuSeconds(pid) - cpu_before;
  std::vector<absl::Duration> all;
  for (auto& client : load) {
    if (client->failed()) {
      fprintf(stderr, "bench: a request failed under load\n");
      exit(1);
    }
    all.insert(all.end(), client->latencies().begin(), client->latencies().end());
  }
  return {all.size() / seconds, Summarize(all), 100.0 * cpu / seconds};
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
  const credcache::v1::PerformRequest request = GetRequest("sparse+http://bench/index/");
  LoadResult gets = Load(env.socket(), pid, 64, duration,
                         [&request](Credcache::Stub* stub, grpc::ClientContext* context,
                                    std::function<void(grpc::Status)> done) {
                           auto response = std::make_shared<credcache::v1::PerformResponse>();
                           credcache_bench::SayVersion(context);
                           stub->async()->Perform(context, &request, response.get(),
                                                  [response, done](grpc::Status status) {
                                                    if (status.ok() && !response->has_ok()) {
                                                      status = grpc::Status::CANCELLED;
                                                    }
                                                    done(status);
                                                  });
                         });
  const credcache::v1::StatsRequest stats_request;
  LoadResult floor =
      Load(env.socket(), pid, 64, duration,
           [&stats_request](Credcache::Stub* stub, grpc::ClientContext* context,
                            std::function<void(grpc::Status)> done) {
             auto response = std::make_shared<credcache::v1::StatsResponse>();
             stub->async()->Stats(context, &stats_request, response.get(),
                                  [response, done](grpc::Status status) { done(status); });
           });
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
