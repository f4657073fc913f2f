/// @file
/// The messages of Cargo's credential provider protocol, version 1, and their
/// exact JSON, as the Cargo Book's "Credential Provider Protocol" page and the
/// cargo-credential crate define them.
///
/// These are plain value types. Parsing follows cargo's serde rules: keys are
/// matched by name, unknown keys are ignored, and an unrecognised `kind`,
/// `operation` or `cache` value parses as kUnknown rather than failing, so a
/// newer cargo or provider can talk to this one. Serialisation writes exactly
/// what cargo-credential 0.4 writes, byte for byte: keys in its order, optional
/// keys left out (never null), one line with no newline inside.
///
/// Tokens are Secrets: they never print, and serialised lines that hold one
/// should be wiped by the caller once written (WipeString in secret.h).
///
/// Thread-safety: values; the functions are pure and safe from any thread.
///
/// A request as cargo writes it, and the token out of a provider's answer:
///
/// @code
/// #include <string>
///
/// #include "cargo_credential/protocol.h"
///
/// // The line cargo sends to ask for a token to publish foo 1.0.0.
/// std::string PublishRequestLine(const std::string& crate_sha256) {
///   cargo_credential::CredentialRequest request;
///   request.registry.index_url = "sparse+https://registry.example.com/index/";
///   request.action.kind = cargo_credential::ActionKind::kGet;
///   request.action.operation.kind = cargo_credential::OperationKind::kPublish;
///   request.action.operation.name = "foo";
///   request.action.operation.vers = "1.0.0";
///   request.action.operation.cksum = crate_sha256;
///   return cargo_credential::SerializeRequest(request);
/// }
///
/// // The token in a provider's answer to a get, or why there is none.
/// absl::StatusOr<cargo_credential::Secret> TokenOf(absl::string_view answer_line) {
///   absl::StatusOr<cargo_credential::ProviderAnswer> answer =
///       cargo_credential::ParseResult(answer_line);
///   if (!answer.ok()) return answer.status();                  // not a result line at all
///   if (!answer->result.ok()) return answer->result.status();  // the provider's error
///   if (answer->result->kind != cargo_credential::ResponseKind::kGet) {
///     return absl::InternalError("the provider answered a get with another kind");
///   }
///   return answer->result->token.Clone();
/// }
/// @endcode
#ifndef CARGO_CREDENTIAL_PROTOCOL_H_
#define CARGO_CREDENTIAL_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cargo_credential/secret.h"

namespace cargo_credential {

/// The only protocol version that exists.
inline constexpr uint32_t kProtocolVersion1 = 1;

/// The first line a provider writes, before reading anything: {"v":[1]}.
struct CredentialHello {
  /// The protocol versions the provider speaks.
  std::vector<uint32_t> v = {kProtocolVersion1};
};

/// The registry a request is about.
struct RegistryInfo {
  /// Always present, exactly as cargo has it: sparse registries keep their
  /// "sparse+" prefix and trailing "/". The right key for any lookup.
  std::string index_url;
  /// cargo's name for the registry, when it knows one ("crates-io" for
  /// crates.io). A hint only: absent for --index registries.
  std::optional<std::string> name;
  /// Every header of the HTTP 401 answer to cargo's unauthenticated probe,
  /// "Name: value"; only on the first get after such a probe. Compare names
  /// without regard to case: cargo 1.95 keeps the server's case.
  std::vector<std::string> headers;
};

/// What cargo is about to do with a token it gets.
enum class OperationKind {
  kRead,     ///< "read": download from a registry that needs authentication.
  kPublish,  ///< "publish": `cargo publish`.
  kYank,     ///< "yank": `cargo yank`.
  kUnyank,   ///< "unyank": `cargo yank --undo`.
  kOwners,   ///< "owners": `cargo owner`.
  kUnknown   ///< An operation this library does not know (a newer cargo's).
};

/// What a `get` token is for. `name` is set for publish, yank, unyank and
/// owners; `vers` for publish, yank and unyank; `cksum` (lowercase hex SHA-256
/// of the .crate) for publish only.
struct Operation {
  /// The operation.
  OperationKind kind = OperationKind::kRead;
  /// The crate's name.
  std::string name;
  /// The crate's version.
  std::string vers;
  /// The .crate file's SHA-256, in lowercase hex.
  std::string cksum;
};

/// What cargo passes with a login.
struct LoginOptions {
  /// A copy (the token is a Secret, so copies are explicit).
  LoginOptions Clone() const;

  /// The token given to `cargo login` (stdin or the command line); absent
  /// when the provider must ask the user itself (see console.h).
  std::optional<Secret> token;
  /// Where the user can get a token, when cargo knows.
  std::optional<std::string> login_url;
};

/// What cargo asks of a provider.
enum class ActionKind {
  kGet,     ///< "get": a token for an operation.
  kLogin,   ///< "login": store a token (`cargo login`).
  kLogout,  ///< "logout": erase the stored token (`cargo logout`).
  kUnknown  ///< An action this library does not know (a newer cargo's).
};

/// The action of a request, with what cargo passes for its kind.
struct Action {
  /// A copy (the login token is a Secret, so copies are explicit).
  Action Clone() const;

  /// The action.
  ActionKind kind = ActionKind::kGet;
  Operation operation;  ///< kGet only.
  LoginOptions login;   ///< kLogin only.
};

/// One request line from cargo.
struct CredentialRequest {
  /// The protocol version the request is written in.
  uint32_t v = kProtocolVersion1;
  /// The registry the request is about.
  RegistryInfo registry;
  /// What cargo asks.
  Action action;
  /// The arguments from cargo's config entry, then (for login) whatever
  /// followed `--` on the command line. Never in argv.
  std::vector<std::string> args;
};

/// The ways cargo may keep a token, in CacheControl.
enum class CacheKind {
  kNever,    ///< "never": ask the provider again for every use.
  kSession,  ///< "session": keep it until this cargo command ends.
  kExpires,  ///< "expires": keep it until CacheControl::expiration.
  kUnknown   ///< A kind this library does not know (a newer cargo's).
};

/// How long cargo may keep a token. Cargo treats kUnknown like kNever.
struct CacheControl {
  /// How long.
  CacheKind kind = CacheKind::kNever;
  /// Unix seconds; meaningful for kExpires only.
  int64_t expiration = 0;

  /// Not at all: cargo asks again for every use.
  static CacheControl Never() { return {CacheKind::kNever, 0}; }
  /// For the rest of the cargo command.
  static CacheControl Session() { return {CacheKind::kSession, 0}; }
  /// Until `unix_seconds`; cargo reuses it only while more than 60 s remain.
  static CacheControl Expires(int64_t unix_seconds) { return {CacheKind::kExpires, unix_seconds}; }
};

/// The kind of a successful answer: the kind of the action it answers.
enum class ResponseKind {
  kGet,     ///< Answers a get, with a token.
  kLogin,   ///< Answers a login: the token is stored.
  kLogout,  ///< Answers a logout: the token is erased.
  kUnknown  ///< A kind this library does not know (from a newer provider).
};

/// A successful answer. For kGet, `token` is sent verbatim as the HTTP
/// Authorization header (include any scheme, such as "Bearer ").
struct CredentialResponse {
  /// The kind of action answered.
  ResponseKind kind = ResponseKind::kGet;
  /// The token (kGet only).
  Secret token;
  /// How long cargo may keep the token (kGet only).
  CacheControl cache;
  /// Whether the token is good for every operation, so cargo may reuse a
  /// read token to publish.
  bool operation_independent = true;

  /// The answer to a get: `token`, kept by cargo as `cache` says, for every
  /// operation or only for the one asked (`operation_independent`).
  static CredentialResponse Get(Secret token, CacheControl cache, bool operation_independent);
  /// The answer to a login that stored the token.
  static CredentialResponse Login() { return WithKind(ResponseKind::kLogin); }
  /// The answer to a logout that erased the token.
  static CredentialResponse Logout() { return WithKind(ResponseKind::kLogout); }

  /// A copy (the token is a Secret, so copies are explicit).
  CredentialResponse Clone() const;

 private:
  static CredentialResponse WithKind(ResponseKind kind);
};

/// The longest token CheckToken accepts: HTTP servers refuse headers past
/// 8 to 64 KiB, so anything longer is a mistake (a file or a page printed
/// where a token was meant), never a token.
inline constexpr size_t kMaxTokenBytes = size_t{64} << 10;

/// Whether `token` can be sent as an HTTP header value, as cargo sends it:
/// non-empty UTF-8 of at most kMaxTokenBytes with no control characters (a
/// CR or LF would split the request; cargo cannot send bytes that are not
/// text). The error says what is wrong without quoting the token.
absl::Status CheckToken(const Secret& token);

/// The kind of response that answers an action of `kind` (kUnknown for
/// kUnknown): an answer of another kind is a broken provider's.
ResponseKind ResponseKindFor(ActionKind kind);

/// The protocol's spellings of the enums ("get", "owners", "expires", ...).
/// kUnknown spells "unknown"; no valid message carries that.
/// @{
absl::string_view ActionKindName(ActionKind kind);
absl::string_view OperationKindName(OperationKind kind);
absl::string_view CacheKindName(CacheKind kind);
/// @}

/// @name Serialisation
/// Each writes one line of JSON, without the trailing "\n".
/// @{

/// The hello.
std::string SerializeHello(const CredentialHello& hello);
/// A request.
std::string SerializeRequest(const CredentialRequest& request);
/// A result: {"Ok":{...}} for a response, {"Err":{...}} for a non-OK status. A status
/// without a protocol kind (error.h) is written as `other`, as is an error
/// whose kind is unknown, since cargo treats unknown kinds as its own bug.
std::string SerializeResult(const absl::StatusOr<CredentialResponse>& result);
/// @}

/// @name Parsing
/// Each takes one line (a trailing "\r" and "\n" are allowed) and
/// fails with InvalidArgument saying what is wrong; an error never quotes the
/// input, which may hold a token.
/// @{

/// A hello line, as a provider writes it.
absl::StatusOr<CredentialHello> ParseHello(absl::string_view line);
/// A request line, as cargo writes it.
///
/// Does not check `v`: a provider answers an unsupported version with an
/// error of its own (see provider.h).
absl::StatusOr<CredentialRequest> ParseRequest(absl::string_view line);
/// @}

/// What a provider answered: a response, or an error carrying its protocol
/// kind (error.h). A struct rather than a bare StatusOr, so that it can sit
/// inside the StatusOr that says whether the answer could be read at all
/// (a StatusOr of a StatusOr cannot tell which one a Status belongs to).
struct ProviderAnswer {
  /// The response, or the provider's error.
  absl::StatusOr<CredentialResponse> result;
};

/// A result line, as a provider writes it. Like the parsers above, takes one
/// line and fails with InvalidArgument, never quoting it, when the line is not
/// a well-formed result.
absl::StatusOr<ProviderAnswer> ParseResult(absl::string_view line);

}  // namespace cargo_credential

#endif  // CARGO_CREDENTIAL_PROTOCOL_H_
