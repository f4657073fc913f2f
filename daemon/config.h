// Config: credcached's settings, read from TOML, and the backends they make.
//
//   [cache]
//   ttl = "30m"            # how long a `session` token is kept (default 30m)
//   max_ttl = "12h"        # the most any token is kept (default 12h)
//   expiry_margin = "60s"  # an `expires` token leaves this long before it dies
//
//   [[backend]]            # tried in this order for each registry
//   name = "corp"          # default: the kind; must be unique
//   kind = "command"       # file | env | command | cargo-provider | libsecret
//   index_urls = ["sparse+https://cargo.corp.example/*"]   # globs
//   names = ["corp"]       # globs on cargo's registry name
//   ttl = "5m"             # overrides [cache] ttl for this backend
//   timeout = "10s"        # how long a call may take (default 30s)
//   run_in = "caller"      # daemon (default) | caller: run it in the shim
//                          # cargo started (command, env, cargo-provider)
//   command = ["corp-token", "{index_url}"]                # the kind's own keys
//   scope = "shared"       # shared | personal: in a team daemon (below),
//                          # whose tokens these are; required there
//
// A backend with one token for any registry (env, command; see BackendKind)
// must name the registries it serves. Durations are at most 30 days, a
// backend's timeout at most an hour.
//
// `[etcd]` shares the tokens of shared backends with the daemons of other
// machines (daemon/etcd_config.h).
//
// `[listen]`, `[[rule]]`, `[admin]`, `[audit]` and `[limits]` make a team
// daemon (daemon/team.h). There every backend says its scope: `shared`
// tokens are fetched with the daemon's own account and served to everyone
// a rule admits (so they cannot run in the caller); `personal` ones are
// kept per uid, and so must come from their owner: a backend that runs in
// the caller, or `kind = "memory"`, which holds what each user logged in
// with.
//
// Any mistake (bad TOML, an unknown key, a wrong type, a bad duration, an
// unknown kind, a backend option it does not take) is refused with
// FILE:LINE:COLUMN and what is wrong; nothing is half-applied.
//
// Thread-safety: functions only; a Config is a value.
#ifndef CREDCACHE_DAEMON_CONFIG_H_
#define CREDCACHE_DAEMON_CONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backends/etcd/etcd_settings.h"
#include "daemon/router.h"
#include "daemon/team.h"
#include "daemon/token_cache.h"

namespace credcache {

// What `--config` names when there is no file: the embedded default.
inline constexpr char kEmbeddedDefaultName[] = "(embedded default)";

struct Config {
  std::string source;  // The file, or kEmbeddedDefaultName.
  // For the embedded default: which store it chose and why, said once on
  // stderr when the daemon starts.
  std::string note;
  CachePolicy cache;
  std::vector<Backend> backends;
  // Set for a team daemon.
  std::optional<TeamSettings> team;
  // Set when the shared backends' tokens are shared across machines through
  // etcd (daemon/etcd_config.h).
  std::optional<EtcdTierSettings> etcd;
};

// For `--check-config`: every program a backend the daemon runs names
// (a `command`, a `cargo-provider`) is there, on PATH or at its path; the
// first that is not, as FILE:LINE:COLUMN and what is wrong.
absl::Status CheckPrograms(const Config& config);

// Why the program `backend` runs in the daemon cannot be run ("`X`, which
// is not on PATH (...)"), or empty when it can, or it runs none, or it
// runs where cargo runs (cargo's PATH decides there).
std::string ProgramProblem(const BackendSettings& backend);

// Whether `backend`'s tokens go through the etcd tier when there is one:
// its answers are the same for every asker (not personal, not run in the
// caller).
bool SharesThroughTier(const Backend& backend);

// Parses `text`, naming `source` in errors, and makes the backends. A
// config with no [[backend]] (only [cache], say) comes back with none:
// LoadConfig gives it the embedded default's.
absl::StatusOr<Config> ParseConfig(absl::string_view text, const std::string& source);

// Reads and parses the file at `path`. NotFound when it does not exist, so
// the caller can fall back to EmbeddedDefault().
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

// The configuration used when there is no file. When a Secret Service
// answers: the `libsecret` backend (cargo's own keyring schema), then a
// `file` backend, so tokens stored either way are found. When none answers
// (a headless box): the `file` backend alone, keeping tokens in
// $XDG_DATA_HOME/credcache/tokens.toml, so a new user's `cargo login` works
// with nothing set up.
absl::StatusOr<Config> EmbeddedDefault();

// The embedded default's text for each case, for `--print-default-config`.
absl::string_view EmbeddedDefaultText(bool with_keyring);

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_CONFIG_H_
