#include "backends/secret_env.h"

#include <set>

#include "absl/synchronization/mutex.h"

namespace credcache {
namespace {

absl::Mutex& Mutex() {
  static auto* mutex = new absl::Mutex();
  return *mutex;
}

std::set<std::string>& Patterns() ABSL_EXCLUSIVE_LOCKS_REQUIRED(Mutex()) {
  static auto* patterns = new std::set<std::string>{
      // Cargo's own: `cargo:token` reads these.
      "CARGO_REGISTRY_TOKEN",
      "CARGO_REGISTRIES_*_TOKEN",
  };
  return *patterns;
}

}  // namespace

void RegisterSecretVariable(const std::string& pattern) {
  absl::MutexLock lock(&Mutex());
  Patterns().insert(pattern);
}

std::vector<std::string> SecretVariables() {
  absl::MutexLock lock(&Mutex());
  return {Patterns().begin(), Patterns().end()};
}

}  // namespace credcache
