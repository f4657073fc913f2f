// EtcdClient: the few calls of etcd's v3 API that the etcd tier makes, over
// one gRPC channel to every endpoint of the cluster.
//
// One channel, balanced over all endpoints, so that a member that dies costs
// a reconnect, not an outage (a client pinned to one member stalls with it).
// Every call carries a deadline (EtcdConnection::deadline): a cluster that
// cannot answer in time is treated as down by the caller, never waited on.
// With a user and password the client authenticates once and again whenever
// etcd says the token expired (`--auth-token-ttl`), retrying the call once.
// With TLS it presents the client certificate; a TLS mistake shows up as an
// unreachable cluster, never as a token served without it.
//
// The password, the auth token and the private key are secrets: they never
// appear in errors, and are wiped when the client goes.
//
// Ownership: the client owns its channel; Watch streams it opens must be
// destroyed before it.
// Thread-safety: every method may be called from any thread.
#ifndef CREDCACHE_BACKENDS_ETCD_ETCD_CLIENT_H_
#define CREDCACHE_BACKENDS_ETCD_ETCD_CLIENT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backends/etcd/etcd_settings.h"
#include "cargo_credential/secret.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace credcache {

// A watch's stream, driven by gRPC's callback API: its responses reach a
// function on gRPC's own threads, so that no thread of ours sits polling
// gRPC's event loop (one that does makes every call the daemon serves cost
// more: a second poller takes events the server's threads would have).
// Thread-safety: Cancel() and Wait() from any thread.
class EtcdWatch
    : public grpc::ClientBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse> {
 public:
  // Told each response, on a gRPC thread; returning false ends the watch.
  using OnResponse = std::function<bool(const etcdserverpb::WatchResponse&)>;

  // Cancels the stream and waits until gRPC is done with it.
  ~EtcdWatch() override;
  // Ends the stream; Wait() then returns.
  void Cancel();
  // Blocks until the stream ended; why (Cancelled after Cancel() or a
  // false from OnResponse).
  absl::Status Wait();

 private:
  friend class EtcdClient;
  explicit EtcdWatch(OnResponse on_response) : on_response_(std::move(on_response)) {}

  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

  grpc::ClientContext context_;
  etcdserverpb::WatchRequest request_;
  etcdserverpb::WatchResponse response_;
  const OnResponse on_response_;
  absl::Mutex mutex_;
  bool done_ ABSL_GUARDED_BY(mutex_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mutex_);
};

class EtcdClient {
 public:
  // Reads the TLS files and password, and makes the channel; it connects on
  // first use. InvalidArgument naming the file when one cannot be read.
  static absl::StatusOr<std::unique_ptr<EtcdClient>> Connect(const EtcdConnection& connection);
  ~EtcdClient();

  // One transaction, within the deadline.
  absl::StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request);
  // One range read, within the deadline.
  absl::StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request);
  // A new lease of `ttl` (rounded up to whole seconds, at least 1): its id.
  absl::StatusOr<int64_t> GrantLease(absl::Duration ttl);
  // Renews `lease` once: the TTL it now has. NotFound when the lease is gone
  // (etcd answers a revoked or expired lease with TTL 0).
  absl::StatusOr<int64_t> KeepAlive(int64_t lease);
  // The status of the member the channel reaches: its id, the leader's id
  // and the revision.
  absl::StatusOr<etcdserverpb::StatusResponse> MemberStatus();

  // Starts a watch from `create`, telling `on_response` each response (the
  // stream carries `hasleader`, so a member cut off from the leader ends it
  // rather than staying silent). Fails only when the client cannot
  // authenticate; a stream that cannot start ends, and Wait() says why.
  absl::StatusOr<std::unique_ptr<EtcdWatch>> Watch(const etcdserverpb::WatchCreateRequest& create,
                                                   EtcdWatch::OnResponse on_response);

  // Gets a new auth token now (a watch refused for its token ends, rather
  // than failing a call that Call() could retry). OK without a user.
  absl::Status Reauthenticate() { return Authenticate(); }

  const EtcdConnection& connection() const { return connection_; }

 private:
  EtcdClient(EtcdConnection connection, std::shared_ptr<grpc::Channel> channel,
             cargo_credential::Secret password);

  // Runs `call` with a fresh context (deadline, auth token); when etcd says
  // the token is invalid, authenticates again and runs it once more.
  absl::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& call,
                    absl::string_view what);
  // Sets the deadline and the auth token on `context`.
  void Prepare(grpc::ClientContext* context, absl::Duration deadline);
  // Gets a new auth token (when the client has a user).
  absl::Status Authenticate();
  // Authenticates unless the client has a token already (or no user).
  absl::Status EnsureAuthenticated();

  const EtcdConnection connection_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<etcdserverpb::KV::Stub> kv_;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease_;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch_;
  std::unique_ptr<etcdserverpb::Auth::Stub> auth_;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance_;
  const cargo_credential::Secret password_;
  absl::Mutex mutex_;
  cargo_credential::Secret token_ ABSL_GUARDED_BY(mutex_);
};

// The gRPC target that reaches every endpoint over one channel. Several
// endpoints must all be addresses of one family (config checks).
std::string ChannelTarget(const std::vector<std::string>& endpoints);

// etcd's key range for every key that starts with `prefix`: its range_end.
std::string PrefixEnd(const std::string& prefix);

// A gRPC status as an absl one, saying `what` failed.
absl::Status FromGrpc(const grpc::Status& status, absl::string_view what);

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_ETCD_ETCD_CLIENT_H_
