#include "examples/file_credential.h"

#include <stdio.h>
#include <stdlib.h>

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cargo_credential/console.h"
#include "cargo_credential/error.h"
#include "cargo_credential/secret.h"
#include "lib/private_file.h"

namespace credcache_examples {
namespace {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::CacheControl;
using cargo_credential::CredentialResponse;
using cargo_credential::RegistryInfo;
using cargo_credential::Secret;

// Index URL to token.
using TokenMap = std::map<std::string, Secret>;

absl::StatusOr<std::string> DefaultPath() {
  const char* data = getenv("XDG_DATA_HOME");
  std::string base;
  if (data != nullptr && data[0] == '/') {
    base = data;
  } else {
    const char* home = getenv("HOME");
    if (home == nullptr || home[0] != '/') {
      return cargo_credential::OtherError(
          "cannot find the token file: neither XDG_DATA_HOME nor HOME is set; "
          "give one with `--file PATH` in the credential-provider entry");
    }
    base = absl::StrCat(home, "/.local/share");
  }
  return absl::StrCat(base, "/cargo-credential-example-file/tokens");
}

// The token file named by `args`; the login arguments after `--` are the
// user's and are rejected when unknown, rather than silently ignored.
absl::StatusOr<std::string> PathFromArgs(const std::vector<std::string>& args) {
  std::string path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--file" && i + 1 < args.size()) {
      path = args[++i];
    } else {
      return cargo_credential::OtherError(absl::StrCat("unknown argument `", args[i], "`"),
                                          {"the only argument is `--file PATH`"});
    }
  }
  if (path.empty()) return DefaultPath();
  return path;
}

// Reads the token file; a missing file is an empty store.
absl::StatusOr<TokenMap> Load(const std::string& path) {
  absl::StatusOr<std::optional<std::string>> contents = cargo_credential::ReadPrivateFile(path);
  if (!contents.ok()) return contents.status();
  TokenMap tokens;
  if (!contents->has_value()) return tokens;
  std::string& text = **contents;
  absl::Status status;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    ++number;
    const size_t space = line.find(' ');
    if (space == absl::string_view::npos) {
      status = cargo_credential::OtherError(
          absl::StrCat(path, ":", number, ": expected `<index-url> <token>`"));
      break;
    }
    tokens.emplace(std::string(line.substr(0, space)), Secret(line.substr(space + 1)));
  }
  cargo_credential::WipeString(text);
  if (!status.ok()) return status;
  return tokens;
}

// Replaces the file with `tokens`, whole and durable before login is
// answered.
absl::Status Store(const std::string& path, const TokenMap& tokens) {
  std::string contents;
  for (const auto& [url, token] : tokens) {
    absl::StrAppend(&contents, url, " ", token.Expose(), "\n");
  }
  absl::Status status = cargo_credential::WritePrivateFileAtomically(path, contents);
  cargo_credential::WipeString(contents);
  return status;
}

}  // namespace

absl::StatusOr<CredentialResponse> FileCredential::Perform(const RegistryInfo& registry,
                                                           const Action& action,
                                                           const std::vector<std::string>& args) {
  absl::StatusOr<std::string> path = PathFromArgs(args);
  if (!path.ok()) return path.status();
  absl::StatusOr<TokenMap> tokens = Load(*path);
  if (!tokens.ok()) return tokens.status();

  switch (action.kind) {
    case ActionKind::kGet: {
      // A get of an operation this library does not know (a newer cargo's)
      // arrives as OperationKind::kUnknown. The choice is the provider's:
      // the tokens here are per registry, good for any operation, so they
      // are served whatever the operation (a store of per-operation
      // tokens would answer operation-not-supported).
      auto it = tokens->find(registry.index_url);
      if (it == tokens->end()) return cargo_credential::NotFoundError();
      return CredentialResponse::Get(it->second.Clone(), CacheControl::Session(),
                                     /*operation_independent=*/true);
    }
    case ActionKind::kLogin: {
      absl::StatusOr<Secret> token = cargo_credential::ReadToken(action.login, registry);
      if (!token.ok()) return token.status();
      (*tokens)[registry.index_url] = *std::move(token);
      absl::Status stored = Store(*path, *tokens);
      if (!stored.ok()) return stored;
      fprintf(stderr, "Login token for `%s` saved in %s\n",
              registry.name.value_or(registry.index_url).c_str(), path->c_str());
      return CredentialResponse::Login();
    }
    case ActionKind::kLogout: {
      if (tokens->erase(registry.index_url) == 0) {
        return cargo_credential::NotFoundError();
      }
      absl::Status stored = Store(*path, *tokens);
      if (!stored.ok()) return stored;
      return CredentialResponse::Logout();
    }
    case ActionKind::kUnknown:
      // An action this library does not know: nothing to do it with.
      break;
  }
  return cargo_credential::OperationNotSupportedError();
}

}  // namespace credcache_examples
