// PromptCredential: an example interactive Cargo credential provider. It keeps
// no tokens itself: it sits in front of another provider (any executable that
// speaks cargo's protocol, such as cargo-credential-example-file) and puts a
// person in the loop, on the terminal:
//
//   - `cargo login` with no token (stdin was a terminal): asks for the token
//     with echo off (ReadToken), and hands it to the inner provider's login.
//     The login is acknowledged only when the inner provider acknowledged it:
//     a token it did not store is never reported as stored.
//   - a get for `read` (index and downloads): passed through, no question.
//   - a get for publish, yank, unyank or owners: asks
//     "Use your token for REGISTRY to publish NAME VERS? [y/N]" and fetches
//     the token from the inner provider only after a `y`. Anything else, or no
//     terminal to ask on (CI, a pipe), is a refusal: an `other` error that
//     cargo shows. Every get is answered operation_independent=false, so
//     cargo reuses a token only for reads and asks again for each mutation.
//   - logout: passed through (its not-found is cargo's "not logged in").
//
// Configuration: the first argument is the inner provider (a path, or a name
// found on PATH); the rest are the inner provider's own arguments:
//
//   credential-provider = ["cargo-credential-example-prompt",
//                          "/path/to/cargo-credential-example-file", "--file", "/path/tokens"]
//
// The token travels to and from the inner provider only inside protocol
// lines on its stdin and stdout (CallProvider), never in its argv or its
// environment.
//
// Thread-safety: one request at a time, as the provider loop calls it; the
// questions need the terminal to themselves.
#ifndef CREDCACHE_EXAMPLES_PROMPT_CREDENTIAL_H_
#define CREDCACHE_EXAMPLES_PROMPT_CREDENTIAL_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cargo_credential/credential.h"
#include "cargo_credential/protocol.h"
#include "cargo_credential/secret.h"

namespace credcache_examples {

// Where PromptCredential asks its questions. The default is the user's
// terminal (console.h); a test gives scripted answers instead.
struct PromptConsole {
  // Shows `question` and returns the line typed in answer; fails when there
  // is no one to ask.
  std::function<absl::StatusOr<std::string>(absl::string_view question)> ask;
  // The token for a login: cargo's, or one the user types with echo off.
  std::function<absl::StatusOr<cargo_credential::Secret>(const cargo_credential::LoginOptions&,
                                                         const cargo_credential::RegistryInfo&)>
      read_token;

  // The terminal: the question on stdout, the answer from stdin (inside
  // Perform both are /dev/tty, or /dev/null when there is none), and
  // cargo_credential::ReadToken.
  static PromptConsole Terminal();
};

class PromptCredential : public cargo_credential::Credential {
 public:
  // Asks on the terminal.
  PromptCredential() : PromptCredential(PromptConsole::Terminal()) {}
  // `inner_timeout` bounds each call of the inner provider, spawn to exit.
  explicit PromptCredential(PromptConsole console, absl::Duration inner_timeout = absl::Seconds(60))
      : console_(std::move(console)), inner_timeout_(inner_timeout) {}

  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override;

 private:
  PromptConsole console_;
  absl::Duration inner_timeout_;
};

}  // namespace credcache_examples

#endif  // CREDCACHE_EXAMPLES_PROMPT_CREDENTIAL_H_
