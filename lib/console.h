/// @file
/// The user's terminal, for providers that must ask a person something.
///
/// Cargo owns the provider's stdin and stdout (the protocol) and passes its
/// stderr through. A prompt therefore goes to the controlling terminal,
/// /dev/tty, and when there is none (CI, a daemon, a pipe) the provider must
/// fail with a clear error rather than wait for an answer that cannot come.
///
/// Thread-safety: functions that touch the terminal must not run concurrently
/// with each other.
///
/// A login that takes the token as cargo passes it or asks for it, then asks
/// for a label and a passphrase that the provider's store wants:
///
/// @code
/// #include <iostream>
/// #include <string>
/// #include <utility>
///
/// #include "cargo_credential/console.h"
/// #include "cargo_credential/protocol.h"
///
/// struct LoginAnswers {
///   cargo_credential::Secret token;
///   std::string label;
///   cargo_credential::Secret passphrase;
/// };
///
/// // Called from Perform(), where stdin and stdout are the user's terminal.
/// absl::StatusOr<LoginAnswers> AskLogin(const cargo_credential::Action& action,
///                                       const cargo_credential::RegistryInfo& registry) {
///   LoginAnswers answers;
///   absl::StatusOr<cargo_credential::Secret> token =
///       cargo_credential::ReadToken(action.login, registry);
///   if (!token.ok()) return token.status();  // no terminal: says to pipe it to cargo login
///   answers.token = *std::move(token);
///
///   std::cerr << "A label for this token: " << std::flush;
///   absl::StatusOr<std::string> label = cargo_credential::ReadLine();
///   if (!label.ok()) return label.status();
///   answers.label = *std::move(label);
///
///   absl::StatusOr<cargo_credential::Secret> passphrase =
///       cargo_credential::PromptSecret("Passphrase of the token store: ");
///   if (!passphrase.ok()) return passphrase.status();
///   answers.passphrase = *std::move(passphrase);
///   return answers;
/// }
/// @endcode
#ifndef CARGO_CREDENTIAL_CONSOLE_H_
#define CARGO_CREDENTIAL_CONSOLE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cargo_credential/protocol.h"
#include "cargo_credential/secret.h"

namespace cargo_credential {

/// Points the process's stdin and stdout at the controlling terminal, or at
/// /dev/null when there is none, so that nothing written to fd 1 (printf,
/// std::cout, a child process) can reach the protocol. The caller must have
/// moved the protocol to other descriptors first. Flushes C and C++ stdio.
absl::Status AttachStdioToConsole();

/// Writes `prompt` to the terminal, reads one line with echo off, and returns
/// it without the line ending. Fails with FailedPrecondition when there is no
/// terminal, and with InvalidArgument when the answer is empty.
absl::StatusOr<Secret> PromptSecret(absl::string_view prompt);

/// One line from stdin, without its line ending and surrounding white space,
/// as the Rust crate's read_line gives it, except that a stdin closed before
/// any byte is FailedPrecondition here rather than an empty line. Inside
/// Perform() stdin is the user's terminal (echo on; see PromptSecret for
/// secrets), or /dev/null, which gives FailedPrecondition too. Reads no
/// further than the line. Lines longer than 64 KiB are refused.
absl::StatusOr<std::string> ReadLine();

/// The token for a login: the one cargo passed (`cargo login` with the token
/// on stdin), or else one the user pastes at the terminal after being told
/// where to get it (the login URL, else the registry's name or index URL).
absl::StatusOr<Secret> ReadToken(const LoginOptions& login, const RegistryInfo& registry);

}  // namespace cargo_credential

#endif  // CARGO_CREDENTIAL_CONSOLE_H_
