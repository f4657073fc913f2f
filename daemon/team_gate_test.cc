#include "daemon/team_gate.h"

#include <unistd.h>

#include <optional>
#include <utility>
#include <vector>

#include "cargo_credential/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/builders.h"
#include "tests/support/test_env.h"

namespace credcache {
namespace {

using cargo_credential::CredentialRequest;
using cargo_credential::CredentialResponse;
using ::testing::HasSubstr;

constexpr uid_t kAlice = 6001;
constexpr gid_t kTeam = 5000;
constexpr char kUrl[] = "sparse+https://cargo.corp.example/index/";

PeerIdentity Alice(std::vector<gid_t> groups = {kTeam}) {
  PeerIdentity who;
  who.uid = kAlice;
  who.gid = kAlice;
  who.pid = 1234;
  who.groups = std::move(groups);
  return who;
}

class TeamGateTest : public ::testing::Test {
 protected:
  TeamGateTest() {
    AccessRule rule;
    rule.where = "team.toml:1:1";
    rule.registries = {"sparse+https://cargo.corp.example/*"};
    rule.groups = {kTeam};
    rule.operations = {cargo_credential::OperationKind::kRead};
    auto settings = std::make_shared<TeamSettings>();
    settings->access = AccessPolicy({rule}, {}, {}, "team.toml", "ops");
    settings->limits.calls_per_user = 2;
    settings->limits.request_bytes = 1000;
    AuditSettings audit;
    audit.file = credcache_testing::MakeTempDir() + "/audit.log";
    auto log = AuditLog::Open(audit, false);
    EXPECT_TRUE(log.ok());
    gate_.emplace(settings, *std::move(log));
    request_.registry = credcache_testing::Registry(kUrl, "corp");
  }

  std::string LastRecord() const {
    std::vector<std::string> recent = gate_->audit().Recent(1);
    return recent.empty() ? "" : recent[0];
  }

  std::optional<TeamGate> gate_;
  CredentialRequest request_;
};

TEST_F(TeamGateTest, ACallerTheKernelCannotNameIsRefusedAndAudited) {
  auto admitted = gate_->Admit(absl::UnavailableError("no SO_PEERCRED"), request_, 10, false, "");
  ASSERT_FALSE(admitted.ok());
  EXPECT_THAT(std::string(admitted.status().message()), HasSubstr("cannot tell who is asking"));
  EXPECT_THAT(LastRecord(), HasSubstr("\"rule\":\"no identity\""));
  EXPECT_THAT(LastRecord(), HasSubstr("\"decision\":\"deny\""));
}

TEST_F(TeamGateTest, AnAdmittedRequestIsAuditedOnceWithItsFingerprint) {
  auto admitted = gate_->Admit(Alice(), request_, 10, false, "");
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(admitted->owner(), kAlice);
  gate_->Finish(*std::move(admitted), "miss", "corp", "shared",
                CredentialResponse::Get(cargo_credential::Secret(absl::string_view("tok")),
                                        cargo_credential::CacheControl::Session(), false));
  EXPECT_EQ(gate_->audit().Recent(10).size(), 1u);
  EXPECT_THAT(LastRecord(), HasSubstr("\"outcome\":\"miss\""));
  EXPECT_THAT(LastRecord(), HasSubstr("\"token_hmac\":"));
  EXPECT_THAT(LastRecord(), HasSubstr("\"pid\":1234"));
  EXPECT_THAT(LastRecord(), ::testing::Not(HasSubstr("tok\"")));
}

TEST_F(TeamGateTest, OversizedRequestsAndTooManyAtOnceAreRefusedPerUser) {
  EXPECT_THAT(std::string(gate_->Admit(Alice(), request_, 5000, false, "").status().message()),
              HasSubstr("the limit is 1000"));
  auto one = gate_->Admit(Alice(), request_, 10, false, "");
  auto two = gate_->Admit(Alice(), request_, 10, false, "");
  ASSERT_TRUE(one.ok() && two.ok());
  auto three = gate_->Admit(Alice(), request_, 10, false, "");
  ASSERT_FALSE(three.ok());
  EXPECT_THAT(std::string(three.status().message()), HasSubstr("already answering 2"));
  // Another user is not held up by alice's.
  PeerIdentity bob = Alice();
  bob.uid = kAlice + 1;
  EXPECT_TRUE(gate_->Admit(bob, request_, 10, false, "").ok());
  // A finished request frees its slot.
  gate_->Finish(*std::move(one), "hit", "corp", "shared", absl::NotFoundError(""));
  EXPECT_TRUE(gate_->Admit(Alice(), request_, 10, false, "").ok());
}

TEST_F(TeamGateTest, OnlyAdminsAskOneBackendByNameAndUseAdminCalls) {
  auto named = gate_->Admit(Alice(), request_, 10, false, "corp");
  ASSERT_FALSE(named.ok());
  EXPECT_FALSE(gate_->MayAdminister(Alice(), "flush"));
  EXPECT_THAT(LastRecord(), HasSubstr("\"operation\":\"flush\""));
  PeerIdentity self = Alice();
  self.uid = geteuid();
  EXPECT_TRUE(gate_->MayAdminister(self, "flush"));
}

}  // namespace
}  // namespace credcache
