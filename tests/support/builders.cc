#include "tests/support/builders.h"

#include <utility>

namespace credcache_testing {

cargo_credential::RegistryInfo Registry(const std::string& index_url,
                                        std::optional<std::string> name) {
  cargo_credential::RegistryInfo registry;
  registry.index_url = index_url;
  registry.name = std::move(name);
  return registry;
}

cargo_credential::Action Get(cargo_credential::OperationKind operation) {
  cargo_credential::Action action;
  action.operation.kind = operation;
  return action;
}

cargo_credential::Action Login(const std::string& token) {
  cargo_credential::Action action;
  action.kind = cargo_credential::ActionKind::kLogin;
  if (!token.empty()) action.login.token = cargo_credential::Secret(absl::string_view(token));
  return action;
}

cargo_credential::Action Logout() {
  cargo_credential::Action action;
  action.kind = cargo_credential::ActionKind::kLogout;
  return action;
}

}  // namespace credcache_testing
