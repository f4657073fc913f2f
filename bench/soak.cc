// Soak: mixed load on one daemon for a long time, counting errors and
// watching resident memory. Not a speed benchmark and never a test.
//
//   soak [SECONDS] [CLIENTS] [REGISTRIES]     (default 600 64 1000)
//
// Each client has its own connection and loops over random registries of
// REGISTRIES: 85% gets, 5% logins, 5% logouts, 5% forgets, against a daemon
// whose file backend holds the tokens (so logins and logouts really write
// the file). An error is any failed call, or any answer a well-behaved
// daemon would not give: a get or logout may find nothing (not-found) after
// a logout, a login must succeed, and no answer may be `other`. Prints the
// counts and the daemon's resident memory after warm-up and at the end.
#include <stdio.h>
#include <stdlib.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/daemon_probe.h"
#include "cargo_credential/protocol.h"
#include "proto/convert.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_env.h"

namespace credcache_bench {
namespace {

struct Counts {
  std::atomic<int64_t> gets{0}, logins{0}, logouts{0}, forgets{0};
  std::atomic<int64_t> errors{0};
};

std::string Url(int registry) {
  return absl::StrCat("sparse+https://r", registry, ".example/index/");
}

void Client(const std::string& socket, int registries, absl::Time until, unsigned seed,
            Counts* counts) {
  std::unique_ptr<credcache::v1::Credcache::Stub> stub = Connect(socket);
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> pick(0, registries - 1);
  std::uniform_int_distribution<int> percent(0, 99);
  const auto report = [counts](const std::string& what) {
    if (counts->errors.fetch_add(1) < 5) fprintf(stderr, "soak: error: %s\n", what.c_str());
  };
  while (absl::Now() < until) {
    const int registry = pick(random);
    const int roll = percent(random);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    credcache_bench::SayVersion(&context);
    if (roll < 5) {
      credcache::v1::ForgetRequest request;
      request.set_registry(Url(registry));
      credcache::v1::ForgetResponse response;
      const grpc::Status status = stub->Forget(&context, request, &response);
      ++counts->forgets;
      if (!status.ok()) report(absl::StrCat("forget: ", status.error_message()));
      continue;
    }
    cargo_credential::RegistryInfo info{Url(registry), std::nullopt, {}};
    cargo_credential::Action action;
    if (roll < 10) {
      action.kind = cargo_credential::ActionKind::kLogin;
      action.login.token = cargo_credential::Secret(absl::StrCat("Bearer soak-", registry));
      ++counts->logins;
    } else if (roll < 15) {
      action.kind = cargo_credential::ActionKind::kLogout;
      ++counts->logouts;
    } else {
      ++counts->gets;
    }
    credcache::v1::PerformRequest request;
    *request.mutable_request()->mutable_registry() = credcache::ToProto(info);
    *request.mutable_request()->mutable_action() = credcache::ToProto(action);
    credcache::v1::PerformResponse response;
    const grpc::Status status = stub->Perform(&context, request, &response);
    if (!status.ok()) {
      report(absl::StrCat("perform: ", status.error_message()));
      continue;
    }
    const bool not_found =
        response.has_error() && response.error().kind() == credcache::v1::ERROR_KIND_NOT_FOUND;
    const bool fine =
        (action.kind == cargo_credential::ActionKind::kLogin &&
         response.ok().kind() == credcache::v1::RESPONSE_KIND_LOGIN) ||
        (action.kind == cargo_credential::ActionKind::kLogout &&
         (response.ok().kind() == credcache::v1::RESPONSE_KIND_LOGOUT || not_found)) ||
        (action.kind == cargo_credential::ActionKind::kGet &&
         ((response.ok().kind() == credcache::v1::RESPONSE_KIND_GET &&
           response.ok().token() == absl::StrCat("Bearer soak-", registry)) ||
          not_found));
    if (!fine) report(absl::StrCat("unexpected answer: ", response.ShortDebugString()));
  }
}

}  // namespace
}  // namespace credcache_bench

int main(int argc, char** argv) {
  using namespace credcache_bench;  // NOLINT: main of a benchmark.
  int seconds = 600, clients = 64, registries = 1000;
  if (argc > 1 && !absl::SimpleAtoi(argv[1], &seconds)) return 2;
  if (argc > 2 && !absl::SimpleAtoi(argv[2], &clients)) return 2;
  if (argc > 3 && !absl::SimpleAtoi(argv[3], &registries)) return 2;

  credcache_testing::DaemonEnv env;
  env.WriteConfig(
      absl::StrCat("[[backend]]\nkind = \"file\"\npath = \"", env.root(), "/tokens.toml\"\n"));
  // Started by hand: a daemon that never exits when idle.
  cargo_credential::SubprocessResult started = env.Daemon({});
  if (started.exit_code != 0) {
    fprintf(stderr, "soak: credcached did not start: %s\n", started.stderr_text.c_str());
    return 1;
  }
  const int pid = env.DaemonPid();

  // Warm-up: every registry logged in once, so memory is measured full.
  Counts warmup;
  Client(env.socket(), registries, absl::Now() + absl::Seconds(5), 1, &warmup);
  const double rss_start = RssMiB(pid);
  const double cpu_start = CpuSeconds(pid);

  Counts counts;
  const absl::Time until = absl::Now() + absl::Seconds(seconds);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back(Client, env.socket(), registries, until, 1000 + i, &counts);
  }
  // Resident memory once a minute: a leak grows minute after minute, while
  // 64 connections' buffers are taken once, in the first.
  std::vector<double> samples;
  while (absl::Now() + absl::Seconds(60) <= until) {
    absl::SleepFor(absl::Seconds(60));
    samples.push_back(RssMiB(pid));
  }
  for (std::thread& thread : threads) thread.join();
  const double rss_end = RssMiB(pid);
  const double cpu = CpuSeconds(pid) - cpu_start;

  const int64_t total = counts.gets + counts.logins + counts.logouts + counts.forgets;
  printf(
      "soak: %d s, %d clients, %d registries: %lld requests (%lld gets, %lld logins, "
      "%lld logouts, %lld forgets), %.0f/s\n",
      seconds, clients, registries, static_cast<long long>(total),
      static_cast<long long>(counts.gets.load()), static_cast<long long>(counts.logins.load()),
      static_cast<long long>(counts.logouts.load()), static_cast<long long>(counts.forgets.load()),
      static_cast<double>(total) / seconds);
  printf("soak: errors: %lld (goal 0)\n", static_cast<long long>(counts.errors.load()));
  printf(
      "soak: credcached resident memory: %.1f MiB after warm-up (one client), %.1f MiB at "
      "the end (ratio %.2f); %.1f CPU seconds\n",
      rss_start, rss_end, rss_start > 0 ? rss_end / rss_start : 0.0, cpu);
  if (!samples.empty()) {
    std::string series;
    for (double sample : samples) {
      absl::StrAppend(&series, series.empty() ? "" : ", ", absl::StrFormat("%.1f", sample));
    }
    printf("soak: resident memory each minute under load (MiB): %s; end / first minute: %.2f\n",
           series.c_str(), rss_end / samples.front());
  }
  return counts.errors == 0 ? 0 : 1;
}
