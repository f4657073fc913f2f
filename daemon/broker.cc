#include "daemon/broker.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backends/secret_env.h"
#include "cargo_credential/error.h"
#include "cargo_credential/protocol.h"
#include "daemon/log.h"

namespace credcache {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::CredentialResponse;
using cargo_credential::RegistryInfo;

namespace {

// A login's token must be one a later get can hand to cargo: storing one
// that CheckToken refuses would acknowledge a login that can never be used.
absl::Status LoginFits(const Action& action) {
  if (action.kind != ActionKind::kLogin || !action.login.token.has_value()) {
    return absl::OkStatus();
  }
  absl::Status fit = cargo_credential::CheckToken(*action.login.token);
  if (fit.ok()) return fit;
  return cargo_credential::OtherError(absl::StrCat("login refused: ", fit.message()),
                                      {"nothing was stored"});
}

// A team daemon's answer to a login or logout for a registry only shared
// backends serve.
absl::Status SharedOnly(const RegistryInfo& registry) {
  return cargo_credential::OtherError(
      absl::StrCat("credcache's team daemon keeps no personal token for ", registry.index_url,
                   ": its shared token is the team's, set by the daemon's admins"),
      {"log in and out of it with your own provider or credcache daemon instead; nothing was "
       "changed"});
}

// How often a run in a caller looks at whether its runner's process is gone.
constexpr absl::Duration kCallerPoll = absl::Milliseconds(50);

// A lease no one can guess: 16 bytes from the kernel's random source.
absl::StatusOr<std::string> NewLease() {
  char bytes[16];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    const ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("no random lease: ", strerror(errno)));
    }
  }
  return absl::BytesToHexString(absl::string_view(bytes, sizeof(bytes)));
}

// What a request whose call carries a job is "answered": nobody hears it,
// and it is no error of the request's.
absl::Status HandedToCaller() { return absl::CancelledError("handed to the caller to run"); }

}  // namespace

// One backend call that several askers wait for.
struct Broker::Flight {
  absl::Mutex mutex;
  bool done ABSL_GUARDED_BY(mutex) = false;
  absl::StatusOr<CredentialResponse> result ABSL_GUARDED_BY(mutex);
  // The slow backend the call waits on, once the router said so.
  std::string slow_backend ABSL_GUARDED_BY(mutex);
  absl::Duration slow_timeout ABSL_GUARDED_BY(mutex);
  // What its backends said for the user, (backend, text), for every asker.
  std::vector<std::pair<std::string, std::string>> said ABSL_GUARDED_BY(mutex);
  // The shims waiting on it that can run a backend in the caller, in the
  // order they are offered a job; one that takes a job moves to `taken`.
  std::vector<Caller*> callers ABSL_GUARDED_BY(mutex);
  std::set<const Caller*> taken ABSL_GUARDED_BY(mutex);
  // The run in a caller under way: the lease of the shim that holds the
  // job now (a new one at each hand-off, none while nobody holds it), the
  // pid it went to, and the answer once reported.
  std::string lease ABSL_GUARDED_BY(mutex);
  pid_t runner_pid ABSL_GUARDED_BY(mutex) = 0;
  std::optional<absl::StatusOr<CredentialResponse>> report ABSL_GUARDED_BY(mutex);

  // Offers `caller` jobs: after those already waiting, or, for the shim
  // that just reported one (`first`), before them, so that one request's
  // runs in the caller stay on its own terminal.
  void Join(Caller* caller, bool first = false) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    if (caller == nullptr) return;
    callers.insert(first ? callers.begin() : callers.end(), caller);
  }
  // Whether `caller` was given a job; it is no longer offered either way.
  bool Leave(Caller* caller) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    if (caller == nullptr) return false;
    callers.erase(std::remove(callers.begin(), callers.end(), caller), callers.end());
    return taken.erase(caller) > 0;
  }
  void Finish(const absl::StatusOr<CredentialResponse>& answer)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    result = answer.ok() ? absl::StatusOr<CredentialResponse>(answer->Clone())
                         : absl::StatusOr<CredentialResponse>(answer.status());
    done = true;
  }
};

Broker::Broker(const Clock* clock, Stats* stats, CachePolicy policy,
               std::shared_ptr<const Router> router)
    : stats_(stats), cache_(clock), policy_(policy), router_(std::move(router)) {}

Broker::~Broker() {
  std::shared_ptr<Watches> watches;
  {
    absl::MutexLock lock(&watches_mutex_);
    watches = std::move(watches_);
  }
  // Joins the watches' threads now, while everything they tell is here.
  watches.reset();
}

void Broker::SetRouter(CachePolicy policy, std::shared_ptr<const Router> router) {
  absl::MutexLock lock(&mutex_);
  policy_ = policy;
  router_ = std::move(router);
}

std::shared_ptr<const Router> Broker::router() const {
  absl::MutexLock lock(&mutex_);
  return router_;
}

absl::StatusOr<CredentialResponse> Broker::Perform(const RegistryInfo& registry,
                                                   const Action& action,
                                                   const std::vector<std::string>& args) {
  return PerformWatched(registry, action, args, {});
}

absl::StatusOr<CredentialResponse> Broker::PerformWatched(const RegistryInfo& registry,
                                                          const Action& action,
                                                          const std::vector<std::string>& args,
                                                          const CallWatch& watch) {
  stats_->Request();
  absl::StatusOr<CredentialResponse> result;
  switch (action.kind) {
    case ActionKind::kGet:
      result = Get(registry, action, args, watch);
      break;
    case ActionKind::kLogin:
    case ActionKind::kLogout: {
      if (absl::Status fit = LoginFits(action); !fit.ok()) {
        result = fit;
        break;
      }
      result = Write(registry, action, args, watch);
      break;
    }
    case ActionKind::kUnknown:
      result = cargo_credential::OperationNotSupportedError();
      break;
  }
  if (!result.ok() && !absl::IsCancelled(result.status())) {
    const cargo_credential::ErrorKind kind = cargo_credential::KindOf(result.status());
    if (kind != cargo_credential::ErrorKind::kNotFound &&
        kind != cargo_credential::ErrorKind::kUrlNotSupported) {
      stats_->Error();
    }
  }
  return result;
}

std::optional<CredentialResponse> Broker::Cached(const RegistryInfo& registry, const Action& action,
                                                 const std::vector<std::string>& args,
                                                 int64_t owner, std::string* backend) {
  if (action.kind != ActionKind::kGet) return std::nullopt;
  // A change still to be told may take a read of a file, or a call to
  // etcd: Perform's thread handles it, and answers from the cache then.
  if (!CaughtUp(/*may_wait=*/false)) return std::nullopt;
  std::optional<CredentialResponse> hit =
      cache_.Lookup(registry.index_url, args, action.operation, KeyOwner(registry, owner), backend);
  if (hit.has_value()) {
    stats_->Request();
    stats_->Hit();
  }
  return hit;
}

absl::Status Broker::CanLogIn(const RegistryInfo& registry, const std::string& backend) const {
  std::shared_ptr<const Router> router = this->router();
  std::vector<const Backend*> chain;
  if (backend.empty()) {
    absl::StatusOr<std::vector<const Backend*>> writable = WriteChain(*router, registry, team());
    if (!writable.ok()) return writable.status();
    chain = *std::move(writable);
  } else {
    for (const Backend& candidate : router->backends()) {
      if (candidate.settings.name == backend) chain.push_back(&candidate);
    }
  }
  if (chain.empty() && !backend.empty()) {
    return cargo_credential::OtherError(
        absl::StrCat("credcached has no backend named `", backend, "`"),
        {"`cargo-credential-credcache status` lists them"});
  }
  if (chain.empty()) return cargo_credential::UrlNotSupportedError();
  for (const Backend* each : chain) {
    if (each->settings.takes_logins) return absl::OkStatus();
  }
  return cargo_credential::OperationNotSupportedError();
}

absl::StatusOr<CredentialResponse> Broker::PerformOn(const std::string& backend,
                                                     const RegistryInfo& registry,
                                                     const Action& action,
                                                     const std::vector<std::string>& args,
                                                     const CallWatch& watch) {
  stats_->Request();
  if (absl::Status fit = LoginFits(action); !fit.ok()) {
    stats_->Error();
    return fit;
  }
  std::shared_ptr<const Router> router = this->router();
  for (const Backend& candidate : router->backends()) {
    if (candidate.settings.name != backend) continue;
    Router::Answer answer = router->Call({&candidate}, registry, action, args, watch);
    if (watch.served != nullptr && answer.backend != nullptr) {
      watch.served->backend = answer.backend->settings.name;
    }
    if (action.kind != ActionKind::kGet) cache_.Forget(registry.index_url);
    return std::move(answer.result);
  }
  stats_->Error();
  return cargo_credential::OtherError(
      absl::StrCat("credcached has no backend named `", backend, "`"),
      {"`cargo-credential-credcache status` lists them"});
}

absl::StatusOr<CredentialResponse> Broker::Get(const RegistryInfo& registry, const Action& action,
                                               const std::vector<std::string>& args,
                                               const CallWatch& watch) {
  CaughtUp(/*may_wait=*/true);
  const int64_t owner = KeyOwner(registry, watch.owner);
  std::string backend;
  if (std::optional<CredentialResponse> hit =
          cache_.Lookup(registry.index_url, args, action.operation, owner, &backend)) {
    stats_->Hit();
    if (watch.served != nullptr) *watch.served = {"hit", backend};
    return *std::move(hit);
  }
  stats_->Miss();
  if (watch.served != nullptr) watch.served->how = "miss";

  // The generation is part of the key: a request that starts after a login
  // or logout must not wait for, and be given, an answer fetched before it.
  const uint64_t generation = cache_.Generation(registry.index_url, registry.name);
  // An operation this daemon does not know has no key of its own (a newer
  // cargo's, without the parts it is keyed on), and a chain with a backend
  // whose answer is its caller's alone (an `env` backend in the caller)
  // must not hand one cargo's answer to another: such an asker shares no
  // call.
  if (action.operation.kind == cargo_credential::OperationKind::kUnknown || !Shareable(registry)) {
    return Alone(watch, [&](const CallWatch& alone) {
      return Fetch(registry, action, args, generation, alone);
    });
  }
  const std::pair<CacheKey, uint64_t> key(
      CacheKey::For(registry.index_url, args, action.operation, owner), generation);
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    absl::MutexLock lock(&mutex_);
    std::shared_ptr<Flight>& slot = flights_[key];
    if (slot == nullptr) {
      slot = std::make_shared<Flight>();
      leader = true;
    }
    flight = slot;
  }
  if (!leader) {
    stats_->Coalesced();
    if (watch.served != nullptr) watch.served->how = "coalesced";
    return AwaitFlight(*flight, watch);
  }

  {
    absl::MutexLock lock(&flight->mutex);
    flight->Join(watch.caller);
  }
  absl::StatusOr<CredentialResponse> result =
      Fetch(registry, action, args, generation, TellAll(flight, watch));
  {
    absl::MutexLock lock(&mutex_);
    flights_.erase(key);
  }
  absl::MutexLock lock(&flight->mutex);
  flight->Leave(watch.caller);
  flight->Finish(result);
  return result;
}

void Broker::SetTeam(int entries_per_user) {
  absl::MutexLock lock(&mutex_);
  entries_per_user_ = entries_per_user;
}

bool Broker::team() const {
  absl::MutexLock lock(&mutex_);
  return entries_per_user_ > 0;
}

absl::StatusOr<std::vector<const Backend*>> Broker::WriteChain(const Router& router,
                                                               const RegistryInfo& registry,
                                                               bool team) {
  std::vector<const Backend*> chain = router.Route(registry);
  if (!team || chain.empty()) return chain;
  chain.erase(std::remove_if(chain.begin(), chain.end(),
                             [](const Backend* each) { return !each->settings.personal; }),
              chain.end());
  if (chain.empty()) return SharedOnly(registry);
  return chain;
}

int64_t Broker::KeyOwner(const RegistryInfo& registry, int64_t asker) const {
  // Every get asks this, cache hits included: most daemons have no
  // personal backend, and a personal daemon's asker is shared anyway.
  if (asker == kSharedOwner) return kSharedOwner;
  const std::shared_ptr<const Router> router = this->router();
  if (!router->has_personal()) return kSharedOwner;
  for (const Backend* backend : router->Route(registry)) {
    if (backend->settings.personal) return asker;
  }
  return kSharedOwner;
}

bool Broker::Shareable(const RegistryInfo& registry) const {
  for (const Backend* backend : router()->Route(registry)) {
    if (!backend->settings.shares_answers) return false;
  }
  return true;
}

absl::StatusOr<CredentialResponse> Broker::Alone(
    const CallWatch& watch,
    const std::function<absl::StatusOr<CredentialResponse>(const CallWatch&)>& call) {
  // A flight of its own, so that its asker can run a backend in the caller
  // and its report be answered.
  auto flight = std::make_shared<Flight>();
  {
    absl::MutexLock lock(&flight->mutex);
    flight->Join(watch.caller);
  }
  absl::StatusOr<CredentialResponse> result = call(TellAll(flight, watch));
  absl::MutexLock lock(&flight->mutex);
  flight->Leave(watch.caller);
  flight->Finish(result);
  return result;
}

CallWatch Broker::TellAll(const std::shared_ptr<Flight>& flight, const CallWatch& watch) {
  // What the asker hears also tells whoever waits on its call (coalesced
  // askers, and the shim reporting a run in the caller, whose own call may
  // be over), and any of them may run a backend in the caller.
  CallWatch tell_all = watch;
  // Weak: the watch may be copied into calls that outlive the flight.
  std::weak_ptr<Flight> weak = flight;
  // A request with no shim behind it (a test, an admin call) has nobody to
  // run a backend in the caller: such a backend fails at once, saying so.
  if (watch.caller != nullptr) {
    tell_all.in_caller = [this, weak](const Backend& backend, const RegistryInfo& registry,
                                      const Action& action, const std::vector<std::string>& args,
                                      absl::Time deadline) -> absl::StatusOr<CredentialResponse> {
      std::shared_ptr<Flight> flight = weak.lock();
      if (flight == nullptr) return cargo_credential::OtherError("the request ended");
      return RunInCaller(flight, backend, registry, action, args, deadline);
    };
  }
  tell_all.slow = [weak, slow = watch.slow](const std::string& backend, absl::Duration timeout) {
    if (std::shared_ptr<Flight> flight = weak.lock()) {
      absl::MutexLock lock(&flight->mutex);
      flight->slow_backend = backend;
      flight->slow_timeout = timeout;
    }
    if (slow) slow(backend, timeout);
  };
  tell_all.said = [weak, said = watch.said](const std::string& backend, const std::string& text) {
    if (std::shared_ptr<Flight> flight = weak.lock()) {
      absl::MutexLock lock(&flight->mutex);
      flight->said.emplace_back(backend, text);
    }
    if (said) said(backend, text);
  };
  return tell_all;
}

absl::StatusOr<CredentialResponse> Broker::AwaitFlight(Flight& flight, const CallWatch& watch,
                                                       bool joined) {
  absl::MutexLock lock(&flight.mutex);
  if (!joined) flight.Join(watch.caller);
  Caller* const caller = watch.caller;
  auto answered_or_taken = [&flight, caller]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flight.mutex) {
    return flight.done || (caller != nullptr && flight.taken.count(caller) > 0);
  };
  bool noticed = false;
  // Awake now and then only to pass on what the call waits on.
  while (!flight.mutex.AwaitWithTimeout(absl::Condition(&answered_or_taken), kSlowNotice / 2)) {
    if (!noticed && watch.slow && !flight.slow_backend.empty()) {
      noticed = true;
      const std::string backend = flight.slow_backend;
      const absl::Duration timeout = flight.slow_timeout;
      flight.mutex.Unlock();
      watch.slow(backend, timeout);
      flight.mutex.Lock();
    }
  }
  if (flight.Leave(caller)) {
    // Its call now carries a job for its shim; this answer reaches no one.
    return HandedToCaller();
  }
  // The call's backends spoke for every asker: each cargo shows it, as each
  // would have shown its own provider's stderr. Told outside the lock.
  const std::vector<std::pair<std::string, std::string>> said = flight.said;
  absl::StatusOr<CredentialResponse> result =
      flight.result.ok() ? absl::StatusOr<CredentialResponse>(flight.result->Clone())
                         : absl::StatusOr<CredentialResponse>(flight.result.status());
  flight.mutex.Unlock();
  if (watch.said) {
    for (const auto& [backend, text] : said) watch.said(backend, text);
  }
  flight.mutex.Lock();  // The MutexLock above unlocks it.
  return result;
}

absl::StatusOr<CredentialResponse> Broker::Write(const RegistryInfo& registry, const Action& action,
                                                 const std::vector<std::string>& args,
                                                 const CallWatch& watch) {
  // Not coalesced: each login and logout is its asker's own.
  return Alone(watch, [&](const CallWatch& alone) -> absl::StatusOr<CredentialResponse> {
    std::shared_ptr<const Router> router = this->router();
    const bool team = this->team();
    absl::StatusOr<std::vector<const Backend*>> chain = WriteChain(*router, registry, team);
    if (!chain.ok()) return chain.status();
    Router::Answer answer = router->Call(*chain, registry, action, args, alone);
    if (watch.served != nullptr && answer.backend != nullptr) {
      watch.served->backend = answer.backend->settings.name;
    }
    // After a login the stored token is the new truth; after a logout
    // there is none. Even a failed one (a backend that timed out may still
    // finish) leaves the cache unsure, and a cache may always forget. In a
    // team daemon only the asker's own tokens changed.
    cache_.Forget(registry.index_url, team ? std::optional<int64_t>(watch.owner) : std::nullopt);
    return std::move(answer.result);
  });
}

std::string Broker::WriteNote(const RegistryInfo& registry, ActionKind kind,
                              const std::string& backend) const {
  const std::shared_ptr<const Router> router = this->router();
  const std::string what = registry.name.has_value()
                               ? absl::StrCat("`", *registry.name, "` (", registry.index_url, ")")
                               : registry.index_url;
  std::string kind_name;
  std::vector<std::string> ahead;
  bool found = false;
  for (const Backend* each : router->Route(registry)) {
    if (each->settings.name == backend) {
      found = true;
      kind_name = each->settings.kind;
      break;
    }
    ahead.push_back(absl::StrCat("`", each->settings.name, "`"));
  }
  if (kind == ActionKind::kLogout) {
    return absl::StrCat("credcache: logged out of ", what, ": the token is gone from backend `",
                        backend, "`, and from credcached's memory\n");
  }
  std::string note =
      absl::StrCat("credcache: the token for ", what, " is saved in backend `", backend, "`",
                   kind_name.empty() ? "" : " (" + kind_name + ")", "\n");
  if (!found) {
    absl::StrAppend(&note, "credcache: note: backend `", backend,
                    "` is not asked for this registry's tokens (its `index_urls`/`names` do not "
                    "match): cargo will not be given this token\n");
  } else if (!ahead.empty()) {
    absl::StrAppend(&note, "credcache: note: cargo's gets for this registry ask ",
                    absl::StrJoin(ahead, ", "), " first; while ",
                    ahead.size() == 1 ? "it has" : "one of them has",
                    " a token for it, this one is not used\n");
  }
  return note;
}

absl::StatusOr<CredentialResponse> Broker::RunInCaller(
    const std::shared_ptr<Flight>& flight, const Backend& backend, const RegistryInfo& registry,
    const Action& action, const std::vector<std::string>& args, absl::Time deadline) {
  CallerJob job;
  job.backend = backend.settings.name;
  job.kind = backend.settings.kind;
  job.config = backend.settings.fingerprint;
  job.secret_variables = SecretVariables();
  job.deadline = deadline;
  job.registry = registry;
  job.action = action.Clone();
  job.args = args;
  int runs = 0;
  std::optional<absl::StatusOr<CredentialResponse>> report;
  {
    absl::MutexLock lock(&flight->mutex);
    flight->report.reset();
    std::unique_ptr<CallerProcess> runner;
    // Forgets the runner, and its lease with it: a process that no longer
    // holds the job cannot report for it.
    auto drop_runner = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flight->mutex) {
      runner.reset();
      flight->runner_pid = 0;
      absl::MutexLock leases(&mutex_);
      leases_.erase(flight->lease);
      flight->lease.clear();
    };
    auto woken = [&flight, &runner]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flight->mutex) {
      return flight->report.has_value() || (runner == nullptr && !flight->callers.empty());
    };
    while (!flight->report.has_value() && absl::Now() < deadline) {
      if (runner != nullptr && runner->Exited()) {
        Log(LogLevel::kWarning,
            absl::StrCat("backend `", job.backend, "`: the shim running it (pid ", runner->pid(),
                         ") exited before it answered; the next waiting caller runs it"));
        drop_runner();
      }
      // The first waiting caller that can take the job runs it, with a
      // lease of its own.
      while (runner == nullptr && !flight->callers.empty()) {
        Caller* next = flight->callers.front();
        flight->callers.erase(flight->callers.begin());
        absl::StatusOr<std::string> lease = NewLease();
        if (!lease.ok()) {
          Log(LogLevel::kWarning,
              absl::StrCat("backend `", job.backend, "`: ", lease.status().message()));
          break;
        }
        job.lease = *lease;
        {
          absl::MutexLock leases(&mutex_);
          leases_[job.lease] = flight;
        }
        flight->lease = job.lease;
        runner = next->Take(job);
        if (runner == nullptr) {
          // Its call ended, or the kernel did not say who it is: it waits
          // on as any asker does, and the next one is offered the job.
          drop_runner();
          continue;
        }
        flight->taken.insert(next);
        ++runs;
        flight->runner_pid = runner->pid();
        Log(LogLevel::kInfo, absl::StrCat("backend `", job.backend, "` runs in the caller (pid ",
                                          runner->pid(), ")"));
      }
      flight->mutex.AwaitWithDeadline(absl::Condition(&woken),
                                      std::min(deadline, absl::Now() + kCallerPoll));
    }
    report = std::move(flight->report);
    flight->report.reset();
    drop_runner();
  }
  if (report.has_value()) return *std::move(report);
  const std::string within = absl::FormatDuration(backend.settings.timeout);
  if (runs == 0) {
    return cargo_credential::OtherError(
        absl::StrCat("it runs in the caller (run_in = \"caller\"), and no shim waiting on it "
                     "could run it within ",
                     within),
        {"check credcached's log"});
  }
  // Its code says it timed out, for the router's count (stats: timeouts).
  const absl::Status error = cargo_credential::OtherError(
      absl::StrCat("it runs in the caller, and did not answer there within ", within),
      {"the cache is unchanged; raise the backend's `timeout` if it is just slow"});
  absl::Status timed_out(absl::StatusCode::kDeadlineExceeded, error.message());
  error.ForEachPayload([&timed_out](absl::string_view key, const absl::Cord& value) {
    timed_out.SetPayload(key, value);
  });
  return timed_out;
}

absl::StatusOr<CredentialResponse> Broker::Report(const std::string& lease,
                                                  absl::StatusOr<CredentialResponse> result,
                                                  pid_t reporter, const CallWatch& watch) {
  std::shared_ptr<Flight> flight;
  {
    absl::MutexLock lock(&mutex_);
    auto found = leases_.find(lease);
    if (found != leases_.end()) flight = found->second;
  }
  absl::Status refused;
  if (flight != nullptr) {
    absl::MutexLock lock(&flight->mutex);
    if (flight->lease != lease || flight->report.has_value()) {
      flight.reset();
    } else if (flight->runner_pid != reporter) {
      Log(LogLevel::kWarning, absl::StrCat("refused a report for a run given to pid ",
                                           flight->runner_pid, " from pid ", reporter));
      refused = cargo_credential::OtherError(
          "credcached refused the report: the run was given to another process");
    } else {
      // An answer of another kind than the request's is the router's to
      // refuse (Router::Checked). The reporting shim is offered the next
      // job first, in the same step, so that one request's runs in the
      // caller stay on its own terminal.
      flight->report = std::move(result);
      flight->Join(watch.caller, /*first=*/true);
    }
  }
  if (!refused.ok()) return refused;
  if (flight == nullptr) {
    return cargo_credential::OtherError(
        "credcached no longer waits for this backend run",
        {"it was answered already, or took longer than the backend's `timeout`, or went to "
         "another shim, or credcached restarted; nothing was cached"});
  }
  return AwaitFlight(*flight, watch, /*joined=*/true);
}

absl::StatusOr<CredentialResponse> Broker::Fetch(const RegistryInfo& registry, const Action& action,
                                                 const std::vector<std::string>& args,
                                                 uint64_t generation, const CallWatch& watch) {
  std::shared_ptr<const Router> router;
  CachePolicy policy;
  int entries_per_user;
  {
    absl::MutexLock lock(&mutex_);
    router = router_;
    policy = policy_;
    entries_per_user = entries_per_user_;
  }
  Router::Answer answer = router->Call(router->Route(registry), registry, action, args, watch);
  if (answer.result.ok() && answer.backend != nullptr) {
    if (watch.served != nullptr) watch.served->backend = answer.backend->settings.name;
    if (entries_per_user > 0 && !answer.backend->settings.personal) {
      // A team's token, asked for one operation: cargo must ask again for
      // any other, so that the rules decide each.
      answer.result->operation_independent = false;
    }
    if (answer.backend->settings.ttl.has_value()) policy.ttl = *answer.backend->settings.ttl;
    EntryOwner owner;
    if (entries_per_user > 0) {
      owner = {KeyOwner(registry, watch.owner), watch.owner, entries_per_user};
    }
    cache_.Insert(registry.index_url, registry.name, args, action.operation, *answer.result,
                  answer.backend->settings.name, policy, generation, owner);
  }
  return std::move(answer.result);
}

void Broker::WatchStores() {
  const std::shared_ptr<const Router> router = this->router();
  {
    absl::ReaderMutexLock lock(&watches_mutex_);
    if (watches_ != nullptr && watches_->router == router) return;  // Watched already.
  }
  auto next = std::make_shared<Watches>();
  next->router = router;
  for (const Backend& backend : router->backends()) {
    // The daemon never calls a backend that runs in the caller, and a
    // personal one's stores are each user's, in this daemon's memory.
    if (backend.settings.run_in_caller || backend.personal != nullptr) continue;
    auto* store = dynamic_cast<WatchableStore*>(backend.credential.get());
    if (store == nullptr) continue;
    const std::string name = backend.settings.name;
    absl::StatusOr<std::unique_ptr<StoreWatch>> watch =
        store->Watch([this, name](const std::optional<std::string>& index_url) {
          StoreChanged(name, index_url);
        });
    if (watch.ok()) {
      next->list.push_back(*std::move(watch));
      Log(LogLevel::kDebug, absl::StrCat("backend `", name, "`: watching its store for changes"));
    } else if (!absl::IsUnimplemented(watch.status())) {
      Log(LogLevel::kWarning,
          absl::StrCat("backend `", name, "`: changes to its store are not watched (",
                       ErrorText(watch.status()),
                       "): a token changed there is served from the cache until its ttl ends, "
                       "unless `cargo-credential-credcache forget REGISTRY` drops it"));
    }
  }
  std::shared_ptr<Watches> old;
  {
    absl::MutexLock lock(&watches_mutex_);
    old = std::exchange(watches_, std::move(next));
  }
  // The old watches stop here, outside the lock, now that the new ones run.
}

bool Broker::CaughtUp(bool may_wait) {
  std::shared_ptr<Watches> watches;
  {
    absl::ReaderMutexLock lock(&watches_mutex_);
    watches = watches_;
  }
  if (watches == nullptr) return true;
  for (const std::unique_ptr<StoreWatch>& watch : watches->list) {
    if (!watch->Behind()) continue;
    if (!may_wait) return false;
    watch->CatchUp();
  }
  return true;
}

int Broker::StoreChanged(const std::string& backend, const std::optional<std::string>& index_url) {
  const std::shared_ptr<const Router> router = this->router();
  const Backend* changed = nullptr;
  for (const Backend& each : router->backends()) {
    if (each.settings.name == backend) changed = &each;
  }
  const int dropped = cache_.ForgetStale(
      index_url,
      [&](const std::string& url, const std::optional<std::string>& name, const std::string& from) {
        if (from == backend) return true;
        if (changed == nullptr) return false;
        // Another backend's token is stale when the changed one comes
        // before it in the chain: it may now hold a token for the registry.
        RegistryInfo registry;
        registry.index_url = url;
        registry.name = name;
        bool after = false;
        for (const Backend* each : router->Route(registry)) {
          if (each == changed) after = true;
          if (each->settings.name == from) return after;
        }
        return false;
      });
  const LogLevel level = dropped > 0 ? LogLevel::kInfo : LogLevel::kDebug;
  if (LogEnabled(level)) {
    Log(level, absl::StrCat("backend `", backend, "`: ",
                            index_url.has_value() ? "the token for " + *index_url : "its tokens",
                            " changed in its store; dropped ", dropped, " cached token(s)"));
  }
  return dropped;
}

void Broker::AbandonCallerRuns(const absl::Status& why) {
  std::vector<std::shared_ptr<Flight>> flights;
  {
    absl::MutexLock lock(&mutex_);
    for (const auto& [lease, flight] : leases_) flights.push_back(flight);
  }
  for (const std::shared_ptr<Flight>& flight : flights) {
    absl::MutexLock lock(&flight->mutex);
    if (!flight->report.has_value()) flight->report = why;
  }
}

}  // namespace credcache
