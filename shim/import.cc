#include "shim/import.h"

#include <stdio.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/location.h"
#include "common/paths.h"
#include "lib/error.h"
#include "lib/private_file.h"
#include "lib/user_text.h"
#include "proto/convert.h"
#include "proto/messages.h"
#include "shim/daemon_client.h"
#include "toml++/toml.h"

namespace credcache {
namespace {

absl::StatusOr<toml::table> Parse(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& error) {
    // Position only: the file holds tokens, and parse messages quote text.
    return absl::InvalidArgumentError(
        absl::StrCat(Location(source, error.source().begin), ": not valid TOML"));
  }
}

// cargo's CARGO_REGISTRIES_<NAME>_INDEX spelling of a registry name.
std::string IndexVariable(const std::string& name) {
  return absl::StrCat("CARGO_REGISTRIES_",
                      absl::AsciiStrToUpper(absl::StrReplaceAll(name, {{"-", "_"}})), "_INDEX");
}

std::string IndexOf(const std::string& name, const toml::table& config) {
  if (const char* env = getenv(IndexVariable(name).c_str())) return env;
  if (auto index = config["registries"][name]["index"].value<std::string>()) return *index;
  return "";
}

std::string CargoHome(const ImportOptions& options) {
  if (!options.cargo_home.empty()) return options.cargo_home;
  const char* env = getenv("CARGO_HOME");
  if (env != nullptr && env[0] != '\0') return env;
  return HomeDirectory() + "/.cargo";
}

// cargo reads `NAME.toml`, or the legacy `NAME` when that is missing.
std::vector<std::string> CargoFileNames(const std::string& cargo_home, const std::string& name) {
  return {absl::StrCat(cargo_home, "/", name, ".toml"), absl::StrCat(cargo_home, "/", name)};
}

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

std::string ReadConfig(const std::string& cargo_home) {
  for (const std::string& candidate : CargoFileNames(cargo_home, "config")) {
    std::ifstream in(candidate);
    if (!in) continue;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  return "";
}

}  // namespace

absl::StatusOr<std::vector<CargoToken>> ParseCargoCredentials(const std::string& credentials,
                                                              const std::string& config,
                                                              const std::string& source) {
  absl::StatusOr<toml::table> tokens = Parse(credentials, source);
  if (!tokens.ok()) return tokens.status();
  absl::StatusOr<toml::table> settings = Parse(config, "config.toml");
  if (!settings.ok()) return settings.status();
  std::vector<CargoToken> out;
  if (auto token = (*tokens)["registry"]["token"].value<std::string>()) {
    out.push_back({"crates-io", kCratesIoIndex, cargo_credential::Secret(std::move(*token))});
  }
  if (const toml::table* registries = (*tokens)["registries"].as_table()) {
    for (auto&& [key, node] : *registries) {
      const std::string name(key.str());
      auto token = node.as_table() != nullptr ? (*node.as_table())["token"].value<std::string>()
                                              : std::optional<std::string>();
      if (!token.has_value()) continue;  // A secret-key, say: not a token.
      out.push_back({name, IndexOf(name, *settings), cargo_credential::Secret(std::move(*token))});
    }
  }
  return out;
}

absl::StatusOr<std::string> RemoveCargoTokens(const std::string& credentials,
                                              const std::vector<std::string>& names) {
  absl::StatusOr<toml::table> tokens = Parse(credentials, "credentials.toml");
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

int RunImport(const ImportOptions& options) {
  const std::string cargo_home = CargoHome(options);
  std::string credentials_path;
  absl::StatusOr<std::string> credentials = ReadCredentials(cargo_home, &credentials_path);
  if (!credentials.ok()) {
    fprintf(stderr, "import: %s\n", std::string(credentials.status().message()).c_str());
    for (const std::string& cause : cargo_credential::CausedBy(credentials.status())) {
      fprintf(stderr, "  %s\n", cause.c_str());
    }
    return 1;
  }
  if (credentials_path.empty()) {
    printf("no %s/credentials.toml: nothing to import\n", cargo_home.c_str());
    return 0;
  }
  const std::string config = ReadConfig(cargo_home);
  absl::StatusOr<std::vector<CargoToken>> tokens =
      ParseCargoCredentials(*credentials, config, credentials_path);
  if (!tokens.ok()) {
    fprintf(stderr, "import: %s\n", std::string(tokens.status().message()).c_str());
    return 1;
  }
  if (tokens->empty()) {
    printf("%s holds no tokens: nothing to import\n", credentials_path.c_str());
    return 0;
  }

  ConnectOptions connect = ConnectOptionsFor(options.socket);

  std::vector<std::string> imported;
  int failed = 0;
  for (const CargoToken& entry : *tokens) {
    if (entry.index_url.empty()) {
      fprintf(stderr,
              "skipped %s: no index URL known for it; add `[registries.%s] index = \"...\"` to "
              "%s/config.toml (or set %s) and run import again\n",
              entry.name.c_str(), entry.name.c_str(), cargo_home.c_str(),
              IndexVariable(entry.name).c_str());
      ++failed;
      continue;
    }
    cargo_credential::CredentialRequest login;
    login.registry = {entry.index_url, entry.name, {}};
    login.action.kind = cargo_credential::ActionKind::kLogin;
    login.action.login.token = entry.token.Clone();
    v1::PerformRequest request;
    *request.mutable_request() = ToProto(login);
    request.set_backend(options.backend);
    v1::PerformResponse response;
    const absl::Status status =
        CallDaemon(connect, "Perform", request, &response, absl::Seconds(60));
    cargo_credential::WipeString(
        *request.mutable_request()->mutable_action()->mutable_login()->mutable_token());
    cargo_credential::TellUser(response.user_text());
    absl::StatusOr<cargo_credential::CredentialResponse> result =
        status.ok() ? ResultFromProto(&response)
                    : absl::StatusOr<cargo_credential::CredentialResponse>(
                          cargo_credential::OtherError(std::string(status.message())));
    if (!result.ok()) {
      fprintf(stderr, "failed %s (%s): %s\n", entry.name.c_str(), entry.index_url.c_str(),
              std::string(result.status().message()).c_str());
      for (const std::string& cause : cargo_credential::CausedBy(result.status())) {
        fprintf(stderr, "  caused by: %s\n", cause.c_str());
      }
      ++failed;
      continue;
    }
    printf("imported %s (%s)%s\n", entry.name.c_str(), entry.index_url.c_str(),
           options.backend.empty() ? "" : absl::StrCat(" into `", options.backend, "`").c_str());
    imported.push_back(entry.name);
  }

  if (options.remove && !imported.empty()) {
    absl::StatusOr<std::string> rest = RemoveCargoTokens(*credentials, imported);
    absl::Status written =
        rest.ok() ? cargo_credential::WritePrivateFileAtomically(credentials_path, *rest)
                  : rest.status();
    if (!written.ok()) {
      fprintf(stderr, "import: the tokens are in credcache, but %s was left as it was: %s\n",
              credentials_path.c_str(), std::string(written.message()).c_str());
      return 1;
    }
    printf("removed %zu token(s) from %s\n", imported.size(), credentials_path.c_str());
  } else if (!imported.empty()) {
    printf(
        "%s still holds these tokens in plain text; once cargo works through credcache,\n"
        "run `cargo-credential-credcache import --remove` to delete them there.\n",
        credentials_path.c_str());
  }
  printf(
      "\nTell cargo to ask credcache, in %s/config.toml:\n"
      "  [registry]\n"
      "  global-credential-providers = [\"cargo-credential-credcache\"]\n"
      "(a registry with its own `credential-provider = ...` needs it changed too)\n",
      cargo_home.c_str());
  return failed == 0 ? 0 : 1;
}

}  // namespace credcache
