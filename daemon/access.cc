#include "daemon/access.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "cargo_credential/error.h"
#include "daemon/router.h"

namespace credcache {

using cargo_credential::Action;
using cargo_credential::ActionKind;

AccessPolicy::AccessPolicy(std::vector<AccessRule> rules, std::set<uid_t> admin_users,
                           std::set<gid_t> admin_groups, std::string source, std::string contact)
    : rules_(std::move(rules)),
      admin_users_(std::move(admin_users)),
      admin_groups_(std::move(admin_groups)),
      source_(std::move(source)),
      contact_(std::move(contact)) {}

AccessDecision AccessPolicy::Decide(const PeerIdentity& who, const std::string& index_url,
                                    const Action& action) const {
  for (size_t i = 0; i < rules_.size(); ++i) {
    const AccessRule& rule = rules_[i];
    bool admits = rule.users.count(who.uid) > 0;
    for (gid_t group : rule.groups) admits = admits || who.InGroup(group);
    if (!admits || !MatchesAnyGlob(rule.registries, index_url)) continue;
    const bool permitted = action.kind == ActionKind::kGet
                               ? rule.operations.count(action.operation.kind) > 0
                               : action.kind != ActionKind::kUnknown && rule.login;
    if (permitted) return {true, absl::StrCat("rule ", i + 1, " at ", rule.where)};
  }
  return {false, "no rule"};
}

absl::Status AccessPolicy::Refusal(const PeerIdentity& who, const std::string& index_url,
                                   const Action& action) const {
  return cargo_credential::OtherError(
      absl::StrCat("credcache's team daemon refuses ", AccessOperationName(action), " on `",
                   index_url, "` for uid ", who.uid, ": no [[rule]] in ", source_,
                   " admits you for it"),
      {absl::StrCat("ask ", contact_,
                    " to add you (or your group) to a rule; nothing was sent to "
                    "any backend")});
}

bool AccessPolicy::MayAdminister(const PeerIdentity& who) const {
  if (who.uid == 0 || who.uid == geteuid() || admin_users_.count(who.uid) > 0) return true;
  for (gid_t group : admin_groups_) {
    if (who.InGroup(group)) return true;
  }
  return false;
}

std::string AccessOperationName(const Action& action) {
  switch (action.kind) {
    case ActionKind::kGet:
      return std::string(cargo_credential::OperationKindName(action.operation.kind));
    case ActionKind::kLogin:
      return "login";
    case ActionKind::kLogout:
      return "logout";
    case ActionKind::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace credcache
