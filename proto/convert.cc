#include "proto/convert.h"

#include <string>
#include <utility>
#include <vector>

#include "cargo_credential/secret.h"
#include "lib/utf8.h"

namespace credcache {

using cargo_credential::ActionKind;
using cargo_credential::CacheKind;
using cargo_credential::ErrorKind;
using cargo_credential::OperationKind;
using cargo_credential::ResponseKind;

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

v1::CacheKind ToProto(CacheKind kind) {
  switch (kind) {
    case CacheKind::kNever:
      return v1::CACHE_KIND_NEVER;
    case CacheKind::kSession:
      return v1::CACHE_KIND_SESSION;
    case CacheKind::kExpires:
      return v1::CACHE_KIND_EXPIRES;
    case CacheKind::kUnknown:
      break;
  }
  return v1::CACHE_KIND_UNSPECIFIED;
}

CacheKind FromProto(v1::CacheKind kind) {
  switch (kind) {
    case v1::CACHE_KIND_NEVER:
      return CacheKind::kNever;
    case v1::CACHE_KIND_SESSION:
      return CacheKind::kSession;
    case v1::CACHE_KIND_EXPIRES:
      return CacheKind::kExpires;
    default:
      return CacheKind::kUnknown;
  }
}

v1::ResponseKind ToProto(ResponseKind kind) {
  switch (kind) {
    case ResponseKind::kGet:
      return v1::RESPONSE_KIND_GET;
    case ResponseKind::kLogin:
      return v1::RESPONSE_KIND_LOGIN;
    case ResponseKind::kLogout:
      return v1::RESPONSE_KIND_LOGOUT;
    case ResponseKind::kUnknown:
      break;
  }
  return v1::RESPONSE_KIND_UNSPECIFIED;
}

ResponseKind FromProto(v1::ResponseKind kind) {
  switch (kind) {
    case v1::RESPONSE_KIND_GET:
      return ResponseKind::kGet;
    case v1::RESPONSE_KIND_LOGIN:
      return ResponseKind::kLogin;
    case v1::RESPONSE_KIND_LOGOUT:
      return ResponseKind::kLogout;
    default:
      return ResponseKind::kUnknown;
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
      return v1::ERROR_KIND_OTHER;
    case ErrorKind::kUnknown:
      break;
  }
  return v1::ERROR_KIND_UNSPECIFIED;
}

ErrorKind FromProto(v1::ErrorKind kind) {
  switch (kind) {
    case v1::ERROR_KIND_URL_NOT_SUPPORTED:
      return ErrorKind::kUrlNotSupported;
    case v1::ERROR_KIND_NOT_FOUND:
      return ErrorKind::kNotFound;
    case v1::ERROR_KIND_OPERATION_NOT_SUPPORTED:
      return ErrorKind::kOperationNotSupported;
    case v1::ERROR_KIND_OTHER:
      return ErrorKind::kOther;
    default:
      return ErrorKind::kUnknown;
  }
}

v1::RegistryInfo ToProto(const cargo_credential::RegistryInfo& registry) {
  v1::RegistryInfo out;
  out.set_index_url(registry.index_url);
  if (registry.name.has_value()) out.set_name(*registry.name);
  for (const std::string& header : registry.headers) out.add_headers(header);
  return out;
}

cargo_credential::RegistryInfo FromProto(const v1::RegistryInfo& registry) {
  cargo_credential::RegistryInfo out;
  out.index_url = registry.index_url();
  if (registry.has_name()) out.name = registry.name();
  out.headers.assign(registry.headers().begin(), registry.headers().end());
  return out;
}

v1::Operation ToProto(const cargo_credential::Operation& operation) {
  v1::Operation out;
  out.set_kind(ToProto(operation.kind));
  out.set_name(operation.name);
  out.set_vers(operation.vers);
  out.set_cksum(operation.cksum);
  return out;
}

cargo_credential::Operation FromProto(const v1::Operation& operation) {
  return {FromProto(operation.kind()), operation.name(), operation.vers(), operation.cksum()};
}

v1::LoginOptions ToProto(const cargo_credential::LoginOptions& login) {
  v1::LoginOptions out;
  if (login.token.has_value()) out.set_token(login.token->Expose());
  if (login.login_url.has_value()) out.set_login_url(*login.login_url);
  return out;
}

cargo_credential::LoginOptions FromProto(const v1::LoginOptions& login) {
  cargo_credential::LoginOptions out;
  if (login.has_token()) out.token = cargo_credential::Secret(absl::string_view(login.token()));
  if (login.has_login_url()) out.login_url = login.login_url();
  return out;
}

v1::Action ToProto(const cargo_credential::Action& action) {
  v1::Action out;
  out.set_kind(ToProto(action.kind));
  *out.mutable_operation() = ToProto(action.operation);
  *out.mutable_login() = ToProto(action.login);
  return out;
}

cargo_credential::Action FromProto(const v1::Action& action) {
  cargo_credential::Action out;
  out.kind = FromProto(action.kind());
  out.operation = FromProto(action.operation());
  out.login = FromProto(action.login());
  return out;
}

v1::CredentialRequest ToProto(const cargo_credential::CredentialRequest& request) {
  v1::CredentialRequest out;
  out.set_v(request.v);
  *out.mutable_registry() = ToProto(request.registry);
  *out.mutable_action() = ToProto(request.action);
  for (const std::string& arg : request.args) out.add_args(arg);
  return out;
}

cargo_credential::CredentialRequest FromProto(const v1::CredentialRequest& request) {
  cargo_credential::CredentialRequest out;
  out.v = request.v();
  out.registry = FromProto(request.registry());
  out.action = FromProto(request.action());
  out.args.assign(request.args().begin(), request.args().end());
  return out;
}

v1::CacheControl ToProto(const cargo_credential::CacheControl& cache) {
  v1::CacheControl out;
  out.set_kind(ToProto(cache.kind));
  out.set_expiration(cache.expiration);
  return out;
}

cargo_credential::CacheControl FromProto(const v1::CacheControl& cache) {
  return {FromProto(cache.kind()), cache.expiration()};
}

v1::CredentialResponse ToProto(const cargo_credential::CredentialResponse& response) {
  v1::CredentialResponse out;
  out.set_kind(ToProto(response.kind));
  out.set_token(response.token.Expose());
  *out.mutable_cache() = ToProto(response.cache);
  out.set_operation_independent(response.operation_independent);
  return out;
}

cargo_credential::CredentialResponse FromProto(v1::CredentialResponse* response) {
  cargo_credential::CredentialResponse out;
  out.kind = FromProto(response->kind());
  // Secret's constructor takes the string's buffer; the message is left
  // with an empty one, so no copy of the token stays behind.
  out.token = cargo_credential::Secret(std::move(*response->mutable_token()));
  out.cache = FromProto(response->cache());
  out.operation_independent = response->operation_independent();
  return out;
}

v1::PerformResponse ResultToProto(
    const absl::StatusOr<cargo_credential::CredentialResponse>& result) {
  v1::PerformResponse response;
  if (result.ok()) {
    *response.mutable_ok() = ToProto(*result);
    return response;
  }
  v1::Error* error = response.mutable_error();
  error->set_kind(ToProto(cargo_credential::KindOf(result.status())));
  error->set_message(cargo_credential::ToUtf8Lossy(result.status().message()));
  for (const std::string& cause : cargo_credential::CausedBy(result.status())) {
    error->add_caused_by(cargo_credential::ToUtf8Lossy(cause));
  }
  return response;
}

absl::StatusOr<cargo_credential::CredentialResponse> ResultFromProto(
    v1::PerformResponse* response) {
  switch (response->result_case()) {
    case v1::PerformResponse::kOk:
      return FromProto(response->mutable_ok());
    case v1::PerformResponse::kError: {
      const v1::Error& error = response->error();
      return cargo_credential::ProtocolError(
          FromProto(error.kind()), error.message(),
          std::vector<std::string>(error.caused_by().begin(), error.caused_by().end()));
    }
    case v1::PerformResponse::kNeedToken:  // Only the shim's relay asks for these.
    case v1::PerformResponse::kRunInCaller:
    case v1::PerformResponse::RESULT_NOT_SET:
      break;
  }
  return cargo_credential::OtherError("credcached sent an answer this shim does not understand",
                                      {"are the shim and the daemon the same version?"});
}

}  // namespace credcache
