// The backend kinds that can run in the caller (`run_in = "caller"`): those
// that run a program or read the environment, which the shim cargo started
// can do where cargo runs, with the user's terminal. The daemon's table
// (backend_kinds.h) includes these; the shim links only them, so it needs
// neither the keyring nor the token file.
//
// The daemon hands a caller a backend as its kind and its [[backend]] table
// (BackendSettings::fingerprint, TOML text); MakeBackendInCaller makes it
// with the same factory the daemon used to check the config, so a backend
// is made from its config in one place only.
//
// Thread-safety: the table is built once and never changes; the functions
// may run from any thread.
#ifndef CREDCACHE_BACKENDS_CALLER_KINDS_H_
#define CREDCACHE_BACKENDS_CALLER_KINDS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "backends/backend.h"
#include "cargo_credential/credential.h"

namespace credcache {

// env, command and cargo-provider, each with runs_in_caller set.
const std::vector<BackendKind>& CallerKinds();

// Makes the backend called `name` of kind `kind` from `config`, its
// [[backend]] table as TOML text, to run here, in the caller, within
// `timeout`; no program it runs will see `secret_variables` (names or
// globs: the daemon's, from backends/secret_env.h). InvalidArgument when
// `kind` cannot run in a caller or the table does not make one (the daemon
// checked it already: this means another build sent it).
absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> MakeBackendInCaller(
    absl::string_view kind, absl::string_view config, const std::string& name,
    absl::Duration timeout, const std::vector<std::string>& secret_variables = {});

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_CALLER_KINDS_H_
