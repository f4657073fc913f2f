#include "daemon/team_gate.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cargo_credential/error.h"
#include "common/accounts.h"
#include "daemon/log.h"

namespace credcache {

using cargo_credential::CredentialRequest;
using cargo_credential::CredentialResponse;

TeamGate::TeamGate(std::shared_ptr<const TeamSettings> settings, std::unique_ptr<AuditLog> audit)
    : audit_(std::move(audit)), settings_(std::move(settings)) {}

TeamGate::Admission::Admission(Admission&& other) noexcept
    : gate_(std::exchange(other.gate_, nullptr)),
      who_(std::move(other.who_)),
      record_(std::move(other.record_)) {}

TeamGate::Admission::~Admission() {
  if (gate_ != nullptr) gate_->Release(who_.uid);
}

void TeamGate::SetSettings(std::shared_ptr<const TeamSettings> settings) {
  absl::MutexLock lock(&mutex_);
  settings_ = std::move(settings);
}

std::shared_ptr<const TeamSettings> TeamGate::settings() const {
  absl::MutexLock lock(&mutex_);
  return settings_;
}

AuditRecord TeamGate::Start(const absl::StatusOr<PeerIdentity>& who,
                            const CredentialRequest& request) const {
  AuditRecord record;
  record.time = absl::Now();
  record.registry = request.registry.index_url;
  record.operation = AccessOperationName(request.action);
  if (who.ok()) {
    record.uid = who->uid;
    record.groups = who->groups;
    record.pid = who->pid;
    {
      absl::MutexLock lock(&mutex_);
      auto found = names_.find(who->uid);
      if (found != names_.end()) record.user = found->second;
    }
    if (record.user.empty()) {
      // Looked up outside the lock: NSS may be a slow directory service.
      record.user = UserName(who->uid);
      absl::MutexLock lock(&mutex_);
      names_.emplace(who->uid, record.user);
    }
  } else {
    record.user = "(unknown)";
  }
  return record;
}

absl::StatusOr<TeamGate::Admission> TeamGate::Admit(const absl::StatusOr<PeerIdentity>& who,
                                                    const CredentialRequest& request,
                                                    size_t request_bytes, bool report,
                                                    const std::string& backend) {
  AuditRecord record = Start(who, request);
  const std::shared_ptr<const TeamSettings> settings = this->settings();
  absl::Status refused;
  if (!who.ok()) {
    // Every failure to learn who asks denies.
    record.rule = "no identity";
    record.uid = kUnknownUid;  // Its own bucket for the rate limit, not root's.
    refused = cargo_credential::OtherError("credcache's team daemon cannot tell who is asking",
                                           {std::string(who.status().message())});
  } else if (request_bytes > static_cast<size_t>(settings->limits.request_bytes)) {
    record.rule = "limits.request_bytes";
    refused = cargo_credential::OtherError(
        absl::StrCat("credcache's team daemon refuses a request of ", request_bytes,
                     " bytes: the limit is ", settings->limits.request_bytes));
  } else if (!audit_->Healthy()) {
    record.rule = "audit";
    refused = cargo_credential::OtherError(
        "credcache's team daemon cannot write its audit trail, and serves nothing unaudited",
        {"its admins: see credcached's log"});
  } else if (!backend.empty() && !settings->access.MayAdminister(*who)) {
    record.rule = "admin";
    refused = cargo_credential::OtherError(
        "credcache's team daemon lets only its admins ask one backend by name");
  } else if (report) {
    record.rule = "lease";
    record.operation = "report";
  } else {
    AccessDecision decision =
        settings->access.Decide(*who, request.registry.index_url, request.action);
    record.rule = decision.rule;
    if (!decision.allowed) {
      refused = settings->access.Refusal(*who, request.registry.index_url, request.action);
    }
  }
  // A report finishes a request already counted: counting it too would
  // let a user at the limit never finish a run in the caller.
  if (refused.ok() && !report) {
    absl::MutexLock lock(&mutex_);
    int& calls = calls_[who->uid];
    if (calls >= settings->limits.calls_per_user) {
      record.rule = "limits.calls_per_user";
      refused = cargo_credential::OtherError(
          absl::StrCat("credcache's team daemon is already answering ", calls,
                       " requests of yours; try again when they are done"));
    } else {
      ++calls;
    }
  }
  if (!refused.ok()) {
    record.allowed = false;
    record.outcome = "denied";
    record.error = std::string(refused.message());
    record.latency = absl::Now() - record.time;
    audit_->Record(std::move(record));
    return refused;
  }
  record.allowed = true;
  return Admission(report ? nullptr : this, *who, std::move(record));
}

void TeamGate::Finish(Admission admission, const std::string& how, const std::string& backend,
                      const std::string& scope, const absl::StatusOr<CredentialResponse>& result) {
  if (result.ok()) {
    Finish(std::move(admission), how, backend, scope, *result);
    return;
  }
  AuditRecord record = std::move(admission.record_);
  record.outcome = "error";
  record.backend = backend;
  record.scope = scope;
  record.latency = absl::Now() - record.time;
  record.error = std::string(result.status().message());
  audit_->Record(std::move(record));
}

void TeamGate::Finish(Admission admission, const std::string& how, const std::string& backend,
                      const std::string& scope, const CredentialResponse& answer) {
  AuditRecord record = std::move(admission.record_);
  record.outcome = how;
  record.backend = backend;
  record.scope = scope;
  record.latency = absl::Now() - record.time;
  if (answer.kind == cargo_credential::ResponseKind::kGet) {
    record.fingerprint = audit_->Fingerprint(answer.token);
  }
  audit_->Record(std::move(record));
}

bool TeamGate::MayAdminister(const absl::StatusOr<PeerIdentity>& who, const std::string& call) {
  if (who.ok() && settings()->access.MayAdminister(*who)) return true;
  CredentialRequest none;
  AuditRecord record = Start(who, none);
  record.operation = call;
  record.rule = "admin";
  record.outcome = "denied";
  audit_->Record(std::move(record));
  return false;
}

void TeamGate::Release(uid_t uid) {
  absl::MutexLock lock(&mutex_);
  auto it = calls_.find(uid);
  if (it != calls_.end() && --it->second <= 0) calls_.erase(it);
}

}  // namespace credcache
