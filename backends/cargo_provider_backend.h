// CargoProviderBackend: any existing Cargo credential provider, used as a
// backend exactly as cargo would use it.
//
// Each request starts `<provider> --cargo-plugin` and runs one exchange of
// the protocol with it (lib/provider_client.h): the request goes through
// with the configured arguments first, then the request's own, as cargo
// puts a config entry's arguments before those given after `--` to
// `cargo login`. The provider's answer comes back unchanged: its token,
// cache, expiration and operation-independence, or its error and kind (so a
// provider's not-found stays not-found). A provider that cannot be started,
// breaks the protocol, or does not finish within the backend's `timeout` is
// killed and reported as `other`, by name.
//
// Config: `provider` (required) is the executable, a path or a name on
// PATH; `args` (optional) a list of arguments for it.
//
// Thread-safety: Perform() may be called concurrently; each call runs its
// own provider process. Concurrent logins and gets reach the provider in
// parallel, as they would from several cargo processes.
#ifndef CREDCACHE_BACKENDS_CARGO_PROVIDER_BACKEND_H_
#define CREDCACHE_BACKENDS_CARGO_PROVIDER_BACKEND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/backend.h"
#include "cargo_credential/credential.h"

namespace credcache {

class CargoProviderBackend : public cargo_credential::Credential {
 public:
  // Runs `provider` with `args` ahead of each request's own, allowing it
  // `timeout` for the whole exchange. `in_caller`: it runs where cargo runs
  // (BackendOptions::in_caller), so it stays in cargo's process group and
  // its stderr goes straight to the user, as cargo runs a provider.
  CargoProviderBackend(std::string provider, std::vector<std::string> args, absl::Duration timeout,
                       bool in_caller = false);

  // Asks the provider to perform `action`, and answers what it answered.
  // The provider's response must be of the action's kind.
  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override;

 private:
  const std::string provider_;
  const std::vector<std::string> args_;
  const absl::Duration timeout_;
  const bool in_caller_;
};

// Makes a CargoProviderBackend from the options `provider` and `args` and
// the backend's timeout.
absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> MakeCargoProviderBackend(
    const BackendOptions& options);

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_CARGO_PROVIDER_BACKEND_H_
