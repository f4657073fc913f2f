// EtcdTierCredential: a shared backend put behind the etcd tier
// (etcd_tier.h), as the daemon does for each backend whose tokens are the
// same for every asker when `[etcd]` is set.
//
// Ownership: shares the tier and the backend it wraps.
// Thread-safety: as the backend's: Perform() from any thread.
#ifndef CREDCACHE_BACKENDS_ETCD_ETCD_TIER_CREDENTIAL_H_
#define CREDCACHE_BACKENDS_ETCD_ETCD_TIER_CREDENTIAL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/backend.h"
#include "backends/etcd/etcd_tier.h"
#include "cargo_credential/credential.h"

namespace credcache {

// A backend behind the tier: gets of read tokens go through the tier;
// logins and logouts go to the backend and then invalidate the registry in
// the tier; anything else goes to the backend alone. A change the backend's
// store tells (WatchableStore) invalidates the registry in the tier too, or
// every registry the tier has seen when it cannot say which, before this
// daemon hears of it: etcd's copy would otherwise be served again.
class EtcdTierCredential : public cargo_credential::Credential, public WatchableStore {
 public:
  // `wait` bounds how long a get waits on another daemon's fetch.
  EtcdTierCredential(std::shared_ptr<EtcdTier> tier,
                     std::shared_ptr<cargo_credential::Credential> inner,
                     absl::Duration session_ttl, absl::Duration expiry_margin, absl::Duration wait);

  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override;

  const std::shared_ptr<cargo_credential::Credential>& inner() const { return inner_; }

  // The inner backend's watch, as said above; Unimplemented when it has
  // none.
  absl::StatusOr<std::unique_ptr<StoreWatch>> Watch(StoreChanged changed) override;

 private:
  const std::shared_ptr<EtcdTier> tier_;
  const std::shared_ptr<cargo_credential::Credential> inner_;
  const absl::Duration session_ttl_;
  const absl::Duration expiry_margin_;
  const absl::Duration wait_;
};

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_ETCD_ETCD_TIER_CREDENTIAL_H_
