// CommandBackend: a token printed by a command, as cargo's built-in
// `cargo:token-from-stdout` provider gets one.
//
// Each get runs the command with an empty stdin, the daemon's environment
// plus CARGO_REGISTRY_INDEX_URL and (when cargo knows the registry's name)
// CARGO_REGISTRY_NAME_OPT, as cargo sets them, and within the backend's
// `timeout` (a command still running then is killed). It must exit 0 and
// print the token alone on one line; a trailing "\n" or "\r\n" is dropped.
// Its stdout is never quoted in an error, since it may be a token; the last
// line of its stderr is, to say why it failed, and all of its stderr goes to
// the user (TellUser in lib/user_text.h), as cargo shows a provider's. With
// `run_in = "caller"` it runs in the shim, in cargo's process group, with
// the user's environment, working directory and terminal: its stderr goes
// straight there (so a prompt shows before it is answered), and /dev/tty is
// the user's.
//
// Config:
//   command   required list: the program (a path, or a name on PATH), then
//             its arguments. "{index_url}" and "{name}" in any element stand
//             for the registry's index URL and name (empty when unknown); an
//             element that is exactly "{args}" stands for the provider
//             arguments of cargo's config, one element each (so that
//             `credential-provider = ["cargo-credential-credcache",
//             "--profile", "a"]` can choose a profile), none when there are
//             none. Tokens are cached per argument list.
//   cache     optional: "session" (the default: cargo keeps the token until
//             it exits), "never", or "expires".
//   lifetime  a duration, required with cache = "expires" and refused
//             otherwise: the token expires this long after the command ends.
//
// Get only: login and logout are operation-not-supported.
//
// Thread-safety: Perform() may be called concurrently; each call runs its
// own child and shares nothing but the immutable configuration.
#ifndef CREDCACHE_BACKENDS_COMMAND_BACKEND_H_
#define CREDCACHE_BACKENDS_COMMAND_BACKEND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "backends/backend.h"
#include "cargo_credential/credential.h"
#include "cargo_credential/protocol.h"

namespace credcache {

// The `command` element that stands for the request's provider arguments.
inline constexpr char kArgsPlaceholder[] = "{args}";

// The first `{word}` in `part` that is no placeholder the command backend
// knows ({index_url}, {name}), or empty: a typo would reach the program.
std::string UnknownPlaceholder(absl::string_view part);

class CommandBackend : public cargo_credential::Credential {
 public:
  struct Config {
    // The program, then its arguments; never empty.
    std::vector<std::string> command;
    // kNever, kSession or kExpires.
    cargo_credential::CacheKind cache = cargo_credential::CacheKind::kSession;
    // How long a token lasts after the command ends; for kExpires only.
    absl::Duration lifetime;
    // How long the command may run.
    absl::Duration timeout = absl::Seconds(60);
    // Runs where cargo runs (BackendOptions::in_caller): stderr straight to
    // the terminal, in cargo's process group, so that it can prompt.
    bool in_caller = false;
  };

  explicit CommandBackend(Config config);

  // get: runs the command and answers its token (operation-independent,
  // cached as configured), or fails with `other` when it cannot be run, does
  // not finish in time, exits non-zero, or prints anything but one non-empty
  // line. login, logout: operation-not-supported.
  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override;

 private:
  const Config config_;
};

// Makes a CommandBackend from the options `command`, `cache` and `lifetime`
// and the backend's timeout; fails with InvalidArgument pointing into the
// config when they are missing, mistyped, or do not fit together.
absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> MakeCommandBackend(
    const BackendOptions& options);

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_COMMAND_BACKEND_H_
