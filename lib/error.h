/// @file
/// Errors of the credential provider protocol, carried as absl::Status.
///
/// Cargo tells four kinds of failure apart (the Cargo Book, "Credential
/// Provider Protocol"): url-not-supported and not-found make it try the next provider;
/// operation-not-supported and other are fatal and shown to the user. A
/// provider returns them as an absl::Status made by the functions below. The
/// kind rides in a status payload, not in the status code, so a NOT_FOUND that
/// some library returns by chance (a missing config file, say) is never taken
/// for the protocol's "no token stored": any status without the payload is an
/// `other` error carrying the status message.
///
/// `other` errors may carry a cause chain (the protocol's `caused-by`), which
/// cargo prints as "Caused by:" blocks, outermost first.
///
/// Messages are shown to the user and may be logged: never put a secret in one.
///
/// Thread-safety: free functions on values; safe from any thread.
///
/// A provider's errors, from the quiet "try the next provider" to a failure
/// with its causes:
///
/// @code
/// #include <string>
///
/// #include "absl/status/status.h"
/// #include "cargo_credential/error.h"
///
/// // What cargo hears when the token file could not be read.
/// absl::Status TokenFileError(const absl::Status& read_error, const std::string& path) {
///   if (absl::IsNotFound(read_error)) {
///     // No file yet: no token stored, and cargo tries its next provider.
///     return cargo_credential::NotFoundError();
///   }
///   // Shown as "cannot read <path>", then the read error under "Caused by:".
///   return cargo_credential::Annotate(read_error, "cannot read " + path);
/// }
///
/// // Whether cargo goes on to its next provider after `error`.
/// bool TriesNextProvider(const absl::Status& error) {
///   cargo_credential::ErrorKind kind = cargo_credential::KindOf(error);
///   return kind == cargo_credential::ErrorKind::kNotFound ||
///          kind == cargo_credential::ErrorKind::kUrlNotSupported;
/// }
/// @endcode
#ifndef CARGO_CREDENTIAL_ERROR_H_
#define CARGO_CREDENTIAL_ERROR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cargo_credential {

/// The kinds of failure cargo tells apart.
enum class ErrorKind {
  kUrlNotSupported,        ///< "url-not-supported"
  kNotFound,               ///< "not-found"
  kOperationNotSupported,  ///< "operation-not-supported"
  kOther,                  ///< "other"
  kUnknown,                ///< any kind this library does not know
};

/// The protocol's spelling of `kind` ("url-not-supported", ...). kUnknown has
/// no spelling of its own and maps to "other" when written.
absl::string_view ErrorKindName(ErrorKind kind);

/// Parses a protocol spelling; anything unrecognised is kUnknown.
ErrorKind ParseErrorKind(absl::string_view name);

/// @name Errors cargo answers in its own words
/// The three kinds below are unit variants in cargo: a `message` given with
/// one travels on the wire but cargo drops it and shows only its own text, so
/// put what the user must know in an `other` error, or on stderr.
/// @{

/// "This provider does not handle this registry": cargo tries the next one.
absl::Status UrlNotSupportedError(absl::string_view message = "");
/// "No credential stored": cargo tries the next provider; for logout it means
/// there was nothing to erase. Answer a get with no token with this.
absl::Status NotFoundError(absl::string_view message = "");
/// The provider cannot do this action at all (a get-only store asked to
/// login). Fatal in cargo.
absl::Status OperationNotSupportedError(absl::string_view message = "");
/// @}

/// Any other failure, shown to the user; `caused_by` is the chain beneath it,
/// outermost first. Cargo requires its message: an empty one is written as
/// DefaultMessage(kOther).
absl::Status OtherError(absl::string_view message, std::vector<std::string> caused_by = {});
/// Any kind, with a message and cause chain; what the functions above make.
/// kUnknown stands for a kind that came over the wire unrecognised.
absl::Status ProtocolError(ErrorKind kind, absl::string_view message,
                           std::vector<std::string> caused_by = {});

/// The protocol kind of `status`: the payload's kind when present, otherwise
/// kOther. Must not be called on an OK status.
ErrorKind KindOf(const absl::Status& status);

/// The `caused-by` chain of `status` (empty when it has none).
std::vector<std::string> CausedBy(const absl::Status& status);

/// `status` with `outer` as its new top message and the old message pushed to
/// the front of the cause chain; the kind is kept. Use it to add context the
/// way anyhow's .context() does. Returns OK for OK.
absl::Status Annotate(const absl::Status& status, absl::string_view outer);

/// The text cargo-credential shows for a kind with no message of its own,
/// such as "credential not found".
absl::string_view DefaultMessage(ErrorKind kind);

}  // namespace cargo_credential

#endif  // CARGO_CREDENTIAL_ERROR_H_
