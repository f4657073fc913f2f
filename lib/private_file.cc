#include "lib/private_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "lib/error.h"
#include "lib/line_io.h"
#include "lib/secret.h"

namespace cargo_credential {
namespace {

absl::Status ErrnoError(absl::string_view what, absl::string_view path) {
  return OtherError(absl::StrCat(what, " ", path, ": ", strerror(errno)));
}

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status MakeDirectories(const std::string& dir) {
  if (dir == "." || dir == "/") return absl::OkStatus();
  struct stat info;
  if (stat(dir.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) return absl::OkStatus();
    return OtherError(absl::StrCat(dir, " is not a directory"));
  }
  absl::Status parent = MakeDirectories(Parent(dir));
  if (!parent.ok()) return parent;
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError("cannot create", dir);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<std::string>> ReadPrivateFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return ErrnoError("cannot open", path);
  }
  struct stat info;
  if (fstat(fd, &info) != 0) {
    absl::Status error = ErrnoError("cannot inspect", path);
    close(fd);
    return error;
  }
  if (!S_ISREG(info.st_mode) || info.st_uid != geteuid() || (info.st_mode & 077) != 0) {
    close(fd);
    return OtherError(
        absl::StrCat("refusing to use ", path,
                     ": it must be a regular file owned by you and not readable by others"),
        {absl::StrCat("fix it with: chmod 600 ", path)});
  }
  std::string contents;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status error = ErrnoError("cannot read", path);
      close(fd);
      WipeString(contents);
      return error;
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<size_t>(n));
  }
  explicit_bzero(buffer, sizeof(buffer));
  close(fd);
  return std::optional<std::string>(std::move(contents));
}

absl::Status WritePrivateFileAtomically(const std::string& path,
                                        absl::string_view contents) {
  const std::string dir = Parent(path);
  absl::Status made = MakeDirectories(dir);
  if (!made.ok()) return made;
  std::string temp = absl::StrCat(path, ".tmp.XXXXXX");
  const int fd = mkostemp(temp.data(), O_CLOEXEC);  // Created 0600.
  if (fd < 0) return ErrnoError("cannot create", temp);
  absl::Status status = WriteAll(fd, contents);
  if (status.ok() && fsync(fd) != 0) status = ErrnoError("cannot sync", temp);
  close(fd);
  if (status.ok() && rename(temp.c_str(), path.c_str()) != 0) {
    status = ErrnoError("cannot replace", path);
  }
  if (!status.ok()) {
    unlink(temp.c_str());
    return status;
  }
  // The rename is durable only once the directory is.
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace cargo_credential
