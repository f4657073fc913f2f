#include "backends/path_watch.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cargo_credential/error.h"

namespace credcache {
namespace {

// On every directory of the path: the next part of the path made, removed,
// renamed or its mode changed, and the directory itself removed or renamed.
constexpr uint32_t kDirectoryEvents = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                      IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
// On the file's own directory, also the file written in place. IN_MODIFY as
// well as IN_CLOSE_WRITE: a writer may keep the file open.
constexpr uint32_t kFileEvents = kDirectoryEvents | IN_MODIFY | IN_CLOSE_WRITE;

}  // namespace

PathWatch::PathWatch(cargo_credential::ScopedFd fd, std::vector<std::string> parts)
    : fd_(std::move(fd)), parts_(std::move(parts)) {}

absl::StatusOr<std::unique_ptr<PathWatch>> PathWatch::Start(const std::string& path) {
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat("not an absolute path: ", path));
  }
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  if (parts.empty()) return absl::InvalidArgumentError("the path names no file");
  cargo_credential::ScopedFd fd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd.valid()) return cargo_credential::FileError("cannot watch", path);
  std::unique_ptr<PathWatch> watch(new PathWatch(std::move(fd), std::move(parts)));
  watch->Arm();
  if (watch->dirs_.empty()) return cargo_credential::FileError("cannot watch /, above", path);
  return watch;
}

bool PathWatch::Pending() const {
  struct pollfd ready = {fd_.get(), POLLIN, 0};
  return poll(&ready, 1, 0) > 0;
}

void PathWatch::Arm() {
  std::map<int, std::vector<size_t>> armed;
  std::string dir = "/";
  for (size_t depth = 0; depth < parts_.size(); ++depth) {
    struct stat info;
    if (stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) break;
    // IN_MASK_ADD: one directory may stand at two depths ("a/.."), and
    // inotify gives an inode one watch.
    const uint32_t mask = (depth + 1 == parts_.size() ? kFileEvents : kDirectoryEvents);
    const int wd = inotify_add_watch(fd_.get(), dir.c_str(), mask | IN_MASK_ADD);
    // Unreadable, or past max_user_watches: its parent still sees it come
    // and go, by name.
    if (wd < 0) break;
    armed[wd].push_back(depth);
    if (depth > 0) dir.push_back('/');
    dir.append(parts_[depth]);
  }
  for (const auto& [wd, depths] : dirs_) {
    if (armed.count(wd) == 0) inotify_rm_watch(fd_.get(), wd);
  }
  dirs_ = std::move(armed);
}

bool PathWatch::Drain() {
  alignas(struct inotify_event) char buffer[16 * 1024];
  bool concerns = false;
  bool rearm = false;
  while (true) {
    const ssize_t n = read(fd_.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // EAGAIN: nothing more waits. Re-arming drops watches, whose
      // IN_IGNORED it then reads too, so that nothing is left pending.
      if (!rearm) break;
      Arm();
      rearm = false;
      continue;
    }
    for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(struct inotify_event)) <= n;) {
      const auto* event = reinterpret_cast<const struct inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(struct inotify_event) + event->len);
      if ((event->mask & IN_Q_OVERFLOW) != 0) {
        // Events were lost: anything may have happened.
        concerns = rearm = true;
        continue;
      }
      auto it = dirs_.find(event->wd);
      if (it == dirs_.end()) continue;  // A watch dropped already.
      if ((event->mask & IN_IGNORED) != 0) {
        // The kernel dropped it (the directory is gone): its number is free.
        dirs_.erase(it);
        concerns = rearm = true;
        continue;
      }
      const char* name = event->len > 0 ? event->name : nullptr;
      for (const size_t depth : it->second) {
        if (name == nullptr) {
          // The directory itself removed, renamed or its mode changed.
          concerns = rearm = true;
        } else if (parts_[depth] == name) {
          concerns = true;
          // A directory of the path came, went or moved.
          if (depth + 1 < parts_.size()) rearm = true;
        }
      }
    }
  }
  return concerns;
}

}  // namespace credcache
