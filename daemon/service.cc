#include "daemon/service.h"

#include <unistd.h>

#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cargo_credential/error.h"
#include "common/wire.h"
#include "daemon/checkup.h"
#include "daemon/log.h"
#include "daemon/peer.h"
#include "proto/convert.h"

namespace credcache {

// Marks a call in flight for its whole length.
class CredcacheService::Activity {
 public:
  explicit Activity(CredcacheService* service) : service_(service) { ++service_->in_flight_; }
  ~Activity() {
    service_->last_activity_ns_ = absl::ToUnixNanos(absl::Now());
    --service_->in_flight_;
  }

 private:
  CredcacheService* const service_;
};

CredcacheService::CredcacheService(Broker* broker, credcache::Stats* stats, DaemonControl* control,
                                   DaemonIdentity identity, TeamGate* team)
    : broker_(broker),
      stats_(stats),
      control_(control),
      identity_(std::move(identity)),
      team_(team),
      last_activity_ns_(absl::ToUnixNanos(absl::Now())) {}

CredcacheService::~CredcacheService() {
  while (in_flight_.load() > 0) absl::SleepFor(absl::Milliseconds(5));
}

absl::Time CredcacheService::last_activity() const {
  return absl::FromUnixNanos(last_activity_ns_.load());
}

namespace {

// The most backend text for the user sent back with one answer.
constexpr size_t kMaxUserText = size_t{64} << 10;

// A run in the caller must report before the daemon stops waiting: its
// shim's own limit is the time left less this.
constexpr absl::Duration kReportMargin = absl::Milliseconds(500);

grpc::ServerUnaryReactor* Finished(grpc::CallbackServerContext* context, grpc::Status status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(std::move(status));
  return reactor;
}

// Watches a caller's process once it has a job.
class PeerWatch : public CallerProcess {
 public:
  explicit PeerWatch(PeerProcess peer) : peer_(std::move(peer)) {}
  pid_t pid() const override { return peer_.pid(); }
  bool Exited() const override { return peer_.Exited(); }

 private:
  const PeerProcess peer_;
};

}  // namespace

// One Perform call's end: answered once, with the Broker's answer or with a
// job for its shim (Caller::Take), whichever comes first; the waiting
// header may go ahead of either.
class CredcacheService::PerformCall : public Caller {
 public:
  PerformCall(grpc::CallbackServerContext* context, v1::PerformResponse* response,
              grpc::ServerUnaryReactor* reactor)
      : context_(context), response_(response), reactor_(reactor) {}

  // The caller's pid as the kernel says, or 0. Asked only when needed (a
  // report), as the peer is in Take: most calls never run anything.
  pid_t pid() const {
    absl::StatusOr<PeerProcess> peer = PeerProcess::OfCall(context_->peer());
    return peer.ok() ? peer->pid() : 0;
  }

  std::unique_ptr<CallerProcess> Take(const CallerJob& job) override {
    absl::MutexLock lock(&mutex_);
    if (finished_ || context_->IsCancelled()) return nullptr;
    // Only a caller the kernel names, and whose exit it will tell, runs
    // anything: a run nobody could see end would hold every waiter until
    // the backend's timeout. Its call still waits, so the connection is
    // the one it came on; cancelled meanwhile, it takes nothing.
    absl::StatusOr<PeerProcess> peer = PeerProcess::OfCall(context_->peer());
    if (!peer.ok() || !peer->Watchable() || context_->IsCancelled()) return nullptr;
    v1::RunInCaller* run = response_->mutable_run_in_caller();
    run->set_lease(job.lease);
    run->set_backend(job.backend);
    run->set_kind(job.kind);
    run->set_config(job.config);
    for (const std::string& variable : job.secret_variables) run->add_secret_variables(variable);
    const absl::Duration left = job.deadline - absl::Now() - kReportMargin;
    run->set_timeout_ms(std::max<int64_t>(absl::ToInt64Milliseconds(left), 100));
    cargo_credential::CredentialRequest request;
    request.registry = job.registry;
    request.action = job.action.Clone();
    request.args = job.args;
    *run->mutable_request() = ToProto(request);
    finished_ = true;
    reactor_->Finish(grpc::Status::OK);
    return std::make_unique<PeerWatch>(*std::move(peer));
  }

  // The response headers go ahead, naming the backend waited on.
  void Waiting(const std::string& name, absl::Duration timeout) {
    std::string printable = name;  // Metadata values are printable ASCII.
    for (char& c : printable) {
      if (c < 0x20 || c > 0x7E) c = '?';
    }
    absl::MutexLock lock(&mutex_);
    if (finished_ || sent_headers_) return;
    sent_headers_ = true;
    context_->AddInitialMetadata(kWaitingHeader,
                                 absl::StrCat(printable, " ", absl::ToInt64Milliseconds(timeout)));
    reactor_->StartSendInitialMetadata();
  }

  // Answers `result`, unless the call already carries a job; returns
  // whether it answered.
  bool Answer(const absl::StatusOr<cargo_credential::CredentialResponse>& result,
              std::string user_text) {
    absl::MutexLock lock(&mutex_);
    if (finished_) return false;
    finished_ = true;
    *response_ = ResultToProto(result);
    response_->set_user_text(std::move(user_text));
    reactor_->Finish(grpc::Status::OK);
    return true;
  }

  // Answers that the shim should ask its user for a login token.
  void AskForToken() {
    absl::MutexLock lock(&mutex_);
    if (finished_) return;
    finished_ = true;
    response_->mutable_need_token();
    reactor_->Finish(grpc::Status::OK);
  }

 private:
  grpc::CallbackServerContext* const context_;
  v1::PerformResponse* const response_;
  grpc::ServerUnaryReactor* const reactor_;
  absl::Mutex mutex_;
  // Once set, the call is over for this object: nothing touches the
  // response or the reactor any more.
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  bool sent_headers_ ABSL_GUARDED_BY(mutex_) = false;
};

grpc::ServerUnaryReactor* CredcacheService::Perform(grpc::CallbackServerContext* context,
                                                    const v1::PerformRequest* request,
                                                    v1::PerformResponse* response) {
  Activity activity(this);
  // Every answer says what this daemon is (common/wire.h), so that a client
  // can tell it from one that predates the exchange.
  context->AddTrailingMetadata(kVersionHeader, identity_.version);
  context->AddTrailingMetadata(kStartedByHeader, identity_.started_by);
  // A client of another build, or one that does not say its version, may
  // mean other messages: refuse before reading the request.
  const auto client_version = context->client_metadata().find(kVersionHeader);
  const std::string said =
      client_version == context->client_metadata().end()
          ? "(none)"
          : std::string(client_version->second.data(), client_version->second.size());
  if (said != identity_.version) {
    const std::string why =
        absl::StrCat("credcached is version ", identity_.version, ", this client ", said);
    Log(LogLevel::kWarning, absl::StrCat("refused a request: ", why));
    return Finished(context, grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, why));
  }
  cargo_credential::CredentialRequest decoded = FromProto(request->request());
  std::optional<v1::CallerReport> report;
  if (request->has_report()) report = request->report();
  // A team daemon decides who may ask what before anything is looked up,
  // from the kernel's word on the caller, taken now, while the call's
  // connection is surely the one it came on.
  std::optional<TeamGate::Admission> admission;
  int64_t owner = kSharedOwner;
  if (team_ != nullptr) {
    absl::StatusOr<TeamGate::Admission> admitted =
        team_->Admit(PeerIdentity::OfCall(context->peer()), decoded, request->ByteSizeLong(),
                     report.has_value(), request->backend());
    if (!admitted.ok()) {
      *response = ResultToProto(admitted.status());
      return Finished(context, grpc::Status::OK);
    }
    owner = admitted->owner();
    admission.emplace(*std::move(admitted));
    // The rules decide by index URL alone; the registry's name and the
    // provider arguments are the client's words, and could otherwise pick
    // another of the service account's tokens (`{NAME}`, `{args}`) than
    // the one the rules admit. A team daemon's backends never see them.
    decoded.registry.name.reset();
    decoded.args.clear();
    // A caller gone already is not served: its connection's descriptor
    // may be another's by now.
    if (context->IsCancelled()) return Finished(context, grpc::Status::CANCELLED);
  }
  if (request->backend().empty() && !report.has_value()) {
    std::string backend;
    if (std::optional<cargo_credential::CredentialResponse> hit =
            broker_->Cached(decoded.registry, decoded.action, decoded.args, owner, &backend)) {
      if (admission.has_value()) {
        team_->Finish(*std::move(admission), "hit", backend, ScopeOf(backend), *hit);
      }
      *response = ResultToProto(*std::move(hit));
      return Finished(context, grpc::Status::OK);
    }
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  ++in_flight_;  // Until the thread below has answered.
  // Shared with the thread, so that a thread that cannot start still has
  // its request audited here.
  auto admitted = std::make_shared<std::optional<TeamGate::Admission>>(std::move(admission));
  try {
    std::thread([this, decoded = std::move(decoded), backend = request->backend(),
                 report = std::move(report), context, response, reactor, admitted]() mutable {
      PerformSlowly(std::move(decoded), std::move(backend), std::move(report), context, response,
                    reactor, std::exchange(*admitted, std::nullopt));
      last_activity_ns_ = absl::ToUnixNanos(absl::Now());
      --in_flight_;
    }).detach();
  } catch (const std::system_error& error) {
    --in_flight_;
    const absl::Status failed =
        cargo_credential::OtherError("credcached cannot start another thread", {error.what()});
    if (admitted->has_value()) team_->Finish(std::move(**admitted), "error", "", "", failed);
    *response = ResultToProto(failed);
    reactor->Finish(grpc::Status::OK);
  }
  return reactor;
}

void CredcacheService::PerformSlowly(cargo_credential::CredentialRequest decoded,
                                     std::string backend, std::optional<v1::CallerReport> report,
                                     grpc::CallbackServerContext* context,
                                     v1::PerformResponse* response,
                                     grpc::ServerUnaryReactor* reactor,
                                     std::optional<TeamGate::Admission> admission) {
  PerformCall call(context, response, reactor);
  // When a backend is slow, the response headers go ahead, naming it: the
  // shim tells the user what the wait is for (common/wire.h).
  CallWatch watch;
  watch.slow = [&call](const std::string& name, absl::Duration timeout) {
    call.Waiting(name, timeout);
  };
  watch.caller = &call;
  CallWatch::Served served;
  watch.served = &served;
  if (admission.has_value()) watch.owner = admission->owner();
  // What backends said for the user goes back with the answer; the log
  // keeps that they spoke, never what (it may be anything, a token even).
  std::string user_text;
  watch.said = [&user_text](const std::string& name, const std::string& text) {
    Log(LogLevel::kInfo, absl::StrCat("backend `", name, "` wrote ", text.size(),
                                      " byte(s) for the user (passed to the shim)"));
    if (user_text.size() < kMaxUserText) user_text.append(text, 0, kMaxUserText - user_text.size());
  };
  absl::StatusOr<cargo_credential::CredentialResponse> result;
  if (report.has_value()) {
    // A backend this caller ran for the daemon: its answer, then the
    // request's.
    absl::StatusOr<cargo_credential::CredentialResponse> ran =
        ResultFromProto(report->mutable_result());
    result = broker_->Report(report->lease(), std::move(ran), call.pid(), watch);
    if (report->mutable_result()->has_ok()) {
      cargo_credential::WipeString(*report->mutable_result()->mutable_ok()->mutable_token());
    }
  } else if (decoded.action.kind == cargo_credential::ActionKind::kLogin &&
             !decoded.action.login.token.has_value()) {
    // The daemon has no user's terminal to ask on: it says whether a token
    // is worth asking for, and the client asks the user and comes back.
    absl::Status can = broker_->CanLogIn(decoded.registry, backend);
    if (can.ok()) {
      call.AskForToken();
      if (admission.has_value()) {
        team_->Finish(*std::move(admission), "asked for the token", "", "",
                      cargo_credential::CredentialResponse::Login());
      }
      return;
    }
    result = can;
  } else if (!backend.empty()) {
    result = broker_->PerformOn(backend, decoded.registry, decoded.action, decoded.args, watch);
  } else {
    result = broker_->PerformWatched(decoded.registry, decoded.action, decoded.args, watch);
  }
  // Where a login went (and whether cargo will be given it), or that a
  // logout took: cargo itself prints nothing for a provider's.
  if (result.ok() && !report.has_value() && !served.backend.empty() &&
      (decoded.action.kind == cargo_credential::ActionKind::kLogin ||
       decoded.action.kind == cargo_credential::ActionKind::kLogout) &&
      user_text.size() < kMaxUserText) {
    user_text += broker_->WriteNote(decoded.registry, decoded.action.kind, served.backend);
  }
  // Cargo says only that no provider could handle the request: say which
  // config and backends were asked, so the user knows where to look.
  if (!result.ok() && !report.has_value() &&
      cargo_credential::KindOf(result.status()) == cargo_credential::ErrorKind::kUrlNotSupported &&
      user_text.size() < kMaxUserText) {
    user_text += NoBackendNote(decoded.registry);
  }
  // A call that carries a job instead has nothing to log: the answer it
  // would have had reaches no one.
  const bool answered = call.Answer(result, std::move(user_text));
  if (admission.has_value()) {
    if (served.how.empty()) served.how = report.has_value() ? "report" : "write";
    if (!answered) served.how = "ran in the caller";
    team_->Finish(*std::move(admission), served.how, served.backend, ScopeOf(served.backend),
                  result);
  }
  if (answered && !result.ok() &&
      cargo_credential::KindOf(result.status()) == cargo_credential::ErrorKind::kOther) {
    Log(LogLevel::kWarning,
        absl::StrCat(report.has_value()
                         ? "report of a run in the caller"
                         : absl::StrCat(cargo_credential::ActionKindName(decoded.action.kind), " ",
                                        decoded.registry.index_url),
                     ": ", result.status().message()));
  }
}

std::string CredcacheService::NoBackendNote(const cargo_credential::RegistryInfo& registry) const {
  std::vector<std::string> backends;
  for (const Backend& backend : broker_->router()->backends()) {
    std::vector<std::string> serves = backend.settings.index_urls;
    for (const std::string& name : backend.settings.names) serves.push_back("name " + name);
    backends.push_back(absl::StrCat("`", backend.settings.name, "` (",
                                    serves.empty() ? "every registry" : absl::StrJoin(serves, ", "),
                                    ")"));
  }
  return absl::StrCat("credcache: no backend of ", control_->ConfigSource(), " serves ",
                      registry.index_url, "; its backends: ", absl::StrJoin(backends, "; "),
                      " (cargo tries its next credential provider, if any)\n");
}

grpc::ServerUnaryReactor* CredcacheService::Status(grpc::CallbackServerContext* context,
                                                   const v1::StatusRequest* request,
                                                   v1::StatusResponse* response) {
  Activity activity(this);
  response->set_version(identity_.version);
  response->set_uptime_seconds(absl::ToInt64Seconds(absl::Now() - identity_.started));
  response->set_socket(identity_.socket);
  response->set_config(control_->ConfigSource());
  response->set_pid(getpid());
  response->set_on_demand(identity_.started_by == kStartedByShim);
  response->set_started_by(identity_.started_by);
  response->set_log(LogDestination());
  response->set_socket_activated(identity_.socket_activated);
  response->set_idle_exit_seconds(absl::ToInt64Seconds(identity_.idle_exit));
  // This call is one in flight itself.
  if (in_flight_.load() <= 1) {
    response->set_idle_seconds(
        std::max<int64_t>(0, absl::ToInt64Seconds(absl::Now() - last_activity())));
  }
  if (team_ != nullptr) {
    response->set_team(true);
    response->set_audit(team_->audit().sink());
    response->set_rules(static_cast<int64_t>(team_->settings()->access.rules().size()));
  }
  const std::shared_ptr<const Router> router = broker_->router();  // Alive for the loop.
  for (const Backend& backend : router->backends()) {
    v1::BackendInfo* info = response->add_backends();
    info->set_name(backend.settings.name);
    info->set_kind(backend.settings.kind);
    for (const std::string& glob : backend.settings.index_urls) info->add_index_urls(glob);
    for (const std::string& glob : backend.settings.names) info->add_names(glob);
    if (backend.settings.ttl.has_value()) {
      info->set_ttl_seconds(absl::ToInt64Seconds(*backend.settings.ttl));
    }
    info->set_timeout_ms(absl::ToInt64Milliseconds(backend.settings.timeout));
    info->set_store(!backend.settings.store.empty() ? backend.settings.store
                                                    : backend.settings.program);
  }
  if (const EtcdTier* tier = control_->Tier()) {
    const EtcdTierStatus status = tier->Status();
    v1::EtcdTierInfo* info = response->mutable_etcd();
    for (const std::string& endpoint : status.endpoints) info->add_endpoints(endpoint);
    info->set_prefix(status.prefix);
    info->set_up(status.up);
    if (status.leader != 0) info->set_leader(absl::StrCat(absl::Hex(status.leader)));
    info->set_watch_revision(status.watch_revision);
    info->set_last_error(status.last_error);
    if (!status.last_error.empty()) {
      info->set_last_error_age_seconds(absl::ToInt64Seconds(absl::Now() - status.last_error_at));
    }
  }
  return Finished(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* CredcacheService::List(grpc::CallbackServerContext* context,
                                                 const v1::ListRequest* request,
                                                 v1::ListResponse* response) {
  Activity activity(this);
  if (grpc::ServerUnaryReactor* refused = RefuseNonAdmin(context, "list")) return refused;
  for (const CacheEntryInfo& entry : broker_->cache().List()) {
    v1::CacheEntry* out = response->add_entries();
    out->set_index_url(entry.index_url);
    out->set_name(entry.name);
    out->set_backend(entry.backend);
    out->set_operation(entry.operation);
    for (const std::string& arg : entry.args) out->add_args(arg);
    out->set_cache(ToProto(entry.cache));
    out->set_seconds_left(absl::ToInt64Seconds(entry.left));
    out->set_hits(entry.hits);
    out->set_personal(entry.owner != kSharedOwner);
    if (entry.owner != kSharedOwner) out->set_owner_uid(entry.owner);
  }
  return Finished(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* CredcacheService::Forget(grpc::CallbackServerContext* context,
                                                   const v1::ForgetRequest* request,
                                                   v1::ForgetResponse* response) {
  Activity activity(this);
  if (grpc::ServerUnaryReactor* refused = RefuseNonAdmin(context, "forget")) return refused;
  response->set_removed(broker_->cache().Forget(request->registry()));
  Log(LogLevel::kInfo,
      absl::StrCat("forget ", request->registry(), ": ", response->removed(), " removed"));
  // The tier keys tokens by index URL: a URL is forgotten on every machine.
  EtcdTier* tier = control_->Tier();
  if (tier != nullptr && absl::StrContains(request->registry(), "://")) {
    tier->Invalidate(request->registry());
  }
  return Finished(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* CredcacheService::Flush(grpc::CallbackServerContext* context,
                                                  const v1::FlushRequest* request,
                                                  v1::FlushResponse* response) {
  Activity activity(this);
  if (grpc::ServerUnaryReactor* refused = RefuseNonAdmin(context, "flush")) return refused;
  response->set_removed(broker_->cache().Flush());
  Log(LogLevel::kInfo, absl::StrCat("flush: ", response->removed(), " removed"));
  return Finished(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* CredcacheService::Stats(grpc::CallbackServerContext* context,
                                                  const v1::StatsRequest* request,
                                                  v1::StatsResponse* response) {
  Activity activity(this);
  if (grpc::ServerUnaryReactor* refused = RefuseNonAdmin(context, "stats")) return refused;
  const StatsSnapshot snapshot = request->reset() ? stats_->SnapshotAndReset() : stats_->Snapshot();
  response->set_since_seconds(absl::ToInt64Seconds(absl::Now() - snapshot.since));
  response->set_requests(snapshot.requests);
  response->set_hits(snapshot.hits);
  response->set_misses(snapshot.misses);
  response->set_coalesced(snapshot.coalesced);
  response->set_errors(snapshot.errors);
  response->set_cached_entries(static_cast<int64_t>(broker_->cache().Size()));
  for (const auto& [name, counters] : snapshot.backends) {
    v1::BackendStats* out = response->add_backends();
    out->set_name(name);
    out->set_calls(counters.calls);
    out->set_errors(counters.errors);
    out->set_timeouts(counters.timeouts);
    out->set_mean_ms(
        counters.calls == 0 ? 0 : absl::ToDoubleMilliseconds(counters.total) / counters.calls);
    out->set_max_ms(absl::ToDoubleMilliseconds(counters.max));
  }
  if (EtcdTier* tier = control_->Tier()) {
    const EtcdTierStats stats = request->reset() ? tier->StatsAndReset() : tier->Stats();
    v1::EtcdTierCounts* out = response->mutable_etcd();
    out->set_hits(stats.hits);
    out->set_claims(stats.claims);
    out->set_waits(stats.waits);
    out->set_evictions(stats.evictions);
    out->set_open_failures(stats.open_failures);
    out->set_local(stats.local);
  }
  return Finished(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* CredcacheService::Check(grpc::CallbackServerContext* context,
                                                  const v1::CheckRequest* request,
                                                  v1::CheckResponse* response) {
  Activity activity(this);
  if (grpc::ServerUnaryReactor* refused = RefuseNonAdmin(context, "check")) return refused;
  if (request->registries_size() > kMaxCheckRegistries) {
    return Finished(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                          absl::StrCat("at most ", kMaxCheckRegistries,
                                                       " registries per check")));
  }
  const std::shared_ptr<const Router> router = broker_->router();  // Alive for the call.
  // The probes may wait on a store (a keyring prompt): not on gRPC's thread.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  ++in_flight_;
  try {
    std::thread([this, router, request, response, reactor] {
      for (const BackendFinding& finding : CheckBackends(*router)) {
        v1::BackendCheck* out = response->add_backends();
        out->set_name(finding.name);
        out->set_kind(finding.kind);
        out->set_ok(finding.ok);
        out->set_detail(finding.detail);
        out->set_fix(finding.fix);
      }
      for (const v1::RegistryRef& asked : request->registries()) {
        cargo_credential::RegistryInfo registry;
        registry.index_url = asked.index_url();
        if (!asked.name().empty()) registry.name = asked.name();
        v1::RegistryRoute* route = response->add_routes();
        route->set_index_url(asked.index_url());
        route->set_name(asked.name());
        for (const Backend* backend : router->Route(registry)) {
          route->add_backends(backend->settings.name);
        }
      }
      // Before Finish: once the call is finished, a stopping daemon may
      // destroy this service while the thread still runs.
      last_activity_ns_ = absl::ToUnixNanos(absl::Now());
      --in_flight_;
      reactor->Finish(grpc::Status::OK);
    }).detach();
  } catch (const std::system_error& error) {
    --in_flight_;
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "no thread to check on"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* CredcacheService::Reload(grpc::CallbackServerContext* context,
                                                   const v1::ReloadRequest* request,
                                                   v1::ReloadResponse* response) {
  Activity activity(this);
  if (grpc::ServerUnaryReactor* refused = RefuseNonAdmin(context, "reload")) return refused;
  absl::StatusOr<std::string> source = control_->Reload();
  if (!source.ok()) {
    return Finished(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                          std::string(source.status().message())));
  }
  response->set_config(*source);
  return Finished(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* CredcacheService::Stop(grpc::CallbackServerContext* context,
                                                 const v1::StopRequest* request,
                                                 v1::StopResponse* response) {
  Activity activity(this);
  if (grpc::ServerUnaryReactor* refused = RefuseNonAdmin(context, "stop")) return refused;
  Log(LogLevel::kInfo, "stop requested");
  control_->RequestStop();
  return Finished(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* CredcacheService::Audit(grpc::CallbackServerContext* context,
                                                  const v1::AuditRequest* request,
                                                  v1::AuditResponse* response) {
  Activity activity(this);
  if (team_ == nullptr) {
    return Finished(context, grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                          "this credcached is a personal daemon, which keeps no "
                                          "audit; team daemons do ([listen] in their config)"));
  }
  if (grpc::ServerUnaryReactor* refused = RefuseNonAdmin(context, "audit")) return refused;
  const size_t count = request->count() > 0 ? static_cast<size_t>(request->count()) : kAuditMemory;
  for (std::string& record : team_->audit().Recent(count)) {
    response->add_records(std::move(record));
  }
  return Finished(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* CredcacheService::RefuseNonAdmin(grpc::CallbackServerContext* context,
                                                           const std::string& call) {
  if (team_ == nullptr || team_->MayAdminister(PeerIdentity::OfCall(context->peer()), call)) {
    return nullptr;
  }
  return Finished(context,
                  grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                               absl::StrCat("`", call,
                                            "` on a team daemon is for its account, root and "
                                            "the [admin] users and groups of its config")));
}

std::string CredcacheService::ScopeOf(const std::string& backend) const {
  if (backend.empty() || team_ == nullptr) return "";
  const std::shared_ptr<const Router> router = broker_->router();
  for (const Backend& each : router->backends()) {
    if (each.settings.name == backend) return each.settings.personal ? "personal" : "shared";
  }
  return "";
}

}  // namespace credcache
