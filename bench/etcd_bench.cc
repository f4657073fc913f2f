// Benchmark 7: what the etcd tier (issue 12) costs and how fast it carries
// news between machines, against a real 3-member etcd cluster on loopback.
//
//   etcd_bench [SECONDS]     default 5 (seconds of each load)
//
// Three daemons stand in for machines: A and B with the tier, P without it
// (the reference), all with one `command` backend that reads a token file,
// as a team's shared source would be a program. Prints, each with its ratio
// to a reference measured in the same run:
//   1. a warm get through A against the same through P (64 clients, cached
//      gets; goal: ratio <= 1.05 — warm gets never touch etcd);
//   2. a cold shared get through A (nothing in memory or in etcd) against
//      one etcd round trip plus a cold get through P (goal: <= 1.2), with
//      the source as fast as `cat` and again when it takes 50 ms;
//   3. the time from a forget on A (answered once etcd took it) until B no
//      longer holds the token, p50 and p99 of 50 (goal: p99 < 100 ms),
//      against one etcd transaction;
//   4. requests failed while the etcd leader is killed under 64 clients
//      whose gets reach etcd (their caches are flushed every 20 ms), against
//      the same load with no kill (goal: 0 failed).
// Never fails on a figure; exits 1 only when the setup itself fails.
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "backends/etcd/etcd_client.h"
#include "bench/daemon_probe.h"
#include "bench/load.h"
#include "bench/stopwatch.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/test_env.h"

namespace credcache_bench {
namespace {

using credcache_testing::DaemonEnv;
using credcache_testing::EtcdCluster;
using credcache_testing::EtcdClusterOptions;

void Die(const std::string& why) {
  fprintf(stderr, "etcd_bench: %s\n", why.c_str());
  exit(1);
}

// One synchronous get of `url` through the daemon at `socket`: how long it
// took; dies when it answers no token.
absl::Duration TimeGet(credcache::v1::Credcache::Stub* stub, const std::string& url) {
  const credcache::v1::PerformRequest request = GetRequest(url);
  credcache::v1::PerformResponse response;
  grpc::ClientContext context;
  SayVersion(&context);
  const absl::Time start = absl::Now();
  const grpc::Status status = stub->Perform(&context, request, &response);
  const absl::Duration took = absl::Now() - start;
  if (!status.ok() || !response.has_ok()) {
    Die(absl::StrCat("a get of ", url, " failed: ", status.error_message(),
                     response.error().message()));
  }
  return took;
}

bool Holds(credcache::v1::Credcache::Stub* stub, const std::string& url) {
  credcache::v1::ListRequest request;
  credcache::v1::ListResponse response;
  grpc::ClientContext context;
  if (!stub->List(&context, request, &response).ok()) Die("list failed");
  for (const credcache::v1::CacheEntry& entry : response.entries()) {
    if (entry.index_url() == url) return true;
  }
  return false;
}

void Forget(credcache::v1::Credcache::Stub* stub, const std::string& url) {
  credcache::v1::ForgetRequest request;
  request.set_registry(url);
  credcache::v1::ForgetResponse response;
  grpc::ClientContext context;
  if (!stub->Forget(&context, request, &response).ok()) Die("forget failed");
}

void Flush(credcache::v1::Credcache::Stub* stub) {
  credcache::v1::FlushRequest request;
  credcache::v1::FlushResponse response;
  grpc::ClientContext context;
  stub->Flush(&context, request, &response).IgnoreError();
}

int Main(int argc, char** argv) {
  int seconds = 5;
  if (argc > 1 && (!absl::SimpleAtoi(argv[1], &seconds) || seconds <= 0)) {
    Die("usage: etcd_bench [SECONDS]");
  }
  const absl::Duration load_time = absl::Seconds(seconds);
  absl::StatusOr<std::unique_ptr<EtcdCluster>> started = EtcdCluster::Start(EtcdClusterOptions());
  if (!started.ok()) Die(std::string(started.status().message()));
  EtcdCluster& cluster = **started;
  const std::string shared = cluster.dir() + "/shared";
  mkdir(shared.c_str(), 0700);
  const std::string key = credcache_testing::RandomToken() + credcache_testing::RandomToken();
  credcache_testing::WriteFile(shared + "/team.key",
                               absl::StrCat("k1 ", absl::Base64Escape(key.substr(0, 32)), "\n"));
  credcache_testing::WriteFile(shared + "/token", credcache_testing::RandomToken() + "\n");
  const std::string backend = absl::StrCat(
      "[[backend]]\nname = \"team\"\nkind = \"command\"\nindex_urls = [\"*\"]\n"
      "command = [\"/bin/cat\", \"",
      shared, "/token\"]\n");
  std::vector<std::string> quoted;
  for (const std::string& endpoint : cluster.endpoints()) {
    quoted.push_back(absl::StrCat("\"", endpoint, "\""));
  }
  const std::string etcd = absl::StrCat("[etcd]\nendpoints = [", absl::StrJoin(quoted, ", "),
                                        "]\nprefix = \"/credcache/bench/\"\nteam_key_file = \"",
                                        shared, "/team.key\"\n");
  // The same source when it takes 50 ms, as one that asks a vault or an
  // SSO service over the network would.
  credcache_testing::WriteFile(
      shared + "/slow.sh",
      absl::StrCat("#!/bin/sh\n/bin/sleep 0.05\n/bin/cat ", shared, "/token\n"), 0700);
  const std::string slow_backend = absl::StrCat(
      "[[backend]]\nname = \"team\"\nkind = \"command\"\nindex_urls = [\"*\"]\n"
      "command = [\"",
      shared, "/slow.sh\"]\n");
  DaemonEnv a, b, p, slow_a, slow_p;
  a.WriteConfig(backend + etcd);
  b.WriteConfig(backend + etcd);
  p.WriteConfig(backend);
  slow_a.WriteConfig(slow_backend + etcd);
  slow_p.WriteConfig(slow_backend);
  for (DaemonEnv* machine : {&a, &b, &p, &slow_a, &slow_p}) {
    if (machine->Daemon({}).exit_code != 0) Die("a daemon did not start");
  }
  auto stub_a = Connect(a.socket());
  auto stub_b = Connect(b.socket());
  auto stub_p = Connect(p.socket());
  printf("etcd tier: 3-member etcd %s on loopback; A and B with the tier, P without\n", "3.4");

  // 1. Warm gets.
  const std::string warm_url = "sparse+https://warm.example/index/";
  const LoadResult tier_warm =
      MeasureLoad(a.socket(), a.DaemonPid(), 64, load_time, Gets(GetRequest(warm_url)));
  const LoadResult plain_warm =
      MeasureLoad(p.socket(), p.DaemonPid(), 64, load_time, Gets(GetRequest(warm_url)));
  Report("warm get with the tier, median latency", tier_warm.latency.median_ms, "ms", "without",
         plain_warm.latency.median_ms);
  Report("warm gets with the tier, per second", tier_warm.per_second, "/s", "without",
         plain_warm.per_second);
  Report("warm get with the tier, daemon CPU per get",
         1e6 * tier_warm.cpu_percent / 100 / tier_warm.per_second, "us", "without",
         1e6 * plain_warm.cpu_percent / 100 / plain_warm.per_second);

  // 2. Cold shared gets, against one etcd round trip plus the backend.
  absl::StatusOr<std::unique_ptr<credcache::EtcdClient>> client = [&] {
    credcache::EtcdConnection connection;
    connection.endpoints = cluster.endpoints();
    return credcache::EtcdClient::Connect(connection);
  }();
  if (!client.ok()) Die(std::string(client.status().message()));
  std::vector<absl::Duration> tier_cold, plain_cold, etcd_read, etcd_txn;
  for (int i = 0; i < 50; ++i) {
    const std::string url = absl::StrCat("sparse+https://cold", i, ".example/index/");
    tier_cold.push_back(TimeGet(stub_a.get(), url));
    plain_cold.push_back(TimeGet(stub_p.get(), url));
    etcdserverpb::RangeRequest range;
    range.set_key(absl::StrCat("/credcache/bench/probe/", i));
    absl::Time start = absl::Now();
    if (!(*client)->Range(range).ok()) Die("an etcd range failed");
    etcd_read.push_back(absl::Now() - start);
    etcdserverpb::TxnRequest txn;
    etcdserverpb::PutRequest* put = txn.add_success()->mutable_request_put();
    put->set_key(absl::StrCat("/credcache/bench/probe/", i));
    put->set_value("x");
    start = absl::Now();
    if (!(*client)->Txn(txn).ok()) Die("an etcd transaction failed");
    etcd_txn.push_back(absl::Now() - start);
  }
  const Summary cold = Summarize(tier_cold);
  const Summary plain = Summarize(plain_cold);
  const Summary read = Summarize(etcd_read);
  const Summary write = Summarize(etcd_txn);
  Report("cold shared get across the tier, median", cold.median_ms, "ms",
         "an etcd read plus a cold get without it", read.median_ms + plain.median_ms);
  printf("  (a cold get without the tier %.2f ms; an etcd read %.2f ms, an etcd write %.2f ms)\n",
         plain.median_ms, read.median_ms, write.median_ms);
  {
    auto stub_slow_a = Connect(slow_a.socket());
    auto stub_slow_p = Connect(slow_p.socket());
    std::vector<absl::Duration> slow_tier, slow_plain;
    for (int i = 0; i < 20; ++i) {
      const std::string url = absl::StrCat("sparse+https://slow", i, ".example/index/");
      slow_tier.push_back(TimeGet(stub_slow_a.get(), url));
      slow_plain.push_back(TimeGet(stub_slow_p.get(), url));
    }
    Report("cold shared get across the tier, 50 ms source", Summarize(slow_tier).median_ms, "ms",
           "an etcd read plus a cold get without it",
           read.median_ms + Summarize(slow_plain).median_ms);
  }

  // 3. A forget on A until B lets go.
  std::vector<absl::Duration> reach;
  for (int i = 0; i < 50; ++i) {
    const std::string url = absl::StrCat("sparse+https://logout", i, ".example/index/");
    TimeGet(stub_a.get(), url);
    TimeGet(stub_b.get(), url);
    if (!Holds(stub_b.get(), url)) Die("B did not cache the token");
    Forget(stub_a.get(), url);
    const absl::Time start = absl::Now();
    const absl::Time deadline = start + absl::Seconds(10);
    while (Holds(stub_b.get(), url)) {
      if (absl::Now() > deadline) Die("B kept a forgotten token for 10 s");
    }
    reach.push_back(absl::Now() - start);
  }
  const Summary reached = Summarize(reach);
  Report("forget on A until B lets go, p50", reached.median_ms, "ms", "an etcd write",
         write.median_ms);
  Report("forget on A until B lets go, p99", reached.p99_ms, "ms", "an etcd write",
         write.median_ms);

  // 4. The leader killed under load that reaches etcd.
  auto loaded = [&](bool kill_leader) {
    std::atomic<bool> flushing{true};
    std::thread flusher([&] {
      while (flushing) {
        Flush(stub_a.get());
        Flush(stub_b.get());
        absl::SleepFor(absl::Milliseconds(20));
      }
    });
    const std::string url = "sparse+https://leader.example/index/";
    Load on_a(a.socket(), 32, Gets(GetRequest(url)));
    Load on_b(b.socket(), 32, Gets(GetRequest(url)));
    on_a.Warm();
    on_b.Warm();
    Load::Measured measured_b;
    std::thread run_b([&] { measured_b = on_b.Run(load_time); });
    std::thread killer([&] {
      if (!kill_leader) return;
      absl::SleepFor(load_time / 3);
      absl::StatusOr<int> leader = cluster.LeaderIndex();
      if (leader.ok()) cluster.KillMember(*leader).IgnoreError();
    });
    Load::Measured measured_a = on_a.Run(load_time);
    run_b.join();
    killer.join();
    flushing = false;
    flusher.join();
    measured_a.requests += measured_b.requests;
    measured_a.failures += measured_b.failures;
    if (measured_a.failure.empty()) measured_a.failure = measured_b.failure;
    measured_a.seconds = std::max(measured_a.seconds, measured_b.seconds);
    return measured_a;
  };
  const Load::Measured calm = loaded(false);
  const Load::Measured killed = loaded(true);
  Report("requests failed with the leader killed", static_cast<double>(killed.failures), "",
         "of requests", static_cast<double>(killed.requests));
  if (!killed.failure.empty()) printf("  first failure: %s\n", killed.failure.c_str());
  Report("gets per second with the leader killed", killed.requests / killed.seconds, "/s",
         "with no kill", calm.requests / calm.seconds);

  for (DaemonEnv* machine : {&a, &b, &p, &slow_a, &slow_p}) machine->StopDaemon();
  return 0;
}

}  // namespace
}  // namespace credcache_bench

int main(int argc, char** argv) { return credcache_bench::Main(argc, argv); }
