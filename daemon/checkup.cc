#include "daemon/checkup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "cargo_credential/error.h"
#include "common/unix_socket.h"
#include "daemon/config.h"

namespace credcache {
namespace {

using cargo_credential::CredentialResponse;

// A store's answer to kProbeIndexUrl, shared with the thread that asks.
struct ProbeCall {
  absl::Mutex mutex;
  std::optional<absl::StatusOr<CredentialResponse>> result ABSL_GUARDED_BY(mutex);
  bool abandoned ABSL_GUARDED_BY(mutex) = false;
};

// Asks `backend`'s store for kProbeIndexUrl on a thread of its own, or
// returns the reason it was not asked. The thread counts in the backend's
// `hung` once abandoned, as the router's calls do, so that a store that
// never answers costs at most kMaxHungCalls threads however often doctor
// runs; while that many are hung, it is not asked again.
absl::StatusOr<std::shared_ptr<ProbeCall>> StartProbe(const Backend& backend) {
  if (backend.hung->load() >= kMaxHungCalls) {
    return absl::UnavailableError(
        absl::StrCat(kMaxHungCalls, " of its calls are still hung, so it was not asked again"));
  }
  auto call = std::make_shared<ProbeCall>();
  try {
    std::thread([call, credential = backend.credential, hung = backend.hung] {
      cargo_credential::RegistryInfo registry;
      registry.index_url = kProbeIndexUrl;
      absl::StatusOr<CredentialResponse> answer =
          credential->Perform(registry, cargo_credential::Action(), {});
      absl::MutexLock lock(&call->mutex);
      call->result = std::move(answer);
      if (call->abandoned) --*hung;
    }).detach();
  } catch (const std::system_error& error) {
    return absl::ResourceExhaustedError(absl::StrCat("no thread to ask it on: ", error.what()));
  }
  return call;
}

// The answer of a probe started before `deadline`, or nullopt when it has
// not come by then (the probe is then counted as hung until it ends).
std::optional<absl::StatusOr<CredentialResponse>> AwaitProbe(ProbeCall& call,
                                                             const Backend& backend,
                                                             absl::Time deadline) {
  absl::MutexLock lock(&call.mutex);
  call.mutex.AwaitWithDeadline(absl::Condition(
                                   +[](std::optional<absl::StatusOr<CredentialResponse>>* result) {
                                     return result->has_value();
                                   },
                                   &call.result),
                               deadline);
  if (!call.result.has_value()) {
    call.abandoned = true;
    ++*backend.hung;
  }
  return std::move(call.result);
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

// What can be said of `backend` without asking its store; `probe` is set
// when its store is to be asked.
BackendFinding CheckWithoutStore(const Backend& backend, bool* probe) {
  *probe = false;
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
  *probe = true;
  return finding;
}

// `finding` completed with the store's answer to the probe (nullopt: none
// in time, or `not_asked` says why it was not asked).
void AddProbeAnswer(const Backend& backend, absl::Duration waited,
                    const std::optional<absl::StatusOr<CredentialResponse>>& answer,
                    BackendFinding* finding) {
  const BackendSettings& settings = backend.settings;
  if (!answer.has_value()) {
    finding->ok = false;
    finding->detail = absl::StrCat("did not answer in ", absl::FormatDuration(waited));
    finding->fix = settings.kind == "libsecret"
                       ? "the keyring may be waiting on an unlock prompt: unlock it"
                       : "see the daemon's log";
    return;
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
    finding->ok = false;
    const std::string said = status.message().empty()
                                 ? std::string(cargo_credential::ErrorKindName(kind))
                                 : std::string(status.message());
    finding->detail = finding->detail.empty() ? said : absl::StrCat(finding->detail, "; ", said);
    if (finding->fix.empty()) {
      finding->fix = settings.kind == "libsecret"
                         ? "unlock the keyring, or let tokens go to a `file` backend"
                         : "see the daemon's log";
    }
  } else if (finding->detail.empty()) {
    finding->detail = settings.store.empty() ? "answers" : absl::StrCat(settings.store, " answers");
  }
}

}  // namespace

std::vector<BackendFinding> CheckBackends(const Router& router) {
  // Every store is asked at once, so that a few that hang cost one wait,
  // not one each.
  const std::vector<Backend>& backends = router.backends();
  std::vector<BackendFinding> findings;
  std::vector<std::shared_ptr<ProbeCall>> probes(backends.size());
  const absl::Time start = absl::Now();
  for (size_t i = 0; i < backends.size(); ++i) {
    bool probe = false;
    findings.push_back(CheckWithoutStore(backends[i], &probe));
    if (!probe) continue;
    absl::StatusOr<std::shared_ptr<ProbeCall>> started = StartProbe(backends[i]);
    if (started.ok()) {
      probes[i] = *std::move(started);
    } else {
      AddProbeAnswer(backends[i], absl::ZeroDuration(),
                     absl::StatusOr<CredentialResponse>(
                         cargo_credential::OtherError(std::string(started.status().message()))),
                     &findings[i]);
    }
  }
  for (size_t i = 0; i < backends.size(); ++i) {
    if (probes[i] == nullptr) continue;
    // No longer than a real call to it would be waited for.
    const absl::Duration bound = std::min(kProbeTimeout, backends[i].settings.timeout);
    AddProbeAnswer(backends[i], bound, AwaitProbe(*probes[i], backends[i], start + bound),
                   &findings[i]);
  }
  return findings;
}

}  // namespace credcache
