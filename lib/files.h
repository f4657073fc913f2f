// Files and descriptors, done once: the directory of a path, directories
// made with a mode, files replaced atomically, and a descriptor closed when
// its owner goes. Every part of the project that does one of these calls
// here (private_file.h builds the secret-file rules on top).
//
// Thread-safety: functions are safe from any thread; a ScopedFd is owned by
// one thread at a time.
#ifndef CREDCACHE_LIB_FILES_H_
#define CREDCACHE_LIB_FILES_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cargo_credential {

// An `other` error for a file operation on `path` that failed, "WHAT PATH:
// REASON", the reason from errno (so call it right after the failure).
absl::Status FileError(absl::string_view what, absl::string_view path);

// The directory part of `path`: "." when it has none, "/" for a file at the
// root.
std::string DirectoryOf(const std::string& path);

// Creates `dir` and any missing parents, each with `mode` (under the umask),
// as `mkdir -p` does. Each is created with its final mode, never chmod-ed
// after. OK when `dir` exists; fails, naming the part, when a part is not a
// directory or cannot be made.
absl::Status MakeDirectories(const std::string& dir, mode_t mode);

// Replaces `path` with `contents` so that readers see the whole old file or
// the whole new one, even across a crash: a new temporary file beside it
// (mkostemp: never through a link someone planted), given `mode`, written,
// synced, renamed over `path`, and the directory synced. The directory must
// exist. On failure the temporary file is removed and `path` is untouched.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents, mode_t mode);

// Owns a file descriptor and closes it when destroyed. Movable, not
// copyable; -1 means none.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership: the caller closes the descriptor.
  int release();
  // Closes the descriptor held, if any, and holds `fd`.
  void reset(int fd = -1);

 private:
  int fd_;
};

}  // namespace cargo_credential

#endif  // CREDCACHE_LIB_FILES_H_
