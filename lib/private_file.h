// Files that hold secrets: read only when private, replaced atomically.
//
// A token store must refuse a file that others can read (someone widened its
// mode, or it is not ours), and must never leave half a file behind: a login
// that was acknowledged must survive a crash. These two functions are the
// one place this project reads and writes such files.
//
// Thread-safety: safe from any thread; concurrent writers of one path each
// replace the whole file (the last rename wins).
#ifndef CREDCACHE_LIB_PRIVATE_FILE_H_
#define CREDCACHE_LIB_PRIVATE_FILE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cargo_credential {

// The contents of `path`, or nullopt when it does not exist. Fails, with a
// message saying how to fix it, when the file is not a regular file owned by
// this user, or when group or others have any access to it. Does not follow
// a symbolic link at `path`.
absl::StatusOr<std::optional<std::string>> ReadPrivateFile(const std::string& path);

// Replaces `path` with `contents`: creates missing parent directories (0700),
// writes a temporary file (0600) beside it, syncs it, renames it over `path`
// and syncs the directory, so the file is always either wholly old or wholly
// new. The temporary copy of `contents` is wiped.
absl::Status WritePrivateFileAtomically(const std::string& path, absl::string_view contents);

}  // namespace cargo_credential

#endif  // CREDCACHE_LIB_PRIVATE_FILE_H_
