// CredcacheService: the gRPC face of the daemon (proto/credcache.proto).
//
// Perform hands cargo's request to the Broker, once the client's version
// (common/wire.h) is this daemon's own: any other, or none, is refused
// before the request is read; the admin calls read or reset
// the cache and counters, reload the config, or stop the daemon through the
// Control the server provides. Nothing it returns outside Perform's get
// answer holds a token.
//
// It uses gRPC's callback API: a get the cache can answer is answered on
// gRPC's own thread, at once (the common case, and what throughput is made
// of); anything that may wait on a backend is moved to a thread of its own
// and finished from there, so no gRPC thread ever blocks on a backend.
// When that wait is long (half a second on one backend), the response
// headers go ahead naming the backend (common/wire.h), for the shim to show.
// A backend that runs in the caller ends the call of the waiting shim the
// Broker chooses with a RunInCaller job; its shim's report comes back as a
// Perform with `report`, answered with the request's answer. Who a caller
// is (its pid, and when it exits) is the kernel's word (daemon/peer.h).
//
// Thread-safety: gRPC calls the methods concurrently; all are thread-safe.
#ifndef CREDCACHE_DAEMON_SERVICE_H_
#define CREDCACHE_DAEMON_SERVICE_H_

#include <atomic>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/etcd/etcd_tier.h"
#include "common/wire.h"
#include "daemon/broker.h"
#include "daemon/stats.h"
#include "daemon/team_gate.h"
#include "proto/convert.h"
#include "proto/credcache.grpc.pb.h"

namespace credcache {

// What the service needs from the process around it.
class DaemonControl {
 public:
  virtual ~DaemonControl() = default;
  // Re-reads the configuration; returns its source, or why it was refused
  // (the old one then keeps serving).
  virtual absl::StatusOr<std::string> Reload() = 0;
  // Starts a graceful stop; returns at once.
  virtual void RequestStop() = 0;
  // The config in use, for `status`.
  virtual std::string ConfigSource() const = 0;
  // The etcd tier, when the daemon has one (for `status`, `stats` and
  // `forget`); it lives as long as the daemon.
  virtual EtcdTier* Tier() { return nullptr; }
};

struct DaemonIdentity {
  std::string version;  // BuildVersion() (common/version.h).
  std::string socket;
  std::string started_by = kStartedByHand;  // One of common/wire.h's kStartedBy*.
  absl::Time started;
  // The idle exit (zero: none), and whether systemd handed the socket over.
  absl::Duration idle_exit = absl::ZeroDuration();
  bool socket_activated = false;
};

class CredcacheService final : public v1::Credcache::CallbackService {
 public:
  // All pointers must outlive the service. `team`, set for a team daemon,
  // admits and audits each request (daemon/team_gate.h) and keeps the
  // admin calls to admins.
  CredcacheService(Broker* broker, credcache::Stats* stats, DaemonControl* control,
                   DaemonIdentity identity, TeamGate* team = nullptr);
  // Waits for the threads it started to end: one may still run after its
  // call was answered (its bookkeeping, or a request whose shim took a job
  // and waits on the report until the backend's timeout). Call after the
  // server has shut down.
  ~CredcacheService() override;

  grpc::ServerUnaryReactor* Perform(grpc::CallbackServerContext* context,
                                    const v1::PerformRequest* request,
                                    v1::PerformResponse* response) override;
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* context,
                                   const v1::StatusRequest* request,
                                   v1::StatusResponse* response) override;
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* context,
                                 const v1::ListRequest* request,
                                 v1::ListResponse* response) override;
  grpc::ServerUnaryReactor* Forget(grpc::CallbackServerContext* context,
                                   const v1::ForgetRequest* request,
                                   v1::ForgetResponse* response) override;
  grpc::ServerUnaryReactor* Flush(grpc::CallbackServerContext* context,
                                  const v1::FlushRequest* request,
                                  v1::FlushResponse* response) override;
  grpc::ServerUnaryReactor* Stats(grpc::CallbackServerContext* context,
                                  const v1::StatsRequest* request,
                                  v1::StatsResponse* response) override;
  grpc::ServerUnaryReactor* Reload(grpc::CallbackServerContext* context,
                                   const v1::ReloadRequest* request,
                                   v1::ReloadResponse* response) override;
  grpc::ServerUnaryReactor* Stop(grpc::CallbackServerContext* context,
                                 const v1::StopRequest* request,
                                 v1::StopResponse* response) override;
  grpc::ServerUnaryReactor* Audit(grpc::CallbackServerContext* context,
                                  const v1::AuditRequest* request,
                                  v1::AuditResponse* response) override;
  // For a team daemon, its admins only (a probe is the team's business).
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const v1::CheckRequest* request,
                                  v1::CheckResponse* response) override;

  // When the last call ended, and how many run now; for the idle exit.
  absl::Time last_activity() const;
  int in_flight() const { return in_flight_.load(); }

 private:
  // Which config and backends were asked, for a registry none serves.
  std::string NoBackendNote(const cargo_credential::RegistryInfo& registry) const;
  class Activity;
  class PerformCall;

  Broker* const broker_;
  credcache::Stats* const stats_;
  DaemonControl* const control_;
  const DaemonIdentity identity_;
  TeamGate* const team_;
  // For a team daemon: nullptr when `context`'s caller may use the admin
  // calls, else the call finished with PERMISSION_DENIED.
  grpc::ServerUnaryReactor* RefuseNonAdmin(grpc::CallbackServerContext* context,
                                           const std::string& call);
  // "shared" or "personal" for a team daemon's backend, for the audit.
  std::string ScopeOf(const std::string& backend) const;
  // Answers a Perform that may wait on backends (or, with a `report`, the
  // report of a backend run in the caller); runs on its own thread.
  void PerformSlowly(cargo_credential::CredentialRequest decoded, std::string backend,
                     std::optional<v1::CallerReport> report, grpc::CallbackServerContext* context,
                     v1::PerformResponse* response, grpc::ServerUnaryReactor* reactor,
                     std::optional<TeamGate::Admission> admission);

  std::atomic<int> in_flight_{0};
  std::atomic<int64_t> last_activity_ns_;
};

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_SERVICE_H_
