/// @file
/// The cargo side of the protocol: running a credential provider executable.
///
/// Cargo starts `<provider> --cargo-plugin`, reads the hello, writes one
/// request, reads one response, closes stdin and waits for the exit. This
/// does the same, so that a program (credcache's `cargo-provider` backend, a
/// test) can use any existing provider, in C++ or Rust, exactly as cargo
/// would. Unlike cargo it never waits without limit: a provider that does not
/// say hello, answer, or exit in time is killed and reported by name.
///
/// Thread-safety: CallProvider() may run concurrently; each call has its own child.
///
/// A provider that chains to another one: every request goes on to the
/// provider executable named at construction, and its answer comes back as is.
///
/// @code
/// #include <string>
/// #include <utility>
/// #include <vector>
///
/// #include "absl/time/time.h"
/// #include "cargo_credential/credential.h"
/// #include "cargo_credential/provider_client.h"
///
/// class ChainedCredential : public cargo_credential::Credential {
///  public:
///   explicit ChainedCredential(std::string program) {
///     command_.program = std::move(program);  // a path, or a name on PATH
///     command_.timeout = absl::Minutes(5);    // time for an interactive login
///   }
///
///   absl::StatusOr<cargo_credential::CredentialResponse> Perform(
///       const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
///       const std::vector<std::string>& args) override {
///     cargo_credential::CredentialRequest request;
///     request.registry = registry;
///     request.action = action.Clone();
///     request.args = args;
///     absl::StatusOr<cargo_credential::ProviderAnswer> answer =
///         cargo_credential::CallProvider(command_, request);
///     if (!answer.ok()) return answer.status();  // the exchange failed: an `other` error
///     return std::move(answer->result);          // errors keep their protocol kind
///   }
///
///  private:
///   cargo_credential::ProviderCommand command_;
/// };
/// @endcode
#ifndef CARGO_CREDENTIAL_PROVIDER_CLIENT_H_
#define CARGO_CREDENTIAL_PROVIDER_CLIENT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cargo_credential/protocol.h"

namespace cargo_credential {

/// A provider executable, and how to run it.
struct ProviderCommand {
  /// The provider's path (or a name looked up on PATH). As with cargo, no
  /// arguments go on its command line; they travel in the request's `args`.
  std::string program;
  /// Environment changes for the provider.
  std::vector<std::pair<std::string, std::string>> set_env;
  /// For the whole exchange, spawn to exit.
  absl::Duration timeout = absl::Seconds(60);
  /// Removed from the provider's environment (names or globs, as
  /// SubprocessOptions::unset_env).
  std::vector<std::string> unset_env;
  /// Runs it in a process group of its own, killed whole when the provider
  /// is (for a daemon, which has no terminal: a provider in a background
  /// group could not read one).
  bool own_process_group = false;
  /// Where the provider's stderr goes: this process's stderr as it comes
  /// (false, as cargo lets it through to the user), or gathered (up to
  /// kMaxCollected bytes) and passed to TellUser (lib/user_text.h, internal
  /// to credcache) when the call ends, however it ends (true: for a program
  /// that runs providers on someone else's behalf and captures what is for
  /// its user).
  bool stderr_to_tell_user = false;
};

/// Runs the provider for one request. Fails when the exchange itself fails
/// (cannot start, no hello, unsupported versions, a malformed answer, a
/// timeout, a non-zero exit), with a message naming the provider; otherwise
/// returns the provider's answer, whose errors carry their protocol kind. The
/// provider's stderr goes where `stderr_to_tell_user` says.
absl::StatusOr<ProviderAnswer> CallProvider(const ProviderCommand& command,
                                            const CredentialRequest& request);

}  // namespace cargo_credential

#endif  // CARGO_CREDENTIAL_PROVIDER_CLIENT_H_
