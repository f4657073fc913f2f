// EnvBackend: tokens read from the environment, as cargo reads
// CARGO_REGISTRIES_<NAME>_TOKEN: the daemon's (frozen when it started), or,
// with `run_in = "caller"`, that of the cargo asking.
//
// Config: `variable` (required) names the variable. "{NAME}" in it stands
// for the registry's name upper-cased with "-" turned into "_", so
// "CARGO_REGISTRIES_{NAME}_TOKEN" serves registry "my-reg" from
// CARGO_REGISTRIES_MY_REG_TOKEN. The variable is read at each get, so the
// token is whatever the environment holds then.
//
// Get only: login and logout are operation-not-supported (the daemon cannot
// change its own environment for anyone else).
//
// Thread-safety: Perform() may be called concurrently; it only calls
// getenv, which is safe as long as nothing in the process calls setenv.
#ifndef CREDCACHE_BACKENDS_ENV_BACKEND_H_
#define CREDCACHE_BACKENDS_ENV_BACKEND_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backends/backend.h"
#include "cargo_credential/credential.h"

namespace credcache {

class EnvBackend : public cargo_credential::Credential {
 public:
  // `variable_template` is the variable's name, possibly with "{NAME}".
  // `in_caller`: it reads the environment of the shim cargo started
  // (BackendOptions::in_caller), whose answers are never cached, so that a
  // variable changed or unset in the user's shell counts at once.
  explicit EnvBackend(std::string variable_template, bool in_caller = false);

  // The variable that holds the token of the registry called `name`, or
  // nullopt when the template needs a name and there is none.
  std::optional<std::string> VariableFor(const std::optional<std::string>& name) const;

  // get: the variable's value (cache session, operation-independent), or
  // not-found when it is unset or empty, or when the template uses {NAME}
  // and cargo sent no registry name. login, logout: operation-not-supported.
  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override;

 private:
  const std::string variable_template_;
  const bool in_caller_;
};

// Makes an EnvBackend from the options `variable` (required, non-empty).
absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> MakeEnvBackend(
    const BackendOptions& options);

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_ENV_BACKEND_H_
