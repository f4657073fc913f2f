#include "backends/credcache_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cargo_credential/error.h"
#include "common/accounts.h"
#include "common/unix_socket.h"
#include "common/version.h"
#include "common/wire.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel_posix.h"
#include "proto/convert.h"
#include "proto/credcache.grpc.pb.h"

namespace credcache {

using cargo_credential::CredentialResponse;

CredcacheBackend::CredcacheBackend(std::string socket, std::string owner, uid_t owner_uid,
                                   absl::Duration timeout)
    : socket_(std::move(socket)),
      owner_(std::move(owner)),
      owner_uid_(owner_uid),
      timeout_(timeout) {}

absl::StatusOr<int> CredcacheBackend::Connect() const {
  // Whoever can write the directory could put their own socket there.
  const std::string dir = socket_.substr(0, socket_.rfind('/') + 1);
  struct stat info;
  if (stat(dir.c_str(), &info) != 0) {
    return cargo_credential::OtherError(
        absl::StrCat("the credcache daemon on ", socket_, " is not reachable"),
        {absl::StrCat(dir, ": ", strerror(errno))});
  }
  if ((info.st_uid != owner_uid_ && info.st_uid != 0) || (info.st_mode & 022) != 0) {
    return cargo_credential::OtherError(absl::StrCat("refusing the credcache daemon on ", socket_,
                                                     ": its directory must belong "
                                                     "to ",
                                                     owner_,
                                                     " (or root) and be writable by nobody else"));
  }
  absl::StatusOr<int> fd = ConnectUnixSocket(socket_);
  if (!fd.ok()) {
    return cargo_credential::OtherError(
        absl::StrCat("the credcache daemon on ", socket_, " is not reachable"),
        {std::string(fd.status().message())});
  }
  absl::StatusOr<uid_t> peer = PeerUid(*fd);
  // A socket systemd made (credcached-team.socket) was listened on by
  // systemd, which the kernel names: root.
  if (!peer.ok() || (*peer != owner_uid_ && *peer != 0)) {
    close(*fd);
    return cargo_credential::OtherError(
        absl::StrCat("refusing the credcache daemon on ", socket_, ": it runs as ",
                     peer.ok() ? absl::StrCat("uid ", *peer) : std::string(peer.status().message()),
                     ", not as ", owner_, " (uid ", owner_uid_, ")"));
  }
  fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

absl::StatusOr<CredentialResponse> CredcacheBackend::Perform(
    const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
    const std::vector<std::string>& args) {
  absl::StatusOr<int> fd = Connect();
  if (!fd.ok()) return fd.status();
  // gRPC owns the descriptor from here on.
  std::shared_ptr<grpc::Channel> channel = grpc::CreateInsecureChannelFromFd("credcache", *fd);
  v1::Credcache::Stub stub(channel);
  grpc::ClientContext context;
  context.AddMetadata(kVersionHeader, BuildVersion());
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout_)));
  cargo_credential::CredentialRequest request;
  request.registry = registry;
  request.action = action.Clone();
  request.args = args;
  v1::PerformRequest wire;
  *wire.mutable_request() = ToProto(request);
  v1::PerformResponse response;
  const grpc::Status status = stub.Perform(&context, wire, &response);
  if (wire.request().action().login().has_token()) {
    cargo_credential::WipeString(
        *wire.mutable_request()->mutable_action()->mutable_login()->mutable_token());
  }
  if (!status.ok()) {
    return cargo_credential::OtherError(
        absl::StrCat("the credcache daemon on ", socket_, " did not answer"),
        {status.error_message()});
  }
  if (response.has_run_in_caller()) {
    return cargo_credential::OtherError(
        absl::StrCat("the credcache daemon on ", socket_, " runs backend `",
                     response.run_in_caller().backend(),
                     "` where cargo runs, which it cannot do through this daemon"),
        {absl::StrCat("point cargo at it directly: CREDCACHE_SOCKET=", socket_,
                      " CREDCACHE_SOCKET_OWNER=", owner_)});
  }
  if (response.has_need_token()) {
    return cargo_credential::OtherError(
        absl::StrCat("the credcache daemon on ", socket_, " asks for the token to log in with"));
  }
  absl::StatusOr<CredentialResponse> result = ResultFromProto(&response);
  if (response.has_ok()) cargo_credential::WipeString(*response.mutable_ok()->mutable_token());
  return result;
}

absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> MakeCredcacheBackend(
    const BackendOptions& options) {
  absl::StatusOr<std::string> socket = options.String("socket");
  if (!socket.ok()) return socket.status();
  if (socket->empty() || socket->front() != '/' || socket->size() > kMaxSocketPath) {
    return options.Error("socket", "must be an absolute path of at most 107 bytes");
  }
  absl::StatusOr<std::string> owner = options.String("owner");
  if (!owner.ok()) return owner.status();
  absl::StatusOr<uid_t> uid = UserId(*owner);
  if (!uid.ok())
    return options.Error("owner", absl::StrCat("names no account: ", uid.status().message()));
  return std::make_unique<CredcacheBackend>(*socket, *owner, *uid, options.timeout());
}

}  // namespace credcache
