/// @file
/// The provider side of the protocol: the loop a credential provider runs.
///
/// @code
/// #include "cargo_credential/provider.h"
///
/// #include "cargo_credential/credential.h"
///
/// int main(int argc, char** argv) {
///   // Serves no registry; a real provider implements Credential (credential.h).
///   cargo_credential::UnsupportedCredential credential;
///   return cargo_credential::RunProvider(credential, argc, argv);
/// }
/// @endcode
///
/// RunProvider() writes the hello before it reads anything (cargo waits for it
/// and never times out), then answers each request line with exactly one
/// response line until stdin ends, and returns 0, including after error
/// responses: cargo turns any non-zero exit into a failure even after a good
/// answer. Nothing but protocol lines ever reaches the protocol's stdout.
/// Malformed input and a wrong protocol version are answered with errors that
/// say what is wrong; they never stop the loop. Actions and operations this
/// library does not know go to the provider's Perform, which decides.
///
/// Thread-safety: run it once per process, from main().
#ifndef CARGO_CREDENTIAL_PROVIDER_H_
#define CARGO_CREDENTIAL_PROVIDER_H_

#include <cstddef>

#include "absl/status/status.h"
#include "cargo_credential/credential.h"

namespace cargo_credential {

/// The longest request line accepted. Cargo's are well under a kilobyte; a
/// longer line is answered with an error and skipped.
inline constexpr size_t kMaxRequestLine = 1 << 20;

/// The whole provider process: checks argv, hardens the process against core
/// dumps and tracing (a token is in memory), moves the protocol onto private
/// descriptors, points stdin and stdout at the console, and serves. Returns
/// the exit code for main().
///
/// Run without `--cargo-plugin` (by a person, say), it prints a short usage
/// note naming `program_description` to stderr and returns 2.
int RunProvider(Credential& credential, int argc, char** argv,
                const char* program_description = "a Cargo credential provider");

/// The loop itself on given descriptors, which it does not close: the hello
/// on `out_fd`, then one response per line read from `in_fd` until EOF.
/// Fails only when `out_fd` cannot be written (cargo has gone away) or `in_fd`
/// cannot be read.
absl::Status Serve(Credential& credential, int in_fd, int out_fd);

/// The answer to one request line; exposed for tests and for programs that
/// frame the protocol themselves.
absl::StatusOr<CredentialResponse> Answer(Credential& credential, absl::string_view request_line);

}  // namespace cargo_credential

#endif  // CARGO_CREDENTIAL_PROVIDER_H_
