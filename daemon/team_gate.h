// TeamGate: a team daemon's door for each request: who asks (the kernel's
// word, PeerIdentity), whether a rule admits them (AccessPolicy), whether
// they are within their limits (TeamLimits), and the audit record of what
// was decided and how it was served (AuditLog).
//
// The service asks Admit() when a Perform call starts, before anything is
// looked up, and Finish() when it is answered; every path records exactly
// one decision. A caller the kernel cannot name is refused: identity is
// never guessed, and never taken from the request.
//
// Ownership: owns the audit log; shares the settings with the config that
// made them (replaced whole on reload).
// Thread-safety: all methods are thread-safe.
#ifndef CREDCACHE_DAEMON_TEAM_GATE_H_
#define CREDCACHE_DAEMON_TEAM_GATE_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cargo_credential/protocol.h"
#include "daemon/audit.h"
#include "daemon/peer.h"
#include "daemon/team.h"

namespace credcache {

// The uid an audit record gives a caller the kernel did not name.
inline constexpr uid_t kUnknownUid = static_cast<uid_t>(-1);

class TeamGate {
 public:
  TeamGate(std::shared_ptr<const TeamSettings> settings, std::unique_ptr<AuditLog> audit);

  // A request let in: who asked and what decided, until Finish().
  class Admission {
   public:
    Admission(Admission&& other) noexcept;
    Admission& operator=(Admission&&) = delete;
    ~Admission();
    const PeerIdentity& who() const { return who_; }
    // The owner of the personal tokens the request may use: the caller.
    int64_t owner() const { return who_.uid; }

   private:
    friend class TeamGate;
    Admission(TeamGate* gate, PeerIdentity who, AuditRecord record)
        : gate_(gate), who_(std::move(who)), record_(std::move(record)) {}
    TeamGate* gate_;
    PeerIdentity who_;
    AuditRecord record_;
  };

  // Lets in the request `request` of `who` (PeerIdentity::OfCall of the
  // call), of `request_bytes` on the wire, or says why not: an `other`
  // error for cargo, already audited. `report` marks a shim reporting a
  // backend it ran for the daemon, which its lease authorises (the request
  // it ran for was admitted), and `backend` an admin's request to one
  // named backend, which only admins may make.
  absl::StatusOr<Admission> Admit(const absl::StatusOr<PeerIdentity>& who,
                                  const cargo_credential::CredentialRequest& request,
                                  size_t request_bytes, bool report, const std::string& backend);

  // Records how `admission`'s request was served: `how` (hit, miss,
  // coalesced, ran in the caller), the backend and scope that answered,
  // and the answer (a token only as its fingerprint).
  void Finish(Admission admission, const std::string& how, const std::string& backend,
              const std::string& scope,
              const absl::StatusOr<cargo_credential::CredentialResponse>& result);
  // The same for an answer, without copying it (a cache hit).
  void Finish(Admission admission, const std::string& how, const std::string& backend,
              const std::string& scope, const cargo_credential::CredentialResponse& answer);

  // Whether `who` may use the admin calls; a refusal is audited.
  bool MayAdminister(const absl::StatusOr<PeerIdentity>& who, const std::string& call);

  void SetSettings(std::shared_ptr<const TeamSettings> settings);
  std::shared_ptr<const TeamSettings> settings() const;
  const AuditLog& audit() const { return *audit_; }
  // For records of the daemon's own doing (values refused from etcd).
  AuditLog& audit() { return *audit_; }

 private:
  // A record of `who` (or of an unknown caller) asking `request`.
  AuditRecord Start(const absl::StatusOr<PeerIdentity>& who,
                    const cargo_credential::CredentialRequest& request) const;
  void Release(uid_t uid);

  const std::unique_ptr<AuditLog> audit_;
  mutable absl::Mutex mutex_;
  std::shared_ptr<const TeamSettings> settings_ ABSL_GUARDED_BY(mutex_);
  std::map<uid_t, int> calls_ ABSL_GUARDED_BY(mutex_);  // Requests under way, per uid.
  // User names, looked up once per uid: NSS can be slow, and a name is
  // only for people reading the audit.
  mutable std::map<uid_t, std::string> names_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_TEAM_GATE_H_
