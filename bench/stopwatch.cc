#include "bench/stopwatch.h"

#include <stdio.h>
#include <stdlib.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "cargo_credential/subprocess.h"

namespace credcache_bench {

absl::Duration TimeProcess(const std::vector<std::string>& argv, const std::string& input,
                           const std::string& must_contain) {
  cargo_credential::SubprocessOptions options;
  options.argv = argv;
  const absl::Time start = absl::Now();
  absl::StatusOr<cargo_credential::SubprocessResult> result =
      cargo_credential::RunSubprocess(options, input, absl::Seconds(60));
  const absl::Duration took = absl::Now() - start;
  if (!result.ok() || result->exit_code != 0 ||
      !absl::StrContains(result->stdout_text, must_contain)) {
    fprintf(
        stderr, "bench: %s failed: %s\n%s", argv[0].c_str(),
        result.ok() ? result->stderr_text.c_str() : std::string(result.status().message()).c_str(),
        result.ok() ? result->stdout_text.c_str() : "");
    exit(1);
  }
  return took;
}

Summary Summarize(std::vector<absl::Duration> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    return absl::ToDoubleMilliseconds(
        samples[std::min(samples.size() - 1, static_cast<size_t>(q * samples.size()))]);
  };
  absl::Duration total;
  for (absl::Duration d : samples) total += d;
  return {at(0.5), at(0.9), at(0.99), absl::ToDoubleMilliseconds(total) / samples.size()};
}

void Report(const std::string& name, double value, const std::string& unit,
            const std::string& reference_name, double reference_value) {
  printf("%-44s %10.3f %-6s ratio %.2f to %s (%.3f %s)\n", name.c_str(), value, unit.c_str(),
         reference_value > 0 ? value / reference_value : 0.0, reference_name.c_str(),
         reference_value, unit.c_str());
  fflush(stdout);
}

}  // namespace credcache_bench
