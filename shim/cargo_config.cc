#include "shim/cargo_config.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/location.h"
#include "common/paths.h"

extern char** environ;

namespace credcache {
namespace {

// A provider's words as cargo reads a setting: an array is its words; a
// string is split on spaces.
std::vector<std::string> Words(const toml::node* node) {
  std::vector<std::string> words;
  if (node == nullptr) return words;
  if (const toml::array* array = node->as_array()) {
    for (const toml::node& each : *array) {
      if (auto word = each.value<std::string>()) words.push_back(*word);
    }
  } else if (auto text = node->value<std::string>()) {
    words = absl::StrSplit(*text, ' ', absl::SkipEmpty());
  }
  return words;
}

// Whether the provider `words` (cargo's spelling of one, an alias resolved
// through `[credential-alias]`) runs cargo-credential-credcache.
bool IsCredcache(std::vector<std::string> words, const toml::table& config, std::string* program) {
  if (words.size() == 1) {
    const std::string alias_variable =
        absl::StrCat("CARGO_CREDENTIAL_ALIAS_",
                     absl::AsciiStrToUpper(absl::StrReplaceAll(words[0], {{"-", "_"}})));
    if (const char* env = getenv(alias_variable.c_str())) {
      words = absl::StrSplit(env, ' ', absl::SkipEmpty());
    } else if (const toml::node* alias = config["credential-alias"][words[0]].node()) {
      words = Words(alias);
    }
  }
  if (words.empty()) return false;
  const size_t slash = words[0].rfind('/');
  const bool credcache =
      words[0].substr(slash == std::string::npos ? 0 : slash + 1) == "cargo-credential-credcache";
  if (credcache && program != nullptr) *program = words[0];
  return credcache;
}

// A file's text, or nullopt when it cannot be read.
std::optional<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string CargoHome(const std::string& override_dir) {
  if (!override_dir.empty()) return override_dir;
  const char* env = getenv("CARGO_HOME");
  if (env != nullptr && env[0] != '\0') return env;
  return HomeDirectory() + "/.cargo";
}

std::vector<std::string> CargoFileNames(const std::string& dir, const std::string& name) {
  return {absl::StrCat(dir, "/", name, ".toml"), absl::StrCat(dir, "/", name)};
}

absl::StatusOr<toml::table> ParseCargoToml(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& error) {
    // Position only: the file holds tokens, and parse messages quote text.
    return absl::InvalidArgumentError(
        absl::StrCat(Location(source, error.source().begin), ": not valid TOML"));
  }
}

std::string CargoRegistryVariable(const std::string& name, const std::string& key) {
  return absl::StrCat("CARGO_REGISTRIES_",
                      absl::AsciiStrToUpper(absl::StrReplaceAll(name, {{"-", "_"}})), "_", key);
}

std::string CargoIndexOf(const std::string& name, const toml::table& config) {
  if (const char* env = getenv(CargoRegistryVariable(name, "INDEX").c_str())) return env;
  if (auto index = config["registries"][name]["index"].value<std::string>()) return *index;
  return "";
}

std::string ReadCargoHomeConfig(const std::string& cargo_home) {
  for (const std::string& candidate : CargoFileNames(cargo_home, "config")) {
    std::ifstream in(candidate);
    if (!in) continue;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  return "";
}

bool CargoAsksCredcache(const std::string& config, const std::string& name, std::string* program) {
  absl::StatusOr<toml::table> settings = ParseCargoToml(config, "config.toml");
  if (!settings.ok()) return false;
  // A registry's own provider is the only one cargo asks for it.
  const std::string own_variable = name == "crates-io"
                                       ? "CARGO_REGISTRY_CREDENTIAL_PROVIDER"
                                       : CargoRegistryVariable(name, "CREDENTIAL_PROVIDER");
  if (const char* env = getenv(own_variable.c_str()); env != nullptr && env[0] != '\0') {
    return IsCredcache(absl::StrSplit(env, ' ', absl::SkipEmpty()), *settings, program);
  }
  const toml::node* own = name == "crates-io"
                              ? (*settings)["registry"]["credential-provider"].node()
                              : (*settings)["registries"][name]["credential-provider"].node();
  if (own != nullptr) return IsCredcache(Words(own), *settings, program);
  std::vector<std::vector<std::string>> global;
  if (const char* env = getenv("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS");
      env != nullptr && env[0] != '\0') {
    // An environment list is split on spaces: each word is a provider.
    for (absl::string_view word : absl::StrSplit(env, ' ', absl::SkipEmpty())) {
      global.push_back({std::string(word)});
    }
  } else if (const toml::array* list =
                 (*settings)["registry"]["global-credential-providers"].as_array()) {
    for (const toml::node& each : *list) global.push_back(Words(&each));
  }
  return absl::c_any_of(global, [&](const std::vector<std::string>& provider) {
    return IsCredcache(provider, *settings, program);
  });
}

std::vector<CargoConfigFile> ReadCargoConfigs(const std::string& cwd,
                                              const std::string& cargo_home) {
  std::vector<CargoConfigFile> files;
  std::set<std::string> seen;
  auto read_from = [&](const std::string& dir) {
    for (const std::string& path : CargoFileNames(dir, "config")) {
      if (std::optional<std::string> text = ReadText(path)) {
        if (seen.insert(path).second) files.push_back({path, *std::move(text)});
        return;
      }
    }
  };
  std::string dir = cwd;
  while (!dir.empty() && dir[0] == '/') {
    read_from(dir == "/" ? "/.cargo" : dir + "/.cargo");
    if (dir == "/") break;
    const size_t slash = dir.rfind('/');
    dir = slash == 0 ? "/" : dir.substr(0, slash);
  }
  read_from(cargo_home);
  return files;
}

std::vector<CargoRegistry> CargoRegistries(const std::vector<CargoConfigFile>& configs) {
  std::vector<CargoRegistry> registries = {
      {"crates-io", "https://github.com/rust-lang/crates.io-index", "cargo's default"}};
  std::set<std::string> seen = {"crates-io"};
  // The environment wins over every file.
  constexpr absl::string_view kPrefix = "CARGO_REGISTRIES_";
  constexpr absl::string_view kSuffix = "_INDEX=";
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const absl::string_view variable = *entry;
    const size_t equals = variable.find('=');
    if (!absl::StartsWith(variable, kPrefix) || equals == absl::string_view::npos) continue;
    const absl::string_view key = variable.substr(0, equals + 1);
    if (!absl::EndsWith(key, kSuffix) || key.size() <= kPrefix.size() + kSuffix.size()) continue;
    const std::string name = absl::AsciiStrToLower(
        key.substr(kPrefix.size(), key.size() - kPrefix.size() - kSuffix.size()));
    if (seen.insert(name).second) {
      registries.push_back({name, std::string(variable.substr(equals + 1)),
                            std::string(variable.substr(0, equals))});
    }
  }
  for (const CargoConfigFile& file : configs) {
    absl::StatusOr<toml::table> settings = ParseCargoToml(file.text, file.path);
    if (!settings.ok()) continue;
    const toml::table* table = (*settings)["registries"].as_table();
    if (table == nullptr) continue;
    for (auto&& [key, node] : *table) {
      const std::string name(key.str());
      const toml::table* registry = node.as_table();
      if (registry == nullptr || seen.count(name) > 0) continue;
      if (auto index = (*registry)["index"].value<std::string>()) {
        seen.insert(name);
        registries.push_back({name, *index, file.path});
      }
    }
  }
  return registries;
}

}  // namespace credcache
