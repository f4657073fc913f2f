#include "shim/daemon_client.h"

#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "lib/secret.h"
#include "shim/grpc_lite.h"

namespace credcache {

absl::Status CallDaemon(const ConnectOptions& options, absl::string_view method,
                        const google::protobuf::MessageLite& request,
                        google::protobuf::MessageLite* response, absl::Duration timeout) {
  absl::StatusOr<int> fd = ConnectToDaemonSocket(options);
  if (!fd.ok()) return fd.status();
  std::string bytes = request.SerializeAsString();
  absl::StatusOr<std::string> answer = UnaryCall(
      *fd, absl::StrCat("/credcache.v1.Credcache/", method), bytes, absl::Now() + timeout);
  cargo_credential::WipeString(bytes);
  close(*fd);
  if (!answer.ok()) return answer.status();
  const bool parsed = response->ParseFromString(*answer);
  cargo_credential::WipeString(*answer);
  if (!parsed) {
    return absl::UnavailableError(
        absl::StrCat("credcached on ", options.socket_path, " sent an unreadable answer"));
  }
  return absl::OkStatus();
}

}  // namespace credcache
