#include "shim/cargo_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <set>

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

std::vector<std::string> SplitWords(absl::string_view text) {
  return absl::StrSplit(text, ' ', absl::SkipEmpty());
}

// A variable's value, or null when it is unset or empty.
const char* NonEmptyEnv(const std::string& name) {
  const char* value = getenv(name.c_str());
  return value != nullptr && value[0] != '\0' ? value : nullptr;
}

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// One provider as a setting names it, and where that setting is.
struct NamedProvider {
  std::vector<std::string> words;
  std::string source;  // A file's path, or a variable's name.
  // Where a relative program path is taken from: the directory that holds
  // the file's `.cargo` (cargo's Definition::root); empty for a variable
  // (the working directory) or a file without a path.
  std::string root;
};

NamedProvider FromFile(const toml::node* node, const std::string& path) {
  return {Words(node), path, absl::StartsWith(path, "/") ? Parent(Parent(path)) : ""};
}

bool IsCredcacheProgram(const std::string& program) {
  const size_t slash = program.rfind('/');
  return program.substr(slash == std::string::npos ? 0 : slash + 1) == "cargo-credential-credcache";
}

// A file's text, read without blocking and bounded, or why it cannot be.
CargoConfigFile ReadConfigFile(const std::string& path) {
  CargoConfigFile file{path, "", ""};
  // O_NONBLOCK: a FIFO is not waited on for a writer (it is refused below).
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    file.error = strerror(errno);
    return file;
  }
  struct stat info;
  if (fstat(fd, &info) != 0) {
    file.error = strerror(errno);
  } else if (S_ISDIR(info.st_mode)) {
    file.error = "it is a directory";
  } else if (!S_ISREG(info.st_mode)) {
    file.error = "it is not a regular file";
  } else {
    char buffer[65536];
    ssize_t got = 0;
    while (file.text.size() <= kMaxCargoConfigBytes &&
           (got = read(fd, buffer, sizeof(buffer))) != 0) {
      if (got < 0) {
        if (errno == EINTR) continue;
        file.error = strerror(errno);
        break;
      }
      file.text.append(buffer, static_cast<size_t>(got));
    }
    if (file.error.empty() && file.text.size() > kMaxCargoConfigBytes) {
      file.error = absl::StrCat("it is larger than ", kMaxCargoConfigBytes >> 20, " MiB");
    }
  }
  close(fd);
  if (!file.error.empty()) file.text.clear();
  return file;
}

// The spelling of cargo's file `name` in `dir` that cargo reads, or "" when
// neither exists.
std::string ChosenFile(const std::string& dir, const std::string& name) {
  for (const std::string& candidate : CargoFileNames(dir, name)) {
    struct stat info;
    if (stat(candidate.c_str(), &info) == 0) return candidate;
  }
  return "";
}

}  // namespace

std::string CargoHome(const std::string& override_dir) {
  if (!override_dir.empty()) return override_dir;
  const char* env = getenv("CARGO_HOME");
  if (env != nullptr && env[0] != '\0') return env;
  return HomeDirectory() + "/.cargo";
}

std::vector<std::string> CargoFileNames(const std::string& dir, const std::string& name) {
  return {absl::StrCat(dir, "/", name), absl::StrCat(dir, "/", name, ".toml")};
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
  const std::string path = ChosenFile(cargo_home, "config");
  return path.empty() ? "" : ReadConfigFile(path).text;
}

bool CargoAsksCredcache(const std::string& config, const std::string& name, std::string* program) {
  const CargoProviderChoice choice = CargoSettings({{"", config, ""}}).ProviderFor(name);
  if (choice.asks_credcache && program != nullptr) *program = choice.program;
  return choice.asks_credcache;
}

std::vector<CargoConfigFile> ReadCargoConfigs(const std::string& cwd,
                                              const std::string& cargo_home) {
  std::vector<CargoConfigFile> files;
  std::set<std::string> seen;
  auto read_from = [&](const std::string& dir) {
    const std::string path = ChosenFile(dir, "config");
    if (!path.empty() && seen.insert(path).second) files.push_back(ReadConfigFile(path));
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

CargoSettings::CargoSettings(const std::vector<CargoConfigFile>& configs) {
  for (const CargoConfigFile& file : configs) {
    if (!file.error.empty()) continue;
    absl::StatusOr<toml::table> table = ParseCargoToml(file.text, file.path);
    if (table.ok()) files_.push_back({file.path, *std::move(table)});
  }
}

CargoProviderChoice CargoSettings::ProviderFor(const std::string& name) const {
  // A one-word provider may be an alias; cargo takes an alias from the
  // variable, else from the nearest file that sets it (not merged).
  auto resolved = [this](NamedProvider provider) {
    if (provider.words.size() != 1) return provider;
    const std::string& alias = provider.words[0];
    const std::string variable = absl::StrCat(
        "CARGO_CREDENTIAL_ALIAS_", absl::AsciiStrToUpper(absl::StrReplaceAll(alias, {{"-", "_"}})));
    if (const char* env = NonEmptyEnv(variable)) {
      provider.words = SplitWords(env);
      provider.root = "";
      return provider;
    }
    for (const File& file : files_) {
      if (const toml::node* node = file.table["credential-alias"][alias].node()) {
        provider.words = FromFile(node, file.path).words;
        provider.root = FromFile(node, file.path).root;
        return provider;
      }
    }
    return provider;
  };
  CargoProviderChoice choice;
  // Sets `choice` when `provider` is credcache.
  auto take = [&choice](const NamedProvider& provider) {
    if (provider.words.empty() || !IsCredcacheProgram(provider.words[0])) return false;
    choice.asks_credcache = true;
    choice.decided_by = provider.source;
    std::string program = provider.words[0];
    if (!provider.root.empty() && program[0] != '/' && program.find('/') != std::string::npos) {
      program = absl::StrCat(provider.root == "/" ? "" : provider.root, "/",
                             absl::StripPrefix(program, "./"));
    }
    choice.program = program;
    return true;
  };

  // A registry's own provider is the only one cargo asks for it: the
  // variable's, else the nearest file's (a list here is a program and its
  // arguments, which cargo does not join across files).
  const std::string own_variable = name == "crates-io"
                                       ? "CARGO_REGISTRY_CREDENTIAL_PROVIDER"
                                       : CargoRegistryVariable(name, "CREDENTIAL_PROVIDER");
  std::optional<NamedProvider> own;
  if (const char* env = NonEmptyEnv(own_variable)) {
    own = NamedProvider{SplitWords(env), own_variable, ""};
  } else {
    for (const File& file : files_) {
      const toml::node* node = name == "crates-io"
                                   ? file.table["registry"]["credential-provider"].node()
                                   : file.table["registries"][name]["credential-provider"].node();
      if (node != nullptr) {
        own = FromFile(node, file.path);
        break;
      }
    }
  }
  if (own.has_value()) {
    if (!take(resolved(*own))) choice.decided_by = own->source;
    return choice;
  }
  // The global list is every file's, farthest first, then the variable's
  // words; cargo asks its last entry first.
  std::vector<NamedProvider> global;
  for (auto file = files_.rbegin(); file != files_.rend(); ++file) {
    if (const toml::array* list =
            file->table["registry"]["global-credential-providers"].as_array()) {
      for (const toml::node& each : *list) global.push_back(FromFile(&each, file->path));
    }
  }
  constexpr char kGlobalVariable[] = "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS";
  if (const char* env = NonEmptyEnv(kGlobalVariable)) {
    for (std::string& word : SplitWords(env)) {
      global.push_back({{std::move(word)}, kGlobalVariable, ""});
    }
  }
  for (auto provider = global.rbegin(); provider != global.rend(); ++provider) {
    if (take(resolved(*provider))) break;
  }
  return choice;
}

std::vector<CargoRegistry> CargoSettings::Registries() const {
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
  for (const File& file : files_) {
    const toml::table* table = file.table["registries"].as_table();
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

std::vector<CargoRegistry> CargoRegistries(const std::vector<CargoConfigFile>& configs) {
  return CargoSettings(configs).Registries();
}

}  // namespace credcache
