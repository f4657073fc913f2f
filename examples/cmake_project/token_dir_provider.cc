// cargo-credential-token-dir: a Cargo credential provider written outside
// credcache against the installed cargo_credential library (see
// CMakeLists.txt). It keeps each registry's token in a file of its own in
// a directory named by its config entry:
//
//   [registries.my-registry]
//   credential-provider = ["cargo-credential-token-dir", "/home/me/.tokens"]
//
// The directory must exist and be the user's alone (mode 0700): the
// provider refuses one that others can enter. Only the public headers are
// used, as any project would.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cargo_credential/console.h"
#include "cargo_credential/error.h"
#include "cargo_credential/protocol.h"
#include "cargo_credential/provider.h"
#include "cargo_credential/secret.h"

namespace {

using cargo_credential::CredentialResponse;
using cargo_credential::Secret;

class TokenDirCredential : public cargo_credential::Credential {
 public:
  absl::StatusOr<CredentialResponse> Perform(const cargo_credential::RegistryInfo& registry,
                                             const cargo_credential::Action& action,
                                             const std::vector<std::string>& args) override {
    if (args.empty()) {
      return cargo_credential::OtherError(
          "no token directory: name one in the config entry, after the program");
    }
    absl::StatusOr<std::string> path = PathFor(args[0], registry.index_url);
    if (!path.ok()) return path.status();
    switch (action.kind) {
      case cargo_credential::ActionKind::kGet: {
        absl::StatusOr<Secret> token = Read(*path);
        if (!token.ok()) return token.status();
        return CredentialResponse::Get(*std::move(token), cargo_credential::CacheControl::Session(),
                                       true);
      }
      case cargo_credential::ActionKind::kLogin: {
        // The token cargo was given, or one the user pastes on the terminal.
        absl::StatusOr<Secret> token = cargo_credential::ReadToken(action.login, registry);
        if (!token.ok()) return token.status();
        if (absl::Status ok = cargo_credential::CheckToken(*token); !ok.ok()) return ok;
        if (absl::Status ok = Write(*path, *token); !ok.ok()) return ok;
        return CredentialResponse::Login();
      }
      case cargo_credential::ActionKind::kLogout:
        if (unlink(path->c_str()) != 0) {
          if (errno == ENOENT) return cargo_credential::NotFoundError();
          return cargo_credential::OtherError(
              absl::StrCat("cannot remove ", *path, ": ", std::strerror(errno)));
        }
        return CredentialResponse::Logout();
      default:
        return cargo_credential::OperationNotSupportedError();
    }
  }

 private:
  // The file for `index_url`: its bytes in hex, so that no URL can name a
  // path outside the directory.
  static absl::StatusOr<std::string> PathFor(const std::string& directory,
                                             const std::string& index_url) {
    struct stat info;
    if (stat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
      return cargo_credential::OtherError(absl::StrCat(directory, " is not a directory"));
    }
    if ((info.st_mode & 077) != 0 || info.st_uid != geteuid()) {
      return cargo_credential::OtherError(
          absl::StrCat(directory, " must be yours alone: chmod 700 ", directory));
    }
    std::string name;
    for (unsigned char c : index_url) {
      char hex[3];
      std::snprintf(hex, sizeof(hex), "%02x", c);
      name += hex;
    }
    return absl::StrCat(directory, "/", name);
  }

  static absl::StatusOr<Secret> Read(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      if (errno == ENOENT) return cargo_credential::NotFoundError();
      return cargo_credential::OtherError(absl::StrCat("cannot read ", path),
                                          {std::strerror(errno)});
    }
    std::string bytes;
    char buffer[4096];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
      cargo_credential::AppendWiped(bytes, absl::string_view(buffer, static_cast<size_t>(n)));
      if (bytes.size() > cargo_credential::kMaxTokenBytes) break;
    }
    explicit_bzero(buffer, sizeof(buffer));
    close(fd);
    Secret token(std::move(bytes));
    if (absl::Status ok = cargo_credential::CheckToken(token); !ok.ok()) {
      return cargo_credential::OtherError(absl::StrCat("the token in ", path, " is not usable"),
                                          {std::string(ok.message())});
    }
    return token;
  }

  // Written to a new file that replaces the old one whole, so a reader never
  // sees half a token.
  static absl::Status Write(const std::string& path, const Secret& token) {
    const std::string temporary = path + ".new";
    unlink(temporary.c_str());
    int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return cargo_credential::OtherError(absl::StrCat("cannot write ", temporary),
                                          {std::strerror(errno)});
    }
    const std::string& bytes = token.Expose();
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    const bool written = done == bytes.size() && fsync(fd) == 0;
    close(fd);
    if (!written || rename(temporary.c_str(), path.c_str()) != 0) {
      unlink(temporary.c_str());
      return cargo_credential::OtherError(absl::StrCat("cannot write ", path));
    }
    return absl::OkStatus();
  }
};

}  // namespace

int main(int argc, char** argv) {
  TokenDirCredential credential;
  return cargo_credential::RunProvider(credential, argc, argv,
                                       "a provider keeping each registry's token in a directory");
}
