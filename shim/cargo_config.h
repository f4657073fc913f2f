// What the shim knows of cargo's own configuration: where cargo keeps it,
// which files it reads, the registries they name, and whether cargo sends
// a registry's token requests to credcache. `import` and `doctor` read
// cargo's config through these, never by hand.
//
// Files are read as cargo reads them (docs: "Hierarchical structure"):
// `.cargo/config.toml` in the working directory and each parent, then
// $CARGO_HOME's; the CARGO_* environment variables win over every file.
//
// Thread-safety: functions only; they read the environment and files.
#ifndef CREDCACHE_SHIM_CARGO_CONFIG_H_
#define CREDCACHE_SHIM_CARGO_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "toml++/toml.h"

namespace credcache {

// cargo's home: `override_dir` when not empty, else $CARGO_HOME, else
// ~/.cargo.
std::string CargoHome(const std::string& override_dir = "");

// The two spellings cargo reads of its file `name` in `dir`, preferred
// first: `NAME.toml`, then the legacy `NAME`.
std::vector<std::string> CargoFileNames(const std::string& dir, const std::string& name);

// `text` parsed as TOML. Errors give the position only (FILE:LINE:COLUMN:
// not valid TOML): cargo's files may hold tokens, and a parser's message
// quotes the text.
absl::StatusOr<toml::table> ParseCargoToml(const std::string& text, const std::string& source);

// cargo's CARGO_REGISTRIES_<NAME>_<KEY> spelling of a registry's setting.
std::string CargoRegistryVariable(const std::string& name, const std::string& key);

// Registry `name`'s index as configured: CARGO_REGISTRIES_<NAME>_INDEX,
// else `[registries.NAME] index` in `config`; empty when neither.
std::string CargoIndexOf(const std::string& name, const toml::table& config);

// $CARGO_HOME's config.toml text ("" when there is none).
std::string ReadCargoHomeConfig(const std::string& cargo_home);

// Whether cargo, with `config` (config.toml's text) and the environment,
// asks credcache for registry `name`'s tokens: the registry's own
// `credential-provider` when it has one (`[registry]`'s for crates-io),
// else `[registry] global-credential-providers`, each resolved through
// `[credential-alias]`; the CARGO_* variables win over the file, as in
// cargo. A provider is credcache when its program is
// cargo-credential-credcache, by name or by path; `program`, when not null,
// is then set to that name or path, as cargo would run it.
bool CargoAsksCredcache(const std::string& config, const std::string& name,
                        std::string* program = nullptr);

struct CargoConfigFile {
  std::string path;
  std::string text;
};

// The config files cargo reads when run in `cwd`, the one that wins first:
// each `.cargo/config.toml` (or `config`) from `cwd` up to `/`, then
// `cargo_home`'s when it is not among them. Files that cannot be read are
// left out.
std::vector<CargoConfigFile> ReadCargoConfigs(const std::string& cwd,
                                              const std::string& cargo_home);

struct CargoRegistry {
  std::string name;    // "crates-io" for cargo's default registry.
  std::string index;   // As configured; crates.io's token index for crates-io.
  std::string source;  // The file (or variable) that names it.
};

// The registries cargo knows from `configs` (ReadCargoConfigs's order) and
// the environment's CARGO_REGISTRIES_<NAME>_INDEX, crates-io first, each
// once, from where it wins. A variable's NAME is taken in lower case with
// `_` kept (cargo cannot tell `my-reg` from `my_reg` there either).
std::vector<CargoRegistry> CargoRegistries(const std::vector<CargoConfigFile>& configs);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_CARGO_CONFIG_H_
