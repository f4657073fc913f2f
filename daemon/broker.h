// Broker: the daemon's answer to a cargo request. The cache in front of the
// router, with one backend call per cold key however many ask at once.
//
// get:    a live cached token is answered at once; otherwise the first asker
//         for the key calls the backends (Router) while later askers wait for
//         that same answer; a cacheable answer is then cached (TokenCache).
// login:  written through to the backends first, then the registry's cached
//         tokens are dropped, so a new token is never hidden by an old one. A
//         token a get could never hand to cargo (CheckToken) is refused.
// logout: erased from every backend of the chain, then from the cache.
//
// The answer passed to cargo is the backend's own, cache kind and expiration
// included, so cargo never keeps a token longer than its backend allows.
//
// A backend configured to run in the caller (`run_in = "caller"`) is run by
// one of the shims waiting on the call (daemon/caller.h): for a get, the
// asker or any request coalesced onto its call, so that many cargo
// processes missing at once still make one run (one prompt); for a login
// or logout, the asker. The job goes to the first waiting caller; if its
// process exits before it reports, to the next; a caller that arrives
// meanwhile can take it too. The report (Report) is answered with the
// request's answer, as cached. Nobody waits past the backend's timeout.
//
// A store that others change too (the token file, the keyring) is watched
// (WatchStores): what it tells changed goes from the cache at once
// (StoreChanged), and a get first catches up with what a store has
// signalled already, so a hand-edited token is used by the very next
// request rather than after its ttl.
//
// The Broker is itself a Credential, so the daemon's gRPC service, the tests
// and any other front end drive it the same way.
//
// Thread-safety: all methods are thread-safe. SetRouter() may swap the
// backends while requests run; each request uses the router it started with.
#ifndef CREDCACHE_DAEMON_BROKER_H_
#define CREDCACHE_DAEMON_BROKER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "backends/backend.h"
#include "cargo_credential/credential.h"
#include "daemon/cache_key.h"
#include "daemon/clock.h"
#include "daemon/router.h"
#include "daemon/stats.h"
#include "daemon/token_cache.h"

namespace credcache {

class Broker : public cargo_credential::Credential {
 public:
  // `clock` and `stats` must outlive the Broker.
  Broker(const Clock* clock, Stats* stats, CachePolicy policy,
         std::shared_ptr<const Router> router);
  // Stops the watches (WatchStores) first: none tells this broker anything
  // once it is going.
  ~Broker() override;

  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override;

  // Perform, telling `notice` when the answer waits on a slow backend: the
  // backend this request's own call waits on, or, for a request coalesced
  // onto another's call, the one that call waits on.
  absl::StatusOr<cargo_credential::CredentialResponse> PerformWatched(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args, const CallWatch& watch);

  // The answer to a get when the cache has a live token, counted as a
  // request and a hit; nullopt otherwise (then call Perform). Never blocks
  // on a backend, so it may run on threads that must not wait.
  // `owner` is the asker's uid in a team daemon (as CallWatch::owner), and
  // `backend`, when given, is set to the backend the token came from.
  std::optional<cargo_credential::CredentialResponse> Cached(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args, int64_t owner = kSharedOwner,
      std::string* backend = nullptr);

  // Makes this the broker of a team daemon: each user may add at most
  // `entries_per_user` cached tokens, and a shared backend's token goes
  // back to cargo as not operation-independent, so that cargo never reuses
  // a read token of the team for a publish.
  void SetTeam(int entries_per_user);
  bool team() const;

  // Performs `action` on the backend named `backend` alone, whether or not
  // it serves the registry by config (login and logout clear the cache as
  // Perform does). NotFound-free: an unknown name is an `other` error.
  absl::StatusOr<cargo_credential::CredentialResponse> PerformOn(
      const std::string& backend, const cargo_credential::RegistryInfo& registry,
      const cargo_credential::Action& action, const std::vector<std::string>& args,
      const CallWatch& watch = {});

  // Whether a login for `registry` (on `backend` alone, when not empty) can
  // be stored: OK when some backend that would be asked takes logins;
  // otherwise the answer cargo should get instead, without anyone being
  // asked for a token (url-not-supported when no backend serves the
  // registry, operation-not-supported when none that does stores tokens).
  absl::Status CanLogIn(const cargo_credential::RegistryInfo& registry,
                        const std::string& backend) const;

  // The answer `result` of a backend a caller ran for the lease `lease`
  // (Caller::Take), from the process `reporter` (its pid, as the kernel
  // says, or 0 when unknown). Returns the answer of the request the run was
  // for, once there is one. `watch.caller`, the reporting shim, may be
  // handed another job meanwhile (then its answer is for nobody). An
  // unknown or finished lease, or a report from another process than the
  // one the job went to, is an `other` error and changes nothing.
  absl::StatusOr<cargo_credential::CredentialResponse> Report(
      const std::string& lease, absl::StatusOr<cargo_credential::CredentialResponse> result,
      pid_t reporter, const CallWatch& watch);

  // What to tell the user after a login (`kind` kLogin) or logout stored in
  // or erased from `backend`: where the token now is, and, for a login,
  // when cargo will not be given it (a backend asked before it for the
  // registry, or one not asked at all). Lines ending in "\n".
  std::string WriteNote(const cargo_credential::RegistryInfo& registry,
                        cargo_credential::ActionKind kind, const std::string& backend) const;

  // Ends every run in a caller still waiting for its report with `why`
  // (for a daemon that stops: no report can reach it any more).
  void AbandonCallerRuns(const absl::Status& why);

  // Replaces the backends and policy. Cached tokens of backends whose
  // settings changed are the caller's to forget (Daemon::Reload does).
  void SetRouter(CachePolicy policy, std::shared_ptr<const Router> router);
  std::shared_ptr<const Router> router() const;

  // Watches the stores of the current backends that can tell when what they
  // hold changes (WatchableStore, backends/backend.h), each change going to
  // StoreChanged; the watches of the backends before stop once the new
  // ones run, so that no change falls between. Call once the process is
  // what it will stay (credcached forked: a watch may start threads and
  // reach D-Bus), and after each SetRouter. A store that cannot be watched
  // is logged, and its copies live their ttl as before.
  void WatchStores();

  // What backend `backend` told of a change in its store: the token of the
  // registry `index_url`, or (nullopt) of any registry. Drops the cached
  // tokens the change may have made stale: those it answered, and those a
  // backend after it in their registry's chain answered (it may now answer
  // first), of any owner; a fetch under way for such a registry caches
  // nothing. Logs what it dropped (never a token). Returns how many cached
  // tokens it dropped.
  int StoreChanged(const std::string& backend, const std::optional<std::string>& index_url);

  TokenCache& cache() { return cache_; }

 private:
  struct Flight;

  absl::StatusOr<cargo_credential::CredentialResponse> Get(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args, const CallWatch& watch);
  // Calls the backends for a cache miss and caches what may be cached,
  // unless a login, logout or flush moved the registry past `generation`
  // (taken before the call) meanwhile.
  absl::StatusOr<cargo_credential::CredentialResponse> Fetch(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args, uint64_t generation, const CallWatch& watch);
  // A login or logout through the router, its asker offered as a caller.
  absl::StatusOr<cargo_credential::CredentialResponse> Write(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args, const CallWatch& watch);
  // The backends a login or logout for `registry` goes to: its chain, or in
  // a team daemon (`team`) only the chain's personal backends (a user never
  // writes the team's shared store, nor erases from it), and an `other`
  // error saying so when only shared ones serve it.
  static absl::StatusOr<std::vector<const Backend*>> WriteChain(
      const Router& router, const cargo_credential::RegistryInfo& registry, bool team);
  // Whether one answer for `registry` may serve every asker: not when a
  // backend of its chain answers each caller alone (BackendSettings::
  // shares_answers).
  bool Shareable(const cargo_credential::RegistryInfo& registry) const;
  // Whose tokens a request of `asker` (CallWatch::owner) for `registry`
  // reads and adds: the asker's own when a backend of the chain is
  // personal, else the shared ones.
  int64_t KeyOwner(const cargo_credential::RegistryInfo& registry, int64_t asker) const;
  // Runs `call` on a flight of its own that nobody else joins: the asker
  // alone may run backends in the caller, and its report is answered.
  absl::StatusOr<cargo_credential::CredentialResponse> Alone(
      const CallWatch& watch,
      const std::function<absl::StatusOr<cargo_credential::CredentialResponse>(const CallWatch&)>&
          call);
  // `watch`, also telling whoever waits on `flight` what the call waits on
  // and what its backends said, and running jobs in its callers.
  CallWatch TellAll(const std::shared_ptr<Flight>& flight, const CallWatch& watch);
  // Runs `backend` in one of the callers waiting on `flight` (see above).
  absl::StatusOr<cargo_credential::CredentialResponse> RunInCaller(
      const std::shared_ptr<Flight>& flight, const Backend& backend,
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args, absl::Time deadline);
  // Waits, as `watch.caller`, for the answer of another's call on `flight`,
  // passing on what it waits on and what its backends said; returns early
  // (Cancelled, which nobody hears) if that caller is given a job. The
  // caller joins the flight's callers last, unless it `joined` already.
  absl::StatusOr<cargo_credential::CredentialResponse> AwaitFlight(Flight& flight,
                                                                   const CallWatch& watch,
                                                                   bool joined = false);

  // The watches WatchStores started, and the router whose backends they
  // watch (kept until the watches, destroyed first, are gone).
  struct Watches {
    std::shared_ptr<const Router> router;
    std::vector<std::unique_ptr<StoreWatch>> list;
  };
  // Before a get looks in the cache: tells StoreChanged what the watched
  // stores signalled already (StoreWatch::CatchUp), so that a request after
  // a change never meets the copy it made stale. With `may_wait` false (a
  // thread that must not wait), only says whether all was told: false when
  // a store has a change still to tell (then the caller takes the path that
  // may wait).
  bool CaughtUp(bool may_wait);

  Stats* const stats_;
  TokenCache cache_;
  mutable absl::Mutex mutex_;
  CachePolicy policy_ ABSL_GUARDED_BY(mutex_);
  std::shared_ptr<const Router> router_ ABSL_GUARDED_BY(mutex_);
  int entries_per_user_ ABSL_GUARDED_BY(mutex_) = 0;  // 0: not a team daemon.
  // Backend calls under way, by coalescing key.
  std::map<std::pair<CacheKey, uint64_t>, std::shared_ptr<Flight>> flights_ ABSL_GUARDED_BY(mutex_);
  // Runs in callers under way, by lease.
  std::map<std::string, std::shared_ptr<Flight>> leases_ ABSL_GUARDED_BY(mutex_);
  // Apart from mutex_: every get reads it, and a watch's change takes
  // mutex_ (router()) while a catch-up may hold a copy.
  mutable absl::Mutex watches_mutex_;
  std::shared_ptr<Watches> watches_ ABSL_GUARDED_BY(watches_mutex_);
};

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_BROKER_H_
