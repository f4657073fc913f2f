#include "shim/import.h"

#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cargo_credential/error.h"
#include "common/location.h"
#include "common/paths.h"
#include "lib/private_file.h"
#include "lib/user_text.h"
#include "lib/utf8.h"
#include "nlohmann/json.hpp"
#include "proto/convert.h"
#include "proto/messages.h"
#include "shim/cargo_config.h"
#include "shim/cargo_url.h"
#include "shim/command_line.h"
#include "shim/daemon_client.h"
#include "toml++/toml.h"

namespace credcache {
namespace {

constexpr char kProgram[] = "cargo-credential-credcache";

// credentials.toml holds tokens: it is read only when private. Sets `path`
// to the file read, left empty when there is none.
absl::StatusOr<std::string> ReadCredentials(const std::string& cargo_home, std::string* path) {
  for (const std::string& candidate : CargoFileNames(cargo_home, "credentials")) {
    absl::StatusOr<std::optional<std::string>> text = cargo_credential::ReadPrivateFile(candidate);
    if (!text.ok()) return text.status();
    if (text->has_value()) {
      *path = candidate;
      return **std::move(text);
    }
  }
  return std::string();
}

}  // namespace

absl::StatusOr<std::vector<CargoToken>> ParseCargoCredentials(const std::string& credentials,
                                                              const std::string& config,
                                                              const std::string& source) {
  absl::StatusOr<toml::table> tokens = ParseCargoToml(credentials, source);
  if (!tokens.ok()) return tokens.status();
  absl::StatusOr<toml::table> settings = ParseCargoToml(config, "config.toml");
  if (!settings.ok()) return settings.status();
  std::vector<CargoToken> out;
  if (auto token = (*tokens)["registry"]["token"].value<std::string>()) {
    out.push_back({"crates-io", kCratesIoIndex, kCratesIoIndex, "",
                   cargo_credential::Secret(std::move(*token))});
  }
  if (const toml::table* registries = (*tokens)["registries"].as_table()) {
    for (auto&& [key, node] : *registries) {
      const std::string name(key.str());
      auto token = node.as_table() != nullptr ? (*node.as_table())["token"].value<std::string>()
                                              : std::optional<std::string>();
      if (!token.has_value()) continue;  // A secret-key, say: not a token.
      CargoToken entry{name, "", CargoIndexOf(name, *settings), "",
                       cargo_credential::Secret(std::move(*token))};
      if (!entry.configured_index.empty()) {
        absl::StatusOr<std::string> url = CargoIndexUrl(entry.configured_index);
        if (url.ok()) {
          entry.index_url = *std::move(url);
        } else {
          entry.index_error = std::string(url.status().message());
        }
      }
      out.push_back(std::move(entry));
    }
  }
  return out;
}

absl::StatusOr<std::string> RemoveCargoTokens(const std::string& credentials,
                                              const std::vector<std::string>& names) {
  absl::StatusOr<toml::table> tokens = ParseCargoToml(credentials, "credentials.toml");
  if (!tokens.ok()) return tokens.status();
  for (const std::string& name : names) {
    toml::table* table = name == "crates-io" ? (*tokens)["registry"].as_table()
                                             : (*tokens)["registries"][name].as_table();
    if (table == nullptr) continue;
    table->erase("token");
  }
  if (toml::table* registries = (*tokens)["registries"].as_table()) {
    for (auto it = registries->begin(); it != registries->end();) {
      const toml::table* table = it->second.as_table();
      it = table != nullptr && table->empty() ? registries->erase(it) : std::next(it);
    }
    if (registries->empty()) tokens->erase("registries");
  }
  if (const toml::table* registry = (*tokens)["registry"].as_table();
      registry != nullptr && registry->empty()) {
    tokens->erase("registry");
  }
  std::ostringstream text;
  text << *tokens;
  return tokens->empty() ? std::string() : text.str() + "\n";
}

namespace {

// One reason some registries were not imported, said once for all of them.
struct Failure {
  std::string error;
  std::vector<std::string> caused_by;
  std::string hint;
  std::vector<const CargoToken*> registries;
};

// What a refused login means, in words. The daemon answers a backend that
// stores no tokens, or serves no such registry, with the protocol's bare
// kinds (cargo has its own text for them, so they carry none): said plainly
// here, with what to do.
Failure Explain(const absl::Status& status, const std::string& backend) {
  const std::string message(status.message());
  const std::string status_command = absl::StrCat("`", kProgram, " status`");
  switch (cargo_credential::KindOf(status)) {
    case cargo_credential::ErrorKind::kOperationNotSupported:
      return {backend.empty()
                  ? "no backend credcache asks for this registry stores tokens (env and "
                    "command backends only read them)"
                  : absl::StrCat("backend `", backend,
                                 "` does not store tokens (env and command backends only read "
                                 "them)"),
              {},
              absl::StrCat(status_command,
                           " lists the backends; import --backend NAME puts the tokens into "
                           "one that stores them (file, libsecret, cargo-provider)"),
              {}};
    case cargo_credential::ErrorKind::kUrlNotSupported:
      return {backend.empty()
                  ? "no credcache backend serves this registry"
                  : absl::StrCat("backend `", backend, "` does not serve this registry"),
              {},
              absl::StrCat("a backend's index_urls and names in credcached's config choose "
                           "the registries it serves; ",
                           status_command, " shows them"),
              {}};
    default:
      return {message.empty()
                  ? std::string(cargo_credential::DefaultMessage(cargo_credential::KindOf(status)))
                  : message,
              cargo_credential::CausedBy(status),
              "",
              {}};
  }
}

std::string Describe(const CargoToken& entry) {
  return entry.configured_index.empty() || entry.configured_index == entry.index_url
             ? absl::StrCat(entry.name, " (", entry.index_url, ")")
             : absl::StrCat(entry.name, " (", entry.index_url, ", which cargo makes of ",
                            entry.configured_index, ")");
}

nlohmann::ordered_json RegistryJson(const CargoToken& entry) {
  return {{"name", entry.name}, {"index_url", entry.index_url}};
}

// Logs `entry`'s token in through the daemon. OK, or why not; `reached`
// says whether that is the daemon's answer or the failure to get one.
absl::Status LogIn(const ImportOptions& options, const CargoToken& entry, bool* reached) {
  cargo_credential::CredentialRequest login;
  login.registry = {entry.index_url, entry.name, {}};
  login.action.kind = cargo_credential::ActionKind::kLogin;
  login.action.login.token = entry.token.Clone();
  v1::PerformRequest request;
  *request.mutable_request() = ToProto(login);
  request.set_backend(options.backend);
  v1::PerformResponse response;
  const absl::Status status =
      CallDaemon(options.connect, "Perform", request, &response, absl::Seconds(60));
  cargo_credential::WipeString(
      *request.mutable_request()->mutable_action()->mutable_login()->mutable_token());
  cargo_credential::TellUser(response.user_text());
  *reached = status.ok();
  if (!status.ok()) return status;
  absl::StatusOr<cargo_credential::CredentialResponse> result = ResultFromProto(&response);
  return result.status();
}

}  // namespace

int RunImport(const ImportOptions& options) {
  const std::string cargo_home = CargoHome(options.cargo_home);
  // What went wrong before any token was read: said once, as JSON too.
  // Failures go to stderr with --json as without: only stdout is the
  // script's.
  const auto fail = [&options](const std::string& error, const std::vector<std::string>& causes) {
    fprintf(stderr, "import: %s\n", error.c_str());
    for (const std::string& cause : causes) fprintf(stderr, "  caused by: %s\n", cause.c_str());
    if (options.json) {
      PrintJson({{"ok", false}, {"error", error}, {"caused_by", causes}});
    }
    return 1;
  };
  const auto nothing = [&options](const std::string& why, const std::string& credentials) {
    if (options.json) {
      PrintJson({{"ok", true},
                 {"credentials", credentials},
                 {"imported", nlohmann::ordered_json::array()},
                 {"note", why}});
    } else {
      printf("%s\n", why.c_str());
    }
    return 0;
  };
  std::string credentials_path;
  absl::StatusOr<std::string> credentials = ReadCredentials(cargo_home, &credentials_path);
  if (!credentials.ok()) {
    return fail(std::string(credentials.status().message()),
                cargo_credential::CausedBy(credentials.status()));
  }
  if (credentials_path.empty()) {
    return nothing(absl::StrCat("no ", cargo_home, "/credentials.toml: nothing to import"), "");
  }
  const std::string config = ReadCargoHomeConfig(cargo_home);
  absl::StatusOr<std::vector<CargoToken>> tokens =
      ParseCargoCredentials(*credentials, config, credentials_path);
  if (!tokens.ok()) return fail(std::string(tokens.status().message()), {});
  if (tokens->empty()) {
    return nothing(absl::StrCat(credentials_path, " holds no tokens: nothing to import"),
                   credentials_path);
  }

  std::vector<const CargoToken*> imported;
  nlohmann::ordered_json skipped = nlohmann::ordered_json::array();
  std::vector<Failure> failures;
  // Once the daemon cannot be reached, it cannot be for the rest either:
  // they share that failure rather than each waiting to find it again.
  std::optional<absl::Status> unreachable;
  for (const CargoToken& entry : *tokens) {
    if (entry.index_url.empty()) {
      const std::string reason =
          entry.index_error.empty() ? "no index URL known for it" : entry.index_error;
      const std::string hint =
          entry.index_error.empty()
              ? absl::StrCat("add `[registries.", entry.name, "] index = \"...\"` to ", cargo_home,
                             "/config.toml (or set ", CargoRegistryVariable(entry.name, "INDEX"),
                             ") and run import again")
              : absl::StrCat("fix `[registries.", entry.name, "] index` in ", cargo_home,
                             "/config.toml (or ", CargoRegistryVariable(entry.name, "INDEX"),
                             ") and run import again");
      fprintf(stderr, "skipped %s: %s; %s\n", entry.name.c_str(), reason.c_str(), hint.c_str());
      skipped.push_back({{"name", entry.name}, {"reason", reason}, {"hint", hint}});
      continue;
    }
    bool reached = false;
    const absl::Status status =
        unreachable.has_value() ? *unreachable : LogIn(options, entry, &reached);
    if (status.ok()) {
      if (!options.json) {
        printf(
            "imported %s%s\n", Describe(entry).c_str(),
            options.backend.empty() ? "" : absl::StrCat(" into `", options.backend, "`").c_str());
      }
      imported.push_back(&entry);
      continue;
    }
    if (!reached) unreachable = status;
    Failure failure = Explain(status, options.backend);
    auto same = absl::c_find_if(failures, [&failure](const Failure& other) {
      return other.error == failure.error && other.caused_by == failure.caused_by;
    });
    if (same == failures.end()) same = failures.insert(failures.end(), std::move(failure));
    same->registries.push_back(&entry);
  }

  for (const Failure& failure : failures) {
    std::vector<std::string> names;
    for (const CargoToken* entry : failure.registries) names.push_back(entry->name);
    if (failure.registries.size() == 1) {
      fprintf(stderr, "failed %s: %s\n", Describe(*failure.registries[0]).c_str(),
              failure.error.c_str());
    } else {
      fprintf(stderr, "failed for %zu registries (%s): %s\n", failure.registries.size(),
              absl::StrJoin(names, ", ").c_str(), failure.error.c_str());
    }
    for (const std::string& cause : failure.caused_by) {
      fprintf(stderr, "  caused by: %s\n", cause.c_str());
    }
    if (!failure.hint.empty()) fprintf(stderr, "hint: %s\n", failure.hint.c_str());
  }

  int code = failures.empty() && skipped.empty() ? 0 : 1;
  nlohmann::ordered_json removed;
  if (options.remove && !imported.empty()) {
    std::vector<std::string> names;
    for (const CargoToken* entry : imported) names.push_back(entry->name);
    absl::StatusOr<std::string> rest = RemoveCargoTokens(*credentials, names);
    absl::Status written =
        rest.ok() ? cargo_credential::WritePrivateFileAtomically(credentials_path, *rest)
                  : rest.status();
    if (!written.ok()) {
      const std::string error = absl::StrCat("the tokens are in credcache, but ", credentials_path,
                                             " was left as it was: ", written.message());
      fprintf(stderr, "import: %s\n", error.c_str());
      removed = {{"count", 0}, {"error", error}};
      code = 1;
    } else {
      if (!options.json) {
        printf("removed %zu token(s) from %s\n", imported.size(), credentials_path.c_str());
      }
      removed = {{"count", imported.size()}};
    }
  } else if (!imported.empty() && !options.json) {
    printf(
        "%s still holds these tokens in plain text; once cargo works through credcache,\n"
        "run `%s import --remove` to delete them there.\n",
        credentials_path.c_str(), kProgram);
  }

  // The registries whose tokens should now come from credcache, and those
  // of them cargo's config does not send there yet.
  std::vector<std::string> not_asked;
  std::vector<std::string> own_provider;
  absl::StatusOr<toml::table> settings = ParseCargoToml(config, "config.toml");
  for (const CargoToken& entry : *tokens) {
    if (entry.index_url.empty() || CargoAsksCredcache(config, entry.name)) continue;
    not_asked.push_back(entry.name);
    const bool has_own =
        settings.ok() &&
        (entry.name == "crates-io"
             ? (*settings)["registry"]["credential-provider"].node() != nullptr
             : (*settings)["registries"][entry.name]["credential-provider"].node() != nullptr);
    if (has_own) own_provider.push_back(entry.name);
  }
  std::string config_hint;
  if (!not_asked.empty()) {
    config_hint = absl::StrCat(
        "Tell cargo to ask credcache, in ", cargo_home,
        "/config.toml:\n"
        "  [registry]\n"
        "  global-credential-providers = [\"cargo-credential-credcache\"]\n",
        own_provider.empty()
            ? "(a registry with its own `credential-provider = ...` needs it changed too)\n"
            : absl::StrCat("and change the `credential-provider` of ",
                           absl::StrJoin(own_provider, ", "),
                           ", which cargo asks instead of the global ones\n"));
    if (!options.json) printf("\n%s", config_hint.c_str());
  } else if (!options.json) {
    printf(
        "cargo already asks credcache for these registries (global-credential-providers in "
        "%s/config.toml)\n",
        cargo_home.c_str());
  }

  if (options.json) {
    nlohmann::ordered_json json = {
        {"ok", code == 0},
        {"credentials", credentials_path},
        {"backend", options.backend.empty() ? nlohmann::ordered_json()
                                            : nlohmann::ordered_json(options.backend)}};
    json["imported"] = nlohmann::ordered_json::array();
    for (const CargoToken* entry : imported) json["imported"].push_back(RegistryJson(*entry));
    json["skipped"] = skipped;
    json["failed"] = nlohmann::ordered_json::array();
    for (const Failure& failure : failures) {
      nlohmann::ordered_json registries = nlohmann::ordered_json::array();
      for (const CargoToken* entry : failure.registries) registries.push_back(RegistryJson(*entry));
      nlohmann::ordered_json each = {{"error", failure.error}, {"registries", registries}};
      if (!failure.caused_by.empty()) each["caused_by"] = failure.caused_by;
      if (!failure.hint.empty()) each["hint"] = failure.hint;
      json["failed"].push_back(each);
    }
    if (!removed.is_null()) json["removed"] = removed;
    json["cargo_asks_credcache"] = not_asked.empty();
    if (!config_hint.empty()) json["config_hint"] = config_hint;
    if (code != 0) {
      const size_t missed = tokens->size() - imported.size();
      json["error"] =
          missed > 0 ? absl::StrCat(missed, " of ", tokens->size(), " registries were not imported")
                     : removed["error"].get<std::string>();
      json["hint"] = missed > 0 ? "\"failed\" and \"skipped\" say why, and what to do"
                                : "remove the tokens from credentials.toml by hand";
    }
    PrintJson(json);
  }
  return code;
}

}  // namespace credcache
