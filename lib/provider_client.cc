#include "cargo_credential/provider_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cargo_credential/error.h"
#include "cargo_credential/secret.h"
#include "cargo_credential/subprocess.h"
#include "lib/user_text.h"

namespace cargo_credential {
namespace {

// After the answer, a provider gets this long to exit before it is killed;
// cargo would wait forever (cargo's credential/process.rs waits with no limit).
constexpr absl::Duration kExitGrace = absl::Seconds(5);

// Reads `fd` (when not -1) on a thread of its own until it ends or the
// gatherer goes, keeping up to kMaxCollected bytes (and reading past them,
// so the child never blocks on a full pipe), then tells the user what it
// kept. Bounded: a child that never stops writing is read for at most one
// more kMaxCollected when the gatherer goes.
class StderrGatherer {
 public:
  explicit StderrGatherer(int fd) : fd_(fd) {
    if (fd_ < 0) return;
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
    try {
      thread_ = std::thread([this] {
        while (!stop_.load()) {
          pollfd ready{fd_, POLLIN, 0};
          if (poll(&ready, 1, 50) > 0 && ReadSome() == Read::kEnd) return;
        }
      });
    } catch (const std::system_error&) {
      // No thread: what the child writes is read when the call ends; one
      // that writes more than a pipe holds waits until then, or its timeout.
    }
  }
  ~StderrGatherer() {
    if (fd_ < 0) return;
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (size_t taken = 0; taken < kMaxCollected && ReadSome() == Read::kData;) {
      taken += kChunk;
    }
    TellUser(text_);
  }

 private:
  static constexpr size_t kChunk = 4096;
  enum class Read { kData, kNothingNow, kEnd };

  Read ReadSome() {
    char buffer[kChunk];
    const ssize_t n = read(fd_, buffer, sizeof(buffer));
    if (n == 0) return Read::kEnd;
    if (n < 0) {
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? Read::kNothingNow
                                                                       : Read::kEnd;
    }
    if (text_.size() < kMaxCollected) {
      text_.append(buffer, std::min(static_cast<size_t>(n), kMaxCollected - text_.size()));
    }
    return Read::kData;
  }

  const int fd_;
  std::string text_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

absl::StatusOr<ProviderAnswer> CallProvider(const ProviderCommand& command,
                                            const CredentialRequest& request) {
  const std::string who = absl::StrCat("credential provider `", command.program, "`");
  auto failed = [&who](absl::string_view what) {
    return absl::UnavailableError(absl::StrCat(who, " ", what));
  };

  SubprocessOptions options;
  options.argv = {command.program, "--cargo-plugin"};
  options.set_env = command.set_env;
  options.unset_env = command.unset_env;
  options.new_process_group = command.own_process_group;
  options.stderr_mode = command.stderr_to_tell_user ? SubprocessOptions::Stdio::kPipe
                                                    : SubprocessOptions::Stdio::kInherit;
  absl::StatusOr<std::unique_ptr<Subprocess>> started = Subprocess::Start(options);
  if (!started.ok()) {
    return failed(absl::StrCat("could not be started: ", started.status().message()));
  }
  Subprocess& child = **started;
  const absl::Time deadline = absl::Now() + command.timeout;
  // Gathered on a thread of its own, so that a provider writing much to
  // stderr never blocks on it; told once the call ends, on every path.
  StderrGatherer stderr_text(command.stderr_to_tell_user ? child.stderr_fd() : -1);

  absl::StatusOr<std::optional<std::string>> hello_line = child.stdout_lines().Next(deadline);
  if (!hello_line.ok() || !hello_line->has_value()) {
    return failed(hello_line.ok() ? "exited before its hello"
                                  : absl::StrCat("sent no hello: ", hello_line.status().message()));
  }
  absl::StatusOr<CredentialHello> hello = ParseHello(**hello_line);
  if (!hello.ok()) {
    return failed(absl::StrCat("sent a malformed hello: ", hello.status().message()));
  }
  if (std::find(hello->v.begin(), hello->v.end(), kProtocolVersion1) == hello->v.end()) {
    return failed(absl::StrCat("supports protocol versions [", absl::StrJoin(hello->v, ","),
                               "], while this program supports [1]"));
  }

  std::string line = SerializeRequest(request);
  AppendWiped(line, "\n");  // A plain push_back may move it, leaving a copy.
  absl::Status written = child.WriteStdin(line, deadline);
  WipeString(line);
  if (!written.ok()) {
    return failed(absl::StrCat("did not take the request: ", written.message()));
  }

  absl::StatusOr<std::optional<std::string>> answer = child.stdout_lines().Next(deadline);
  if (!answer.ok() || !answer->has_value()) {
    return failed(answer.ok() ? "exited without answering"
                              : absl::StrCat("did not answer: ", answer.status().message()));
  }
  absl::StatusOr<ProviderAnswer> result = ParseResult(**answer);
  WipeString(**answer);
  if (!result.ok()) {
    return failed(absl::StrCat("gave a malformed answer: ", result.status().message()));
  }

  child.CloseStdin();
  absl::StatusOr<int> code = child.Wait(std::max(deadline, absl::Now() + kExitGrace));
  if (!code.ok()) {
    child.Kill(SIGKILL);
    return failed("did not exit after answering");
  }
  if (*code != 0) return failed(absl::StrCat("failed with exit status ", *code));
  return result;
}

}  // namespace cargo_credential
