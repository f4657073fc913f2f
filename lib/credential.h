/// @file
/// Credential: what a Cargo credential provider does, apart from the protocol.
///
/// Implement Perform() and hand the object to RunProvider() (provider.h); the
/// library does the hello, the parsing, the console and the answers. The same
/// interface is how credcache's daemon talks to its backends, so a provider
/// written on this library can also serve as a credcache backend.
///
/// Thread-safety: the provider loop calls Perform() from one thread, one
/// request at a time. Implementations used elsewhere (credcache's daemon) say
/// so in their own headers.
///
/// A provider that keeps tokens in memory for as long as it runs, one per
/// registry, and asks the user for one at login when cargo has none:
///
/// @code
/// #include <map>
/// #include <string>
/// #include <utility>
/// #include <vector>
///
/// #include "cargo_credential/console.h"
/// #include "cargo_credential/credential.h"
/// #include "cargo_credential/error.h"
///
/// class MemoryCredential : public cargo_credential::Credential {
///  public:
///   absl::StatusOr<cargo_credential::CredentialResponse> Perform(
///       const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
///       const std::vector<std::string>& args) override {
///     using cargo_credential::ActionKind;
///     using cargo_credential::CredentialResponse;
///     auto it = tokens_.find(registry.index_url);
///     switch (action.kind) {
///       case ActionKind::kGet:
///         if (it == tokens_.end()) return cargo_credential::NotFoundError();
///         return CredentialResponse::Get(it->second.Clone(),
///                                        cargo_credential::CacheControl::Session(),
///                                        /*operation_independent=*/true);
///       case ActionKind::kLogin: {
///         absl::StatusOr<cargo_credential::Secret> token =
///             cargo_credential::ReadToken(action.login, registry);
///         if (!token.ok()) return token.status();
///         tokens_.insert_or_assign(registry.index_url, *std::move(token));
///         return CredentialResponse::Login();
///       }
///       case ActionKind::kLogout:
///         if (it == tokens_.end()) return cargo_credential::NotFoundError();
///         tokens_.erase(it);
///         return CredentialResponse::Logout();
///       default:
///         return cargo_credential::OperationNotSupportedError();
///     }
///   }
///
///  private:
///   std::map<std::string, cargo_credential::Secret> tokens_;
/// };
/// @endcode
#ifndef CARGO_CREDENTIAL_CREDENTIAL_H_
#define CARGO_CREDENTIAL_CREDENTIAL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cargo_credential/protocol.h"

/// Everything of the cargo_credential library: the C++ counterpart of Rust's
/// cargo-credential crate, for writing Cargo credential providers.
namespace cargo_credential {

/// A credential store, as a Cargo credential provider serves it: the one
/// interface a provider implements.
class Credential {
 public:
  virtual ~Credential() = default;

  /// Performs `action` for `registry`. `args` are the request's arguments
  /// (config arguments, then those after `--` for login).
  ///
  /// Answer with the response matching the action's kind: Get() for kGet,
  /// Login() for kLogin, Logout() for kLogout. Fail with the kinds of
  /// error.h: not-found for a get with no token stored (never
  /// operation-not-supported: that aborts `cargo login`), url-not-supported
  /// for a registry this provider does not serve.
  ///
  /// Actions and operations this library does not know (a newer cargo's)
  /// reach Perform() as kUnknown, as the Rust crate passes them on as
  /// `Unknown`: the provider decides. A store whose tokens do not depend on
  /// the operation may serve a get of an unknown operation; anything it
  /// cannot do is operation-not-supported.
  ///
  /// While Perform() runs, the process's stdin and stdout are the user's
  /// terminal (or /dev/null when there is none), never cargo's pipes: prompts
  /// and stray output cannot corrupt the protocol. See console.h.
  virtual absl::StatusOr<CredentialResponse> Perform(const RegistryInfo& registry,
                                                     const Action& action,
                                                     const std::vector<std::string>& args) = 0;
};

/// A provider that serves nothing: every request is url-not-supported, so
/// cargo goes on to its next provider. The counterpart of the Rust crate's
/// UnsupportedCredential, for a platform where a real store is missing.
class UnsupportedCredential : public Credential {
 public:
  /// Answers every request with UrlNotSupportedError().
  absl::StatusOr<CredentialResponse> Perform(const RegistryInfo& registry, const Action& action,
                                             const std::vector<std::string>& args) override;
};

}  // namespace cargo_credential

#endif  // CARGO_CREDENTIAL_CREDENTIAL_H_
