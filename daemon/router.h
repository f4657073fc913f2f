// Router: which backends serve a registry, and asking them in turn.
//
// Each configured backend names the registries it serves by index-URL and
// name patterns (shell globs); one with neither serves every registry. The
// backends that match form a chain in config order, walked with cargo's own
// fallback rules (the Cargo Book, "Credential Provider Protocol"): url-not-supported
// and not-found move on to the next backend, an answer ends the walk, and
// any other error ends it with that error, naming the backend. One deliberate
// difference: operation-not-supported also moves on, so that a read-only
// backend (env, command) in front of a writable one (file) does not stop a
// login from reaching the latter. And when every backend of a non-empty
// chain declined *with a reason* (url-not-supported carrying a message, as a
// keyring that is absent or locked does), the answer is an `other` error
// giving those reasons, not a silent url-not-supported.
//
// A logout is different: it walks the whole chain, so a token stored twice
// (in the keyring and, while the keyring was locked, in the file) is erased
// everywhere; it succeeds when any backend erased one.
//
// Every backend call runs on its own thread and is waited for only until the
// backend's timeout: a hung backend costs its caller the timeout and nothing
// else, and its late answer is dropped. A backend that runs in the caller
// (`run_in = "caller"`) is run by CallWatch::in_caller instead, bounded by
// the same timeout; its answer is checked the same way. While kMaxHungCalls of a backend's
// calls are still hung, further calls to it fail at once instead of piling
// up threads.
//
// Ownership: the Router owns its backends (shared with any call still
// running when the Router is replaced).
// Thread-safety: immutable after construction; Call() from any thread.
#ifndef CREDCACHE_DAEMON_ROUTER_H_
#define CREDCACHE_DAEMON_ROUTER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cargo_credential/credential.h"
#include "daemon/cache_key.h"
#include "daemon/caller.h"
#include "daemon/stats.h"

namespace credcache {

struct BackendSettings {
  std::string name;
  std::string kind;
  std::vector<std::string> index_urls;  // Globs; empty with `names` = all.
  std::vector<std::string> names;       // Globs on cargo's registry name.
  std::optional<absl::Duration> ttl;    // Overrides [cache] ttl.
  absl::Duration timeout = absl::Seconds(30);
  bool takes_logins = true;  // Its kind's (backends/backend.h).
  // `run_in = "caller"`: a shim waiting on the call runs it, where cargo
  // runs (CallWatch::in_caller); the daemon never calls `credential`.
  bool run_in_caller = false;
  // Whether one of its answers may serve every asker: false for a backend
  // that answers each caller alone (an `env` backend in the caller reads
  // that cargo's environment), whose askers are never coalesced.
  bool shares_answers = true;
  // `scope = "personal"`: its tokens are each caller's own, kept and
  // answered per uid (CallWatch::owner); never served to another uid.
  bool personal = false;
  // The backend's whole config table as text: equal fingerprints mean a
  // reload left the backend as it was, so its cached tokens may stay.
  std::string fingerprint;
  // Where its table starts ("FILE:LINE:COLUMN"), and the program it runs
  // as written (BackendKind::program), for `--check-config`.
  std::string at;
  std::string program;
  // Where it keeps its tokens (BackendKind::store), for `status` and
  // `doctor`; may be empty.
  std::string store;
};

// A personal backend's stores in the daemon (`scope = "personal"`, kind
// `memory`): one per owner uid, made on its first use, so one user's
// logins are never another's. Thread-safe.
class PersonalStores {
 public:
  using Make = std::function<absl::StatusOr<std::shared_ptr<cargo_credential::Credential>>()>;
  explicit PersonalStores(Make make) : make_(std::move(make)) {}
  // The store of `owner` (a uid), made now if it has none.
  absl::StatusOr<std::shared_ptr<cargo_credential::Credential>> For(int64_t owner);

 private:
  const Make make_;
  absl::Mutex mutex_;
  std::map<int64_t, std::shared_ptr<cargo_credential::Credential>> stores_ ABSL_GUARDED_BY(mutex_);
};

struct Backend {
  BackendSettings settings;
  std::shared_ptr<cargo_credential::Credential> credential;
  // Set for a personal backend the daemon runs: `credential` is then only
  // a template, and each owner's calls go to its own store.
  std::shared_ptr<PersonalStores> personal = nullptr;
  // Calls that timed out and still run, shared with their threads.
  std::shared_ptr<std::atomic<int>> hung = std::make_shared<std::atomic<int>>(0);
};

// Whether `value` matches one of `globs` (shell globs, where `*` also
// matches `/`): the one way config's registry patterns are matched.
bool MatchesAnyGlob(const std::vector<std::string>& globs, const std::string& value);

// How many timed-out calls of one backend may still run before it is
// refused outright.
inline constexpr int kMaxHungCalls = 4;

// Told, at most once per call, that the call has waited kSlowNotice on one
// backend: its name and timeout (so that whoever waits can say what on).
// Runs on the waiting thread.
using SlowNotice = std::function<void(const std::string& backend, absl::Duration timeout)>;

// Told what a backend said for the user during a call (its programs'
// stderr, lib/user_text.h): its name and the text, after the call. Runs on
// the waiting thread.
using UserTextNotice = std::function<void(const std::string& backend, const std::string& text)>;

// Runs a backend configured with `run_in = "caller"` in a shim waiting on
// the call, until `deadline` (Broker::RunInCaller): the answer its shim
// reported, or an error saying why there is none.
// A run that no caller finished in time fails with code DeadlineExceeded
// (an `other` error all the same), counted as the backend's timeout.
using InCaller = std::function<absl::StatusOr<cargo_credential::CredentialResponse>(
    const Backend& backend, const cargo_credential::RegistryInfo& registry,
    const cargo_credential::Action& action, const std::vector<std::string>& args,
    absl::Time deadline)>;

// What whoever waits on a call hears while it runs, and what it offers;
// any may be null.
struct CallWatch {
  SlowNotice slow;
  UserTextNotice said;
  // The asker, when its shim can run backends where cargo runs (for the
  // Broker; the router never calls it).
  Caller* caller = nullptr;
  // How the router runs a backend configured to run in the caller; without
  // it, such a backend fails with an error saying so.
  InCaller in_caller;
  // Whose personal stores the call may use (a uid, in a team daemon), or
  // kSharedOwner.
  int64_t owner = kSharedOwner;
  // Where the broker notes how the request was served (for the audit):
  // "miss" or "coalesced", and the backend that answered. May be null.
  struct Served {
    std::string how;
    std::string backend;
  };
  Served* served = nullptr;
};
inline constexpr absl::Duration kSlowNotice = absl::Milliseconds(500);

class Router {
 public:
  // `stats` must outlive the Router.
  Router(std::vector<Backend> backends, Stats* stats);

  // Whether `backend` serves `registry`.
  static bool Serves(const BackendSettings& backend,
                     const cargo_credential::RegistryInfo& registry);

  // The backends serving `registry`, in order; empty when none does.
  std::vector<const Backend*> Route(const cargo_credential::RegistryInfo& registry) const;

  struct Answer {
    absl::StatusOr<cargo_credential::CredentialResponse> result;
    const Backend* backend = nullptr;  // The one that answered, if any.
  };

  // Walks `chain` as described above. With an empty chain the answer is
  // url-not-supported, so cargo's own next provider gets its turn. `watch`
  // hears of a backend that is slow to answer (once per call) and of what
  // each backend called said for the user.
  Answer Call(const std::vector<const Backend*>& chain,
              const cargo_credential::RegistryInfo& registry,
              const cargo_credential::Action& action, const std::vector<std::string>& args,
              const CallWatch& watch = {}) const;

  const std::vector<Backend>& backends() const { return backends_; }
  // Whether any backend is personal (BackendSettings::personal).
  bool has_personal() const { return has_personal_; }

 private:
  Answer Logout(const std::vector<const Backend*>& chain,
                const cargo_credential::RegistryInfo& registry,
                const cargo_credential::Action& action, const std::vector<std::string>& args,
                const CallWatch& watch) const;

  // One backend, bounded by its timeout; tells `watch` what it said.
  absl::StatusOr<cargo_credential::CredentialResponse> CallOne(
      const Backend& backend, const cargo_credential::RegistryInfo& registry,
      const cargo_credential::Action& action, const std::vector<std::string>& args,
      const CallWatch& watch, bool* named) const;
  // CallOne's work; `said` gets what the backend said for the user.
  absl::StatusOr<cargo_credential::CredentialResponse> RunOne(
      const Backend& backend, const cargo_credential::RegistryInfo& registry,
      const cargo_credential::Action& action, const std::vector<std::string>& args,
      const SlowNotice& notice, int64_t owner, bool* named, std::string* said) const;
  // RunOne for a backend that runs in the caller.
  absl::StatusOr<cargo_credential::CredentialResponse> RunInCaller(
      const Backend& backend, const cargo_credential::RegistryInfo& registry,
      const cargo_credential::Action& action, const std::vector<std::string>& args,
      const CallWatch& watch, bool* named) const;
  // What RunOne and RunInCaller do with an answer that came in time: an
  // answer of another kind than `action`'s, or a get's token cargo cannot
  // send, becomes an error naming the backend; the call is counted.
  absl::StatusOr<cargo_credential::CredentialResponse> Checked(
      const Backend& backend, const cargo_credential::Action& action, absl::Duration took,
      absl::StatusOr<cargo_credential::CredentialResponse> result, bool* named) const;

  const std::vector<Backend> backends_;
  const bool has_personal_;
  Stats* const stats_;
};

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_ROUTER_H_
