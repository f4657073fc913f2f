#include "backends/memory_backend.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cargo_credential/console.h"
#include "cargo_credential/error.h"
#include "cargo_credential/protocol.h"

namespace credcache {

using cargo_credential::ActionKind;
using cargo_credential::CacheControl;
using cargo_credential::CredentialResponse;
using cargo_credential::Secret;

absl::StatusOr<CredentialResponse> MemoryBackend::Perform(
    const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
    const std::vector<std::string>& /*args*/) {
  switch (action.kind) {
    case ActionKind::kGet: {
      absl::MutexLock lock(&mutex_);
      auto it = tokens_.find(registry.index_url);
      if (it == tokens_.end()) return cargo_credential::NotFoundError();
      return CredentialResponse::Get(it->second.Clone(), CacheControl::Session(),
                                     /*operation_independent=*/true);
    }
    case ActionKind::kLogin: {
      absl::StatusOr<Secret> token = cargo_credential::ReadToken(action.login, registry);
      if (!token.ok()) return token.status();
      absl::MutexLock lock(&mutex_);
      if (tokens_.size() >= kMaxMemoryTokens && tokens_.count(registry.index_url) == 0) {
        return cargo_credential::OtherError(
            absl::StrCat("credcache keeps at most ", kMaxMemoryTokens,
                         " tokens in memory for you; log out of one first"),
            {"nothing was stored"});
      }
      tokens_.insert_or_assign(registry.index_url, *std::move(token));
      return CredentialResponse::Login();
    }
    case ActionKind::kLogout: {
      absl::MutexLock lock(&mutex_);
      if (tokens_.erase(registry.index_url) == 0) return cargo_credential::NotFoundError();
      return CredentialResponse::Logout();
    }
    case ActionKind::kUnknown:
      break;
  }
  return cargo_credential::OperationNotSupportedError();
}

absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> MakeMemoryBackend(
    const BackendOptions& /*options*/) {
  return std::make_unique<MemoryBackend>();
}

}  // namespace credcache
