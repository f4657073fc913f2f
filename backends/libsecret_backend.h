// LibsecretBackend: tokens in the desktop's Secret Service (gnome-keyring,
// KeePassXC, KWallet's bridge), exactly where cargo's own `cargo:libsecret`
// keeps them, so tokens a user already stored with cargo are found and ours
// are found by cargo.
//
// Schema, as cargo 1.95 uses it: items of schema
// `org.rust-lang.cargo.registry` with one attribute, `url` = the registry's
// index URL, in the `default` collection, labelled `cargo-registry:<name or
// index URL>`. Lookups and erasures match on `url` alone (not on the schema
// name), so a token stored by hand with `secret-tool store ... url <URL>`
// is found too. Answers `session`, operation-independent, as cargo's does.
//
// When there is no Secret Service (no D-Bus session, as on a headless box
// or in CI) or its collection is locked, the backend says url-not-supported
// with the reason, so the next backend in the chain is tried (cargo's own
// libsecret provider fails hard instead: cargo PR #13558 is still open).
//
// Watched (Watch(), as the daemon does), any change the Secret Service
// signals (an item created, changed or deleted by any program, such as
// `secret-tool store`; a collection made or removed; the service itself
// replaced) is told as a change of possibly any registry: the signals name
// an item, not its registry, and a keyring lookup is cheap to repeat.
//
// Options: none. Thread-safety: thread-safe (libsecret's sync calls are).
#ifndef CREDCACHE_BACKENDS_LIBSECRET_BACKEND_H_
#define CREDCACHE_BACKENDS_LIBSECRET_BACKEND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/backend.h"
#include "cargo_credential/credential.h"

namespace credcache {

class LibsecretBackend : public cargo_credential::Credential, public WatchableStore {
 public:
  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override;

  // Subscribes to the Secret Service's signals on a D-Bus connection of the
  // watch's own, served by a GLib main context on a thread of its own (the
  // subscription is in force when this returns). A connection that closes
  // tells a change, and is made again every few seconds until it is.
  // Unavailable when there is no D-Bus session bus.
  absl::StatusOr<std::unique_ptr<StoreWatch>> Watch(StoreChanged changed) override;
};

absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> MakeLibsecretBackend(
    const BackendOptions& options);

// OK when a Secret Service answers on this process's D-Bus session;
// otherwise why not. Used to pick the embedded default.
absl::Status ProbeSecretService();

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_LIBSECRET_BACKEND_H_
