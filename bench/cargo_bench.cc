// Benchmark 2: the real cargo, end to end. `cargo generate-lockfile` of a
// crate from a local registry that requires a token, with the token from:
//   - cargo:token (credentials.toml): the reference;
//   - credcache, warm, in front of a backend that takes 500 ms;
//   - that same 500 ms backend with no cache (cargo:token-from-stdout).
//
//   cargo_bench [RUNS]
#include <stdio.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/stopwatch.h"
#include "tests/support/cargo_sandbox.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/registry_server.h"
#include "tests/support/test_env.h"

namespace credcache_bench {
namespace {

using credcache_testing::CargoSandbox;
using credcache_testing::DaemonEnv;

absl::Duration TimeCargo(CargoSandbox& cargo, const std::string& crate) {
  const absl::Time start = absl::Now();
  absl::StatusOr<cargo_credential::SubprocessResult> result =
      cargo.Cargo({"generate-lockfile"}, crate);
  const absl::Duration took = absl::Now() - start;
  if (!result.ok() || result->exit_code != 0) {
    fprintf(
        stderr, "bench: cargo failed: %s\n",
        result.ok() ? result->stderr_text.c_str() : std::string(result.status().message()).c_str());
    exit(1);
  }
  return took;
}

}  // namespace
}  // namespace credcache_bench

int main(int argc, char** argv) {
  using namespace credcache_bench;
  const int runs = argc > 1 ? atoi(argv[1]) : 10;
  const std::string token = credcache_testing::RandomToken();
  absl::StatusOr<std::unique_ptr<credcache_testing::RegistryServer>> registry =
      credcache_testing::RegistryServer::Start(token);
  if (!registry.ok()) {
    fprintf(stderr, "bench: %s\n", std::string(registry.status().message()).c_str());
    return 1;
  }
  DaemonEnv env;
  CargoSandbox cargo;
  cargo.SetEnv(env.Environment());
  const std::string index = (*registry)->index_url();
  const std::string token_file = env.root() + "/token";
  credcache_testing::WriteFile(token_file, token);
  const std::string slow = env.root() + "/slow-token.sh";
  credcache_testing::WriteFile(slow, absl::StrCat("#!/bin/sh\nsleep 0.5\ncat ", token_file, "\n"),
                               0700);
  credcache_testing::WriteFile(cargo.cargo_home() + "/credentials.toml",
                               absl::StrCat("[registries.reg]\ntoken = \"", token, "\"\n"));
  env.WriteConfig(absl::StrCat(
      "[[backend]]\nname = \"slow\"\nkind = \"command\"\nindex_urls = [\"*\"]\ncommand = [\"", slow,
      "\"]\n"));
  cargo.SetEnv(env.Environment());
  auto use = [&](const std::string& providers) {
    cargo.WriteConfig(absl::StrCat("[registries.reg]\nindex = \"", index,
                                   "\"\n\n[registry]\nglobal-credential-providers = [", providers,
                                   "]\n"));
  };
  const std::string cargo_token = "\"cargo:token\"";
  const std::string credcache = absl::StrCat("\"", DaemonEnv::ShimPath(), "\"");
  const std::string uncached = absl::StrCat("\"cargo:token-from-stdout ", slow, "\"");

  // One crate to depend on, published with cargo:token.
  use(cargo_token);
  const std::string lib = cargo.NewCrate("lib", "reg");
  if (!cargo.Cargo({"publish", "--registry", "reg", "--no-verify", "--allow-dirty"}, lib).ok()) {
    return 1;
  }
  const std::string app =
      cargo.NewCrate("app", "reg", "lib = { version = \"0.1\", registry = \"reg\" }\n");
  // Warm every path once: the index cache, the daemon and its cache.
  for (const std::string* providers : {&cargo_token, &credcache, &uncached}) {
    use(*providers);
    TimeCargo(cargo, app);
  }
  std::vector<absl::Duration> with_token, with_credcache, with_uncached;
  for (int i = 0; i < runs; ++i) {  // Interleaved, so load drifts hit all alike.
    use(cargo_token);
    with_token.push_back(TimeCargo(cargo, app));
    use(credcache);
    with_credcache.push_back(TimeCargo(cargo, app));
    use(uncached);
    with_uncached.push_back(TimeCargo(cargo, app));
  }
  const double token_ms = Summarize(with_token).median_ms;
  const double credcache_ms = Summarize(with_credcache).median_ms;
  const double uncached_ms = Summarize(with_uncached).median_ms;
  printf("\nreal cargo: `cargo generate-lockfile`, auth-required registry, %d runs each (median)\n",
         runs);
  Report("credcache, warm, 500 ms backend behind it", credcache_ms, "ms", "cargo:token", token_ms);
  Report("the 500 ms backend uncached", uncached_ms, "ms", "cargo:token", token_ms);
  Report("credcache, warm", credcache_ms, "ms", "the 500 ms backend uncached", uncached_ms);
  return 0;
}
