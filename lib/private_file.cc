#include "lib/private_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "lib/error.h"
#include "lib/files.h"
#include "lib/secret.h"

namespace cargo_credential {
absl::StatusOr<std::optional<std::string>> ReadPrivateFile(const std::string& path) {
  ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<std::string>();
    return FileError("cannot open", path);
  }
  struct stat info;
  if (fstat(fd.get(), &info) != 0) return FileError("cannot inspect", path);
  if (!S_ISREG(info.st_mode) || info.st_uid != geteuid() || (info.st_mode & 077) != 0) {
    return OtherError(
        absl::StrCat("refusing to use ", path,
                     ": it must be a regular file owned by you and not readable by others"),
        {absl::StrCat("fix it with: chmod 600 ", path)});
  }
  std::string contents;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status error = FileError("cannot read", path);
      WipeString(contents);
      explicit_bzero(buffer, sizeof(buffer));
      return error;
    }
    if (n == 0) break;
    AppendWiped(contents, absl::string_view(buffer, static_cast<size_t>(n)));
  }
  explicit_bzero(buffer, sizeof(buffer));
  return std::optional<std::string>(std::move(contents));
}

absl::Status WritePrivateFileAtomically(const std::string& path, absl::string_view contents) {
  absl::Status made = MakeDirectories(DirectoryOf(path), 0700);
  if (!made.ok()) return made;
  return WriteFileAtomically(path, contents, 0600);
}

}  // namespace cargo_credential
