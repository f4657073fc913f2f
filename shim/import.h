// import: moves the tokens of cargo's plaintext credentials.toml (what the
// `cargo:token` provider reads) into a credcache backend.
//
//   cargo-credential-credcache import [--backend NAME] [--cargo-home DIR] [--remove] [--json]
//
// Each `[registries.NAME] token` (and crates.io's `[registry] token`) is
// matched to its index URL through `[registries.NAME] index` in
// $CARGO_HOME/config.toml (or CARGO_REGISTRIES_NAME_INDEX), spelt as cargo
// spells it to providers (CargoIndexUrl), then logged in through the daemon,
// into NAME'd backend or else the registry's usual chain. A failure shared
// by several registries (no such backend, a backend that stores nothing, no
// daemon) is said once, with the registries it hit. Nothing is removed from
// credentials.toml unless --remove says so, and then only the tokens that
// were stored. At the end, unless cargo's config already sends these
// registries to credcache, it prints the lines to put in config.toml. With
// --json, stdout gets one JSON object instead of the text.
//
// Thread-safety: call from main().
#ifndef CREDCACHE_SHIM_IMPORT_H_
#define CREDCACHE_SHIM_IMPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cargo_credential/secret.h"
#include "shim/cargo_url.h"
#include "shim/connect.h"

namespace credcache {

struct CargoToken {
  std::string name;       // "crates-io" for [registry].
  std::string index_url;  // As cargo names it; empty when none is known or usable.
  // The index as configured, and why cargo would not take it (then
  // `index_url` is empty); both empty when no index is configured.
  std::string configured_index;
  std::string index_error;
  cargo_credential::Secret token;
};

// The tokens in `credentials` (credentials.toml's text), with index URLs
// from `config` (config.toml's text, may be empty) and the environment.
// `source` names the credentials file in errors.
absl::StatusOr<std::vector<CargoToken>> ParseCargoCredentials(const std::string& credentials,
                                                              const std::string& config,
                                                              const std::string& source);

// `credentials` without the tokens of `names` (tables left empty are
// dropped), for --remove.
absl::StatusOr<std::string> RemoveCargoTokens(const std::string& credentials,
                                              const std::vector<std::string>& names);

struct ImportOptions {
  ConnectOptions connect;  // The daemon, started when none runs.
  std::string backend;     // Empty: the registry's usual chain.
  std::string cargo_home;  // Empty: $CARGO_HOME, else ~/.cargo.
  bool remove = false;
  bool json = false;  // One JSON object on stdout, not text.
};

// Runs the import; returns the exit code: 0 when every token is in
// credcache, else 1.
int RunImport(const ImportOptions& options);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_IMPORT_H_
