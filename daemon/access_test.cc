#include "daemon/access.h"

#include <unistd.h>

#include "cargo_credential/error.h"
#include "gtest/gtest.h"

namespace {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::OperationKind;
using credcache::AccessPolicy;
using credcache::AccessRule;
using credcache::PeerIdentity;

constexpr char kCorp[] = "sparse+https://cargo.corp.example/index/";
constexpr char kOther[] = "sparse+https://cargo.other.example/index/";
constexpr gid_t kTeam = 5000;
constexpr uid_t kAlice = 6001;
constexpr uid_t kBob = 6002;

Action Get(OperationKind kind = OperationKind::kRead) {
  Action action;
  action.kind = ActionKind::kGet;
  action.operation.kind = kind;
  return action;
}

Action Write(ActionKind kind) {
  Action action;
  action.kind = kind;
  return action;
}

PeerIdentity Who(uid_t uid, std::vector<gid_t> groups = {}, gid_t gid = 100) {
  PeerIdentity who;
  who.uid = uid;
  who.gid = gid;
  who.groups = std::move(groups);
  return who;
}

AccessPolicy TeamPolicy() {
  AccessRule read;
  read.where = "team.toml:5:1";
  read.registries = {"sparse+https://cargo.corp.example/*"};
  read.groups = {kTeam};
  read.operations = {OperationKind::kRead};
  AccessRule publish;
  publish.where = "team.toml:11:1";
  publish.registries = {"sparse+https://cargo.corp.example/*"};
  publish.users = {kAlice};
  publish.operations = {OperationKind::kPublish};
  publish.login = true;
  return AccessPolicy({read, publish}, {}, {}, "team.toml", "ops@corp.example");
}

TEST(AccessPolicyTest, AGroupRuleAdmitsItsMembersToItsRegistriesForItsOperationsOnly) {
  const AccessPolicy policy = TeamPolicy();
  // A supplementary group counts, and so does the primary one.
  EXPECT_TRUE(policy.Decide(Who(kBob, {kTeam}), kCorp, Get()).allowed);
  EXPECT_TRUE(policy.Decide(Who(kBob, {}, kTeam), kCorp, Get()).allowed);
  EXPECT_EQ(policy.Decide(Who(kBob, {kTeam}), kCorp, Get()).rule, "rule 1 at team.toml:5:1");
  // Another registry, another operation, a login: not by this rule.
  EXPECT_FALSE(policy.Decide(Who(kBob, {kTeam}), kOther, Get()).allowed);
  EXPECT_FALSE(policy.Decide(Who(kBob, {kTeam}), kCorp, Get(OperationKind::kPublish)).allowed);
  EXPECT_FALSE(policy.Decide(Who(kBob, {kTeam}), kCorp, Write(ActionKind::kLogin)).allowed);
  EXPECT_FALSE(policy.Decide(Who(kBob, {kTeam}), kCorp, Get(OperationKind::kUnknown)).allowed);
}

TEST(AccessPolicyTest, GroupsDroppedMeanRefusedAndRootIsNotSpecial) {
  const AccessPolicy policy = TeamPolicy();
  EXPECT_FALSE(policy.Decide(Who(kBob, {}), kCorp, Get()).allowed);
  const auto refused = policy.Decide(Who(0, {0}, 0), kCorp, Get());
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.rule, "no rule");
}

TEST(AccessPolicyTest, AUserRuleAdmitsThatUserToPublishAndLogIn) {
  const AccessPolicy policy = TeamPolicy();
  EXPECT_TRUE(policy.Decide(Who(kAlice), kCorp, Get(OperationKind::kPublish)).allowed);
  EXPECT_TRUE(policy.Decide(Who(kAlice), kCorp, Write(ActionKind::kLogin)).allowed);
  EXPECT_TRUE(policy.Decide(Who(kAlice), kCorp, Write(ActionKind::kLogout)).allowed);
  EXPECT_FALSE(policy.Decide(Who(kBob), kCorp, Get(OperationKind::kPublish)).allowed);
}

TEST(AccessPolicyTest, TheRefusalNamesTheRuleSetAndWhomToAskAndIsAnOtherError) {
  const absl::Status refusal = TeamPolicy().Refusal(Who(kBob), kCorp, Get());
  EXPECT_EQ(cargo_credential::KindOf(refusal), cargo_credential::ErrorKind::kOther);
  std::string text(refusal.message());
  for (const std::string& cause : cargo_credential::CausedBy(refusal)) text += "\n" + cause;
  EXPECT_NE(text.find("team.toml"), std::string::npos) << text;
  EXPECT_NE(text.find("ops@corp.example"), std::string::npos) << text;
  EXPECT_NE(text.find("read"), std::string::npos) << text;
}

TEST(AccessPolicyTest, AdminsAreTheAccountRootAndThoseNamed) {
  const AccessPolicy policy({}, {kAlice}, {kTeam}, "team.toml", "ops");
  EXPECT_TRUE(policy.MayAdminister(Who(0)));
  EXPECT_TRUE(policy.MayAdminister(Who(geteuid())));
  EXPECT_TRUE(policy.MayAdminister(Who(kAlice)));
  EXPECT_TRUE(policy.MayAdminister(Who(kBob, {kTeam})));
  EXPECT_FALSE(policy.MayAdminister(Who(kBob == geteuid() ? kBob + 1 : kBob)));
}

}  // namespace
