#include "backends/file_backend.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string_view>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/path_watch.h"
#include "cargo_credential/console.h"
#include "cargo_credential/error.h"
#include "cargo_credential/secret.h"
#include "common/location.h"
#include "common/paths.h"
#include "lib/files.h"
#include "lib/private_file.h"
#include "lib/utf8.h"
#include "sodium.h"
#include "toml++/toml.h"

namespace credcache {
namespace {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::CacheControl;
using cargo_credential::Credential;
using cargo_credential::CredentialResponse;
using cargo_credential::RegistryInfo;
using cargo_credential::Secret;
using cargo_credential::WipeString;

constexpr char kHeader[] =
    "# credcache tokens, written by credcached. Keep this file private (0600).\n"
    "[tokens]\n";
constexpr char kExpectedShape[] =
    "the file must hold a [tokens] table of \"index-url\" = \"token\" entries";

// toml++ keeps its own copies of the tokens it parsed: overwrite them before
// the document is freed.
void WipeStrings(toml::node& node) {
  if (auto* text = node.as_string()) {
    WipeString(text->get());
  } else if (auto* table = node.as_table()) {
    for (auto&& [key, child] : *table) WipeStrings(child);
  } else if (auto* array = node.as_array()) {
    for (toml::node& child : *array) WipeStrings(child);
  }
}

// An error about the file at `at`. `what` never holds a value from the file:
// any of them may be a token.
absl::Status FileError(const std::string& path, const toml::source_position& at,
                       absl::string_view what) {
  return cargo_credential::OtherError(absl::StrCat(Location(path, at), ": ", what),
                                      {kExpectedShape});
}

}  // namespace

absl::StatusOr<TokenMap> ParseTokenFile(const std::string& path, const std::string& text) {
  toml::table document;
  try {
    document = toml::parse(std::string_view(text), std::string_view(path));
  } catch (const toml::parse_error& error) {
    // toml++'s description can quote the offending text, which may be a
    // token: report the position alone.
    return FileError(path, error.source().begin, "not valid TOML");
  }
  struct Wiper {
    toml::table& document;
    ~Wiper() { WipeStrings(document); }
  } wiper{document};

  for (auto&& [key, node] : document) {
    if (key.str() != "tokens") {
      return FileError(path, key.source().begin,
                       absl::StrCat("unknown key `", std::string(key.str()), "`"));
    }
  }
  TokenMap tokens;
  toml::node* section = document.get("tokens");
  if (section == nullptr) return tokens;
  toml::table* table = section->as_table();
  if (table == nullptr) {
    return FileError(path, section->source().begin, "`tokens` must be a table");
  }
  for (auto&& [key, node] : *table) {
    auto* token = node.as_string();
    if (token == nullptr) {
      return FileError(
          path, key.source().begin,
          absl::StrCat("the token for `", std::string(key.str()), "` must be a string"));
    }
    tokens.emplace(std::string(key.str()), Secret(std::move(token->get())));
  }
  return tokens;
}

namespace {

// The store's contents; a missing file is an empty store.
absl::StatusOr<TokenMap> Load(const std::string& path) {
  absl::StatusOr<std::optional<std::string>> contents = cargo_credential::ReadPrivateFile(path);
  if (!contents.ok()) return contents.status();
  if (!contents->has_value()) return TokenMap();
  absl::StatusOr<TokenMap> tokens = ParseTokenFile(path, **contents);
  WipeString(**contents);
  return tokens;
}

// Appends `text` as a TOML basic string.
void AppendQuoted(std::string& out, absl::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte == 0x7f) {
      absl::StrAppend(&out, "\\u", absl::Hex(byte, absl::kZeroPad4));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

// Replaces the file with `tokens`.
absl::Status Store(const std::string& path, const TokenMap& tokens) {
  // Reserved for the worst case (every byte escaped as \uXXXX), so the
  // buffer never reallocates and leaves an unwiped copy of a token behind.
  size_t size = sizeof(kHeader);
  for (const auto& [url, token] : tokens) size += 6 * (url.size() + token.size()) + 8;
  std::string contents;
  contents.reserve(size);
  contents.append(kHeader);
  for (const auto& [url, token] : tokens) {
    AppendQuoted(contents, url);
    contents.append(" = ");
    AppendQuoted(contents, token.Expose());
    contents.push_back('\n');
  }
  absl::Status status = cargo_credential::WritePrivateFileAtomically(path, contents);
  WipeString(contents);
  return status;
}

absl::StatusOr<std::string> ResolvePath(const BackendOptions& options) {
  absl::StatusOr<std::optional<std::string>> configured = options.OptionalString("path");
  if (!configured.ok()) return configured.status();
  if (!configured->has_value()) return absl::StrCat(DefaultDataDirectory(), "/tokens.toml");
  std::string path = **configured;
  if (absl::StartsWith(path, "~/")) path = absl::StrCat(HomeDirectory(), path.substr(1));
  if (!absl::StartsWith(path, "/")) {
    // The daemon's working directory is no place to look for a file.
    return options.Error("path", "must be an absolute path or start with \"~/\"");
  }
  return path;
}

}  // namespace

// A keyed digest of a token: tells two tokens apart, and gives nothing of
// either to whoever reads the daemon's memory.
using Digest = std::array<unsigned char, 16>;

struct FileBackend::Seen {
  Seen() { randombytes_buf(key, sizeof(key)); }
  ~Seen() { sodium_memzero(key, sizeof(key)); }
  Digest Of(const Secret& token) const {
    Digest digest;
    crypto_generichash(digest.data(), digest.size(),
                       reinterpret_cast<const unsigned char*>(token.Expose().data()),
                       token.Expose().size(), key, sizeof(key));
    return digest;
  }

  unsigned char key[crypto_generichash_KEYBYTES];
  // Each token as the watch last read the file; nullopt when it could not.
  std::optional<std::map<std::string, Digest>> read;
  // Each token a get answered since that read: the cache may hold it even
  // when the file was put back as it was before the next read.
  std::map<std::string, Digest> served;
};

// More registries than this changed at once are told as one change of
// possibly any: one eviction and one log line, not hundreds.
constexpr size_t kManyChanged = 16;

class FileBackend::FileWatch : public StoreWatch {
 public:
  FileWatch(FileBackend* backend, std::unique_ptr<PathWatch> paths, cargo_credential::ScopedFd wake,
            StoreChanged changed)
      : backend_(backend),
        changed_(std::move(changed)),
        wake_(std::move(wake)),
        paths_(std::move(paths)) {
    thread_ = std::thread([this] { Run(); });
  }

  ~FileWatch() override {
    const uint64_t one = 1;
    // An eventfd write of 1 cannot fail short of overflow, which one write
    // never reaches.
    ssize_t ignored = write(wake_.get(), &one, sizeof(one));
    (void)ignored;
    thread_.join();
    absl::MutexLock lock(&backend_->mutex_);
    backend_->seen_.reset();
  }

  bool Behind() const override {
    // In this order: a change whose events the thread has read already is
    // being told while it holds the mutex.
    if (paths_->Pending()) return true;
    if (!mutex_.TryLock()) return true;
    mutex_.Unlock();
    return false;
  }

  void CatchUp() override {
    absl::MutexLock lock(&mutex_);
    HandleLocked();
  }

 private:
  void Run() {
    struct pollfd ready[2] = {{paths_->fd(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    while (true) {
      if (poll(ready, 2, -1) < 0) {
        if (errno == EINTR || errno == ENOMEM || errno == EAGAIN) continue;
        return;  // EFAULT, EINVAL: not on these two descriptors.
      }
      if ((ready[1].revents & POLLIN) != 0) return;
      if (ready[0].revents != 0) {
        absl::MutexLock lock(&mutex_);
        HandleLocked();
      }
    }
  }

  // Told while the mutex is held, so that CatchUp() returns only once what
  // it waited for was told.
  void HandleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (!paths_->Drain()) return;
    const std::optional<std::vector<std::string>> changed = backend_->Rescan();
    if (!changed.has_value() || changed->size() > kManyChanged) {
      changed_(std::nullopt);
      return;
    }
    for (const std::string& index_url : *changed) changed_(index_url);
  }

  FileBackend* const backend_;
  const StoreChanged changed_;
  // An eventfd: the destructor's word to the thread to stop.
  const cargo_credential::ScopedFd wake_;
  // Held while a change is drained and told (HandleLocked).
  mutable absl::Mutex mutex_;
  // Its fd() and Pending() are for any thread; Drain() only under mutex_.
  const std::unique_ptr<PathWatch> paths_;
  std::thread thread_;
};

FileBackend::FileBackend(std::string path) : path_(std::move(path)) {}

FileBackend::~FileBackend() = default;

absl::StatusOr<std::unique_ptr<StoreWatch>> FileBackend::Watch(StoreChanged changed) {
  {
    absl::MutexLock lock(&mutex_);
    if (seen_ != nullptr) return absl::FailedPreconditionError(path_ + " is watched already");
    if (sodium_init() < 0) return absl::InternalError("libsodium did not start");
    seen_ = std::make_unique<Seen>();
  }
  // Armed before the first read, so that a change between the two is seen.
  absl::StatusOr<std::unique_ptr<PathWatch>> paths = PathWatch::Start(path_);
  cargo_credential::ScopedFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (paths.ok() && !wake.valid()) paths = cargo_credential::FileError("cannot watch", path_);
  if (!paths.ok()) {
    absl::MutexLock lock(&mutex_);
    seen_.reset();
    return paths.status();
  }
  // What the next reads are measured against.
  Rescan();
  return std::make_unique<FileWatch>(this, *std::move(paths), std::move(wake), std::move(changed));
}

std::optional<std::vector<std::string>> FileBackend::Rescan() {
  absl::MutexLock lock(&mutex_);
  if (seen_ == nullptr) return std::nullopt;
  absl::StatusOr<TokenMap> tokens = Load(path_);
  if (!tokens.ok()) {
    seen_->read.reset();
    seen_->served.clear();
    return std::nullopt;
  }
  std::map<std::string, Digest> now;
  for (const auto& [index_url, token] : *tokens) now[index_url] = seen_->Of(token);
  std::optional<std::vector<std::string>> changed;
  if (seen_->read.has_value()) {
    std::set<std::string> urls;
    auto differs = [&now](const std::string& index_url, const Digest& digest) {
      auto it = now.find(index_url);
      return it == now.end() || it->second != digest;
    };
    // Replaced or removed since the last read, or since a get answered it.
    for (const auto& [index_url, digest] : *seen_->read) {
      if (differs(index_url, digest)) urls.insert(index_url);
    }
    for (const auto& [index_url, digest] : seen_->served) {
      if (differs(index_url, digest)) urls.insert(index_url);
    }
    // Added: it now shadows whatever a later backend answered for it.
    for (const auto& [index_url, digest] : now) {
      if (seen_->read->count(index_url) == 0) urls.insert(index_url);
    }
    changed.emplace(urls.begin(), urls.end());
  }
  seen_->read = std::move(now);
  seen_->served.clear();
  return changed;
}

absl::StatusOr<CredentialResponse> FileBackend::Perform(const RegistryInfo& registry,
                                                        const Action& action,
                                                        const std::vector<std::string>& args) {
  switch (action.kind) {
    case ActionKind::kGet: {
      absl::MutexLock lock(&mutex_);
      absl::StatusOr<TokenMap> tokens = Load(path_);
      if (!tokens.ok()) return tokens.status();
      auto it = tokens->find(registry.index_url);
      if (it == tokens->end()) return cargo_credential::NotFoundError();
      if (seen_ != nullptr) seen_->served[registry.index_url] = seen_->Of(it->second);
      return CredentialResponse::Get(std::move(it->second), CacheControl::Session(),
                                     /*operation_independent=*/true);
    }
    case ActionKind::kLogin: {
      // Before the lock: this may wait for a person at the terminal.
      absl::StatusOr<Secret> token = cargo_credential::ReadToken(action.login, registry);
      if (!token.ok()) return token.status();
      if (!cargo_credential::IsUtf8(token->Expose()) ||
          !cargo_credential::IsUtf8(registry.index_url)) {
        return cargo_credential::OtherError(
            "cannot store the token: it or the index URL is not valid UTF-8");
      }
      absl::MutexLock lock(&mutex_);
      absl::StatusOr<TokenMap> tokens = Load(path_);
      if (!tokens.ok()) return tokens.status();
      (*tokens)[registry.index_url] = *std::move(token);
      absl::Status stored = Store(path_, *tokens);
      if (!stored.ok()) return stored;
      return CredentialResponse::Login();
    }
    case ActionKind::kLogout: {
      absl::MutexLock lock(&mutex_);
      absl::StatusOr<TokenMap> tokens = Load(path_);
      if (!tokens.ok()) return tokens.status();
      if (tokens->erase(registry.index_url) == 0) return cargo_credential::NotFoundError();
      absl::Status stored = Store(path_, *tokens);
      if (!stored.ok()) return stored;
      return CredentialResponse::Logout();
    }
    case ActionKind::kUnknown:
      break;
  }
  return cargo_credential::OperationNotSupportedError();
}

std::string FileStorePath(const BackendOptions& options) {
  absl::StatusOr<std::string> path = ResolvePath(options);
  return path.ok() ? *std::move(path) : std::string();
}

absl::StatusOr<std::unique_ptr<Credential>> MakeFileBackend(const BackendOptions& options) {
  absl::StatusOr<std::string> path = ResolvePath(options);
  if (!path.ok()) return path.status();
  return std::make_unique<FileBackend>(*std::move(path));
}

}  // namespace credcache
