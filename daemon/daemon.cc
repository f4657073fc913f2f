#include "daemon/daemon.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/etcd/etcd_tier_credential.h"
#include "cargo_credential/error.h"
#include "common/wire.h"
#include "daemon/log.h"
#include "grpcpp/server_builder.h"
#include "systemd/sd-daemon.h"

namespace credcache {

absl::StatusOr<Config> LoadConfig(const DaemonOptions& options) {
  absl::StatusOr<Config> config = LoadConfigFile(options.config_path);
  if (absl::IsNotFound(config.status()) && !options.config_required) return EmbeddedDefault();
  if (config.ok() && config->backends.empty()) {
    // Only [cache] and such: the embedded default's backends, as with no file.
    absl::StatusOr<Config> fallback = EmbeddedDefault();
    if (!fallback.ok()) return fallback.status();
    config->backends = std::move(fallback->backends);
    config->note = absl::StrCat(config->source, " names no [[backend]]: ", fallback->note);
  }
  return config;
}

Daemon::Daemon(DaemonOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(const DaemonOptions& options,
                                                      absl::StatusOr<Config> config) {
  std::unique_ptr<Daemon> daemon(new Daemon(options));
  if (!config.ok()) return config.status();
  {
    // No other thread yet, but config_source_ is guarded: the lock costs
    // nothing and keeps clang's thread-safety analysis exact.
    absl::MutexLock lock(&daemon->mutex_);
    daemon->config_source_ = config->source;
  }
  if (!config->note.empty()) Log(LogLevel::kInfo, config->note);
  if (config->etcd.has_value()) {
    // Its threads start here, after credcached forked: a fork keeps only
    // the thread that calls it.
    absl::StatusOr<std::shared_ptr<EtcdTier>> tier =
        EtcdTier::Start(*config->etcd, [](EtcdTier::NoticeLevel level, const std::string& message) {
          Log(level == EtcdTier::NoticeLevel::kProgress ? LogLevel::kInfo : LogLevel::kWarning,
              message);
        });
    if (!tier.ok()) return tier.status();  // It names the setting's line.
    daemon->tier_ = *std::move(tier);
    daemon->PutBehindTier(*config);
  }
  daemon->broker_ = std::make_unique<Broker>(
      &daemon->clock_, &daemon->stats_, config->cache,
      std::make_shared<Router>(std::move(config->backends), &daemon->stats_));

  if (daemon->tier_ != nullptr) {
    // Another machine's logout, or a value that expired in etcd, ends this
    // daemon's shared copy too (never a user's personal ones).
    Broker* broker = daemon->broker_.get();
    daemon->tier_->SetEvictor([broker](const std::optional<std::string>& index_url) {
      if (index_url.has_value()) broker->cache().Forget(*index_url, kSharedOwner);
    });
  }
  // A token file edited by hand, a keyring item changed by another
  // program: the cached copy goes at once. After the fork (the watches'
  // threads, D-Bus) and before the first request.
  daemon->broker_->WatchStores();
  const bool team = config->team.has_value();
  absl::StatusOr<std::unique_ptr<Listener>> listener;
  if (options.inherited_fd >= 0) {
    listener = Listener::Adopt(options.inherited_fd, team);
  } else if (team) {
    listener = Listener::BindShared(
        options.socket_explicit ? options.socket_path : config->team->socket, config->team->group);
  } else {
    listener = Listener::Bind(options.socket_path);
  }
  if (!listener.ok()) return listener.status();
  if (team) {
    // Under systemd the journal keeps the records; anywhere else (or with
    // no journal to take them) a file.
    const bool journal =
        getenv("INVOCATION_ID") != nullptr && access("/run/systemd/journal/socket", W_OK) == 0;
    absl::StatusOr<std::unique_ptr<AuditLog>> audit = AuditLog::Open(config->team->audit, journal);
    if (!audit.ok()) return audit.status();
    daemon->broker_->SetTeam(config->team->limits.entries_per_user);
    daemon->team_ = std::make_unique<TeamGate>(
        std::make_shared<const TeamSettings>(*std::move(config->team)), *std::move(audit));
    Log(LogLevel::kInfo,
        absl::StrCat("a team daemon: ", daemon->team_->settings()->access.rules().size(),
                     " rule(s), audit to ", daemon->team_->audit().sink()));
    if (daemon->tier_ != nullptr) {
      // A value in etcd that was refused is the team's business: someone
      // wrote what the team key does not vouch for, or put an old one back.
      AuditLog* audit = &daemon->team_->audit();
      daemon->tier_->SetRefusalAudit([audit](const std::string& index_url, const std::string& why) {
        AuditRecord record;
        record.time = absl::Now();
        record.uid = geteuid();
        record.user = "credcached";
        record.registry = index_url;
        record.operation = "read";
        record.scope = "shared";
        record.outcome = "refused-from-etcd";
        record.error = why;
        audit->Record(std::move(record));
      });
    }
  }
  daemon->listener_ = *std::move(listener);

  DaemonIdentity identity;
  identity.version = options.version;
  identity.socket = daemon->listener_->socket_path();
  identity.started_by = options.inherited_fd >= 0 ? kStartedBySystemd
                        : options.started_by_shim ? kStartedByShim
                                                  : kStartedByHand;
  identity.started = absl::Now();
  identity.idle_exit = options.idle_exit;
  identity.socket_activated = options.inherited_fd >= 0;
  daemon->service_ = std::make_unique<CredcacheService>(
      daemon->broker_.get(), &daemon->stats_, daemon.get(), identity, daemon->team_.get());
  grpc::ServerBuilder builder;
  builder.RegisterService(daemon->service_.get());
  // A team daemon's users may not make it read (and parse) more than the
  // limit: gRPC refuses a larger message before it is decoded.
  if (daemon->team_ != nullptr) {
    builder.SetMaxReceiveMessageSize(daemon->team_->settings()->limits.request_bytes);
  }
  // Shims PING a quiet call to tell a slow backend from a stopped daemon
  // (common/wire.h); by default gRPC would take the third for abuse.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             kPingIntervalMs / 2);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  daemon->server_ = builder.BuildAndStart();
  if (daemon->server_ == nullptr) return absl::InternalError("the gRPC server did not start");
  Daemon* raw = daemon.get();
  daemon->accept_thread_ = std::thread([raw] { raw->listener_->Serve(raw->server_.get()); });
  // Tells systemd (Type=notify) we serve; a no-op anywhere else.
  sd_notify(0, "READY=1");
  Log(LogLevel::kInfo,
      absl::StrCat(
          "serving on ", daemon->listener_->socket_path(),
          options.inherited_fd >= 0 ? " (from systemd)" : "", " with ", config->source,
          options.idle_exit > absl::ZeroDuration()
              ? absl::StrCat(", exiting after ", absl::FormatDuration(options.idle_exit), " idle")
              : ""));
  return daemon;
}

void Daemon::PutBehindTier(Config& config) const {
  for (Backend& backend : config.backends) {
    if (!SharesThroughTier(backend)) continue;
    const absl::Duration session_ttl =
        std::min(backend.settings.ttl.value_or(config.cache.ttl), config.cache.max_ttl);
    // A waiter that waited half the backend's timeout still has the other
    // half to fetch for itself.
    const absl::Duration wait = std::min(config.etcd->wait, backend.settings.timeout / 2);
    backend.credential = std::make_shared<EtcdTierCredential>(
        tier_, backend.credential, session_ttl, config.cache.expiry_margin, wait);
  }
}

Daemon::~Daemon() {
  if (tier_ != nullptr) {
    tier_->SetEvictor(nullptr);
    tier_->SetRefusalAudit(nullptr);
  }
  if (accept_thread_.joinable()) {
    listener_->Stop();
    accept_thread_.join();
  }
}

void Daemon::Run() {
  // Wake once a second: cheap, and bounds how late an idle exit can be.
  auto stop_or_idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (stop_requested_) return true;
    if (options_.idle_exit <= absl::ZeroDuration() || service_->in_flight() > 0) return false;
    return absl::Now() - service_->last_activity() >= options_.idle_exit;
  };
  {
    absl::MutexLock lock(&mutex_);
    while (!stop_or_idle()) {
      mutex_.AwaitWithTimeout(absl::Condition(&stop_requested_), absl::Seconds(1));
    }
    if (!stop_requested_) Log(LogLevel::kInfo, "idle; exiting");
  }
  sd_notify(0, "STOPPING=1");
  // Hand over first: socket and lock go, so that the next request starts
  // (or finds) a new daemon at once. Then the calls in flight finish: each
  // is bounded by its backend's timeout, so that is how long they may take.
  // A run in a caller can report to this daemon only until the server shuts
  // down: what still waits on one ends then (the service waits for its
  // threads when it is destroyed).
  listener_->Stop();
  accept_thread_.join();
  listener_->Release();
  absl::Duration drain = options_.drain;
  for (const Backend& backend : broker_->router()->backends()) {
    drain = std::max(drain, backend.settings.timeout + absl::Seconds(1));
  }
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(absl::ToInt64Milliseconds(drain)));
  broker_->AbandonCallerRuns(cargo_credential::OtherError(
      "credcached stopped while the backend ran in the caller", {"nothing was cached"}));
  const StatsSnapshot stats = stats_.Snapshot();
  Log(LogLevel::kInfo,
      absl::StrCat("stopped after ", stats.requests, " requests (", stats.hits, " from cache)"));
}

absl::StatusOr<std::string> Daemon::Reload() {
  absl::MutexLock serialized(&reload_mutex_);  // SIGHUP and `reload` may race.
  absl::StatusOr<Config> config = LoadConfig(options_);
  if (!config.ok()) {
    Log(LogLevel::kWarning,
        absl::StrCat("reload refused, the old config keeps serving: ", ErrorText(config.status())));
    return config.status();
  }
  // Being a team daemon, and its door, are the process's: a restart
  // changes them, a reload cannot.
  if (config->team.has_value() != (team_ != nullptr) ||
      (team_ != nullptr && (config->team->socket != team_->settings()->socket ||
                            config->team->group != team_->settings()->group))) {
    const absl::Status refused = absl::FailedPreconditionError(absl::StrCat(
        "reload refused, the old config keeps serving: ", config->source,
        " changes [listen] (or whether this is a team daemon); restart credcached for that"));
    Log(LogLevel::kWarning, refused.message());
    return refused;
  }
  if (config->etcd.has_value() != (tier_ != nullptr) ||
      (tier_ != nullptr && config->etcd->fingerprint != tier_->settings().fingerprint)) {
    const absl::Status refused = absl::FailedPreconditionError(
        absl::StrCat("reload refused, the old config keeps serving: ", config->source,
                     " changes [etcd]; restart credcached for that"));
    Log(LogLevel::kWarning, refused.message());
    return refused;
  }
  if (tier_ != nullptr) PutBehindTier(*config);
  const std::shared_ptr<const Router> old_router = broker_->router();
  // Tokens of a backend that kept its exact settings stay cached, and its
  // users' personal stores stay theirs.
  std::map<std::string, std::string> kept;
  for (Backend& backend : config->backends) {
    kept[backend.settings.name] = backend.settings.fingerprint;
    for (const Backend& old : old_router->backends()) {
      if (old.settings.name == backend.settings.name &&
          old.settings.fingerprint == backend.settings.fingerprint && old.personal != nullptr) {
        backend.personal = old.personal;
      }
    }
  }
  for (const Backend& old : old_router->backends()) {
    auto it = kept.find(old.settings.name);
    if (it == kept.end() || it->second != old.settings.fingerprint) {
      broker_->cache().ForgetBackend(old.settings.name);
    }
  }
  const std::string source = config->source;
  if (team_ != nullptr) {
    broker_->SetTeam(config->team->limits.entries_per_user);
    team_->SetSettings(std::make_shared<const TeamSettings>(*std::move(config->team)));
  }
  broker_->SetRouter(config->cache, std::make_shared<Router>(std::move(config->backends), &stats_));
  broker_->WatchStores();
  {
    absl::MutexLock lock(&mutex_);
    config_source_ = source;
  }
  Log(LogLevel::kInfo, absl::StrCat("reloaded ", source));
  return source;
}

void Daemon::RequestStop() {
  absl::MutexLock lock(&mutex_);
  stop_requested_ = true;
}

std::string Daemon::ConfigSource() const {
  absl::MutexLock lock(&mutex_);
  return config_source_;
}

}  // namespace credcache
