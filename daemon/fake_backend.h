// FakeBackend: a scripted backend for the daemon's unit tests. It counts its
// calls, can be made slow or blocked, and keeps tokens in memory.
//
// Thread-safety: all methods are thread-safe.
#ifndef CREDCACHE_DAEMON_FAKE_BACKEND_H_
#define CREDCACHE_DAEMON_FAKE_BACKEND_H_

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cargo_credential/credential.h"
#include "cargo_credential/error.h"

namespace credcache {

class FakeBackend : public cargo_credential::Credential {
 public:
  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override {
    absl::Duration delay;
    {
      absl::MutexLock lock(&mutex_);
      ++calls_;
      delay = delay_;
    }
    absl::SleepFor(delay);
    absl::MutexLock lock(&mutex_);
    if (!error_.ok()) return error_;
    switch (action.kind) {
      case cargo_credential::ActionKind::kGet: {
        auto it = tokens_.find(registry.index_url);
        if (it == tokens_.end()) return cargo_credential::NotFoundError();
        return cargo_credential::CredentialResponse::Get(
            cargo_credential::Secret(absl::string_view(it->second)), cache_,
            operation_independent_);
      }
      case cargo_credential::ActionKind::kLogin:
        if (read_only_) return cargo_credential::OperationNotSupportedError();
        tokens_[registry.index_url] = action.login.token->Expose();
        return cargo_credential::CredentialResponse::Login();
      case cargo_credential::ActionKind::kLogout:
        if (read_only_) return cargo_credential::OperationNotSupportedError();
        if (tokens_.erase(registry.index_url) == 0) return cargo_credential::NotFoundError();
        return cargo_credential::CredentialResponse::Logout();
      case cargo_credential::ActionKind::kUnknown:
        break;
    }
    return cargo_credential::OperationNotSupportedError();
  }

  void SetToken(const std::string& index_url, const std::string& token) {
    absl::MutexLock lock(&mutex_);
    tokens_[index_url] = token;
  }
  void SetCache(cargo_credential::CacheControl cache, bool operation_independent = true) {
    absl::MutexLock lock(&mutex_);
    cache_ = cache;
    operation_independent_ = operation_independent;
  }
  void SetDelay(absl::Duration delay) {
    absl::MutexLock lock(&mutex_);
    delay_ = delay;
  }
  void SetError(absl::Status error) {
    absl::MutexLock lock(&mutex_);
    error_ = std::move(error);
  }
  void SetReadOnly(bool read_only) {
    absl::MutexLock lock(&mutex_);
    read_only_ = read_only;
  }
  int calls() const {
    absl::MutexLock lock(&mutex_);
    return calls_;
  }
  bool Has(const std::string& index_url) const {
    absl::MutexLock lock(&mutex_);
    return tokens_.count(index_url) > 0;
  }

 private:
  mutable absl::Mutex mutex_;
  std::map<std::string, std::string> tokens_ ABSL_GUARDED_BY(mutex_);
  cargo_credential::CacheControl cache_ ABSL_GUARDED_BY(mutex_) =
      cargo_credential::CacheControl::Session();
  bool operation_independent_ ABSL_GUARDED_BY(mutex_) = true;
  absl::Duration delay_ ABSL_GUARDED_BY(mutex_) = absl::ZeroDuration();
  absl::Status error_ ABSL_GUARDED_BY(mutex_);
  bool read_only_ ABSL_GUARDED_BY(mutex_) = false;
  int calls_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_FAKE_BACKEND_H_
