// Accounts: Unix user and group names and ids, as the system's databases
// (NSS: /etc/passwd, /etc/group, LDAP, ...) say.
//
// Used where a person writes a name (config rules, CREDCACHE_SOCKET_OWNER)
// and where a record shows one (audit). Decisions are made on ids only:
// a name is resolved once, and a name shown is only for people.
//
// /etc/passwd and /etc/group are read directly; a name or id not there is
// asked of `getent` (directory services), never of NSS in this process,
// which the statically linked shim cannot load safely.
//
// Thread-safety: thread-safe.
#ifndef CREDCACHE_COMMON_ACCOUNTS_H_
#define CREDCACHE_COMMON_ACCOUNTS_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"

namespace credcache {

// The uid of user `name`, or of a number written as one ("1001").
// NotFound when there is no such user.
absl::StatusOr<uid_t> UserId(const std::string& name);
// The gid of group `name`, or of a number. NotFound when there is none.
absl::StatusOr<gid_t> GroupId(const std::string& name);
// The name of `uid` (or of `gid`), or the number as text when it has none.
std::string UserName(uid_t uid);
std::string GroupName(gid_t gid);

}  // namespace credcache

#endif  // CREDCACHE_COMMON_ACCOUNTS_H_
