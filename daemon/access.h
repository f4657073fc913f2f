// AccessPolicy: who may get which registry's tokens from a team daemon, for
// which operations, decided from the kernel's word on who asks (PeerIdentity,
// daemon/peer.h) and never from anything in the request.
//
// A team daemon is one many users share (`[listen]` in its config); each of
// its `[[rule]]` tables admits some users and groups (by the peer's uid, its
// primary group and the supplementary groups its process holds) to some
// registries (globs on the index URL: cargo's name is only a hint, any
// dependency can name any registry) for some operations, and, with
// `login = true`, to log in and out. The first rule that admits the caller
// for the registry and operation decides; with none, the request is refused
// before anything reaches a backend. Root is not special: it is admitted
// only by a rule that names it or one of its groups.
//
// Admin calls (list, stats, forget, flush, reload, stop, audit) are for the
// daemon's own account, root, and those `[admin]` names.
//
// Names in rules are resolved to ids when the config is read, so a typo is
// a config error and a later rename changes nothing until a reload.
//
// Thread-safety: immutable after construction; a value type.
#ifndef CREDCACHE_DAEMON_ACCESS_H_
#define CREDCACHE_DAEMON_ACCESS_H_

#include <sys/types.h>

#include <set>
#include <string>
#include <vector>

#include "cargo_credential/protocol.h"
#include "daemon/peer.h"

namespace credcache {

struct AccessRule {
  std::string where;                    // "FILE:LINE:COLUMN", to name it.
  std::vector<std::string> registries;  // Globs on index URLs.
  std::set<uid_t> users;
  std::set<gid_t> groups;
  std::set<cargo_credential::OperationKind> operations;
  bool login = false;  // May log in and out.
};

// What a rule check decided, for the answer and the audit.
struct AccessDecision {
  bool allowed = false;
  std::string rule;  // The rule that admitted ("rule 2 at FILE:L:C"), or "no rule".
};

class AccessPolicy {
 public:
  AccessPolicy() = default;
  // `source` names the config file in refusals; `contact` is whom a refused
  // user should ask (from `[listen] contact`, else the daemon's account).
  AccessPolicy(std::vector<AccessRule> rules, std::set<uid_t> admin_users,
               std::set<gid_t> admin_groups, std::string source, std::string contact);

  // Whether `who` may perform `action` on the registry at `index_url`.
  AccessDecision Decide(const PeerIdentity& who, const std::string& index_url,
                        const cargo_credential::Action& action) const;
  // The `other` error a refused caller gets: which rule set, and whom to ask.
  absl::Status Refusal(const PeerIdentity& who, const std::string& index_url,
                       const cargo_credential::Action& action) const;
  // Whether `who` may use the admin calls: this process's own uid, root,
  // and the configured admins.
  bool MayAdminister(const PeerIdentity& who) const;

  const std::vector<AccessRule>& rules() const { return rules_; }

 private:
  std::vector<AccessRule> rules_;
  std::set<uid_t> admin_users_;
  std::set<gid_t> admin_groups_;
  std::string source_;
  std::string contact_;
};

// The name a rule's `operations` uses for what `action` asks: read,
// publish, yank, unyank, owners, or login/logout.
std::string AccessOperationName(const cargo_credential::Action& action);

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_ACCESS_H_
