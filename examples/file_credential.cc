#include "examples/file_credential.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/console.h"
#include "lib/error.h"
#include "lib/line_io.h"
#include "lib/secret.h"

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

constexpr size_t kMaxFileLine = 64 * 1024;

std::string ErrnoText(absl::string_view what, absl::string_view path) {
  return absl::StrCat(what, " ", path, ": ", strerror(errno));
}

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
      return cargo_credential::OtherError(
          absl::StrCat("unknown argument `", args[i], "`"),
          {"the only argument is `--file PATH`"});
    }
  }
  if (path.empty()) return DefaultPath();
  return path;
}

// Reads the token file; a missing file is an empty store.
absl::StatusOr<TokenMap> Load(const std::string& path) {
  TokenMap tokens;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return tokens;
    return cargo_credential::OtherError(ErrnoText("cannot open", path));
  }
  struct stat info;
  if (fstat(fd, &info) != 0 || (info.st_mode & 077) != 0 ||
      info.st_uid != geteuid()) {
    close(fd);
    return cargo_credential::OtherError(
        absl::StrCat("refusing to use ", path,
                     ": it must be owned by you and not readable by others"),
        {absl::StrCat("fix it with: chmod 600 ", path)});
  }
  cargo_credential::LineReader reader(fd, kMaxFileLine);
  int number = 0;
  while (true) {
    absl::StatusOr<std::optional<std::string>> line = reader.Next();
    if (!line.ok()) {
      close(fd);
      return cargo_credential::OtherError(absl::StrCat("cannot read ", path),
                                          {std::string(line.status().message())});
    }
    if (!line->has_value()) break;
    ++number;
    std::string text = std::move(**line);
    const size_t space = text.find(' ');
    if (!text.empty() && space == std::string::npos) {
      cargo_credential::WipeString(text);
      close(fd);
      return cargo_credential::OtherError(
          absl::StrCat(path, ":", number, ": expected `<index-url> <token>`"));
    }
    if (!text.empty()) {
      tokens.emplace(text.substr(0, space),
                     Secret(absl::string_view(text).substr(space + 1)));
    }
    cargo_credential::WipeString(text);
  }
  close(fd);
  return tokens;
}

absl::Status MakeParentDirectory(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return absl::OkStatus();
  const std::string parent = path.substr(0, slash);
  // Create each missing level, private to the user.
  for (size_t at = parent.find('/', 1); ; at = parent.find('/', at + 1)) {
    const std::string prefix = parent.substr(0, at);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return cargo_credential::OtherError(ErrnoText("cannot create", prefix));
    }
    if (at == std::string::npos) break;
  }
  return absl::OkStatus();
}

// Replaces the file with `tokens`: temp file, fsync, rename, fsync of the
// directory, so the change is whole and durable before login is answered.
absl::Status Store(const std::string& path, const TokenMap& tokens) {
  absl::Status made = MakeParentDirectory(path);
  if (!made.ok()) return made;
  std::string temp = absl::StrCat(path, ".tmp.XXXXXX");
  const int fd = mkostemp(temp.data(), O_CLOEXEC);  // Mode 0600.
  if (fd < 0) return cargo_credential::OtherError(ErrnoText("cannot create", temp));
  std::string contents;
  for (const auto& [url, token] : tokens) {
    absl::StrAppend(&contents, url, " ", token.Expose(), "\n");
  }
  absl::Status written = cargo_credential::WriteAll(fd, contents);
  cargo_credential::WipeString(contents);
  if (written.ok() && fsync(fd) != 0) {
    written = cargo_credential::OtherError(ErrnoText("cannot sync", temp));
  }
  close(fd);
  if (written.ok() && rename(temp.c_str(), path.c_str()) != 0) {
    written = cargo_credential::OtherError(ErrnoText("cannot replace", path));
  }
  if (!written.ok()) {
    unlink(temp.c_str());
    return written;
  }
  const size_t slash = path.rfind('/');
  const std::string directory = slash == std::string::npos ? "."
                                : slash == 0                ? "/"
                                                            : path.substr(0, slash);
  const int dir_fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CredentialResponse> FileCredential::Perform(
    const RegistryInfo& registry, const Action& action,
    const std::vector<std::string>& args) {
  absl::StatusOr<std::string> path = PathFromArgs(args);
  if (!path.ok()) return path.status();
  absl::StatusOr<TokenMap> tokens = Load(*path);
  if (!tokens.ok()) return tokens.status();

  switch (action.kind) {
    case ActionKind::kGet: {
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
      break;
  }
  return cargo_credential::OperationNotSupportedError();
}

}  // namespace credcache_examples
