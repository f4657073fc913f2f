// MemoryBackend: tokens a user logged in with, kept in the daemon's memory
// only (wiped when erased or when the daemon stops), never on disk.
//
// It is how a team daemon holds a user's personal token (`scope =
// "personal"`): the daemon keeps one MemoryBackend per uid (Router), so
// what alice logged in with is only ever answered to alice. In a personal
// daemon it is a store that forgets everything at logout from the machine.
//
// A store holds at most kMaxMemoryTokens registries' tokens, so that one
// user cannot fill the daemon's memory through logins.
//
// Config: no options of its own. A get answers `session`, operation-
// independent: it is the user's own token, as cargo:token would hand it.
//
// Thread-safety: Perform() may be called concurrently.
#ifndef CREDCACHE_BACKENDS_MEMORY_BACKEND_H_
#define CREDCACHE_BACKENDS_MEMORY_BACKEND_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backends/backend.h"
#include "cargo_credential/credential.h"
#include "cargo_credential/secret.h"

namespace credcache {

inline constexpr size_t kMaxMemoryTokens = 256;

class MemoryBackend : public cargo_credential::Credential {
 public:
  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override;

 private:
  absl::Mutex mutex_;
  std::map<std::string, cargo_credential::Secret> tokens_ ABSL_GUARDED_BY(mutex_);
};

absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> MakeMemoryBackend(
    const BackendOptions& options);

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_MEMORY_BACKEND_H_
