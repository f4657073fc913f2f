#include "backends/etcd/etcd_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cargo_credential/error.h"
#include "lib/private_file.h"

namespace credcache {
namespace {

// The most a certificate, key or password file may hold.
constexpr size_t kMaxFileBytes = 256 << 10;

// The whole of a small file named in config, or why not (never its bytes).
absl::StatusOr<cargo_credential::Secret> ReadSmallFile(const std::string& path,
                                                       const std::string& where) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", path, ": ", strerror(errno)));
  }
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    cargo_credential::AppendWiped(text, absl::string_view(buffer, n));
    if (text.size() > kMaxFileBytes) break;
  }
  explicit_bzero(buffer, sizeof(buffer));
  close(fd);
  cargo_credential::Secret secret(std::move(text));
  if (secret.size() > kMaxFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", path, " is over ", kMaxFileBytes >> 10, " KiB"));
  }
  return secret;
}

// A file that holds a secret (a private key, a password): refused unless
// private to this account (lib/private_file.h).
absl::StatusOr<cargo_credential::Secret> ReadSecretFile(const std::string& path,
                                                        const std::string& where) {
  absl::StatusOr<std::optional<std::string>> read =
      cargo_credential::ReadPrivateFile(path, kMaxFileBytes);
  if (!read.ok()) {
    // The fix (chmod, chown) is the refusal's cause: said on the same line.
    std::vector<std::string> said = {std::string(read.status().message())};
    for (const std::string& cause : cargo_credential::CausedBy(read.status()))
      said.push_back(cause);
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", absl::StrJoin(said, "; ")));
  }
  if (!read->has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", path, ": no such file"));
  }
  return cargo_credential::Secret(std::move(**read));
}

std::chrono::system_clock::time_point Deadline(absl::Duration from_now) {
  return std::chrono::system_clock::now() +
         std::chrono::microseconds(absl::ToInt64Microseconds(from_now));
}

// Whether etcd refused a call for its auth token alone (expired, or from
// before a restart), which a new token mends.
bool TokenRefused(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
         absl::StrContains(status.error_message(), "invalid auth token");
}

}  // namespace

std::string ChannelTarget(const std::vector<std::string>& endpoints) {
  // gRPC's address lists take IP literals of one family; a single name goes
  // to its DNS resolver, which gives every address the name has.
  if (endpoints.size() == 1 && !IsAddressEndpoint(endpoints.front())) {
    return absl::StrCat("dns:///", endpoints.front());
  }
  const bool ipv6 = !endpoints.empty() && absl::StartsWith(endpoints.front(), "[");
  return absl::StrCat(ipv6 ? "ipv6:" : "ipv4:", absl::StrJoin(endpoints, ","));
}

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // Every key.
}

absl::Status FromGrpc(const grpc::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

EtcdWatch::~EtcdWatch() {
  Cancel();
  Wait().IgnoreError();
}

void EtcdWatch::Cancel() { context_.TryCancel(); }

absl::Status EtcdWatch::Wait() {
  absl::MutexLock lock(&mutex_);
  mutex_.Await(absl::Condition(&done_));
  return status_;
}

void EtcdWatch::OnWriteDone(bool ok) {}

void EtcdWatch::OnReadDone(bool ok) {
  if (!ok) return;  // The stream ended: OnDone follows.
  if (on_response_(response_)) {
    StartRead(&response_);
  } else {
    context_.TryCancel();
  }
}

void EtcdWatch::OnDone(const grpc::Status& status) {
  absl::MutexLock lock(&mutex_);
  status_ = FromGrpc(status, "etcd watch");
  done_ = true;
}

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Connect(const EtcdConnection& connection) {
  if (connection.endpoints.empty()) {
    return absl::InvalidArgumentError("[etcd] names no endpoints");
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  grpc::ChannelArguments arguments;
  // Every endpoint, with requests spread over the members that answer; a
  // dead one is skipped until it is back.
  arguments.SetLoadBalancingPolicyName("round_robin");
  // A member that went away is retried within a second, not after gRPC's
  // default back-off of up to two minutes.
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 3000);
  if (!connection.ca_file.empty()) {
    grpc::SslCredentialsOptions options;
    absl::StatusOr<cargo_credential::Secret> ca =
        ReadSmallFile(connection.ca_file, connection.Where("ca_file"));
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = ca->Expose();
    if (!connection.cert_file.empty()) {
      absl::StatusOr<cargo_credential::Secret> cert =
          ReadSmallFile(connection.cert_file, connection.Where("cert_file"));
      if (!cert.ok()) return cert.status();
      absl::StatusOr<cargo_credential::Secret> key =
          ReadSecretFile(connection.key_file, connection.Where("key_file"));
      if (!key.ok()) return key.status();
      options.pem_cert_chain = cert->Expose();
      options.pem_private_key = key->Expose();
    }
    credentials = grpc::SslCredentials(options);
    cargo_credential::WipeString(options.pem_private_key);
    std::string name = connection.server_name;
    if (name.empty()) {
      std::pair<std::string, std::string> host_port =
          absl::StrSplit(connection.endpoints.front(), absl::MaxSplits(':', 1));
      name = host_port.first;
    }
    arguments.SetSslTargetNameOverride(name);
  }
  cargo_credential::Secret password;
  if (!connection.password_file.empty()) {
    absl::StatusOr<cargo_credential::Secret> read =
        ReadSecretFile(connection.password_file, connection.Where("password_file"));
    if (!read.ok()) return read.status();
    std::string text = read->Expose();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    password = cargo_credential::Secret(std::move(text));
  }
  const std::string target = ChannelTarget(connection.endpoints);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(target, credentials, arguments);
  return std::unique_ptr<EtcdClient>(
      new EtcdClient(connection, std::move(channel), std::move(password)));
}

EtcdClient::EtcdClient(EtcdConnection connection, std::shared_ptr<grpc::Channel> channel,
                       cargo_credential::Secret password)
    : connection_(std::move(connection)),
      channel_(std::move(channel)),
      kv_(etcdserverpb::KV::NewStub(channel_)),
      lease_(etcdserverpb::Lease::NewStub(channel_)),
      watch_(etcdserverpb::Watch::NewStub(channel_)),
      auth_(etcdserverpb::Auth::NewStub(channel_)),
      maintenance_(etcdserverpb::Maintenance::NewStub(channel_)),
      password_(std::move(password)) {}

EtcdClient::~EtcdClient() = default;

void EtcdClient::Prepare(grpc::ClientContext* context, absl::Duration deadline) {
  context->set_deadline(Deadline(deadline));
  absl::MutexLock lock(&mutex_);
  if (!token_.empty()) context->AddMetadata("token", token_.Expose());
}

absl::Status EtcdClient::Authenticate() {
  if (connection_.user.empty()) return absl::OkStatus();
  etcdserverpb::AuthenticateRequest request;
  request.set_name(connection_.user);
  request.set_password(password_.Expose());
  etcdserverpb::AuthenticateResponse response;
  grpc::ClientContext context;
  context.set_deadline(Deadline(connection_.deadline));
  const grpc::Status status = auth_->Authenticate(&context, request, &response);
  cargo_credential::WipeString(*request.mutable_password());
  if (!status.ok()) return FromGrpc(status, "etcd authenticate");
  absl::MutexLock lock(&mutex_);
  token_ = cargo_credential::Secret(std::move(*response.mutable_token()));
  return absl::OkStatus();
}

absl::Status EtcdClient::EnsureAuthenticated() {
  if (connection_.user.empty()) return absl::OkStatus();
  {
    absl::MutexLock lock(&mutex_);
    if (!token_.empty()) return absl::OkStatus();
  }
  return Authenticate();
}

absl::Status EtcdClient::Call(const std::function<grpc::Status(grpc::ClientContext*)>& call,
                              absl::string_view what) {
  absl::Status authenticated = EnsureAuthenticated();
  if (!authenticated.ok()) return authenticated;
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext context;
    Prepare(&context, connection_.deadline);
    const grpc::Status status = call(&context);
    if (attempt == 0 && TokenRefused(status) && !connection_.user.empty()) {
      absl::Status authenticated = Authenticate();
      if (!authenticated.ok()) return authenticated;
      continue;
    }
    return FromGrpc(status, what);
  }
}

absl::StatusOr<etcdserverpb::TxnResponse> EtcdClient::Txn(const etcdserverpb::TxnRequest& request) {
  etcdserverpb::TxnResponse response;
  absl::Status status =
      Call([&](grpc::ClientContext* context) { return kv_->Txn(context, request, &response); },
           "etcd txn");
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<etcdserverpb::RangeResponse> EtcdClient::Range(
    const etcdserverpb::RangeRequest& request) {
  etcdserverpb::RangeResponse response;
  absl::Status status =
      Call([&](grpc::ClientContext* context) { return kv_->Range(context, request, &response); },
           "etcd range");
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<int64_t> EtcdClient::GrantLease(absl::Duration ttl) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(ttl, absl::Seconds(1)))));
  etcdserverpb::LeaseGrantResponse response;
  absl::Status status = Call(
      [&](grpc::ClientContext* context) { return lease_->LeaseGrant(context, request, &response); },
      "etcd lease grant");
  if (!status.ok()) return status;
  if (!response.error().empty()) {
    return absl::UnavailableError(absl::StrCat("etcd lease grant: ", response.error()));
  }
  return response.id();
}

absl::StatusOr<int64_t> EtcdClient::KeepAlive(int64_t lease) {
  etcdserverpb::LeaseKeepAliveResponse response;
  bool answered = false;
  absl::Status status = Call(
      [&](grpc::ClientContext* context) {
        std::unique_ptr<grpc::ClientReaderWriter<etcdserverpb::LeaseKeepAliveRequest,
                                                 etcdserverpb::LeaseKeepAliveResponse>>
            stream = lease_->LeaseKeepAlive(context);
        etcdserverpb::LeaseKeepAliveRequest request;
        request.set_id(lease);
        if (stream->Write(request)) answered = stream->Read(&response);
        stream->WritesDone();
        if (answered) context->TryCancel();  // Done: no need to wait for the end.
        const grpc::Status finished = stream->Finish();
        return answered ? grpc::Status::OK : finished;
      },
      "etcd lease keep-alive");
  if (!status.ok()) return status;
  if (!answered) return absl::UnavailableError("etcd lease keep-alive: no answer");
  if (response.ttl() <= 0) return absl::NotFoundError("etcd lease keep-alive: the lease is gone");
  return response.ttl();
}

absl::StatusOr<etcdserverpb::StatusResponse> EtcdClient::MemberStatus() {
  etcdserverpb::StatusRequest request;
  etcdserverpb::StatusResponse response;
  absl::Status status = Call(
      [&](grpc::ClientContext* context) {
        return maintenance_->Status(context, request, &response);
      },
      "etcd status");
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<std::unique_ptr<EtcdWatch>> EtcdClient::Watch(
    const etcdserverpb::WatchCreateRequest& create, EtcdWatch::OnResponse on_response) {
  absl::Status authenticated = EnsureAuthenticated();
  if (!authenticated.ok()) return authenticated;
  std::unique_ptr<EtcdWatch> watch(new EtcdWatch(std::move(on_response)));
  {
    absl::MutexLock lock(&mutex_);
    if (!token_.empty()) watch->context_.AddMetadata("token", token_.Expose());
  }
  watch->context_.AddMetadata("hasleader", "true");
  *watch->request_.mutable_create_request() = create;
  watch_->async()->Watch(&watch->context_, watch.get());
  watch->StartWrite(&watch->request_);
  watch->StartRead(&watch->response_);
  watch->StartCall();
  return watch;
}

}  // namespace credcache
