// FileBackend: tokens kept in a private TOML file, keyed by index URL.
//
// The file is credcache's own store, the one `cargo login` fills when a
// registry is configured with a `file` backend:
//
//   # credcache tokens, written by credcached. Keep this file private (0600).
//   [tokens]
//   "sparse+https://example.com/index/" = "Bearer abc"
//
// It is read on every request (so edits by hand take effect at once) with
// ReadPrivateFile, which refuses a file that group or others can access, and
// replaced whole with WritePrivateFileAtomically, so a login that was
// answered is on disk and a crash never leaves half a file. Errors about the
// file name its line and column, never a value from it.
//
// Config: `path` (optional) is the file; "~/" at its start is $HOME. The
// default is $XDG_DATA_HOME/credcache/tokens.toml, else
// $HOME/.local/share/credcache/tokens.toml.
//
// Watched (Watch(), as the daemon does), a change to the file by anyone
// else (an editor, a script) drops the cached copies it made stale at once,
// not when their ttl ends: see Watch().
//
// Thread-safety: Perform() may be called concurrently; a mutex serialises
// every request, so concurrent logins never lose one another's update. Other
// processes writing the same file are not coordinated with; a watch sees
// what they wrote.
#ifndef CREDCACHE_BACKENDS_FILE_BACKEND_H_
#define CREDCACHE_BACKENDS_FILE_BACKEND_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backends/backend.h"
#include "cargo_credential/credential.h"
#include "cargo_credential/secret.h"

namespace credcache {

class FileBackend : public cargo_credential::Credential, public WatchableStore {
 public:
  // Keeps tokens in `path`, which must be absolute. The file and its parent
  // directories need not exist yet: the first login creates them.
  explicit FileBackend(std::string path);
  ~FileBackend() override;

  const std::string& path() const { return path_; }

  // get: the stored token (cache session, operation-independent), or
  // not-found. login: stores the token cargo passed (or one typed at the
  // terminal, when there is one), answering only once it is on disk.
  // logout: erases the token, or not-found when there is none. A file that
  // cannot be read, is not private, or is malformed fails with `other`.
  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override;

  // Watches the file (backends/path_watch.h: its directory and those above,
  // since editors replace a file by renaming another over it, and the file
  // need not exist yet) on a thread of its own. On a change it reads the
  // file again and tells `changed` each registry whose token differs from
  // what the watch last read, or from what a get answered since (a token
  // written and put back between two reads is caught too): only the
  // registries that changed, so a login's own write drops that registry
  // alone, which the daemon drops anyway. A file that cannot be read (not
  // private, a link, malformed) tells nullopt, and so does the first read
  // after one: gets fail meanwhile, and no copy may outlive that.
  // Behind() and CatchUp() see a write as soon as it returned. No token is
  // kept: the watch compares keyed digests (BLAKE2b, a key of its own).
  // One watch at a time: FailedPrecondition while another lives.
  absl::StatusOr<std::unique_ptr<StoreWatch>> Watch(StoreChanged changed) override;

 private:
  class FileWatch;
  struct Seen;

  // For a watch: reads the file and measures it against what was seen
  // (Seen); the registries that changed, or nullopt for possibly any.
  std::optional<std::vector<std::string>> Rescan() ABSL_LOCKS_EXCLUDED(mutex_);

  const std::string path_;
  // Held for a whole request: a login's read-modify-write must not
  // interleave with another's. A watch's read takes it too, so that a get's
  // read and its record in `seen_` are one step to it.
  absl::Mutex mutex_;
  // While watched: what the watch and the gets saw of the file.
  std::unique_ptr<Seen> seen_ ABSL_GUARDED_BY(mutex_);
};

// Index URL to token.
using TokenMap = std::map<std::string, cargo_credential::Secret>;

// The tokens in a token file's `text` (the file at `path`, named in
// messages), as the backend reads them: InvalidArgument-free `other` errors
// with line and column that never quote a value. The caller wipes `text`.
absl::StatusOr<TokenMap> ParseTokenFile(const std::string& path, const std::string& text);

// Makes a FileBackend from the options `path`; fails with InvalidArgument
// (pointing into the config) when the path is not absolute or "~/" cannot
// be expanded, or when no default can be found.
absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> MakeFileBackend(
    const BackendOptions& options);

// The token file a FileBackend made from `options` uses (its `path`, or
// the default), or empty when MakeFileBackend would refuse the options.
std::string FileStorePath(const BackendOptions& options);

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_FILE_BACKEND_H_
