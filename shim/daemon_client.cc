#include "shim/daemon_client.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cargo_credential/secret.h"
#include "common/unix_socket.h"
#include "common/version.h"
#include "common/wire.h"
#include "lib/user_text.h"
#include "shim/grpc_lite.h"

namespace credcache {

void WaitForHandOver(const std::string& socket, absl::Time deadline) {
  const int fd = open((socket + ".lock").c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return;
  while (flock(fd, LOCK_SH | LOCK_NB) != 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  close(fd);  // Drops our shared lock at once.
}

namespace {

// How long a replaced daemon may take to hand over: it releases its socket
// before it drains, so this is short.
constexpr absl::Duration kReplaceTimeout = absl::Seconds(5);

// The daemon's refusal of a shim of another build (common/wire.h), if that
// is what `status` is.
bool IsVersionRefusal(const absl::Status& status, const ReceivedMetadata& received) {
  return absl::IsFailedPrecondition(status) && FailureOf(status) == CallFailure::kNone &&
         received.count(kVersionHeader) > 0;
}

std::string Field(const ReceivedMetadata& received, const char* name) {
  const auto it = received.find(name);
  return it == received.end() ? "" : it->second;
}

absl::Status VersionMismatch(const ConnectOptions& options, const ReceivedMetadata& received,
                             bool replaced, bool still_the_old_one) {
  const std::string started_by = Field(received, kStartedByHeader);
  std::string fix;
  if (still_the_old_one) {
    fix = "it did not stop when asked; stop it (cargo-credential-credcache stop) and retry";
  } else if (replaced) {
    fix = absl::StrCat("it was started just now from ", FindDaemonProgram(),
                       ": install the shim and the daemon of one build side by side");
  } else if (started_by == kStartedBySystemd) {
    fix = "restart it: systemctl --user restart credcached.service";
  } else {
    fix = "stop it (cargo-credential-credcache stop) and start this version's credcached";
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "credcached on ", options.socket_path, " is version ", Field(received, kVersionHeader),
      " (started by ", started_by.empty() ? "?" : started_by, "); this shim is ", BuildVersion(),
      ": ", fix));
}

// Asks the daemon on the socket to stop if it is still `pid` (the one that
// refused: another shim may have replaced it already, and the new one must
// not be stopped), and waits for it to hand over.
void StopForReplacement(const ConnectOptions& options, const CallOptions& call, pid_t pid) {
  ConnectOptions no_spawn = options;
  no_spawn.spawn = false;
  absl::StatusOr<int> fd = ConnectToDaemonSocket(no_spawn);
  if (!fd.ok()) return;  // Gone already.
  absl::StatusOr<struct ucred> peer = PeerCredentials(*fd);
  if (!peer.ok() || peer->pid != pid) {
    close(*fd);
    return;
  }
  CallOptions stop = call;
  stop.on_waiting = nullptr;
  stop.deadline = std::min(call.deadline, absl::Now() + kReplaceTimeout);
  // StopRequest is empty: its encoding is no bytes.
  UnaryCall(*fd, "/credcache.v1.Credcache/Stop", "", stop).status().IgnoreError();
  close(*fd);
  WaitForHandOver(options.socket_path, absl::Now() + kReplaceTimeout);
}

}  // namespace

absl::Status CallDaemon(const ConnectOptions& options, absl::string_view method,
                        const google::protobuf::MessageLite& request,
                        google::protobuf::MessageLite* response, absl::Duration timeout,
                        WaitingNotice on_waiting) {
  CallOptions call;
  call.deadline = absl::Now() + timeout;
  call.on_waiting = std::move(on_waiting);
  call.metadata = {{kVersionHeader, BuildVersion()}};
  std::string bytes = request.SerializeAsString();
  absl::StatusOr<std::string> answer;
  ReceivedMetadata received;
  bool connected = false;
  bool replaced = false;
  pid_t replaced_pid = 0;
  pid_t pid = 0;
  // A daemon that was stopping (idle exit, `stop`) may close a connection
  // it had accepted without answering; the second try finds, or starts, one
  // that will. Nothing was done for a call that got no answer, so a retry
  // is safe. Nor was anything done for a call a daemon of another build
  // refused: one this shim's kind started is replaced, once.
  int dropped = 0;
  while (true) {
    absl::StatusOr<int> fd = ConnectToDaemonSocket(options);
    if (!fd.ok()) {
      answer = fd.status();
      connected = false;
      break;
    }
    connected = true;
    absl::StatusOr<struct ucred> peer = PeerCredentials(*fd);
    pid = peer.ok() ? peer->pid : 0;
    received.clear();
    answer =
        UnaryCall(*fd, absl::StrCat("/credcache.v1.Credcache/", method), bytes, call, &received);
    close(*fd);
    if (!answer.ok() && IsVersionRefusal(answer.status(), received)) {
      if (replaced || Field(received, kStartedByHeader) != kStartedByShim || !options.spawn) {
        cargo_credential::WipeString(bytes);
        return VersionMismatch(options, received, replaced, replaced && pid == replaced_pid);
      }
      cargo_credential::TellUser(absl::StrCat("credcache: replacing credcached ",
                                              Field(received, kVersionHeader), " (pid ", pid,
                                              ", started on demand) with ", BuildVersion(), "\n"));
      StopForReplacement(options, call, pid);
      replaced = true;
      replaced_pid = pid;
      continue;
    }
    if (answer.ok() || FailureOf(answer.status()) != CallFailure::kConnectionLost) break;
    if (++dropped > 1) break;
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
  // Every daemon that checks versions says its own with each Perform
  // answer; one that does not predates the check and may have misread the
  // request: its answer is not used.
  if (method == "Perform" && received.count(kVersionHeader) == 0) {
    cargo_credential::WipeString(*answer);
    return absl::FailedPreconditionError(absl::StrCat(
        "credcached on ", options.socket_path,
        " is of a version from before shims and daemons compared versions; this shim is ",
        BuildVersion(), ": stop it (cargo-credential-credcache stop) and retry"));
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
