// ExpiringCredential: an example Cargo credential provider for short-lived
// tokens that a command mints (`aws codeartifact get-authorization-token`, a
// vault CLI, an SSO helper). It runs the command on each get and tells cargo
// how long the token lives, so that cargo reuses it for the rest of its run
// while it is good and asks again before it dies.
//
// Configuration: the command and its arguments, after optional settings:
//
//   credential-provider = ["cargo-credential-example-expiring",
//                          "--timeout", "30s", "--margin", "2m", "--",
//                          "/usr/local/bin/mint-token", "--index", "{index_url}"]
//
//   --timeout DURATION  how long the command may run (default 60s); then it
//                       is killed with its process group, and the get fails.
//   --margin DURATION   how long before the token's end cargo must stop using
//                       it (default 60s), for clocks that disagree with the
//                       token issuer's.
//   `{index_url}` in an argument becomes the registry's index URL, and the
//   command gets CARGO_REGISTRY_INDEX_URL (and CARGO_REGISTRY_NAME_OPT when
//   cargo knows the name), as cargo's own `cargo:token-from-stdout` does.
//   CARGO_REGISTRY_TOKEN and CARGO_REGISTRIES_*_TOKEN are removed from its
//   environment: other registries' tokens are none of its business.
//
// The command's output (stdout):
//
//   line 1:           the token, exactly as it goes in the Authorization
//                     header (include a scheme such as "Bearer " if the
//                     registry wants one); surrounding blanks are dropped.
//   further lines:    at most one of
//                       expires_in=SECONDS     seconds from now (> 0)
//                       expires_at=UNIX        Unix seconds
//                     (blank lines are ignored; anything else is an error, so
//                     that a typo does not silently turn into no expiry).
//   With no expiry line the token is `session`: cargo keeps it for its run,
//   as it keeps `cargo:token-from-stdout`'s.
//
// The answer is `expires` at the token's end minus the margin. Cargo (checked
// in rust-lang/cargo src/cargo/util/auth/mod.rs, auth_token_optional) reuses
// a cached `expires` token only while `now + 60 s < expiration`, else drops
// it and asks the provider again. So a token is never sent in the last
// margin + 60 s of its life, and one that lives less than that is fetched
// afresh for every HTTP request cargo makes (each index file and download).
// Tokens are good for every operation (operation_independent=true).
//
// Failures: a command that cannot start, runs past its timeout or exits
// non-zero is an `other` error with its exit status and the end of its stderr
// (bounded: the last 10 lines, 2 KiB), never its stdout, which may hold a
// token. Output whose first line is not a token cargo can send (CheckToken)
// is an error that does not quote it. On success the command's stderr
// ("session expires in 5 minutes") is passed on to the user.
//
// Login and logout: nothing is stored here, so there is nothing to log in to
// or out of. `cargo login` is answered operation-not-supported (cargo stops
// with "requested operation not supported"), with the reason on stderr:
// the token the user gave would otherwise be silently dropped. `cargo
// logout` is answered not-found, cargo's "not currently logged in", which is
// true, with a note that tokens are revoked at their source. (The get that
// `cargo login` sends first runs the command like any other get.)
//
// Thread-safety: one request at a time, as the provider loop calls it.
#ifndef CREDCACHE_EXAMPLES_EXPIRING_CREDENTIAL_H_
#define CREDCACHE_EXAMPLES_EXPIRING_CREDENTIAL_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cargo_credential/credential.h"
#include "cargo_credential/protocol.h"
#include "cargo_credential/secret.h"

namespace credcache_examples {

// A token and when it stops working, as the command printed them.
struct MintedToken {
  cargo_credential::Secret token;
  // Absent when the command gave no expiry.
  std::optional<absl::Time> expires;
};

// Reads the command's stdout in the format above; `now` turns expires_in
// into a time. Errors never quote the output.
absl::StatusOr<MintedToken> ParseMintedToken(absl::string_view output, absl::Time now);

class ExpiringCredential : public cargo_credential::Credential {
 public:
  // `now` is the clock expiry is computed on (a test's, or the real one).
  explicit ExpiringCredential(std::function<absl::Time()> now = absl::Now) : now_(std::move(now)) {}

  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override;

 private:
  std::function<absl::Time()> now_;
};

}  // namespace credcache_examples

#endif  // CREDCACHE_EXAMPLES_EXPIRING_CREDENTIAL_H_
