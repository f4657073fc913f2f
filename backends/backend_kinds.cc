// A new kind is one header, one factory, and one line here.
#include "backends/backend_kinds.h"

#include "absl/strings/match.h"
#include "backends/backend.h"
#include "backends/cargo_provider_backend.h"
#include "backends/command_backend.h"
#include "backends/env_backend.h"
#include "backends/file_backend.h"
#include "backends/libsecret_backend.h"

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

}  // namespace

const std::vector<BackendKind>& BackendKinds() {
  // Never destroyed: the daemon may look kinds up until the very end.
  static const auto* const kinds = new std::vector<BackendKind>{
      {"file", {"path"}, MakeFileBackend, nullptr, /*takes_logins=*/true},
      {"env", {"variable"}, MakeEnvBackend, EnvServesOneToken, /*takes_logins=*/false},
      {"command",
       {"command", "cache", "lifetime"},
       MakeCommandBackend,
       CommandServesOneToken,
       /*takes_logins=*/false},
      {"cargo-provider",
       {"provider", "args"},
       MakeCargoProviderBackend,
       nullptr,
       /*takes_logins=*/true},
      {"libsecret", {}, MakeLibsecretBackend, nullptr, /*takes_logins=*/true},
  };
  return *kinds;
}

const BackendKind* FindBackendKind(absl::string_view name) {
  for (const BackendKind& kind : BackendKinds()) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

}  // namespace credcache
