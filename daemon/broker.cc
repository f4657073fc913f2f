#include "daemon/broker.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/error.h"

namespace credcache {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::CredentialResponse;
using cargo_credential::RegistryInfo;

// One backend call that several askers wait for.
struct Broker::Flight {
  absl::Mutex mutex;
  bool done ABSL_GUARDED_BY(mutex) = false;
  absl::StatusOr<CredentialResponse> result ABSL_GUARDED_BY(mutex);
};

Broker::Broker(const Clock* clock, Stats* stats, CachePolicy policy,
               std::shared_ptr<const Router> router)
    : stats_(stats), cache_(clock), policy_(policy), router_(std::move(router)) {}

void Broker::SetRouter(CachePolicy policy, std::shared_ptr<const Router> router) {
  absl::MutexLock lock(&mutex_);
  policy_ = policy;
  router_ = std::move(router);
}

std::shared_ptr<const Router> Broker::router() const {
  absl::MutexLock lock(&mutex_);
  return router_;
}

absl::StatusOr<CredentialResponse> Broker::Perform(const RegistryInfo& registry,
                                                   const Action& action,
                                                   const std::vector<std::string>& args) {
  stats_->Request();
  absl::StatusOr<CredentialResponse> result;
  switch (action.kind) {
    case ActionKind::kGet:
      result = Get(registry, action, args);
      break;
    case ActionKind::kLogin:
    case ActionKind::kLogout: {
      std::shared_ptr<const Router> router = this->router();
      Router::Answer answer = router->Call(router->Route(registry), registry, action, args);
      // After a login the stored token is the new truth; after a logout
      // there is none. Even a failed one (a backend that timed out may still
      // finish) leaves the cache unsure, and a cache may always forget.
      cache_.Forget(registry.index_url);
      result = std::move(answer.result);
      break;
    }
    case ActionKind::kUnknown:
      result = cargo_credential::OperationNotSupportedError();
      break;
  }
  if (!result.ok()) {
    const cargo_credential::ErrorKind kind = cargo_credential::KindOf(result.status());
    if (kind != cargo_credential::ErrorKind::kNotFound &&
        kind != cargo_credential::ErrorKind::kUrlNotSupported) {
      stats_->Error();
    }
  }
  return result;
}

std::optional<CredentialResponse> Broker::Cached(const RegistryInfo& registry,
                                                 const Action& action) {
  if (action.kind != ActionKind::kGet) return std::nullopt;
  std::optional<CredentialResponse> hit = cache_.Lookup(registry.index_url, action.operation);
  if (hit.has_value()) {
    stats_->Request();
    stats_->Hit();
  }
  return hit;
}

absl::StatusOr<CredentialResponse> Broker::PerformOn(const std::string& backend,
                                                     const RegistryInfo& registry,
                                                     const Action& action,
                                                     const std::vector<std::string>& args) {
  stats_->Request();
  std::shared_ptr<const Router> router = this->router();
  for (const Backend& candidate : router->backends()) {
    if (candidate.settings.name != backend) continue;
    Router::Answer answer = router->Call({&candidate}, registry, action, args);
    if (action.kind != ActionKind::kGet) cache_.Forget(registry.index_url);
    return std::move(answer.result);
  }
  stats_->Error();
  return cargo_credential::OtherError(absl::StrCat("credcached has no backend named `", backend, "`"),
                                      {"`cargo-credential-credcache status` lists them"});
}

absl::StatusOr<CredentialResponse> Broker::Get(const RegistryInfo& registry, const Action& action,
                                               const std::vector<std::string>& args) {
  if (std::optional<CredentialResponse> hit =
          cache_.Lookup(registry.index_url, action.operation)) {
    stats_->Hit();
    return *std::move(hit);
  }
  stats_->Miss();

  // The generation is part of the key: a request that starts after a login
  // or logout must not wait for, and be given, an answer fetched before it.
  const uint64_t generation = cache_.Generation(registry.index_url, registry.name);
  const std::string key = absl::StrCat(registry.index_url, "\n",
                                       TokenCache::OperationKey(action.operation), "\n",
                                       generation);
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    absl::MutexLock lock(&mutex_);
    std::shared_ptr<Flight>& slot = flights_[key];
    if (slot == nullptr) {
      slot = std::make_shared<Flight>();
      leader = true;
    }
    flight = slot;
  }
  if (!leader) {
    stats_->Coalesced();
    absl::MutexLock lock(&flight->mutex);
    flight->mutex.Await(absl::Condition(&flight->done));
    if (!flight->result.ok()) return flight->result.status();
    return flight->result->Clone();
  }

  absl::StatusOr<CredentialResponse> result = Fetch(registry, action, args, generation);
  {
    absl::MutexLock lock(&mutex_);
    flights_.erase(key);
  }
  absl::MutexLock lock(&flight->mutex);
  flight->result = result.ok() ? absl::StatusOr<CredentialResponse>(result->Clone())
                               : absl::StatusOr<CredentialResponse>(result.status());
  flight->done = true;
  return result;
}

absl::StatusOr<CredentialResponse> Broker::Fetch(const RegistryInfo& registry,
                                                 const Action& action,
                                                 const std::vector<std::string>& args,
                                                 uint64_t generation) {
  std::shared_ptr<const Router> router;
  CachePolicy policy;
  {
    absl::MutexLock lock(&mutex_);
    router = router_;
    policy = policy_;
  }
  Router::Answer answer = router->Call(router->Route(registry), registry, action, args);
  if (answer.result.ok() && answer.backend != nullptr) {
    if (answer.backend->settings.ttl.has_value()) policy.ttl = *answer.backend->settings.ttl;
    cache_.Insert(registry.index_url, registry.name, action.operation, *answer.result,
                  answer.backend->settings.name, policy, generation);
  }
  return std::move(answer.result);
}

}  // namespace credcache
