// TeamSettings: what makes credcached a team daemon, one that many users of
// a shared machine reach on one socket (config's `[listen]`, `[[rule]]`,
// `[admin]`, `[audit]` and `[limits]`).
//
//   [listen]
//   socket = "/run/credcache/team.sock"  # the default for a team daemon
//   group = "cargo-team"                 # socket 0660 account:group, dir 0750
//   contact = "ops@example.com"          # whom a refused user should ask
//
//   [[rule]]                             # see daemon/access.h
//   registries = ["sparse+https://cargo.corp.example/*"]
//   groups = ["cargo-team"]              # and/or users = ["alice"]
//   operations = ["read"]                # read, publish, yank, unyank, owners
//   login = false                        # may log in or out
//
//   [admin]                              # besides the account and root
//   users = ["ops"]
//   groups = ["cargo-admins"]
//
//   [audit]
//   file = "/var/log/credcache/audit.log" # when not under systemd's journal
//   max_size = 10485760                  # bytes before the file rotates
//   keep = 3                             # rotated files kept
//
//   [limits]
//   entries_per_user = 64                # cached tokens one uid's asks may add
//   request_bytes = 65536                # the largest request a user may send
//   calls_per_user = 32                  # one uid's requests at once
//
// Without `[listen]` credcached is a personal daemon and none of this
// applies: its socket is private to its user.
//
// Thread-safety: a value type.
#ifndef CREDCACHE_DAEMON_TEAM_H_
#define CREDCACHE_DAEMON_TEAM_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "daemon/access.h"

namespace credcache {

inline constexpr char kDefaultTeamSocket[] = "/run/credcache/team.sock";

struct AuditSettings {
  std::string file;  // Empty: the default (daemon/audit.h).
  int64_t max_size = 10 << 20;
  int keep = 3;
};

struct TeamLimits {
  int entries_per_user = 64;
  int request_bytes = 64 << 10;
  int calls_per_user = 32;
};

struct TeamSettings {
  std::string socket = kDefaultTeamSocket;
  // The group the socket and its directory are shared with; none: the
  // daemon's own primary group.
  std::optional<gid_t> group;
  std::string group_name;
  AccessPolicy access;
  AuditSettings audit;
  TeamLimits limits;
};

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_TEAM_H_
