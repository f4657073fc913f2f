#include "backends/caller_kinds.h"

#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/cargo_provider_backend.h"
#include "backends/command_backend.h"
#include "backends/env_backend.h"
#include "backends/secret_env.h"
#include "toml++/toml.h"

namespace credcache {
namespace {

// Whether any string in `table[key]` (a string or a list of them) holds one
// of `placeholders`, making the token depend on the registry asked about.
bool MentionsAny(const toml::table& table, const char* key,
                 std::initializer_list<absl::string_view> placeholders) {
  std::vector<std::string> values;
  if (const toml::node* node = table.get(key)) {
    if (const auto* text = node->as_string()) values.push_back(text->get());
    if (const auto* list = node->as_array()) {
      for (const toml::node& item : *list) {
        if (const auto* text = item.as_string()) values.push_back(text->get());
      }
    }
  }
  for (const std::string& value : values) {
    for (absl::string_view placeholder : placeholders) {
      if (absl::StrContains(value, placeholder)) return true;
    }
  }
  return false;
}

bool EnvServesOneToken(const toml::table& table) {
  return !MentionsAny(table, "variable", {"{NAME}"});
}

bool CommandServesOneToken(const toml::table& table) {
  return !MentionsAny(table, "command", {"{index_url}", "{name}"});
}

// The program a backend runs: `key` as a string, or the first of a list.
std::function<std::string(const toml::table&)> FirstString(const char* key) {
  return [key](const toml::table& table) -> std::string {
    const toml::node* node = table.get(key);
    if (node == nullptr) return "";
    if (const toml::array* list = node->as_array(); list != nullptr && !list->empty()) {
      node = list->get(0);
    }
    const auto* text = node->as_string();
    return text == nullptr ? "" : text->get();
  };
}

}  // namespace

const std::vector<BackendKind>& CallerKinds() {
  // Never destroyed: the daemon may look kinds up until the very end.
  static const auto* const kinds = new std::vector<BackendKind>{
      {"env",
       {"variable"},
       MakeEnvBackend,
       EnvServesOneToken,
       /*takes_logins=*/false,
       /*runs_in_caller=*/true,
       /*answers_per_caller=*/true},
      {"command",
       {"command", "cache", "lifetime"},
       MakeCommandBackend,
       CommandServesOneToken,
       /*takes_logins=*/false,
       /*runs_in_caller=*/true,
       /*answers_per_caller=*/false,
       FirstString("command")},
      {"cargo-provider",
       {"provider", "args"},
       MakeCargoProviderBackend,
       nullptr,
       /*takes_logins=*/true,
       /*runs_in_caller=*/true,
       /*answers_per_caller=*/false,
       FirstString("provider")},
  };
  return *kinds;
}

absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> MakeBackendInCaller(
    absl::string_view kind, absl::string_view config, const std::string& name,
    absl::Duration timeout, const std::vector<std::string>& secret_variables) {
  for (const std::string& pattern : secret_variables) RegisterSecretVariable(pattern);
  const BackendKind* found = nullptr;
  for (const BackendKind& each : CallerKinds()) {
    if (each.name == kind) found = &each;
  }
  if (found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("credcached asked this shim to run backend `",
                                                   name, "` of kind `", kind,
                                                   "`, which cannot run in the caller"));
  }
  const std::string source = absl::StrCat("credcached's config of backend `", name, "`");
  toml::table table;
  try {
    table = toml::parse(std::string_view(config.data(), config.size()));
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, " does not parse: ", std::string(error.description())));
  }
  BackendOptions options(table, source, name, timeout, /*in_caller=*/true);
  return found->make(options);
}

}  // namespace credcache
