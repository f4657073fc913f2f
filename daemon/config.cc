#include "daemon/config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backends/backend.h"
#include "backends/backend_kinds.h"
#include "backends/libsecret_backend.h"
#include "common/accounts.h"
#include "common/location.h"
#include "daemon/etcd_config.h"
#include "lib/programs.h"
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
  static const auto* keys = new std::set<std::string>{"name", "kind",    "index_urls", "names",
                                                      "ttl",  "timeout", "run_in",     "scope"};
  return *keys;
}

}  // namespace

std::string ProgramProblem(const BackendSettings& backend) {
  const std::string& program = backend.program;
  // One run where cargo runs is looked for on cargo's PATH, not here.
  if (program.empty() || backend.run_in_caller) return "";
  const bool found = program.find('/') != std::string::npos
                         ? access(program.c_str(), X_OK) == 0
                         : !cargo_credential::FindOnPath(program).empty();
  if (found) return "";
  const char* path = getenv("PATH");
  return absl::StrCat("`", program, "`, which ",
                      program.find('/') != std::string::npos
                          ? "is not an executable file"
                          : absl::StrCat("is not on PATH (", path == nullptr ? "" : path, ")"));
}

absl::Status CheckPrograms(const Config& config) {
  for (const Backend& backend : config.backends) {
    const std::string problem = ProgramProblem(backend.settings);
    if (!problem.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(backend.settings.at, ": backend `", backend.settings.name, "` runs ",
                       problem, "; the daemon runs it with the PATH it was started with"));
    }
  }
  return absl::OkStatus();
}

bool SharesThroughTier(const Backend& backend) {
  return !backend.settings.personal && !backend.settings.run_in_caller &&
         backend.settings.shares_answers;
}

namespace {

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
    // The team sections, read after the backends, whatever their order.
    std::vector<std::pair<std::string, const toml::node*>> team_sections;
    for (auto&& [key, node] : root) {
      const std::string name(key.str());
      absl::Status status;
      if (name == "cache") {
        status = ParseCache(node, config.cache);
      } else if (name == "backend") {
        status = ParseBackends(node, config.backends);
      } else if (name == "listen" || name == "rule" || name == "admin" || name == "audit" ||
                 name == "limits") {
        team_sections.emplace_back(name, &node);
      } else if (name == "etcd") {
        absl::StatusOr<EtcdTierSettings> etcd = ParseEtcd(node, source_);
        status = etcd.status();
        if (etcd.ok()) config.etcd = *std::move(etcd);
      } else {
        status = ErrorAt(key, absl::StrCat("unknown key `", name,
                                           "`; expected cache, backend, listen, rule, admin, "
                                           "audit, limits or etcd"));
      }
      if (!status.ok()) return status;
    }
    if (!team_sections.empty()) {
      absl::Status status = ParseTeam(root, team_sections, config);
      if (!status.ok()) return status;
    }
    if (config.backends.empty() && (config.team.has_value() || config.etcd.has_value())) {
      return absl::InvalidArgumentError(absl::StrCat(
          source_, ": no [[backend]]; a team daemon, or one with [etcd], names its own"));
    }
    // A config that only adjusts [cache] keeps the embedded default's
    // backends (LoadConfig adds them: choosing one may ask D-Bus).
    if (config.etcd.has_value() &&
        std::none_of(config.backends.begin(), config.backends.end(), SharesThroughTier)) {
      return ErrorAt(*root.get("etcd"),
                     "[etcd] shares tokens of shared backends, and every backend here is "
                     "personal or runs in the caller");
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

  // The team daemon's sections (daemon/team.h), and the rules they set for
  // the backends' scopes.
  absl::Status ParseTeam(const toml::table& root,
                         const std::vector<std::pair<std::string, const toml::node*>>& sections,
                         Config& config) const {
    if (root.get("listen") == nullptr) {
      return ErrorAt(*sections.front().second,
                     absl::StrCat("[", sections.front().first,
                                  "] is for a team daemon, which needs a [listen] section (its "
                                  "socket and group)"));
    }
    TeamSettings team;
    std::vector<AccessRule> rules;
    std::set<uid_t> admin_users;
    std::set<gid_t> admin_groups;
    std::string contact;
    for (const auto& [name, node] : sections) {
      absl::Status status;
      if (name == "listen") {
        status = ParseListen(*node, team, contact);
      } else if (name == "rule") {
        status = ParseRules(*node, rules);
      } else if (name == "admin") {
        status = ParseAdmin(*node, admin_users, admin_groups);
      } else if (name == "audit") {
        status = ParseAudit(*node, team.audit);
      } else {
        status = ParseLimits(*node, team.limits);
      }
      if (!status.ok()) return status;
    }
    if (contact.empty())
      contact = absl::StrCat("the account running it (", UserName(geteuid()), ")");
    team.access = AccessPolicy(std::move(rules), std::move(admin_users), std::move(admin_groups),
                               source_, contact);
    const toml::array* tables = root.get("backend") ? root.get("backend")->as_array() : nullptr;
    for (size_t i = 0; i < config.backends.size(); ++i) {
      const toml::table& table = *(*tables)[i].as_table();
      const BackendSettings& settings = config.backends[i].settings;
      const toml::node* scope = table.get("scope");
      if (scope == nullptr) {
        return ErrorAt(table, absl::StrCat("backend `", settings.name,
                                           "`: a team daemon serves many users; say whose its "
                                           "tokens are: `scope = \"shared\"` (one token for "
                                           "everyone a rule admits) or `scope = \"personal\"`"));
      }
      if (!settings.names.empty()) {
        return ErrorAt(*table.get("names"),
                       absl::StrCat("backend `", settings.name,
                                    "`: a team daemon decides by index URL alone (cargo's "
                                    "registry name is the client's word, and it drops it): use "
                                    "`index_urls`"));
      }
      if (!settings.personal && settings.run_in_caller) {
        return ErrorAt(*scope, absl::StrCat("backend `", settings.name,
                                            "` runs in the caller, as that user: its tokens are "
                                            "theirs, so its scope must be \"personal\""));
      }
      if (settings.personal && !settings.run_in_caller && settings.kind != "memory") {
        return ErrorAt(
            *scope,
            absl::StrCat("backend `", settings.name, "` is personal, but a `", settings.kind,
                         "` backend in the daemon reads the daemon's account's store, "
                         "not each user's: run it in the caller (`run_in = "
                         "\"caller\"`) or keep personal logins with `kind = "
                         "\"memory\"`"));
      }
    }
    config.team = std::move(team);
    return absl::OkStatus();
  }

  absl::Status ParseListen(const toml::node& node, TeamSettings& team, std::string& contact) const {
    const toml::table* table = node.as_table();
    if (table == nullptr) return ErrorAt(node, "`listen` must be a table: [listen]");
    for (auto&& [key, value] : *table) {
      const std::string name(key.str());
      if (!value.is_string() || value.as_string()->get().empty()) {
        return ErrorAt(value, absl::StrCat("`", name, "` in [listen] must be a non-empty string"));
      }
      const std::string text = value.as_string()->get();
      if (name == "socket") {
        if (text.front() != '/' || text.size() > 107) {
          return ErrorAt(value, "`socket` must be an absolute path of at most 107 bytes");
        }
        team.socket = text;
      } else if (name == "group") {
        absl::StatusOr<gid_t> gid = GroupId(text);
        if (!gid.ok()) return ErrorAt(value, gid.status().message());
        team.group = *gid;
        team.group_name = text;
      } else if (name == "contact") {
        contact = text;
      } else {
        return ErrorAt(key, absl::StrCat("unknown key `", name,
                                         "` in [listen]; expected socket, group or contact"));
      }
    }
    return absl::OkStatus();
  }

  // Names (or numbers) of users or groups, resolved now.
  template <typename Id>
  absl::Status Ids(const toml::key& key, const toml::node& value,
                   absl::StatusOr<Id> (*resolve)(const std::string&), std::set<Id>& ids) const {
    absl::StatusOr<std::vector<std::string>> names = Globs(key, value);
    if (!names.ok()) return names.status();
    size_t i = 0;
    for (const std::string& name : *names) {
      absl::StatusOr<Id> id = resolve(name);
      if (!id.ok()) return ErrorAt(*value.as_array()->get(i), id.status().message());
      ids.insert(*id);
      ++i;
    }
    return absl::OkStatus();
  }

  absl::Status ParseRules(const toml::node& node, std::vector<AccessRule>& rules) const {
    const toml::array* array = node.as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      return ErrorAt(node, "`rule` must be a list of tables: [[rule]]");
    }
    for (const toml::node& item : *array) {
      const toml::table& table = *item.as_table();
      AccessRule rule;
      rule.where = Location(source_, table.source().begin);
      for (auto&& [key, value] : table) {
        const std::string name(key.str());
        absl::Status status;
        if (name == "registries") {
          absl::StatusOr<std::vector<std::string>> globs = Globs(key, value);
          if (!globs.ok()) return globs.status();
          rule.registries = *std::move(globs);
        } else if (name == "users") {
          status = Ids<uid_t>(key, value, &UserId, rule.users);
        } else if (name == "groups") {
          status = Ids<gid_t>(key, value, &GroupId, rule.groups);
        } else if (name == "operations") {
          absl::StatusOr<std::vector<std::string>> operations = Globs(key, value);
          if (!operations.ok()) return operations.status();
          for (const std::string& operation : *operations) {
            std::optional<cargo_credential::OperationKind> kind;
            for (auto each :
                 {cargo_credential::OperationKind::kRead, cargo_credential::OperationKind::kPublish,
                  cargo_credential::OperationKind::kYank, cargo_credential::OperationKind::kUnyank,
                  cargo_credential::OperationKind::kOwners}) {
              if (cargo_credential::OperationKindName(each) == operation) kind = each;
            }
            if (!kind.has_value()) {
              return ErrorAt(value, absl::StrCat("unknown operation `", operation,
                                                 "`; expected read, publish, yank, unyank or "
                                                 "owners"));
            }
            rule.operations.insert(*kind);
          }
        } else if (name == "login") {
          if (!value.is_boolean()) return ErrorAt(value, "`login` must be true or false");
          rule.login = value.as_boolean()->get();
        } else {
          return ErrorAt(key, absl::StrCat("unknown key `", name,
                                           "` in [[rule]]; expected registries, users, groups, "
                                           "operations or login"));
        }
        if (!status.ok()) return status;
      }
      if (rule.registries.empty()) {
        return ErrorAt(table,
                       "a [[rule]] must list the `registries` it admits to (globs on "
                       "index URLs; \"*\" for all)");
      }
      if (rule.users.empty() && rule.groups.empty()) {
        return ErrorAt(table, "a [[rule]] must name the `users` or `groups` it admits");
      }
      if (rule.operations.empty() && !rule.login) {
        return ErrorAt(table, "a [[rule]] must allow some `operations` (or `login = true`)");
      }
      rules.push_back(std::move(rule));
    }
    return absl::OkStatus();
  }

  absl::Status ParseAdmin(const toml::node& node, std::set<uid_t>& users,
                          std::set<gid_t>& groups) const {
    const toml::table* table = node.as_table();
    if (table == nullptr) return ErrorAt(node, "`admin` must be a table: [admin]");
    for (auto&& [key, value] : *table) {
      absl::Status status;
      if (key.str() == "users") {
        status = Ids<uid_t>(key, value, &UserId, users);
      } else if (key.str() == "groups") {
        status = Ids<gid_t>(key, value, &GroupId, groups);
      } else {
        status = ErrorAt(key, absl::StrCat("unknown key `", std::string(key.str()),
                                           "` in [admin]; expected users or groups"));
      }
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }

  // A positive integer of at most `most`.
  absl::StatusOr<int64_t> Count(const toml::key& key, const toml::node& value, int64_t most) const {
    if (!value.is_integer() || value.as_integer()->get() <= 0 || value.as_integer()->get() > most) {
      return ErrorAt(value, absl::StrCat("`", std::string(key.str()),
                                         "` must be a whole number from 1 to ", most));
    }
    return value.as_integer()->get();
  }

  absl::Status ParseAudit(const toml::node& node, AuditSettings& audit) const {
    const toml::table* table = node.as_table();
    if (table == nullptr) return ErrorAt(node, "`audit` must be a table: [audit]");
    for (auto&& [key, value] : *table) {
      const std::string name(key.str());
      if (name == "file") {
        if (!value.is_string() || value.as_string()->get().empty() ||
            value.as_string()->get().front() != '/') {
          return ErrorAt(value, "`file` in [audit] must be an absolute path");
        }
        audit.file = value.as_string()->get();
        continue;
      }
      absl::StatusOr<int64_t> count;
      if (name == "max_size") {
        count = Count(key, value, int64_t{1} << 40);
        if (count.ok()) audit.max_size = *count;
      } else if (name == "keep") {
        count = Count(key, value, 100);
        if (count.ok()) audit.keep = static_cast<int>(*count);
      } else {
        count = ErrorAt(key, absl::StrCat("unknown key `", name,
                                          "` in [audit]; expected file, max_size or keep"));
      }
      if (!count.ok()) return count.status();
    }
    return absl::OkStatus();
  }

  absl::Status ParseLimits(const toml::node& node, TeamLimits& limits) const {
    const toml::table* table = node.as_table();
    if (table == nullptr) return ErrorAt(node, "`limits` must be a table: [limits]");
    for (auto&& [key, value] : *table) {
      const std::string name(key.str());
      int* target = nullptr;
      int64_t most = 0;
      if (name == "entries_per_user") target = &limits.entries_per_user, most = 1 << 20;
      if (name == "request_bytes") target = &limits.request_bytes, most = 4 << 20;
      if (name == "calls_per_user") target = &limits.calls_per_user, most = 4096;
      if (target == nullptr) {
        return ErrorAt(key, absl::StrCat("unknown key `", name,
                                         "` in [limits]; expected entries_per_user, "
                                         "request_bytes or calls_per_user"));
      }
      absl::StatusOr<int64_t> count = Count(key, value, most);
      if (!count.ok()) return count.status();
      *target = static_cast<int>(*count);
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
      } else if (name == "scope") {
        const std::string scope = value.is_string() ? value.as_string()->get() : "";
        if (scope != "shared" && scope != "personal") {
          return ErrorAt(value, "`scope` must be \"shared\" or \"personal\"");
        }
        settings.personal = scope == "personal";
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
    settings.at = Location(source_, table.source().begin);
    if (kind->program) settings.program = kind->program(table);
    BackendOptions options(table, source_, settings.name, settings.timeout, settings.run_in_caller);
    if (kind->store) settings.store = kind->store(options);
    absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> made = kind->make(options);
    if (!made.ok()) return made.status();
    backend.credential = std::shared_ptr<cargo_credential::Credential>(std::move(*made));
    if (settings.personal && !settings.run_in_caller) {
      // Each owner's store is made as this one was, from the same table.
      backend.personal = std::make_shared<PersonalStores>(
          [kind, table = toml::table(table), source = source_, name = settings.name,
           timeout = settings.timeout]()
              -> absl::StatusOr<std::shared_ptr<cargo_credential::Credential>> {
            BackendOptions options(table, source, name, timeout);
            absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> made =
                kind->make(options);
            if (!made.ok()) return made.status();
            return std::shared_ptr<cargo_credential::Credential>(*std::move(made));
          });
    }
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
