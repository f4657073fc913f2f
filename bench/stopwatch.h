// Helpers the benchmarks share: timing whole processes the way cargo runs a
// credential provider, and summarising samples.
//
// Thread-safety: functions; TimeProcess may run from several threads.
#ifndef CREDCACHE_BENCH_STOPWATCH_H_
#define CREDCACHE_BENCH_STOPWATCH_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace credcache_bench {

// Runs `argv` with `input` on stdin, reading all of its stdout, and returns
// the wall time from spawn to exit; aborts the benchmark if it fails.
absl::Duration TimeProcess(const std::vector<std::string>& argv, const std::string& input,
                           const std::string& must_contain);

struct Summary {
  double median_ms;
  double p90_ms;
  double p99_ms;
  double mean_ms;
};

Summary Summarize(std::vector<absl::Duration> samples);

// "name: value unit (ratio x of reference)" on stdout, one line.
void Report(const std::string& name, double value, const std::string& unit,
            const std::string& reference_name, double reference_value);

}  // namespace credcache_bench

#endif  // CREDCACHE_BENCH_STOPWATCH_H_
