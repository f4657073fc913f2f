// What the shim knows of cargo's own configuration: where cargo keeps it,
// which files it reads, the registries they name, and whether cargo sends
// a registry's token requests to credcache. `import` and `doctor` read
// cargo's config through these, never by hand.
//
// Files are read as cargo reads them (docs: "Hierarchical structure"):
// `.cargo/config.toml` in the working directory and each parent, then
// $CARGO_HOME's, and merged as cargo merges them: a nearer file's value wins,
// lists are joined, except a program's (a registry's `credential-provider`,
// a `[credential-alias]`), where the nearer replaces the farther; the
// CARGO_* environment variables win over every file (their lists are
// joined after the files').
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

// The two spellings of cargo's file `name` in `dir`, in the order cargo
// prefers them: the legacy `NAME` when it exists (cargo warns that both
// exist, and reads it), else `NAME.toml`.
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

// Whether cargo, with `config` (one config.toml's text) and the environment,
// asks credcache for registry `name`'s tokens (CargoSettings::ProviderFor);
// `program`, when not null, is then set to the credcache cargo would run.
bool CargoAsksCredcache(const std::string& config, const std::string& name,
                        std::string* program = nullptr);

struct CargoConfigFile {
  std::string path;
  std::string text;
  // Why a file cargo would read could not be read (not a regular file, too
  // large, no permission); `text` is then empty. cargo stops at such a file.
  std::string error;
};

// The most of a config file that is read: cargo's are a few KiB; this bounds
// a file that is /dev/zero or a FIFO in disguise.
inline constexpr size_t kMaxCargoConfigBytes = size_t{8} << 20;

// The config files cargo reads when run in `cwd`, the one that wins first:
// each `.cargo/config` (or `config.toml`, CargoFileNames) from `cwd` up to
// `/`, then `cargo_home`'s when it is not among them. A file that exists
// but cannot be read is listed with its `error`; reading never blocks (a
// FIFO is refused, not opened for a writer) and stops at
// kMaxCargoConfigBytes.
std::vector<CargoConfigFile> ReadCargoConfigs(const std::string& cwd,
                                              const std::string& cargo_home);

struct CargoRegistry {
  std::string name;    // "crates-io" for cargo's default registry.
  std::string index;   // As configured; crates.io's token index for crates-io.
  std::string source;  // The file (or variable) that names it.
};

// How cargo chooses a registry's credential providers, as far as credcache
// is concerned.
struct CargoProviderChoice {
  bool asks_credcache = false;
  // The cargo-credential-credcache cargo runs, when it asks credcache: a
  // name it looks for on PATH, or a path (a relative one taken, as cargo
  // takes it, from the directory that holds the file's `.cargo`).
  std::string program;
  // The file, or the variable, whose setting decides: the registry's own
  // `credential-provider` wherever one is set (credcache or not), else the
  // entry of the global list that names credcache. Empty when neither.
  std::string decided_by;
};

// cargo's config files merged as cargo merges them, each parsed once, for
// the questions asked of every registry.
class CargoSettings {
 public:
  // `configs` in ReadCargoConfigs's order; a file that was not read, or
  // is not TOML, is left out (cargo refuses to run at all then: doctor
  // says so).
  explicit CargoSettings(const std::vector<CargoConfigFile>& configs);

  // How cargo chooses registry `name`'s providers: its own
  // `credential-provider` (`[registry]`'s for crates-io) when one is set,
  // by a variable or the nearest file that sets it; else every entry of
  // `[registry] global-credential-providers`, from all files and the
  // variable; a one-word provider through `[credential-alias]`. A provider
  // is credcache when its program is cargo-credential-credcache, by name or
  // by path.
  CargoProviderChoice ProviderFor(const std::string& name) const;

  // CargoRegistries.
  std::vector<CargoRegistry> Registries() const;

 private:
  struct File {
    std::string path;
    toml::table table;
  };
  std::vector<File> files_;  // Nearest first.
};

// The registries cargo knows from `configs` (ReadCargoConfigs's order) and
// the environment's CARGO_REGISTRIES_<NAME>_INDEX, crates-io first, each
// once, from where it wins. A variable's NAME is taken in lower case with
// `_` kept (cargo cannot tell `my-reg` from `my_reg` there either).
std::vector<CargoRegistry> CargoRegistries(const std::vector<CargoConfigFile>& configs);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_CARGO_CONFIG_H_
