#include "daemon/broker.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/error.h"
#include "lib/protocol.h"

namespace credcache {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::CredentialResponse;
using cargo_credential::RegistryInfo;

namespace {

// A login's token must be one a later get can hand to cargo: storing one
// that CheckToken refuses would acknowledge a login that can never be used.
absl::Status LoginFits(const Action& action) {
  if (action.kind != ActionKind::kLogin || !action.login.token.has_value()) {
    return absl::OkStatus();
  }
  absl::Status fit = cargo_credential::CheckToken(*action.login.token);
  if (fit.ok()) return fit;
  return cargo_credential::OtherError(absl::StrCat("login refused: ", fit.message()),
                                      {"nothing was stored"});
}

}  // namespace

// One backend call that several askers wait for.
struct Broker::Flight {
  absl::Mutex mutex;
  bool done ABSL_GUARDED_BY(mutex) = false;
  absl::StatusOr<CredentialResponse> result ABSL_GUARDED_BY(mutex);
  // The slow backend the call waits on, once the router said so.
  std::string slow_backend ABSL_GUARDED_BY(mutex);
  absl::Duration slow_timeout ABSL_GUARDED_BY(mutex);
  // What its backends said for the user, (backend, text), for every asker.
  std::vector<std::pair<std::string, std::string>> said ABSL_GUARDED_BY(mutex);
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
  return PerformWatched(registry, action, args, {});
}

absl::StatusOr<CredentialResponse> Broker::PerformWatched(const RegistryInfo& registry,
                                                          const Action& action,
                                                          const std::vector<std::string>& args,
                                                          const CallWatch& watch) {
  stats_->Request();
  absl::StatusOr<CredentialResponse> result;
  switch (action.kind) {
    case ActionKind::kGet:
      result = Get(registry, action, args, watch);
      break;
    case ActionKind::kLogin:
    case ActionKind::kLogout: {
      if (absl::Status fit = LoginFits(action); !fit.ok()) {
        result = fit;
        break;
      }
      std::shared_ptr<const Router> router = this->router();
      Router::Answer answer = router->Call(router->Route(registry), registry, action, args, watch);
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

std::optional<CredentialResponse> Broker::Cached(const RegistryInfo& registry, const Action& action,
                                                 const std::vector<std::string>& args) {
  if (action.kind != ActionKind::kGet) return std::nullopt;
  std::optional<CredentialResponse> hit = cache_.Lookup(registry.index_url, args, action.operation);
  if (hit.has_value()) {
    stats_->Request();
    stats_->Hit();
  }
  return hit;
}

absl::Status Broker::CanLogIn(const RegistryInfo& registry, const std::string& backend) const {
  std::shared_ptr<const Router> router = this->router();
  std::vector<const Backend*> chain;
  if (backend.empty()) {
    chain = router->Route(registry);
  } else {
    for (const Backend& candidate : router->backends()) {
      if (candidate.settings.name == backend) chain.push_back(&candidate);
    }
  }
  if (chain.empty() && !backend.empty()) {
    return cargo_credential::OtherError(
        absl::StrCat("credcached has no backend named `", backend, "`"),
        {"`cargo-credential-credcache status` lists them"});
  }
  if (chain.empty()) return cargo_credential::UrlNotSupportedError();
  for (const Backend* each : chain) {
    if (each->settings.takes_logins) return absl::OkStatus();
  }
  return cargo_credential::OperationNotSupportedError();
}

absl::StatusOr<CredentialResponse> Broker::PerformOn(const std::string& backend,
                                                     const RegistryInfo& registry,
                                                     const Action& action,
                                                     const std::vector<std::string>& args,
                                                     const CallWatch& watch) {
  stats_->Request();
  if (absl::Status fit = LoginFits(action); !fit.ok()) {
    stats_->Error();
    return fit;
  }
  std::shared_ptr<const Router> router = this->router();
  for (const Backend& candidate : router->backends()) {
    if (candidate.settings.name != backend) continue;
    Router::Answer answer = router->Call({&candidate}, registry, action, args, watch);
    if (action.kind != ActionKind::kGet) cache_.Forget(registry.index_url);
    return std::move(answer.result);
  }
  stats_->Error();
  return cargo_credential::OtherError(
      absl::StrCat("credcached has no backend named `", backend, "`"),
      {"`cargo-credential-credcache status` lists them"});
}

absl::StatusOr<CredentialResponse> Broker::Get(const RegistryInfo& registry, const Action& action,
                                               const std::vector<std::string>& args,
                                               const CallWatch& watch) {
  if (std::optional<CredentialResponse> hit =
          cache_.Lookup(registry.index_url, args, action.operation)) {
    stats_->Hit();
    return *std::move(hit);
  }
  stats_->Miss();

  // The generation is part of the key: a request that starts after a login
  // or logout must not wait for, and be given, an answer fetched before it.
  const uint64_t generation = cache_.Generation(registry.index_url, registry.name);
  // An operation this daemon does not know has no key of its own (a newer
  // cargo's, without the parts it is keyed on): its asker shares no call.
  if (action.operation.kind == cargo_credential::OperationKind::kUnknown) {
    return Fetch(registry, action, args, generation, watch);
  }
  const std::pair<CacheKey, uint64_t> key(CacheKey::For(registry.index_url, args, action.operation),
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
    bool noticed = false;
    // Awake now and then only to pass on what the leader's call waits on.
    while (!flight->mutex.AwaitWithTimeout(absl::Condition(&flight->done), kSlowNotice / 2)) {
      if (!noticed && watch.slow && !flight->slow_backend.empty()) {
        noticed = true;
        const std::string backend = flight->slow_backend;
        const absl::Duration timeout = flight->slow_timeout;
        flight->mutex.Unlock();
        watch.slow(backend, timeout);
        flight->mutex.Lock();
      }
    }
    // The leader's backends spoke for every asker: each cargo shows it, as
    // each would have shown its own provider's stderr. Told outside the lock.
    const std::vector<std::pair<std::string, std::string>> said = flight->said;
    absl::StatusOr<CredentialResponse> result =
        flight->result.ok() ? absl::StatusOr<CredentialResponse>(flight->result->Clone())
                            : absl::StatusOr<CredentialResponse>(flight->result.status());
    flight->mutex.Unlock();
    if (watch.said) {
      for (const auto& [backend, text] : said) watch.said(backend, text);
    }
    flight->mutex.Lock();  // The MutexLock above unlocks it.
    return result;
  }

  // What the leader hears also tells the askers waiting on its call.
  CallWatch tell_all;
  tell_all.slow = [&flight, &watch](const std::string& backend, absl::Duration timeout) {
    {
      absl::MutexLock lock(&flight->mutex);
      flight->slow_backend = backend;
      flight->slow_timeout = timeout;
    }
    if (watch.slow) watch.slow(backend, timeout);
  };
  tell_all.said = [&flight, &watch](const std::string& backend, const std::string& text) {
    {
      absl::MutexLock lock(&flight->mutex);
      flight->said.emplace_back(backend, text);
    }
    if (watch.said) watch.said(backend, text);
  };
  absl::StatusOr<CredentialResponse> result = Fetch(registry, action, args, generation, tell_all);
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

absl::StatusOr<CredentialResponse> Broker::Fetch(const RegistryInfo& registry, const Action& action,
                                                 const std::vector<std::string>& args,
                                                 uint64_t generation, const CallWatch& watch) {
  std::shared_ptr<const Router> router;
  CachePolicy policy;
  {
    absl::MutexLock lock(&mutex_);
    router = router_;
    policy = policy_;
  }
  Router::Answer answer = router->Call(router->Route(registry), registry, action, args, watch);
  if (answer.result.ok() && answer.backend != nullptr) {
    if (answer.backend->settings.ttl.has_value()) policy.ttl = *answer.backend->settings.ttl;
    cache_.Insert(registry.index_url, registry.name, args, action.operation, *answer.result,
                  answer.backend->settings.name, policy, generation);
  }
  return std::move(answer.result);
}

}  // namespace credcache
