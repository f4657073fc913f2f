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

// What ReadPrivateFile reads at most, unless told otherwise: far more than
// any token store, far less than what would exhaust memory.
inline constexpr size_t kMaxPrivateFileBytes = size_t{16} << 20;

// The contents of `path`, or nullopt when it does not exist. Fails (an
// `other` error, lib/error.h, whose cause says how to fix it) when there is
// a symbolic link at `path` (never followed), when it is not a regular file
// (a FIFO is refused without blocking), when another user owns it, when
// group or others have any access to it, or when it holds more than
// `max_bytes`. The checks are made on the open descriptor: the file read
// is the file checked. Nothing read is left in freed memory.
absl::StatusOr<std::optional<std::string>> ReadPrivateFile(const std::string& path,
                                                           size_t max_bytes = kMaxPrivateFileBytes);

// Replaces `path` with `contents`: creates missing parent directories (0700),
// writes a temporary file (0600) beside it, syncs it, renames it over `path`
// and syncs the directory, so the file is always either wholly old or wholly
// new. The temporary copy of `contents` is wiped.
absl::Status WritePrivateFileAtomically(const std::string& path, absl::string_view contents);

}  // namespace cargo_credential

#endif  // CREDCACHE_LIB_PRIVATE_FILE_H_
