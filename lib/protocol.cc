#include "cargo_credential/protocol.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cargo_credential/error.h"
#include "lib/utf8.h"
#include "nlohmann/json.hpp"

namespace cargo_credential {
namespace {

// Parsing uses the sorted json type; writing uses ordered_json so that keys
// come out in cargo-credential's order.
using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// nlohmann throws on invalid UTF-8 when dumping; a token is bytes we were
// given, so replace rather than crash (cargo itself only passes UTF-8).
std::string Dump(const OrderedJson& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::Status Invalid(absl::string_view what) { return absl::InvalidArgumentError(what); }

absl::string_view TrimLineEnd(absl::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  return line;
}

// Parses one JSON object. The error names the byte offset only: the input
// may hold a token, and nlohmann's own messages quote what they last read.
absl::StatusOr<Json> ParseObject(absl::string_view line) {
  Json value;
  try {
    const absl::string_view text = TrimLineEnd(line);
    value = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return Invalid(absl::StrCat("malformed JSON at byte ", e.byte));
  } catch (const Json::exception& e) {
    // Valid JSON nlohmann cannot hold, such as a number too large for a
    // double (`1e400`): refused like malformed input, never a crash.
    return Invalid(absl::StrCat("unreadable JSON (nlohmann error ", e.id, ")"));
  }
  if (!value.is_object()) return Invalid("expected a JSON object");
  return value;
}

// A present, non-null member, or nullptr. serde reads null as "absent" for
// optional fields, and so do we.
const Json* Member(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::StatusOr<std::string> RequiredString(const Json& object, const char* key) {
  const Json* value = Member(object, key);
  if (value == nullptr) return Invalid(absl::StrCat("missing field `", key, "`"));
  if (!value->is_string()) {
    return Invalid(absl::StrCat("field `", key, "` must be a string"));
  }
  return value->get<std::string>();
}

absl::StatusOr<std::optional<std::string>> OptionalString(const Json& object, const char* key) {
  const Json* value = Member(object, key);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) {
    return Invalid(absl::StrCat("field `", key, "` must be a string"));
  }
  return std::optional<std::string>(value->get<std::string>());
}

absl::StatusOr<std::vector<std::string>> StringList(const Json& object, const char* key) {
  std::vector<std::string> out;
  const Json* value = Member(object, key);
  if (value == nullptr) return out;
  if (!value->is_array()) {
    return Invalid(absl::StrCat("field `", key, "` must be a list of strings"));
  }
  for (const Json& item : *value) {
    if (!item.is_string()) {
      return Invalid(absl::StrCat("field `", key, "` must be a list of strings"));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

// Moves a string member out of a parsed document into a Secret, wiping the
// document's copy.
Secret TakeSecret(Json& value) { return Secret(std::move(value.get_ref<std::string&>())); }

ActionKind ParseActionKind(absl::string_view name) {
  if (name == "get") return ActionKind::kGet;
  if (name == "login") return ActionKind::kLogin;
  if (name == "logout") return ActionKind::kLogout;
  return ActionKind::kUnknown;
}

OperationKind ParseOperationKind(absl::string_view name) {
  if (name == "read") return OperationKind::kRead;
  if (name == "publish") return OperationKind::kPublish;
  if (name == "yank") return OperationKind::kYank;
  if (name == "unyank") return OperationKind::kUnyank;
  if (name == "owners") return OperationKind::kOwners;
  return OperationKind::kUnknown;
}

CacheKind ParseCacheKind(absl::string_view name) {
  if (name == "never") return CacheKind::kNever;
  if (name == "session") return CacheKind::kSession;
  if (name == "expires") return CacheKind::kExpires;
  return CacheKind::kUnknown;
}

ResponseKind ParseResponseKind(absl::string_view name) {
  if (name == "get") return ResponseKind::kGet;
  if (name == "login") return ResponseKind::kLogin;
  if (name == "logout") return ResponseKind::kLogout;
  return ResponseKind::kUnknown;
}

absl::string_view ResponseKindName(ResponseKind kind) {
  switch (kind) {
    case ResponseKind::kGet:
      return "get";
    case ResponseKind::kLogin:
      return "login";
    case ResponseKind::kLogout:
      return "logout";
    case ResponseKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

// Which of name/vers/cksum an operation carries, in cargo's order.
struct OperationFields {
  bool name, vers, cksum;
};

OperationFields FieldsOf(OperationKind kind) {
  switch (kind) {
    case OperationKind::kPublish:
      return {true, true, true};
    case OperationKind::kYank:
    case OperationKind::kUnyank:
      return {true, true, false};
    case OperationKind::kOwners:
      return {true, false, false};
    case OperationKind::kRead:
    case OperationKind::kUnknown:
      return {false, false, false};
  }
  return {false, false, false};
}

absl::Status ParseOperation(const Json& object, Operation& operation) {
  absl::StatusOr<std::string> name = RequiredString(object, "operation");
  if (!name.ok()) return name.status();
  operation.kind = ParseOperationKind(*name);
  const OperationFields fields = FieldsOf(operation.kind);
  const std::pair<bool, std::string*> wanted[] = {{fields.name, &operation.name},
                                                  {fields.vers, &operation.vers},
                                                  {fields.cksum, &operation.cksum}};
  const char* keys[] = {"name", "vers", "cksum"};
  for (int i = 0; i < 3; ++i) {
    if (!wanted[i].first) continue;
    absl::StatusOr<std::string> value = RequiredString(object, keys[i]);
    if (!value.ok()) return value.status();
    *wanted[i].second = *std::move(value);
  }
  return absl::OkStatus();
}

absl::Status ParseRegistry(const Json& request, RegistryInfo& registry) {
  const Json* object = Member(request, "registry");
  if (object == nullptr) return Invalid("missing field `registry`");
  if (!object->is_object()) return Invalid("field `registry` must be an object");
  absl::StatusOr<std::string> index_url = RequiredString(*object, "index-url");
  if (!index_url.ok()) return index_url.status();
  registry.index_url = *std::move(index_url);
  absl::StatusOr<std::optional<std::string>> name = OptionalString(*object, "name");
  if (!name.ok()) return name.status();
  registry.name = *std::move(name);
  absl::StatusOr<std::vector<std::string>> headers = StringList(*object, "headers");
  if (!headers.ok()) return headers.status();
  registry.headers = *std::move(headers);
  return absl::OkStatus();
}

OrderedJson ErrorToJson(const absl::Status& status) {
  ErrorKind kind = KindOf(status);
  // Cargo calls an unknown kind its own bug ("try updating Cargo?"); an
  // error we could not classify is ours to explain.
  if (kind == ErrorKind::kUnknown) kind = ErrorKind::kOther;
  OrderedJson error;
  error["kind"] = ErrorKindName(kind);
  std::string message(status.message());
  std::vector<std::string> caused_by = CausedBy(status);
  if (message.empty() && kind == ErrorKind::kOther) {
    message = std::string(DefaultMessage(kind));
  }
  if (!message.empty() || !caused_by.empty()) {
    error["message"] = message;
    error["caused-by"] = caused_by;
  }
  return error;
}

// Fails when `error` is not a well-formed error object.
absl::StatusOr<ProviderAnswer> ErrorFromJson(const Json& error) {
  if (!error.is_object()) return Invalid("`Err` must be an object");
  absl::StatusOr<std::string> kind = RequiredString(error, "kind");
  if (!kind.ok()) return kind.status();
  absl::StatusOr<std::optional<std::string>> message = OptionalString(error, "message");
  if (!message.ok()) return message.status();
  absl::StatusOr<std::vector<std::string>> caused_by = StringList(error, "caused-by");
  if (!caused_by.ok()) return caused_by.status();
  // As cargo reads it: `other` carries its message (serde's required
  // field); the other kinds have none to carry.
  if (ParseErrorKind(*kind) == ErrorKind::kOther && !message->has_value()) {
    return Invalid("an `other` error must have a `message`");
  }
  return ProviderAnswer{
      ProtocolError(ParseErrorKind(*kind), message->value_or(""), *std::move(caused_by))};
}

absl::StatusOr<CredentialResponse> ResponseFromJson(Json& ok) {
  if (!ok.is_object()) return Invalid("`Ok` must be an object");
  absl::StatusOr<std::string> kind_name = RequiredString(ok, "kind");
  if (!kind_name.ok()) return kind_name.status();
  CredentialResponse response;
  response.kind = ParseResponseKind(*kind_name);
  if (response.kind != ResponseKind::kGet) return response;

  Json* token = ok.contains("token") ? &ok["token"] : nullptr;
  if (token == nullptr || token->is_null()) {
    return Invalid("missing field `token`");
  }
  if (!token->is_string()) return Invalid("field `token` must be a string");
  response.token = TakeSecret(*token);

  absl::StatusOr<std::string> cache = RequiredString(ok, "cache");
  if (!cache.ok()) return cache.status();
  response.cache.kind = ParseCacheKind(*cache);
  if (response.cache.kind == CacheKind::kExpires) {
    const Json* expiration = Member(ok, "expiration");
    if (expiration == nullptr) return Invalid("missing field `expiration`");
    // Integer Unix seconds only, as cargo insists (an i64).
    if (!expiration->is_number_integer() ||
        (expiration->is_number_unsigned() &&
         expiration->get<uint64_t>() >
             static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
      return Invalid("field `expiration` must be integer Unix seconds");
    }
    response.cache.expiration = expiration->get<int64_t>();
  }

  const Json* independent = Member(ok, "operation_independent");
  if (independent == nullptr) {
    return Invalid("missing field `operation_independent`");
  }
  if (!independent->is_boolean()) {
    return Invalid("field `operation_independent` must be true or false");
  }
  response.operation_independent = independent->get<bool>();
  return response;
}

}  // namespace

CredentialResponse CredentialResponse::Get(Secret token, CacheControl cache,
                                           bool operation_independent) {
  CredentialResponse response;
  response.kind = ResponseKind::kGet;
  response.token = std::move(token);
  response.cache = cache;
  response.operation_independent = operation_independent;
  return response;
}

CredentialResponse CredentialResponse::Clone() const {
  CredentialResponse copy;
  copy.kind = kind;
  copy.token = token.Clone();
  copy.cache = cache;
  copy.operation_independent = operation_independent;
  return copy;
}

LoginOptions LoginOptions::Clone() const {
  LoginOptions copy;
  if (token.has_value()) copy.token = token->Clone();
  copy.login_url = login_url;
  return copy;
}

Action Action::Clone() const {
  Action copy;
  copy.kind = kind;
  copy.operation = operation;
  copy.login = login.Clone();
  return copy;
}

CredentialResponse CredentialResponse::WithKind(ResponseKind kind) {
  CredentialResponse response;
  response.kind = kind;
  return response;
}

ResponseKind ResponseKindFor(ActionKind kind) {
  switch (kind) {
    case ActionKind::kGet:
      return ResponseKind::kGet;
    case ActionKind::kLogin:
      return ResponseKind::kLogin;
    case ActionKind::kLogout:
      return ResponseKind::kLogout;
    case ActionKind::kUnknown:
      break;
  }
  return ResponseKind::kUnknown;
}

absl::string_view ActionKindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kGet:
      return "get";
    case ActionKind::kLogin:
      return "login";
    case ActionKind::kLogout:
      return "logout";
    case ActionKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

absl::string_view OperationKindName(OperationKind kind) {
  switch (kind) {
    case OperationKind::kRead:
      return "read";
    case OperationKind::kPublish:
      return "publish";
    case OperationKind::kYank:
      return "yank";
    case OperationKind::kUnyank:
      return "unyank";
    case OperationKind::kOwners:
      return "owners";
    case OperationKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

absl::string_view CacheKindName(CacheKind kind) {
  switch (kind) {
    case CacheKind::kNever:
      return "never";
    case CacheKind::kSession:
      return "session";
    case CacheKind::kExpires:
      return "expires";
    case CacheKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

absl::Status CheckToken(const Secret& token) {
  const std::string& text = token.Expose();
  if (text.empty()) return Invalid("the token is empty");
  if (text.size() > kMaxTokenBytes) {
    return Invalid(absl::StrCat("the token is longer than ", kMaxTokenBytes,
                                " bytes (no registry takes a header that long)"));
  }
  if (!IsUtf8(text)) return Invalid("the token is not valid UTF-8");
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && byte != '\t') || byte == 0x7F) {
      return Invalid("the token holds a control character (a line break?)");
    }
  }
  return absl::OkStatus();
}

std::string SerializeHello(const CredentialHello& hello) {
  OrderedJson json;
  json["v"] = hello.v;
  return Dump(json);
}

std::string SerializeRequest(const CredentialRequest& request) {
  OrderedJson json;
  json["v"] = request.v;
  OrderedJson& registry = json["registry"];
  registry["index-url"] = request.registry.index_url;
  if (request.registry.name.has_value()) {
    registry["name"] = *request.registry.name;
  }
  if (!request.registry.headers.empty()) {
    registry["headers"] = request.registry.headers;
  }
  const Action& action = request.action;
  json["kind"] = ActionKindName(action.kind);
  if (action.kind == ActionKind::kGet) {
    const Operation& operation = action.operation;
    json["operation"] = OperationKindName(operation.kind);
    const OperationFields fields = FieldsOf(operation.kind);
    if (fields.name) json["name"] = operation.name;
    if (fields.vers) json["vers"] = operation.vers;
    if (fields.cksum) json["cksum"] = operation.cksum;
  } else if (action.kind == ActionKind::kLogin) {
    if (action.login.token.has_value()) {
      json["token"] = action.login.token->Expose();
    }
    if (action.login.login_url.has_value()) {
      json["login-url"] = *action.login.login_url;
    }
  }
  if (!request.args.empty()) json["args"] = request.args;
  std::string line = Dump(json);
  if (action.kind == ActionKind::kLogin && action.login.token.has_value()) {
    WipeString(json["token"].get_ref<std::string&>());
  }
  return line;
}

std::string SerializeResult(const absl::StatusOr<CredentialResponse>& result) {
  OrderedJson json;
  if (!result.ok()) {
    json["Err"] = ErrorToJson(result.status());
    return Dump(json);
  }
  const CredentialResponse& response = *result;
  OrderedJson& ok = json["Ok"];
  // A response of unknown kind cannot be written meaningfully; cargo would
  // reject it, so say so in a way it shows.
  if (response.kind == ResponseKind::kUnknown) {
    json.erase("Ok");
    json["Err"] = ErrorToJson(OtherError("provider produced a response of unknown kind"));
    return Dump(json);
  }
  ok["kind"] = ResponseKindName(response.kind);
  if (response.kind != ResponseKind::kGet) return Dump(json);
  if (absl::Status fit = CheckToken(response.token); !fit.ok()) {
    // JSON cannot carry it, or cargo could not send it as a header.
    json.erase("Ok");
    json["Err"] = ErrorToJson(
        OtherError(fit.message(), {"cargo sends tokens as text; check how it was stored"}));
    return Dump(json);
  }
  ok["token"] = response.token.Expose();
  // An unknown cache value is written as "never": that is how cargo reads it.
  CacheKind cache = response.cache.kind;
  if (cache == CacheKind::kUnknown) cache = CacheKind::kNever;
  ok["cache"] = CacheKindName(cache);
  if (cache == CacheKind::kExpires) ok["expiration"] = response.cache.expiration;
  ok["operation_independent"] = response.operation_independent;
  std::string line = Dump(json);
  WipeString(ok["token"].get_ref<std::string&>());
  return line;
}

absl::StatusOr<CredentialHello> ParseHello(absl::string_view line) {
  absl::StatusOr<Json> json = ParseObject(line);
  if (!json.ok()) return json.status();
  const Json* v = Member(*json, "v");
  if (v == nullptr) return Invalid("missing field `v`");
  if (!v->is_array()) return Invalid("field `v` must be a list of versions");
  CredentialHello hello;
  hello.v.clear();
  for (const Json& version : *v) {
    if (!version.is_number_unsigned() ||
        version.get<uint64_t>() > std::numeric_limits<uint32_t>::max()) {
      return Invalid("field `v` must be a list of versions");
    }
    hello.v.push_back(version.get<uint32_t>());
  }
  return hello;
}

absl::StatusOr<CredentialRequest> ParseRequest(absl::string_view line) {
  absl::StatusOr<Json> parsed = ParseObject(line);
  if (!parsed.ok()) return parsed.status();
  Json& json = *parsed;
  CredentialRequest request;

  const Json* v = Member(json, "v");
  if (v == nullptr) return Invalid("missing field `v`");
  if (!v->is_number_unsigned() || v->get<uint64_t>() > std::numeric_limits<uint32_t>::max()) {
    return Invalid("field `v` must be a protocol version number");
  }
  request.v = v->get<uint32_t>();

  absl::Status status = ParseRegistry(json, request.registry);
  if (!status.ok()) return status;

  absl::StatusOr<std::string> kind = RequiredString(json, "kind");
  if (!kind.ok()) return kind.status();
  request.action.kind = ParseActionKind(*kind);
  if (request.action.kind == ActionKind::kGet) {
    status = ParseOperation(json, request.action.operation);
    if (!status.ok()) return status;
  } else if (request.action.kind == ActionKind::kLogin) {
    LoginOptions& login = request.action.login;
    if (json.contains("token") && !json["token"].is_null()) {
      if (!json["token"].is_string()) {
        return Invalid("field `token` must be a string");
      }
      login.token = TakeSecret(json["token"]);
    }
    absl::StatusOr<std::optional<std::string>> login_url = OptionalString(json, "login-url");
    if (!login_url.ok()) return login_url.status();
    login.login_url = *std::move(login_url);
  }

  absl::StatusOr<std::vector<std::string>> args = StringList(json, "args");
  if (!args.ok()) return args.status();
  request.args = *std::move(args);
  return request;
}

absl::StatusOr<ProviderAnswer> ParseResult(absl::string_view line) {
  absl::StatusOr<Json> parsed = ParseObject(line);
  if (!parsed.ok()) return parsed.status();
  Json& json = *parsed;
  if (json.size() != 1 || !(json.contains("Ok") || json.contains("Err"))) {
    return Invalid("expected exactly one of `Ok` or `Err`");
  }
  if (json.contains("Err")) return ErrorFromJson(json["Err"]);
  absl::StatusOr<CredentialResponse> response = ResponseFromJson(json["Ok"]);
  if (!response.ok()) return response.status();
  return ProviderAnswer{*std::move(response)};
}

}  // namespace cargo_credential
