#include "shim/daemon_client.h"

#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/unix_socket.h"
#include "lib/secret.h"
#include "shim/grpc_lite.h"

namespace credcache {

absl::Status CallDaemon(const ConnectOptions& options, absl::string_view method,
                        const google::protobuf::MessageLite& request,
                        google::protobuf::MessageLite* response, absl::Duration timeout,
                        WaitingNotice on_waiting) {
  CallOptions call;
  call.deadline = absl::Now() + timeout;
  call.on_waiting = std::move(on_waiting);
  std::string bytes = request.SerializeAsString();
  absl::StatusOr<std::string> answer;
  bool connected = false;
  pid_t pid = 0;
  // A daemon that was stopping (idle exit, `stop`) may close a connection
  // it had accepted without answering; the second try finds, or starts, one
  // that will. Nothing was done for a call that got no answer, so a retry
  // is safe.
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<int> fd = ConnectToDaemonSocket(options);
    if (!fd.ok()) {
      answer = fd.status();
      connected = false;
      break;
    }
    connected = true;
    absl::StatusOr<struct ucred> peer = PeerCredentials(*fd);
    pid = peer.ok() ? peer->pid : 0;
    answer = UnaryCall(*fd, absl::StrCat("/credcache.v1.Credcache/", method), bytes, call);
    close(*fd);
    if (answer.ok() || FailureOf(answer.status()) != CallFailure::kConnectionLost) break;
  }
  cargo_credential::WipeString(bytes);
  if (!answer.ok()) {
    if (!connected) return answer.status();  // Names the socket and why already.
    switch (FailureOf(answer.status())) {
      case CallFailure::kNone:
        return answer.status();  // The daemon's own answer.
      case CallFailure::kNotAnswering:
        return absl::UnavailableError(absl::StrCat(
            "credcached (pid ", pid, ") on ", options.socket_path, " is not answering: ",
            answer.status().message(), ". It may be stopped (`kill -CONT ", pid,
            "` resumes it) or wedged (`kill ", pid, "`, and the next request starts a new one)"));
      case CallFailure::kConnectionLost:
      case CallFailure::kDeadline:
      case CallFailure::kMalformed:
        break;
    }
    return absl::Status(answer.status().code(),
                        absl::StrCat("credcached on ", options.socket_path,
                                     " did not answer: ", answer.status().message()));
  }
  const bool parsed = response->ParseFromString(*answer);
  cargo_credential::WipeString(*answer);
  if (!parsed) {
    return absl::UnavailableError(
        absl::StrCat("credcached on ", options.socket_path, " sent an unreadable answer"));
  }
  return absl::OkStatus();
}

}  // namespace credcache
