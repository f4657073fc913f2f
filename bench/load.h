// The load generator the daemon benchmarks share: clients of a credcached,
// each on its own persistent connection with one request outstanding at a
// time, driven by gRPC's callback API so that 64 clients need no 64 threads
// (they share the machine with the daemon under test).
//
// A Load's connections are made by the process that builds it, so the
// daemon sees that process's uid and groups (SO_PEERCRED, SO_PEERGROUPS):
// team_bench builds one in a process per user.
//
// Thread-safety: a Load is driven from one thread; its clients' callbacks
// run on gRPC's threads, and are done when Warm() or Run() returns.
#ifndef CREDCACHE_BENCH_LOAD_H_
#define CREDCACHE_BENCH_LOAD_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bench/stopwatch.h"
#include "proto/credcache.grpc.pb.h"

namespace credcache_bench {

// Starts one call on `stub` with `context`, and calls `done` with how it
// ended: OK only for the answer the load expects.
using Issue = std::function<void(credcache::v1::Credcache::Stub* stub, grpc::ClientContext* context,
                                 std::function<void(grpc::Status)> done)>;

// A cargo get (operation read) of `index_url`, as the shim sends it.
credcache::v1::PerformRequest GetRequest(const std::string& index_url);

// Perform calls of `request` that must answer a token; any other answer
// fails, with the daemon's error message.
Issue Gets(credcache::v1::PerformRequest request);

// Stats calls: gRPC's round trip with no cache or backend work.
Issue StatsCalls();

class Load {
 public:
  // What a Run() measured.
  struct Measured {
    int64_t requests = 0;
    double seconds = 0;  // From the start until the last answer.
    std::vector<absl::Duration> latencies;
    std::string failure;   // The first failed request's status, or empty.
    int64_t failures = 0;  // How many requests failed.
  };

  // `clients` connections to the daemon at `socket`, made now; exits the
  // benchmark when one cannot be made.
  Load(const std::string& socket, int clients, Issue issue);
  ~Load();

  // One request on every connection, answered before it returns: every
  // connection up, and whatever the requests warm (the cache) warm. Its
  // latencies are not kept.
  Measured Warm();

  // Requests back to back on every connection for `duration`; returns once
  // each connection's last request has been answered.
  Measured Run(absl::Duration duration);

 private:
  class Client;
  Measured Drive(absl::Time end, bool once);

  std::vector<std::unique_ptr<Client>> clients_;
};

struct LoadResult {
  double per_second;
  Summary latency;
  double cpu_percent;  // Of one core, by the daemon.
};

// A warmed Load of `clients` on `socket` run for `duration`, with the CPU
// used meanwhile by the daemon, process `pid`. Exits the benchmark when a
// request fails.
LoadResult MeasureLoad(const std::string& socket, int pid, int clients, absl::Duration duration,
                       const Issue& issue);

}  // namespace credcache_bench

#endif  // CREDCACHE_BENCH_LOAD_H_
