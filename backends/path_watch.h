// PathWatch: tells that the file at a path may have changed, however it
// changed: written in place, replaced by a rename (as editors and
// WritePrivateFileAtomically do), removed, replaced by a link, its mode
// changed, or its directory (or one above it) made, removed or renamed.
// Neither the file nor its directories need exist yet.
//
// inotify, on the file's directory (events naming the file) and on each
// directory above it (events naming the next part of the path), re-armed
// whenever one of those directories comes, goes or moves. A watch on the
// file itself would follow its inode, which a rename takes away.
//
// It says only that the file may have changed, never how: the owner reads
// it again. A report may be spurious (a write that changed nothing, a
// directory re-armed); a change is not missed, since re-arming comes before
// the owner's read. The exceptions: a directory of the path that inotify
// may not watch (unreadable, or past the user's max_user_watches) is
// watched from its parent only, for its coming and going.
//
// Ownership: owns its inotify descriptor.
// Thread-safety: fd() may be used from any thread; Drain() from one thread
// at a time (the owner serialises).
#ifndef CREDCACHE_BACKENDS_PATH_WATCH_H_
#define CREDCACHE_BACKENDS_PATH_WATCH_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/files.h"

namespace credcache {

class PathWatch {
 public:
  // Watches `path`, which must be absolute. Fails when inotify is not to be
  // had (no descriptor left, or not even "/" can be watched).
  static absl::StatusOr<std::unique_ptr<PathWatch>> Start(const std::string& path);

  // The inotify descriptor, non-blocking: readable (poll) when events wait.
  int fd() const { return fd_.get(); }

  // Whether events wait to be drained; never blocks.
  bool Pending() const;

  // Reads every event waiting, without blocking, re-arming when a directory
  // of the path changed. True when any event may concern the file (then
  // read it again); false when none waited or none did.
  bool Drain();

  // How many directories are watched now (for tests): the existing ones
  // from "/" down to the file's.
  size_t watched() const { return dirs_.size(); }

 private:
  PathWatch(cargo_credential::ScopedFd fd, std::vector<std::string> parts);

  // Watches each existing directory from "/" down to the file's, and drops
  // the watches of directories no longer on the path.
  void Arm();

  const cargo_credential::ScopedFd fd_;
  // The path's parts: the directories' names, then the file's.
  const std::vector<std::string> parts_;
  // Watch descriptor to its depths (one directory may stand at two:
  // "a/.."): 0 for "/", parts_.size() - 1 for the file's directory. An
  // event names parts_[depth] when it concerns the path.
  std::map<int, std::vector<size_t>> dirs_;
};

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_PATH_WATCH_H_
