// Builders for lib/'s protocol values in tests: one home, so that no test
// spells out how an Action or a RegistryInfo is put together.
//
// Thread-safety: pure functions.
#ifndef CREDCACHE_TESTS_SUPPORT_BUILDERS_H_
#define CREDCACHE_TESTS_SUPPORT_BUILDERS_H_

#include <optional>
#include <string>

#include "cargo_credential/protocol.h"

namespace credcache_testing {

// A registry as cargo names it: `index_url`, and `name` when given.
cargo_credential::RegistryInfo Registry(const std::string& index_url,
                                        std::optional<std::string> name = std::nullopt);

// A get for `operation` (read unless given).
cargo_credential::Action Get(
    cargo_credential::OperationKind operation = cargo_credential::OperationKind::kRead);
// A login with `token` (none when empty: the provider must ask for it).
cargo_credential::Action Login(const std::string& token);
cargo_credential::Action Logout();

}  // namespace credcache_testing

#endif  // CREDCACHE_TESTS_SUPPORT_BUILDERS_H_
