// Daemon: credcached's process-level pieces put together. The config, the
// broker, the gRPC server on the listener's socket, reload, the idle exit
// and the graceful stop.
//
// Thread-safety: Start() and Run() from main(); the DaemonControl methods
// from any thread (signals, gRPC).
#ifndef CREDCACHE_DAEMON_DAEMON_H_
#define CREDCACHE_DAEMON_DAEMON_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backends/etcd/etcd_tier.h"
#include "daemon/broker.h"
#include "daemon/clock.h"
#include "daemon/config.h"
#include "daemon/listener.h"
#include "daemon/service.h"
#include "daemon/stats.h"
#include "daemon/team_gate.h"
#include "grpcpp/server.h"

namespace credcache {

struct DaemonOptions {
  // What `status` reports and shims compare theirs with (common/version.h).
  std::string version;
  std::string config_path;
  // A config named on the command line or in $CREDCACHE_CONFIG must exist;
  // the default path may be missing (then the embedded default serves).
  bool config_required = false;
  std::string socket_path;
  // Whether --socket named it: then it wins over a team config's own.
  bool socket_explicit = false;
  // Exit after this long with no request (zero: never). Set by the shim
  // when it starts a daemon on demand.
  absl::Duration idle_exit = absl::ZeroDuration();
  // Graceful stop: in-flight requests get this long to finish, or their
  // longest backend timeout and a second, if that is longer.
  absl::Duration drain = absl::Seconds(10);
  // A listening socket passed by systemd (socket activation), or -1 to
  // bind `socket_path` ourselves.
  int inherited_fd = -1;
  // Started by a shim, on demand (it passed its readiness pipe): a shim of
  // another version may replace it. Any other daemon is the user's or
  // systemd's, and is left alone.
  bool started_by_shim = false;
};

// Loads the config as DaemonOptions describes.
absl::StatusOr<Config> LoadConfig(const DaemonOptions& options);

class Daemon : public DaemonControl {
 public:
  // Binds the socket and starts serving `config` (LoadConfig's, which the
  // caller loads first, so that it can tell a refused config from a start
  // that failed).
  static absl::StatusOr<std::unique_ptr<Daemon>> Start(const DaemonOptions& options,
                                                       absl::StatusOr<Config> config);
  ~Daemon() override;

  // Blocks until a stop is requested (Stop RPC, signal, idle), then drains
  // in-flight requests and shuts down.
  void Run();

  absl::StatusOr<std::string> Reload() override;
  void RequestStop() override;
  std::string ConfigSource() const override;
  EtcdTier* Tier() override { return tier_.get(); }

 private:
  explicit Daemon(DaemonOptions options);
  // Puts the shared backends of `config` behind the tier, if there is one.
  void PutBehindTier(Config& config) const;

  const DaemonOptions options_;
  RealClock clock_;
  Stats stats_;
  std::unique_ptr<Broker> broker_;
  // Set with `[etcd]`: shared tokens shared across machines. Fixed for the
  // process (a reload that changes it is refused). Declared after the
  // broker, so it stops (and stops evicting from it) first.
  std::shared_ptr<EtcdTier> tier_;
  // Set for a team daemon (config `[listen]`).
  std::unique_ptr<TeamGate> team_;
  std::unique_ptr<CredcacheService> service_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<grpc::Server> server_;
  std::thread accept_thread_;

  absl::Mutex reload_mutex_;  // One reload at a time.
  mutable absl::Mutex mutex_;
  std::string config_source_ ABSL_GUARDED_BY(mutex_);
  bool stop_requested_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_DAEMON_H_
