#include "lib/provider_client.h"

#include <signal.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/error.h"
#include "lib/secret.h"
#include "lib/subprocess.h"

namespace cargo_credential {
namespace {

// After the answer, a provider gets this long to exit before it is killed;
// cargo would wait forever (cargo's credential/process.rs waits with no limit).
constexpr absl::Duration kExitGrace = absl::Seconds(5);

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
  options.stderr_mode = SubprocessOptions::Stdio::kInherit;
  absl::StatusOr<std::unique_ptr<Subprocess>> started = Subprocess::Start(options);
  if (!started.ok()) {
    return failed(absl::StrCat("could not be started: ", started.status().message()));
  }
  Subprocess& child = **started;
  const absl::Time deadline = absl::Now() + command.timeout;

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
