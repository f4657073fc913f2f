#include "daemon/checkup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/unix_socket.h"
#include "daemon/config.h"
#include "lib/error.h"

namespace credcache {
namespace {

using cargo_credential::CredentialResponse;

// A store asked for kProbeIndexUrl, bounded by kProbeTimeout. nullopt: it
// did not answer in time (its thread finishes the call alone).
std::optional<absl::StatusOr<CredentialResponse>> Probe(
    std::shared_ptr<cargo_credential::Credential> credential) {
  struct Shared {
    absl::Mutex mutex;
    std::optional<absl::StatusOr<CredentialResponse>> result ABSL_GUARDED_BY(mutex);
  };
  auto shared = std::make_shared<Shared>();
  try {
    std::thread([shared, credential = std::move(credential)] {
      cargo_credential::RegistryInfo registry;
      registry.index_url = kProbeIndexUrl;
      absl::StatusOr<CredentialResponse> answer =
          credential->Perform(registry, cargo_credential::Action(), {});
      absl::MutexLock lock(&shared->mutex);
      shared->result = std::move(answer);
    }).detach();
  } catch (const std::system_error& error) {
    return absl::StatusOr<CredentialResponse>(
        absl::ResourceExhaustedError(absl::StrCat("no thread to ask it on: ", error.what())));
  }
  absl::MutexLock lock(&shared->mutex);
  shared->mutex.AwaitWithTimeout(
      absl::Condition(
          +[](std::optional<absl::StatusOr<CredentialResponse>>* result) {
            return result->has_value();
          },
          &shared->result),
      kProbeTimeout);
  return std::move(shared->result);
}

// A token file must be the daemon's alone; a missing one is made at the
// first login.
void CheckTokenFile(const std::string& path, BackendFinding* finding) {
  struct stat info;
  if (lstat(path.c_str(), &info) != 0) {
    finding->detail = absl::StrCat(path, " does not exist yet: the first login makes it");
    return;
  }
  if (!S_ISREG(info.st_mode)) {
    finding->ok = false;
    finding->detail = absl::StrCat(path, " is not a regular file");
    finding->fix = absl::StrCat("move it away; the first login makes a new one");
  } else if (info.st_uid != geteuid()) {
    finding->ok = false;
    finding->detail =
        absl::StrCat(path, " belongs to uid ", info.st_uid, ", not the daemon's ", geteuid());
    finding->fix = absl::StrCat("chown ", geteuid(), " ", path);
  } else if ((info.st_mode & 077) != 0) {
    finding->ok = false;
    finding->detail = absl::StrFormat("%s is readable or writable by others (mode %04o)", path,
                                      info.st_mode & 0777);
    finding->fix = absl::StrCat("chmod 600 ", path);
  } else {
    finding->detail = absl::StrCat(path, ", private to the daemon's account");
  }
}

BackendFinding Check(const Backend& backend) {
  const BackendSettings& settings = backend.settings;
  BackendFinding finding{settings.name, settings.kind, true, "", ""};
  if (settings.run_in_caller) {
    finding.detail = "runs where cargo runs: cargo's PATH and environment decide";
    return finding;
  }
  if (!settings.program.empty()) {
    const std::string problem = ProgramProblem(settings);
    finding.ok = problem.empty();
    finding.detail =
        finding.ok ? absl::StrCat("runs `", settings.program, "`") : absl::StrCat("runs ", problem);
    if (!finding.ok) {
      finding.fix =
          absl::StrCat("install it, or give its full path in the config (", settings.at,
                       "); a daemon started by systemd has systemd's PATH, not your shell's");
    }
    return finding;
  }
  if (settings.kind == "credcache") {
    absl::StatusOr<int> connected = ConnectUnixSocket(settings.store);
    if (connected.ok()) {
      close(*connected);
      finding.detail = absl::StrCat("the team daemon answers on ", settings.store);
    } else {
      finding.ok = false;
      finding.detail =
          absl::StrCat("no team daemon on ", settings.store, ": ", connected.status().message());
      finding.fix =
          "ask the team's admin whether credcached-team.socket runs, and whether you are in its "
          "group";
    }
    return finding;
  }
  if (settings.kind == "file") CheckTokenFile(settings.store, &finding);
  std::optional<absl::StatusOr<CredentialResponse>> answer = Probe(backend.credential);
  if (!answer.has_value()) {
    finding.ok = false;
    finding.detail = absl::StrCat("did not answer in ", absl::FormatDuration(kProbeTimeout));
    finding.fix = settings.kind == "libsecret"
                      ? "the keyring may be waiting on an unlock prompt: unlock it"
                      : "see the daemon's log";
    return finding;
  }
  const absl::Status status = answer->status();
  const cargo_credential::ErrorKind kind = cargo_credential::KindOf(status);
  // "Not found" is what a working store says for a registry it has no
  // token for; "not mine" with no words too. Anything with words (a locked
  // keyring, a malformed file) is a problem to show.
  const bool reachable =
      status.ok() || kind == cargo_credential::ErrorKind::kNotFound ||
      (kind == cargo_credential::ErrorKind::kUrlNotSupported && status.message().empty());
  if (!reachable) {
    finding.ok = false;
    const std::string said = status.message().empty()
                                 ? std::string(cargo_credential::ErrorKindName(kind))
                                 : std::string(status.message());
    finding.detail = finding.detail.empty() ? said : absl::StrCat(finding.detail, "; ", said);
    if (finding.fix.empty()) {
      finding.fix = settings.kind == "libsecret"
                        ? "unlock the keyring, or let tokens go to a `file` backend"
                        : "see the daemon's log";
    }
  } else if (finding.detail.empty()) {
    finding.detail = settings.store.empty() ? "answers" : absl::StrCat(settings.store, " answers");
  }
  return finding;
}

}  // namespace

std::vector<BackendFinding> CheckBackends(const Router& router) {
  std::vector<BackendFinding> findings;
  for (const Backend& backend : router.backends()) findings.push_back(Check(backend));
  return findings;
}

}  // namespace credcache
