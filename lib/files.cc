#include "lib/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "cargo_credential/error.h"
#include "cargo_credential/line_io.h"

namespace cargo_credential {
absl::Status FileError(absl::string_view what, absl::string_view path) {
  return OtherError(absl::StrCat(what, " ", path, ": ", strerror(errno)));
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status MakeDirectories(const std::string& dir, mode_t mode) {
  if (dir.empty() || dir == "." || dir == "/") return absl::OkStatus();
  struct stat info;
  if (stat(dir.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) return absl::OkStatus();
    return OtherError(absl::StrCat(dir, " is not a directory"));
  }
  absl::Status parent = MakeDirectories(DirectoryOf(dir), mode);
  if (!parent.ok()) return parent;
  if (mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) return FileError("cannot create", dir);
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents, mode_t mode) {
  std::string temp = absl::StrCat(path, ".tmp.XXXXXX");
  ScopedFd fd(mkostemp(temp.data(), O_CLOEXEC));  // Created 0600.
  if (!fd.valid()) return FileError("cannot create", temp);
  absl::Status status = WriteAll(fd.get(), contents);
  if (status.ok() && fchmod(fd.get(), mode) != 0)
    status = FileError("cannot set the mode of", temp);
  if (status.ok() && fsync(fd.get()) != 0) status = FileError("cannot sync", temp);
  fd.reset();
  if (status.ok() && rename(temp.c_str(), path.c_str()) != 0) {
    status = FileError("cannot replace", path);
  }
  if (!status.ok()) {
    unlink(temp.c_str());
    return status;
  }
  // The rename is durable only once the directory is.
  ScopedFd dir(open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) fsync(dir.get());
  return absl::OkStatus();
}

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

int ScopedFd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void ScopedFd::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

}  // namespace cargo_credential
