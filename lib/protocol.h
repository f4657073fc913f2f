// The messages of Cargo's credential provider protocol, version 1, and their
// exact JSON, as the Cargo Book's "Credential Provider Protocol" page and the
// cargo-credential crate define them.
//
// These are plain value types. Parsing follows cargo's serde rules: keys are
// matched by name, unknown keys are ignored, and an unrecognised `kind`,
// `operation` or `cache` value parses as kUnknown rather than failing, so a
// newer cargo or provider can talk to this one. Serialisation writes exactly
// what cargo-credential 0.4 writes, byte for byte: keys in its order, optional
// keys left out (never null), one line with no newline inside.
//
// Tokens are Secrets: they never print, and serialised lines that hold one
// should be wiped by the caller once written (WipeString in secret.h).
//
// Thread-safety: values; the functions are pure and safe from any thread.
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

// The only protocol version that exists.
inline constexpr uint32_t kProtocolVersion1 = 1;

// The first line a provider writes, before reading anything: {"v":[1]}.
struct CredentialHello {
  std::vector<uint32_t> v = {kProtocolVersion1};
};

// The registry a request is about.
struct RegistryInfo {
  // Always present, exactly as cargo has it: sparse registries keep their
  // "sparse+" prefix and trailing "/". The right key for any lookup.
  std::string index_url;
  // cargo's name for the registry, when it knows one ("crates-io" for
  // crates.io). A hint only: absent for --index registries.
  std::optional<std::string> name;
  // Every header of the HTTP 401 answer to cargo's unauthenticated probe,
  // "Name: value"; only on the first get after such a probe. Compare names
  // without regard to case: cargo 1.95 keeps the server's case.
  std::vector<std::string> headers;
};

enum class OperationKind { kRead, kPublish, kYank, kUnyank, kOwners, kUnknown };

// What a `get` token is for. `name` is set for publish, yank, unyank and
// owners; `vers` for publish, yank and unyank; `cksum` (lowercase hex SHA-256
// of the .crate) for publish only.
struct Operation {
  OperationKind kind = OperationKind::kRead;
  std::string name;
  std::string vers;
  std::string cksum;
};

struct LoginOptions {
  // A copy (the token is a Secret, so copies are explicit).
  LoginOptions Clone() const;

  // The token given to `cargo login` (stdin or the command line); absent
  // when the provider must ask the user itself (see console.h).
  std::optional<Secret> token;
  // Where the user can get a token, when cargo knows.
  std::optional<std::string> login_url;
};

enum class ActionKind { kGet, kLogin, kLogout, kUnknown };

struct Action {
  Action Clone() const;

  ActionKind kind = ActionKind::kGet;
  Operation operation;  // kGet only.
  LoginOptions login;   // kLogin only.
};

// One request line from cargo.
struct CredentialRequest {
  uint32_t v = kProtocolVersion1;
  RegistryInfo registry;
  Action action;
  // The arguments from cargo's config entry, then (for login) whatever
  // followed `--` on the command line. Never in argv.
  std::vector<std::string> args;
};

enum class CacheKind { kNever, kSession, kExpires, kUnknown };

// How long cargo may keep a token. Cargo treats kUnknown like kNever.
struct CacheControl {
  CacheKind kind = CacheKind::kNever;
  // Unix seconds; meaningful for kExpires only.
  int64_t expiration = 0;

  static CacheControl Never() { return {CacheKind::kNever, 0}; }
  static CacheControl Session() { return {CacheKind::kSession, 0}; }
  static CacheControl Expires(int64_t unix_seconds) { return {CacheKind::kExpires, unix_seconds}; }
};

enum class ResponseKind { kGet, kLogin, kLogout, kUnknown };

// A successful answer. For kGet, `token` is sent verbatim as the HTTP
// Authorization header (include any scheme, such as "Bearer ").
struct CredentialResponse {
  ResponseKind kind = ResponseKind::kGet;
  Secret token;
  CacheControl cache;
  // Whether the token is good for every operation, so cargo may reuse a
  // read token to publish.
  bool operation_independent = true;

  static CredentialResponse Get(Secret token, CacheControl cache, bool operation_independent);
  static CredentialResponse Login() { return WithKind(ResponseKind::kLogin); }
  static CredentialResponse Logout() { return WithKind(ResponseKind::kLogout); }

  // A copy (the token is a Secret, so copies are explicit).
  CredentialResponse Clone() const;

 private:
  static CredentialResponse WithKind(ResponseKind kind);
};

// The longest token CheckToken accepts: HTTP servers refuse headers past
// 8 to 64 KiB, so anything longer is a mistake (a file or a page printed
// where a token was meant), never a token.
inline constexpr size_t kMaxTokenBytes = size_t{64} << 10;

// Whether `token` can be sent as an HTTP header value, as cargo sends it:
// non-empty UTF-8 of at most kMaxTokenBytes with no control characters (a
// CR or LF would split the request; cargo cannot send bytes that are not
// text). The error says what is wrong without quoting the token.
absl::Status CheckToken(const Secret& token);

// The kind of response that answers an action of `kind` (kUnknown for
// kUnknown): an answer of another kind is a broken provider's.
ResponseKind ResponseKindFor(ActionKind kind);

// The protocol's spellings of the enums ("get", "owners", "expires", ...).
// kUnknown spells "unknown"; no valid message carries that.
absl::string_view ActionKindName(ActionKind kind);
absl::string_view OperationKindName(OperationKind kind);
absl::string_view CacheKindName(CacheKind kind);

// Serialisation: one line of JSON, without the trailing "\n".
std::string SerializeHello(const CredentialHello& hello);
std::string SerializeRequest(const CredentialRequest& request);
// {"Ok":{...}} for a response, {"Err":{...}} for a non-OK status. A status
// without a protocol kind (error.h) is written as `other`, as is an error
// whose kind is unknown, since cargo treats unknown kinds as its own bug.
std::string SerializeResult(const absl::StatusOr<CredentialResponse>& result);

// Parsing. Each takes one line (a trailing "\r" and "\n" are allowed) and
// fails with InvalidArgument saying what is wrong; an error never quotes the
// input, which may hold a token.
absl::StatusOr<CredentialHello> ParseHello(absl::string_view line);
// Does not check `v`: a provider answers an unsupported version with an
// error of its own (see provider.h).
absl::StatusOr<CredentialRequest> ParseRequest(absl::string_view line);
// What a provider answered: a response, or an error carrying its protocol
// kind (error.h). A struct rather than a bare StatusOr, so that it can sit
// inside the StatusOr that says whether the answer could be read at all
// (a StatusOr of a StatusOr cannot tell which one a Status belongs to).
struct ProviderAnswer {
  absl::StatusOr<CredentialResponse> result;
};

// Fails when the line is not a well-formed result.
absl::StatusOr<ProviderAnswer> ParseResult(absl::string_view line);

}  // namespace cargo_credential

#endif  // CARGO_CREDENTIAL_PROTOCOL_H_
