// Accounts: Unix user and group names and ids, as the system's databases
// (NSS: /etc/passwd, /etc/group, LDAP, ...) say.
//
// Used where a person writes a name (config rules, CREDCACHE_SOCKET_OWNER),
// where a record shows one (audit), and for the home directory when $HOME
// is unset (common/paths). Decisions are made on ids only: a name is
// resolved once, and a name shown is only for people.
//
// /etc/passwd and /etc/group are read directly; a name or id not there is
// asked of `getent` (directory services), never of NSS in this process,
// which the statically linked shim cannot load safely.
//
// Thread-safety: thread-safe.
#ifndef CREDCACHE_COMMON_ACCOUNTS_H_
#define CREDCACHE_COMMON_ACCOUNTS_H_

#include <stddef.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace credcache {

// The uid of user `name`, or of a number written as one ("1001").
// NotFound when there is no such user.
absl::StatusOr<uid_t> UserId(const std::string& name);
// The gid of group `name`, or of a number. NotFound when there is none.
absl::StatusOr<gid_t> GroupId(const std::string& name);
// The name of `uid` (or of `gid`), or the number as text when it has none.
std::string UserName(uid_t uid);
std::string GroupName(gid_t gid);

// The home directory of `uid`, as its entry in the password database says.
// NotFound when there is no such user, or its entry names no absolute
// directory.
absl::StatusOr<std::string> HomeDirectoryOf(uid_t uid);

// For the tests and the fuzz target (fuzz/passwd_fuzzer.cc); the functions
// above read their entries with it. The fields of the first line of `text`
// (lines of /etc/passwd or /etc/group, as the files hold them or `getent`
// prints them) that has at least `min_fields` fields, separated by ':', and
// whose field `column` is `key`; empty when there is none.
std::vector<std::string> FindEntry(absl::string_view text, size_t min_fields, size_t column,
                                   absl::string_view key);

}  // namespace credcache

#endif  // CREDCACHE_COMMON_ACCOUNTS_H_
