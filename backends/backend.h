// Backends: the stores behind credcache's cache, and how config makes them.
//
// A backend is a cargo_credential::Credential: the daemon asks it exactly as
// cargo would ask a provider (get, login, logout), so any provider written
// on lib/ can serve as a backend and every backend can be tested alone.
// Backends must be thread-safe: the daemon calls Perform() concurrently
// (for one registry at most one get at a time, thanks to coalescing, but
// different registries and login/logout may overlap).
//
// Each kind is one BackendKind, listed in BackendKinds() (backend_kinds.h):
// its config name, the option keys
// it accepts in its [[backend]] table (any other key is a config error), and
// a factory. BackendOptions reads those keys with errors that point at the
// config file's line and column.
//
// A store that others change too (the token file, edited by hand; the
// keyring, changed by any program) can say so: it is then also a
// WatchableStore, whose watch tells the daemon which registry's token
// changed (StoreChanged), so that the cached copy goes at once rather than
// when its ttl ends. The etcd tier tells the daemon the same way
// (EtcdTier::SetEvictor).
//
// Thread-safety: a BackendKind is immutable; BackendOptions is used by one
// thread while a backend is made. StoreWatch and WatchableStore say theirs.
#ifndef CREDCACHE_BACKENDS_BACKEND_H_
#define CREDCACHE_BACKENDS_BACKEND_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cargo_credential/credential.h"
#include "toml++/toml.h"

namespace credcache {

// The kind-specific options of one [[backend]] table.
class BackendOptions {
 public:
  // `table` must outlive this object. `source` is the config file's path,
  // for messages; `timeout` is the backend's `timeout` setting, which
  // backends that run programs apply to them; `in_caller` says that the
  // backend runs in the shim cargo started (`run_in = "caller"`) rather than
  // in the daemon.
  BackendOptions(const toml::table& table, std::string source, std::string backend_name,
                 absl::Duration timeout, bool in_caller = false);

  const std::string& backend_name() const { return backend_name_; }
  absl::Duration timeout() const { return timeout_; }
  // Whether the backend runs where cargo runs, with the user's terminal,
  // environment and working directory: its programs then write to the
  // terminal as they go (a prompt must show before it is answered) and stay
  // in cargo's process group (only the foreground group may read the
  // terminal). In the daemon they have no terminal: what they write is
  // gathered for the user, and each runs in a group of its own.
  bool in_caller() const { return in_caller_; }

  // A required string option.
  absl::StatusOr<std::string> String(absl::string_view key) const;
  // An optional string option: nullopt when absent.
  absl::StatusOr<std::optional<std::string>> OptionalString(absl::string_view key) const;
  // A list of strings; empty when absent.
  absl::StatusOr<std::vector<std::string>> StringList(absl::string_view key) const;
  // A duration, written as a string such as "90s", "15m" or "1h30m", or as
  // an integer number of seconds; nullopt when absent. Must be positive.
  absl::StatusOr<std::optional<absl::Duration>> Duration(absl::string_view key) const;
  // An optional boolean.
  absl::StatusOr<std::optional<bool>> Bool(absl::string_view key) const;

  // An InvalidArgument error about `key` (or the table, when `key` is absent
  // from it), as "FILE:LINE:COLUMN: backend `NAME`: `KEY` MESSAGE".
  absl::Status Error(absl::string_view key, absl::string_view message) const;

 private:
  const toml::node* Find(absl::string_view key) const;

  const toml::table& table_;
  const std::string source_;
  const std::string backend_name_;
  const absl::Duration timeout_;
  const bool in_caller_;
};

// The longest duration any setting takes: 30 days.
inline constexpr absl::Duration kMaxDuration = absl::Hours(24 * 30);
// The longest a backend may take to answer. An interactive SSO login takes
// minutes, never an hour; cargo waits on it, and a daemon draining on stop
// waits for it.
inline constexpr absl::Duration kMaxBackendTimeout = absl::Hours(1);

// Parses a duration as BackendOptions::Duration does, from a TOML node;
// InvalidArgument with `what` the problem, no location (callers add it).
absl::StatusOr<absl::Duration> ParseDurationNode(const toml::node& node);

using BackendFactory = std::function<absl::StatusOr<std::unique_ptr<cargo_credential::Credential>>(
    const BackendOptions&)>;

struct BackendKind {
  std::string name;                      // The `kind` value in config.
  std::vector<std::string> option_keys;  // Its own keys; all others are errors.
  BackendFactory make;
  // Whether a backend of this kind with these options serves one token,
  // whatever registry asks (an `env` variable or a `command` with no
  // registry placeholder): such a backend must name the registries it
  // serves, since a dependency can name any registry and would be handed
  // the token. Null for stores keyed by registry.
  std::function<bool(const toml::table&)> single_token;
  // Whether it can store a token given at login (or hand one to a program
  // that does). The shim asks the user for a token only when some backend
  // for the registry does: a secret is never asked for to be thrown away.
  bool takes_logins = false;
  // Whether it may be configured with `run_in = "caller"`: it runs a
  // program or reads the environment, which the shim can do where cargo
  // runs (caller_kinds.h). Stores the daemon keeps (file, keyring) may not.
  bool runs_in_caller = false;
  // Whether, run in the caller, its answer is that caller's alone (`env`:
  // that cargo's environment), never to be shared with other askers.
  bool answers_per_caller = false;
  // The program a backend of this kind with these options runs, as
  // written (for `--check-config` to look for it), or empty. Null for
  // kinds that run none.
  std::function<std::string(const toml::table&)> program = nullptr;
  // Where a backend of this kind with these options keeps its tokens, as
  // `status` and `doctor` show it and look at: a file's path, a team
  // daemon's socket. Null or empty: nothing to say beyond the kind (or
  // `program`).
  std::function<std::string(const BackendOptions&)> store = nullptr;
};

// Told that what a store holds changed behind the daemon's back: the token
// of the registry with this index URL (added, replaced or removed), or, with
// nullopt, possibly any of them. The daemon drops the cached copies that
// the change may have made stale. Never given a token.
using StoreChanged = std::function<void(const std::optional<std::string>& index_url)>;

// A watch on a store, started by WatchableStore::Watch. Destroying it stops
// it: once the destructor returns, its StoreChanged is never called again.
//
// Thread-safety: all methods are thread-safe.
class StoreWatch {
 public:
  virtual ~StoreWatch() = default;

  // Whether a change the store has already signalled may still be untold
  // (a file's inotify events are queued by the time the write returns):
  // never false while one is, and true now and then when none is (the
  // watch's thread busy), which costs a CatchUp(). Never blocks. False for
  // a store whose signals come later anyway (a D-Bus signal): nothing is
  // known of them before they arrive.
  virtual bool Behind() const { return false; }

  // Tells StoreChanged, on the calling thread, of every change Behind()
  // would report, and returns once it has (also waiting for one the
  // watch's own thread is telling). A request that catches up first never
  // sees a copy that a change made before it had made stale. May read the
  // store, so not for threads that must not wait.
  virtual void CatchUp() {}
};

// A store that can say when what it holds changed, implemented beside
// cargo_credential::Credential by the backends that can (the daemon finds
// them with dynamic_cast).
//
// Thread-safety: Watch() is thread-safe.
class WatchableStore {
 public:
  virtual ~WatchableStore() = default;

  // Starts watching: `changed` is called, from a thread of the watch's or
  // from a caller of StoreWatch::CatchUp, for each change from now on,
  // until the watch is destroyed (before the store). Only once the process
  // is what it will stay (credcached forked): a watch may start threads and
  // connect to D-Bus. Unimplemented when this store cannot be watched at
  // all (a wrapper around one that cannot); any other error says why this
  // one cannot be now (then cached copies live their ttl, as before).
  virtual absl::StatusOr<std::unique_ptr<StoreWatch>> Watch(StoreChanged changed) = 0;
};

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_BACKEND_H_
