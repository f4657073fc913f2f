#include "proto/convert.h"

#include <utility>

#include "lib/error.h"
#include "lib/secret.h"
#include "lib/utf8.h"

namespace credcache {
namespace {

using cargo_credential::ActionKind;
using cargo_credential::CacheKind;
using cargo_credential::ErrorKind;
using cargo_credential::OperationKind;
using cargo_credential::ResponseKind;

v1::ActionKind ToProto(ActionKind kind) {
  switch (kind) {
    case ActionKind::kGet:
      return v1::ACTION_KIND_GET;
    case ActionKind::kLogin:
      return v1::ACTION_KIND_LOGIN;
    case ActionKind::kLogout:
      return v1::ACTION_KIND_LOGOUT;
    case ActionKind::kUnknown:
      break;
  }
  return v1::ACTION_KIND_UNSPECIFIED;
}

ActionKind FromProto(v1::ActionKind kind) {
  switch (kind) {
    case v1::ACTION_KIND_GET:
      return ActionKind::kGet;
    case v1::ACTION_KIND_LOGIN:
      return ActionKind::kLogin;
    case v1::ACTION_KIND_LOGOUT:
      return ActionKind::kLogout;
    default:
      return ActionKind::kUnknown;
  }
}

v1::OperationKind ToProto(OperationKind kind) {
  switch (kind) {
    case OperationKind::kRead:
      return v1::OPERATION_KIND_READ;
    case OperationKind::kPublish:
      return v1::OPERATION_KIND_PUBLISH;
    case OperationKind::kYank:
      return v1::OPERATION_KIND_YANK;
    case OperationKind::kUnyank:
      return v1::OPERATION_KIND_UNYANK;
    case OperationKind::kOwners:
      return v1::OPERATION_KIND_OWNERS;
    case OperationKind::kUnknown:
      break;
  }
  return v1::OPERATION_KIND_UNSPECIFIED;
}

OperationKind FromProto(v1::OperationKind kind) {
  switch (kind) {
    case v1::OPERATION_KIND_READ:
      return OperationKind::kRead;
    case v1::OPERATION_KIND_PUBLISH:
      return OperationKind::kPublish;
    case v1::OPERATION_KIND_YANK:
      return OperationKind::kYank;
    case v1::OPERATION_KIND_UNYANK:
      return OperationKind::kUnyank;
    case v1::OPERATION_KIND_OWNERS:
      return OperationKind::kOwners;
    default:
      return OperationKind::kUnknown;
  }
}

v1::ErrorKind ToProto(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUrlNotSupported:
      return v1::ERROR_KIND_URL_NOT_SUPPORTED;
    case ErrorKind::kNotFound:
      return v1::ERROR_KIND_NOT_FOUND;
    case ErrorKind::kOperationNotSupported:
      return v1::ERROR_KIND_OPERATION_NOT_SUPPORTED;
    case ErrorKind::kOther:
    case ErrorKind::kUnknown:
      break;
  }
  return v1::ERROR_KIND_OTHER;
}

ErrorKind FromProto(v1::ErrorKind kind) {
  switch (kind) {
    case v1::ERROR_KIND_URL_NOT_SUPPORTED:
      return ErrorKind::kUrlNotSupported;
    case v1::ERROR_KIND_NOT_FOUND:
      return ErrorKind::kNotFound;
    case v1::ERROR_KIND_OPERATION_NOT_SUPPORTED:
      return ErrorKind::kOperationNotSupported;
    default:
      return ErrorKind::kOther;
  }
}

}  // namespace

v1::PerformRequest EncodeRequest(const cargo_credential::RegistryInfo& registry,
                                 const cargo_credential::Action& action,
                                 const std::vector<std::string>& args) {
  v1::PerformRequest request;
  v1::Registry* out = request.mutable_registry();
  out->set_index_url(registry.index_url);
  if (registry.name.has_value()) out->set_name(*registry.name);
  for (const std::string& header : registry.headers) out->add_headers(header);
  request.set_kind(ToProto(action.kind));
  if (action.kind == ActionKind::kGet) {
    request.set_operation(ToProto(action.operation.kind));
    request.set_name(action.operation.name);
    request.set_vers(action.operation.vers);
    request.set_cksum(action.operation.cksum);
  } else if (action.kind == ActionKind::kLogin) {
    if (action.login.token.has_value()) request.set_token(action.login.token->Expose());
    if (action.login.login_url.has_value()) request.set_login_url(*action.login.login_url);
  }
  for (const std::string& arg : args) request.add_args(arg);
  return request;
}

DecodedRequest DecodeRequest(const v1::PerformRequest& request) {
  DecodedRequest decoded;
  const v1::Registry& registry = request.registry();
  decoded.registry.index_url = registry.index_url();
  if (registry.has_name()) decoded.registry.name = registry.name();
  decoded.registry.headers.assign(registry.headers().begin(), registry.headers().end());
  decoded.action.kind = FromProto(request.kind());
  decoded.action.operation.kind = FromProto(request.operation());
  decoded.action.operation.name = request.name();
  decoded.action.operation.vers = request.vers();
  decoded.action.operation.cksum = request.cksum();
  if (request.has_token()) {
    decoded.action.login.token = cargo_credential::Secret(absl::string_view(request.token()));
  }
  if (request.has_login_url()) decoded.action.login.login_url = request.login_url();
  decoded.args.assign(request.args().begin(), request.args().end());
  return decoded;
}

v1::PerformResponse EncodeResult(
    const absl::StatusOr<cargo_credential::CredentialResponse>& result) {
  v1::PerformResponse response;
  if (!result.ok()) {
    v1::Error* error = response.mutable_error();
    error->set_kind(ToProto(cargo_credential::KindOf(result.status())));
    error->set_message(cargo_credential::ToUtf8Lossy(result.status().message()));
    for (const std::string& cause : cargo_credential::CausedBy(result.status())) {
      error->add_caused_by(cargo_credential::ToUtf8Lossy(cause));
    }
    return response;
  }
  switch (result->kind) {
    case ResponseKind::kGet: {
      v1::GetResult* get = response.mutable_get();
      get->set_token(result->token.Expose());
      switch (result->cache.kind) {
        case CacheKind::kSession:
          get->set_cache(v1::CACHE_KIND_SESSION);
          break;
        case CacheKind::kExpires:
          get->set_cache(v1::CACHE_KIND_EXPIRES);
          get->set_expiration(result->cache.expiration);
          break;
        case CacheKind::kNever:
        case CacheKind::kUnknown:
          get->set_cache(v1::CACHE_KIND_NEVER);
          break;
      }
      get->set_operation_independent(result->operation_independent);
      break;
    }
    case ResponseKind::kLogin:
      response.mutable_login();
      break;
    case ResponseKind::kLogout:
      response.mutable_logout();
      break;
    case ResponseKind::kUnknown:
      return EncodeResult(cargo_credential::OtherError("backend gave an answer of unknown kind"));
  }
  return response;
}

absl::StatusOr<cargo_credential::CredentialResponse> DecodeResult(v1::PerformResponse* response) {
  using cargo_credential::CacheControl;
  using cargo_credential::CredentialResponse;
  switch (response->result_case()) {
    case v1::PerformResponse::kGet: {
      v1::GetResult* get = response->mutable_get();
      CacheControl cache = CacheControl::Never();
      if (get->cache() == v1::CACHE_KIND_SESSION) cache = CacheControl::Session();
      if (get->cache() == v1::CACHE_KIND_EXPIRES) cache = CacheControl::Expires(get->expiration());
      return CredentialResponse::Get(cargo_credential::Secret(std::move(*get->mutable_token())),
                                     cache, get->operation_independent());
    }
    case v1::PerformResponse::kLogin:
      return CredentialResponse::Login();
    case v1::PerformResponse::kLogout:
      return CredentialResponse::Logout();
    case v1::PerformResponse::kError: {
      const v1::Error& error = response->error();
      return cargo_credential::ProtocolError(
          FromProto(error.kind()), error.message(),
          std::vector<std::string>(error.caused_by().begin(), error.caused_by().end()));
    }
    case v1::PerformResponse::RESULT_NOT_SET:
      break;
  }
  return cargo_credential::OtherError("credcached sent an answer this shim does not understand",
                                      {"are the shim and the daemon the same version?"});
}

std::string CacheKindName(v1::CacheKind kind) {
  switch (kind) {
    case v1::CACHE_KIND_SESSION:
      return "session";
    case v1::CACHE_KIND_EXPIRES:
      return "expires";
    default:
      return "never";
  }
}

}  // namespace credcache
