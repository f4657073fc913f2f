// import: moves the tokens of cargo's plaintext credentials.toml (what the
// `cargo:token` provider reads) into a credcache backend.
//
//   cargo-credential-credcache import [--backend NAME] [--cargo-home DIR] [--remove]
//
// Each `[registries.NAME] token` (and crates.io's `[registry] token`) is
// matched to its index URL through `[registries.NAME] index` in
// $CARGO_HOME/config.toml (or CARGO_REGISTRIES_NAME_INDEX), then logged in
// through the daemon, into NAME'd backend or else the registry's usual chain.
// Nothing is removed from credentials.toml unless --remove says so, and then
// only the tokens that were stored. At the end it prints the lines to put in
// ~/.cargo/config.toml.
//
// Thread-safety: call from main().
#ifndef CREDCACHE_SHIM_IMPORT_H_
#define CREDCACHE_SHIM_IMPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/secret.h"

namespace credcache {

// crates.io's index URL as cargo names it to providers for tokens (publish,
// login): the git URL, not the sparse one.
inline constexpr char kCratesIoIndex[] = "https://github.com/rust-lang/crates.io-index";

struct CargoToken {
  std::string name;       // "crates-io" for [registry].
  std::string index_url;  // Empty when no index is known for the name.
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
  std::string socket;
  std::string backend;     // Empty: the registry's usual chain.
  std::string cargo_home;  // Empty: $CARGO_HOME, else ~/.cargo.
  bool remove = false;
};

// Runs the import; returns the exit code.
int RunImport(const ImportOptions& options);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_IMPORT_H_
