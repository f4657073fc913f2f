#include "daemon/config.h"

#include <errno.h>
#include <string.h>

#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backends/backend.h"
#include "backends/backend_kinds.h"
#include "backends/libsecret_backend.h"
#include "common/location.h"
#include "toml++/toml.h"

namespace credcache {
namespace {

constexpr char kDefaultText[] =
    "# credcached's embedded default without a keyring: one private token file.\n"
    "[cache]\n"
    "ttl = \"30m\"\n"
    "\n"
    "[[backend]]\n"
    "kind = \"file\"\n";

constexpr char kDefaultKeyringText[] =
    "# credcached's embedded default with a Secret Service: the keyring, where\n"
    "# cargo:libsecret keeps tokens too, then the private token file.\n"
    "[cache]\n"
    "ttl = \"30m\"\n"
    "\n"
    "[[backend]]\n"
    "kind = \"libsecret\"\n"
    "timeout = \"10s\"\n"
    "\n"
    "[[backend]]\n"
    "kind = \"file\"\n";

const std::set<std::string>& CommonBackendKeys() {
  static const auto* keys =
      new std::set<std::string>{"name", "kind", "index_urls", "names", "ttl", "timeout", "run_in"};
  return *keys;
}

class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  absl::StatusOr<Config> Parse(absl::string_view text) {
    toml::table root;
    try {
      root = toml::parse(std::string_view(text.data(), text.size()), source_);
    } catch (const toml::parse_error& error) {
      return absl::InvalidArgumentError(absl::StrCat(Location(source_, error.source().begin), ": ",
                                                     std::string(error.description())));
    }
    Config config;
    config.source = source_;
    for (auto&& [key, node] : root) {
      const std::string name(key.str());
      absl::Status status;
      if (name == "cache") {
        status = ParseCache(node, config.cache);
      } else if (name == "backend") {
        status = ParseBackends(node, config.backends);
      } else {
        status =
            ErrorAt(key, absl::StrCat("unknown key `", name, "`; expected `cache` or `backend`"));
      }
      if (!status.ok()) return status;
    }
    if (config.backends.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ": no [[backend]]; credcached needs at least one"));
    }
    if (config.cache.ttl > config.cache.max_ttl) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ": [cache] ttl is longer than max_ttl"));
    }
    return config;
  }

 private:
  template <typename Located>
  absl::Status ErrorAt(const Located& where, absl::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(Location(source_, where.source().begin), ": ", message));
  }

  absl::StatusOr<absl::Duration> DurationAt(const toml::key& key, const toml::node& node) const {
    absl::StatusOr<absl::Duration> duration = ParseDurationNode(node);
    if (!duration.ok()) {
      return ErrorAt(node,
                     absl::StrCat("`", std::string(key.str()), "` ", duration.status().message()));
    }
    return duration;
  }

  absl::Status ParseCache(const toml::node& node, CachePolicy& cache) const {
    const toml::table* table = node.as_table();
    if (table == nullptr) return ErrorAt(node, "`cache` must be a table: [cache]");
    for (auto&& [key, value] : *table) {
      absl::Duration* target = nullptr;
      if (key.str() == "ttl") target = &cache.ttl;
      if (key.str() == "max_ttl") target = &cache.max_ttl;
      if (key.str() == "expiry_margin") target = &cache.expiry_margin;
      if (target == nullptr) {
        return ErrorAt(key, absl::StrCat("unknown key `", std::string(key.str()),
                                         "` in [cache]; expected ttl, max_ttl or expiry_margin"));
      }
      absl::StatusOr<absl::Duration> duration = DurationAt(key, value);
      if (!duration.ok()) return duration.status();
      *target = *duration;
    }
    return absl::OkStatus();
  }

  absl::Status ParseBackends(const toml::node& node, std::vector<Backend>& backends) const {
    const toml::array* array = node.as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      return ErrorAt(node, "`backend` must be a list of tables: [[backend]]");
    }
    std::set<std::string> names;
    for (const toml::node& item : *array) {
      absl::StatusOr<Backend> backend = ParseBackend(*item.as_table());
      if (!backend.ok()) return backend.status();
      if (!names.insert(backend->settings.name).second) {
        return ErrorAt(item, absl::StrCat("backend name `", backend->settings.name,
                                          "` is used twice; give each backend its own `name`"));
      }
      backends.push_back(*std::move(backend));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> Globs(const toml::key& key,
                                                 const toml::node& node) const {
    std::vector<std::string> out;
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      return ErrorAt(node,
                     absl::StrCat("`", std::string(key.str()), "` must be a list of strings"));
    }
    for (const toml::node& item : *array) {
      if (!item.is_string()) {
        return ErrorAt(item,
                       absl::StrCat("`", std::string(key.str()), "` must be a list of strings"));
      }
      out.push_back(item.as_string()->get());
    }
    return out;
  }

  absl::StatusOr<Backend> ParseBackend(const toml::table& table) const {
    const toml::node* kind_node = table.get("kind");
    if (kind_node == nullptr) return ErrorAt(table, "backend has no `kind`");
    if (!kind_node->is_string()) return ErrorAt(*kind_node, "`kind` must be a string");
    const std::string kind_name = kind_node->as_string()->get();
    const BackendKind* kind = FindBackendKind(kind_name);
    if (kind == nullptr) {
      std::vector<std::string> known;
      for (const BackendKind& each : BackendKinds()) known.push_back(each.name);
      return ErrorAt(*kind_node, absl::StrCat("unknown backend kind `", kind_name,
                                              "`; expected one of ", absl::StrJoin(known, ", ")));
    }

    Backend backend;
    BackendSettings& settings = backend.settings;
    settings.kind = kind_name;
    settings.name = kind_name;
    settings.takes_logins = kind->takes_logins;
    for (auto&& [key, value] : table) {
      const std::string name(key.str());
      if (name == "kind") continue;
      if (name == "name") {
        if (!value.is_string() || value.as_string()->get().empty()) {
          return ErrorAt(value, "`name` must be a non-empty string");
        }
        settings.name = value.as_string()->get();
      } else if (name == "index_urls" || name == "names") {
        absl::StatusOr<std::vector<std::string>> globs = Globs(key, value);
        if (!globs.ok()) return globs.status();
        (name == "names" ? settings.names : settings.index_urls) = *std::move(globs);
      } else if (name == "ttl" || name == "timeout") {
        absl::StatusOr<absl::Duration> duration = DurationAt(key, value);
        if (!duration.ok()) return duration.status();
        if (name == "ttl") {
          settings.ttl = *duration;
        } else if (*duration > kMaxBackendTimeout) {
          return ErrorAt(value, absl::StrCat("`timeout` must be at most ",
                                             absl::FormatDuration(kMaxBackendTimeout),
                                             ": cargo waits while a backend runs"));
        } else {
          settings.timeout = *duration;
        }
      } else if (name == "run_in") {
        const std::string where = value.is_string() ? value.as_string()->get() : "";
        if (where != "daemon" && where != "caller") {
          return ErrorAt(value, "`run_in` must be \"daemon\" or \"caller\"");
        }
        if (where == "caller" && !kind->runs_in_caller) {
          std::vector<std::string> can;
          for (const BackendKind& each : BackendKinds()) {
            if (each.runs_in_caller) can.push_back(each.name);
          }
          return ErrorAt(value, absl::StrCat("a `", kind_name,
                                             "` backend runs in the daemon, which keeps its "
                                             "store; `run_in = \"caller\"` is for ",
                                             absl::StrJoin(can, ", ")));
        }
        settings.run_in_caller = where == "caller";
        settings.shares_answers = !(settings.run_in_caller && kind->answers_per_caller);
      } else if (std::find(kind->option_keys.begin(), kind->option_keys.end(), name) ==
                 kind->option_keys.end()) {
        std::vector<std::string> allowed(CommonBackendKeys().begin(), CommonBackendKeys().end());
        allowed.insert(allowed.end(), kind->option_keys.begin(), kind->option_keys.end());
        return ErrorAt(key,
                       absl::StrCat("unknown key `", name, "` for a `", kind_name,
                                    "` backend; expected one of ", absl::StrJoin(allowed, ", ")));
      }
    }
    if (kind->single_token && kind->single_token(table) && settings.index_urls.empty() &&
        settings.names.empty()) {
      return ErrorAt(
          table, absl::StrCat(
                     "backend `", settings.name,
                     "` serves one token to whatever registry asks, and a "
                     "dependency can name any registry: say which it serves with `index_urls = "
                     "[\"sparse+https://cargo.example.com/*\"]` or `names = [\"my-registry\"]`, or "
                     "`index_urls = [\"*\"]` to hand it to every registry on purpose"));
    }
    std::ostringstream fingerprint;
    fingerprint << table;
    settings.fingerprint = fingerprint.str();
    BackendOptions options(table, source_, settings.name, settings.timeout, settings.run_in_caller);
    absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> made = kind->make(options);
    if (!made.ok()) return made.status();
    backend.credential = std::shared_ptr<cargo_credential::Credential>(std::move(*made));
    return backend;
  }

  const std::string source_;
};

}  // namespace

absl::StatusOr<Config> ParseConfig(absl::string_view text, const std::string& source) {
  return Parser(source).Parse(text);
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no config file at ", path));
    return absl::UnavailableError(absl::StrCat("cannot read ", path, ": ", strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), path);
}

absl::StatusOr<Config> EmbeddedDefault() {
  const absl::Status keyring = ProbeSecretService();
  absl::StatusOr<Config> config =
      ParseConfig(EmbeddedDefaultText(keyring.ok()), kEmbeddedDefaultName);
  if (!config.ok()) return config;
  config->note = keyring.ok()
                     ? "a Secret Service answers: tokens go to the keyring (as cargo:libsecret "
                       "keeps them), and the token file is read too"
                     : absl::StrCat("no Secret Service (", keyring.message(),
                                    "): tokens go to the private token file");
  return config;
}

absl::string_view EmbeddedDefaultText(bool with_keyring) {
  return with_keyring ? kDefaultKeyringText : kDefaultText;
}

}  // namespace credcache
