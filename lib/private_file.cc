#include "lib/private_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cargo_credential/error.h"
#include "cargo_credential/secret.h"
#include "lib/files.h"

namespace cargo_credential {
namespace {

absl::Status Refused(const std::string& path, absl::string_view why, std::string fix) {
  std::vector<std::string> causes;
  if (!fix.empty()) causes.push_back(std::move(fix));
  return OtherError(absl::StrCat("refusing to use ", path, ": ", why,
                                 "; it must be a regular file owned by you and not readable by "
                                 "others"),
                    causes);
}

}  // namespace

absl::StatusOr<std::optional<std::string>> ReadPrivateFile(const std::string& path,
                                                           size_t max_bytes) {
  ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<std::string>();
    if (errno == ELOOP) {
      return Refused(path, "it is a symbolic link", "name the file itself, not a link to it");
    }
    return FileError("cannot open", path);
  }
  struct stat info;
  if (fstat(fd.get(), &info) != 0) return FileError("cannot inspect", path);
  if (!S_ISREG(info.st_mode)) return Refused(path, "it is not a regular file", "");
  if (info.st_uid != geteuid()) {
    return Refused(
        path,
        absl::StrCat("it is owned by uid ", info.st_uid, ", not by you (uid ", geteuid(), ")"),
        absl::StrCat("fix it with: chown ", geteuid(), " ", path));
  }
  if ((info.st_mode & 077) != 0) {
    return Refused(
        path,
        absl::StrFormat("group or others may read or write it (mode %04o)", info.st_mode & 07777),
        absl::StrCat("fix it with: chmod 600 ", path));
  }
  std::string contents;
  char buffer[4096];
  absl::Status failed = absl::OkStatus();
  while (true) {
    const ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      failed = FileError("cannot read", path);
      break;
    }
    if (n == 0) break;
    if (contents.size() + static_cast<size_t>(n) > max_bytes) {
      failed = OtherError(absl::StrCat(path, ": larger than ", max_bytes, " bytes"));
      break;
    }
    AppendWiped(contents, absl::string_view(buffer, static_cast<size_t>(n)));
  }
  explicit_bzero(buffer, sizeof(buffer));
  if (!failed.ok()) {
    WipeString(contents);
    return failed;
  }
  return std::optional<std::string>(std::move(contents));
}

absl::Status WritePrivateFileAtomically(const std::string& path, absl::string_view contents) {
  absl::Status made = MakeDirectories(DirectoryOf(path), 0700);
  if (!made.ok()) return made;
  return WriteFileAtomically(path, contents, 0600);
}

}  // namespace cargo_credential
