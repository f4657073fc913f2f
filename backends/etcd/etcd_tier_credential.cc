#include "backends/etcd/etcd_tier_credential.h"

#include <utility>

namespace credcache {

using cargo_credential::CredentialResponse;

EtcdTierCredential::EtcdTierCredential(std::shared_ptr<EtcdTier> tier,
                                       std::shared_ptr<cargo_credential::Credential> inner,
                                       absl::Duration session_ttl, absl::Duration expiry_margin,
                                       absl::Duration wait)
    : tier_(std::move(tier)),
      inner_(std::move(inner)),
      session_ttl_(session_ttl),
      expiry_margin_(expiry_margin),
      wait_(wait) {}

absl::StatusOr<CredentialResponse> EtcdTierCredential::Perform(
    const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
    const std::vector<std::string>& args) {
  switch (action.kind) {
    case cargo_credential::ActionKind::kGet:
      if (action.operation.kind != cargo_credential::OperationKind::kRead) break;
      return tier_->Get(registry.index_url, args, session_ttl_, expiry_margin_, absl::Now() + wait_,
                        [&]() { return inner_->Perform(registry, action, args); });
    case cargo_credential::ActionKind::kLogin: {
      absl::StatusOr<CredentialResponse> answer = inner_->Perform(registry, action, args);
      if (answer.ok()) tier_->Invalidate(registry.index_url);
      return answer;
    }
    case cargo_credential::ActionKind::kLogout: {
      // Whatever this backend held, no machine may serve the registry's
      // shared token after a logout.
      absl::StatusOr<CredentialResponse> answer = inner_->Perform(registry, action, args);
      tier_->Invalidate(registry.index_url);
      return answer;
    }
    default:
      break;
  }
  return inner_->Perform(registry, action, args);
}

absl::StatusOr<std::unique_ptr<StoreWatch>> EtcdTierCredential::Watch(StoreChanged changed) {
  auto* store = dynamic_cast<WatchableStore*>(inner_.get());
  if (store == nullptr) return absl::UnimplementedError("its store cannot be watched");
  std::shared_ptr<EtcdTier> tier = tier_;
  return store->Watch(
      [tier, changed = std::move(changed)](const std::optional<std::string>& index_url) {
        if (index_url.has_value()) {
          tier->Invalidate(*index_url);
        } else {
          tier->InvalidateAll();
        }
        changed(index_url);
      });
}

}  // namespace credcache
