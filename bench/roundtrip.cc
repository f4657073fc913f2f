// Benchmark 1: the shim's whole-process round trip for a cached get (spawn,
// hello, request, answer, exit), as cargo pays it, against git's
// credential-cache client asking its daemon, in the same run.
//
//   roundtrip SHIM GIT_SOCKET [RUNS]
//
// The environment must point the shim at a running daemon holding a token
// for the request below; bench/run.sh sets that up.
#include <stdio.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "bench/stopwatch.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: roundtrip SHIM GIT_SOCKET [RUNS]\n");
    return 2;
  }
  const std::string shim = argv[1];
  const std::string git_socket = argv[2];
  const int runs = argc > 3 ? atoi(argv[3]) : 100;
  const std::string get =
      "{\"v\":1,\"registry\":{\"index-url\":\"sparse+http://bench/index/\"},\"kind\":\"get\","
      "\"operation\":\"read\"}\n";
  const std::vector<std::string> shim_argv = {shim, "--cargo-plugin"};
  const std::vector<std::string> git_argv = {"git", "credential-cache", "--socket", git_socket,
                                             "get"};
  const std::string git_input = "protocol=https\nhost=bench.example\n\n";
  const std::vector<std::string> true_argv = {"/bin/true"};

  // Warm the page cache and both daemons first.
  for (int i = 0; i < 5; ++i) {
    credcache_bench::TimeProcess(shim_argv, get, "\"token\"");
    credcache_bench::TimeProcess(git_argv, git_input, "password=");
  }
  // Interleaved, so drifts in machine load hit both alike.
  std::vector<absl::Duration> shim_times, git_times, true_times;
  for (int i = 0; i < runs; ++i) {
    shim_times.push_back(credcache_bench::TimeProcess(shim_argv, get, "\"token\""));
    git_times.push_back(credcache_bench::TimeProcess(git_argv, git_input, "password="));
    true_times.push_back(credcache_bench::TimeProcess(true_argv, "", ""));
  }
  const credcache_bench::Summary shim_summary = credcache_bench::Summarize(shim_times);
  const credcache_bench::Summary git_summary = credcache_bench::Summarize(git_times);
  const credcache_bench::Summary true_summary = credcache_bench::Summarize(true_times);
  printf("shim round trip, cached get, %d runs each (median; p90 %.3f ms)\n", runs,
         shim_summary.p90_ms);
  credcache_bench::Report("shim round trip (median)", shim_summary.median_ms, "ms",
                          "git credential-cache get", git_summary.median_ms);
  credcache_bench::Report("spawn floor: /bin/true (median)", true_summary.median_ms, "ms",
                          "git credential-cache get", git_summary.median_ms);
  credcache_bench::Report("shim above the spawn floor",
                          shim_summary.median_ms - true_summary.median_ms, "ms",
                          "git above the floor", git_summary.median_ms - true_summary.median_ms);
  return 0;
}
