// The etcd tier end to end: a real 3-member etcd cluster on loopback
// (tests/support/etcd_cluster.h) and several credcached daemons, each with
// its own socket, standing in for the machines of a team. The daemons share
// one backend (a program that reads a token file and counts its calls), as
// machines would share the team's token source.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/daemon_fixture.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPrefix[] = "/credcache/test/";
constexpr char kUrl[] = "sparse+https://registry.team.example/index/";

class EtcdTierTest : public ::testing::Test {
 protected:
  void SetUp() override { StartCluster({}); }

  void StartCluster(const EtcdClusterOptions& options) {
    cluster_.reset();
    absl::StatusOr<std::unique_ptr<EtcdCluster>> cluster = EtcdCluster::Start(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
    shared_ = cluster_->dir() + "/shared";
    mkdir(shared_.c_str(), 0700);
    // The team key: one key of 32 bytes.
    const std::string key = RandomToken() + RandomToken();
    WriteFile(shared_ + "/team.key",
              absl::StrCat("k1 ", absl::Base64Escape(key.substr(0, 32)), "\n"));
    SetToken(RandomToken());
    // The team's token source: counts each call, takes a moment (so that
    // daemons asking at once overlap), answers the token file's token.
    WriteFile(shared_ + "/source.sh",
              absl::StrCat("#!/bin/sh\necho \"$1\" >> ", shared_,
                           "/calls\n/bin/sleep 0.3\n/bin/cat ", shared_, "/token\n"),
              0700);
  }

  void SetToken(const std::string& token) {
    token_ = token;
    WriteFile(shared_ + "/token", token + "\n");
  }

  int BackendCalls() {
    std::vector<std::string> lines =
        absl::StrSplit(ReadFile(shared_ + "/calls"), '\n', absl::SkipEmpty());
    return static_cast<int>(lines.size());
  }

  // A daemon's config: the shared source behind the tier, with `etcd`
  // lines added to the [etcd] table.
  std::string Config(const std::string& etcd = "") {
    std::vector<std::string> endpoints;
    for (const std::string& endpoint : cluster_->endpoints()) {
      endpoints.push_back(absl::StrCat("\"", endpoint, "\""));
    }
    return absl::StrCat("[[backend]]\nname = \"team\"\nkind = \"command\"\nindex_urls = [\"*\"]\n",
                        "command = [\"", shared_, "/source.sh\", \"{index_url}\"]\n", "[etcd]\n",
                        "endpoints = [", absl::StrJoin(endpoints, ", "), "]\n", "prefix = \"",
                        kPrefix, "\"\nteam_key_file = \"", shared_, "/team.key\"\n", etcd);
  }

  // A daemon (a "machine") with `config`, started by its first request.
  DaemonEnv* Machine(const std::string& config) {
    machines_.push_back(std::make_unique<DaemonEnv>());
    machines_.back()->WriteConfig(config);
    return machines_.back().get();
  }

  static std::string Get(DaemonEnv* machine, const std::string& url = kUrl) {
    return AnswerLine(machine->Shim({"--cargo-plugin"}, GetRequestLine(url)));
  }

  static nlohmann::json Json(DaemonEnv* machine, const std::string& command) {
    cargo_credential::SubprocessResult result = machine->Shim({command, "--json"});
    return nlohmann::json::parse(result.stdout_text, nullptr, false);
  }

  // Waits (bounded) until `done`; false when it never was.
  static bool Eventually(const std::function<bool()>& done,
                         absl::Duration within = absl::Seconds(15)) {
    const absl::Time deadline = absl::Now() + within;
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return done();
  }

  // Starts the machine's daemon (rather than a first request) and waits
  // until it joined the cluster.
  static void Start(DaemonEnv* machine) {
    machine->Daemon({});
    EXPECT_TRUE(Eventually([&] { return Joined(machine); }))
        << machine->Shim({"status"}).stdout_text << ReadFile(machine->log());
  }

  static bool Joined(DaemonEnv* machine) {
    nlohmann::json status = Json(machine, "status");
    return status.contains("etcd") && status["etcd"].value("up", false);
  }

  static bool Holds(DaemonEnv* machine, const std::string& url = kUrl) {
    return absl::StrContains(machine->Shim({"list"}).stdout_text, url);
  }

  // The sealed values under the prefix, as etcdctl reads them.
  std::vector<std::pair<std::string, std::string>> Values() {
    absl::StatusOr<std::string> out = cluster_->Etcdctl({"get", "--prefix", kPrefix, "-w", "json"});
    EXPECT_TRUE(out.ok()) << out.status();
    std::vector<std::pair<std::string, std::string>> values;
    if (!out.ok()) return values;
    nlohmann::json json = nlohmann::json::parse(*out, nullptr, false);
    for (const nlohmann::json& kv : json.value("kvs", nlohmann::json::array())) {
      std::string key;
      std::string value;
      absl::Base64Unescape(kv.value("key", ""), &key);
      absl::Base64Unescape(kv.value("value", ""), &value);
      values.emplace_back(key, value);
    }
    return values;
  }

  std::string TokenValueKey() {
    for (const auto& [key, value] : Values()) {
      if (absl::StartsWith(key, absl::StrCat(kPrefix, "token/"))) return key;
    }
    return "";
  }

  std::unique_ptr<EtcdCluster> cluster_;
  std::string shared_;
  std::string token_;
  std::vector<std::unique_ptr<DaemonEnv>> machines_;
};

TEST_F(EtcdTierTest, AColdTokenAskedOfTwoMachinesAtOnceIsFetchedOnce) {
  DaemonEnv* a = Machine(Config());
  DaemonEnv* b = Machine(Config());
  // Started, and with the cluster, before the race.
  Start(a);
  Start(b);

  std::string answer_a;
  std::string answer_b;
  std::thread ask_a([&] { answer_a = Get(a); });
  std::thread ask_b([&] { answer_b = Get(b); });
  ask_a.join();
  ask_b.join();
  EXPECT_THAT(answer_a, HasSubstr(token_));
  EXPECT_THAT(answer_b, HasSubstr(token_));
  EXPECT_EQ(BackendCalls(), 1) << "one fetch for the fleet";

  nlohmann::json stats_a = Json(a, "stats")["etcd"];
  nlohmann::json stats_b = Json(b, "stats")["etcd"];
  EXPECT_EQ(stats_a.value("claims", 0) + stats_b.value("claims", 0), 1);
  EXPECT_EQ(stats_a.value("waits", 0) + stats_b.value("waits", 0), 1);
  EXPECT_EQ(stats_a.value("hits", 0) + stats_b.value("hits", 0), 1);

  // A third machine that comes later reads it from etcd.
  DaemonEnv* c = Machine(Config());
  EXPECT_THAT(Get(c), HasSubstr(token_));
  EXPECT_EQ(BackendCalls(), 1);
}

TEST_F(EtcdTierTest, ValuesInEtcdAreCiphertextUnderKeysThatNameNoRegistry) {
  DaemonEnv* a = Machine(Config());
  EXPECT_THAT(Get(a), HasSubstr(token_));
  std::vector<std::pair<std::string, std::string>> values = Values();
  ASSERT_FALSE(values.empty());
  bool token_value = false;
  for (const auto& [key, value] : values) {
    EXPECT_THAT(key, Not(HasSubstr("registry.team.example")));
    EXPECT_THAT(value, Not(HasSubstr(token_)));
    EXPECT_THAT(value, Not(HasSubstr("registry.team.example")));
    if (absl::StartsWith(key, absl::StrCat(kPrefix, "token/"))) {
      token_value = true;
      EXPECT_GT(value.size(), token_.size() + 16) << "nonce and tag";
    }
  }
  EXPECT_TRUE(token_value);
  // The values carry leases: etcd drops them when their TTL ends.
  absl::StatusOr<std::string> lease = cluster_->Etcdctl({"lease", "list"});
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_THAT(*lease, HasSubstr("found"));
}

TEST_F(EtcdTierTest, ALogoutOrForgetOnOneMachineStopsEveryMachineServingIt) {
  // A shared file of tokens stands in for a store both machines reach.
  const std::string store = shared_ + "/tokens.toml";
  const std::string config =
      absl::StrCat("[[backend]]\nname = \"team\"\nkind = \"file\"\npath = \"", store, "\"\n",
                   Config().substr(Config().find("[etcd]")));
  DaemonEnv* a = Machine(config);
  DaemonEnv* b = Machine(config);
  const std::string first = RandomToken();
  const std::string login = absl::StrCat(R"({"v":1,"registry":{"index-url":")", kUrl,
                                         R"("},"kind":"login","token":")", first, R"("})", "\n");
  EXPECT_THAT(AnswerLine(a->Shim({"--cargo-plugin"}, login)), HasSubstr("\"kind\":\"login\""));
  EXPECT_THAT(Get(a), HasSubstr(first));
  EXPECT_THAT(Get(b), HasSubstr(first));
  ASSERT_TRUE(Holds(b));

  // A rotation through A: B drops its copy and serves the new token.
  const std::string second = RandomToken();
  const std::string rotate = absl::StrCat(R"({"v":1,"registry":{"index-url":")", kUrl,
                                          R"("},"kind":"login","token":")", second, R"("})", "\n");
  EXPECT_THAT(AnswerLine(a->Shim({"--cargo-plugin"}, rotate)), HasSubstr("\"kind\":\"login\""));
  EXPECT_TRUE(Eventually([&] { return !Holds(b); })) << "B still holds the old token";
  EXPECT_THAT(Get(b), HasSubstr(second));
  EXPECT_THAT(Get(a), HasSubstr(second));

  // A logout through A: B stops serving it.
  const std::string logout =
      absl::StrCat(R"({"v":1,"registry":{"index-url":")", kUrl, R"("},"kind":"logout"})", "\n");
  EXPECT_THAT(AnswerLine(a->Shim({"--cargo-plugin"}, logout)), HasSubstr("\"kind\":\"logout\""));
  EXPECT_TRUE(Eventually([&] { return !Holds(b); })) << "B still holds the token";
  EXPECT_THAT(Get(b), Not(HasSubstr(second)));
  EXPECT_THAT(Get(b), HasSubstr("not-found"));
}

// A token fixed by hand in a file behind the tier: the machine whose watch
// sees the change invalidates etcd's copy too, or its next get would be
// served the old token from etcd.
TEST_F(EtcdTierTest, ATokenFixedByHandInAFileBehindTheTierIsServedAtOnce) {
  const std::string store = shared_ + "/tokens.toml";
  const std::string config =
      absl::StrCat("[[backend]]\nname = \"team\"\nkind = \"file\"\npath = \"", store, "\"\n",
                   Config().substr(Config().find("[etcd]")));
  DaemonEnv* a = Machine(config);
  DaemonEnv* b = Machine(config);
  const std::string first = RandomToken();
  WriteFile(store, absl::StrCat("[tokens]\n\"", kUrl, "\" = \"", first, "\"\n"));
  EXPECT_THAT(Get(a), HasSubstr(first));
  EXPECT_THAT(Get(b), HasSubstr(first));
  ASSERT_FALSE(TokenValueKey().empty()) << "the token is shared through etcd";

  const std::string second = RandomToken();
  WriteFile(store + "~", absl::StrCat("[tokens]\n\"", kUrl, "\" = \"", second, "\"\n"));
  ASSERT_EQ(rename((store + "~").c_str(), store.c_str()), 0);
  EXPECT_THAT(Get(a), HasSubstr(second));
  EXPECT_TRUE(Eventually([&] { return absl::StrContains(Get(b), second); }))
      << "B still serves the old token";
}

TEST_F(EtcdTierTest, RotationServesTheNewTokenAndOldOrTamperedValuesAreRefused) {
  DaemonEnv* a = Machine(Config());
  DaemonEnv* b = Machine(Config());
  const std::string old_token = token_;
  EXPECT_THAT(Get(a), HasSubstr(old_token));
  EXPECT_THAT(Get(b), HasSubstr(old_token));
  const std::string key = TokenValueKey();
  ASSERT_FALSE(key.empty());
  std::string old_value;
  for (const auto& [k, v] : Values()) {
    if (k == key) old_value = v;
  }

  // The source rotates; an admin forgets the registry on A.
  SetToken(RandomToken());
  EXPECT_THAT(a->Shim({"forget", kUrl}).stdout_text, HasSubstr("forgot 1"));
  EXPECT_TRUE(Eventually([&] { return !Holds(b); }));
  EXPECT_THAT(Get(b), HasSubstr(token_));
  EXPECT_THAT(Get(a), HasSubstr(token_));
  EXPECT_EQ(BackendCalls(), 2);

  // The old value put back by hand: refused (its generation is gone), and
  // the token fetched anew.
  ASSERT_TRUE(cluster_->Etcdctl({"put", key}, old_value).ok());
  a->Shim({"flush"});
  EXPECT_THAT(Get(a), HasSubstr(token_));
  EXPECT_THAT(Get(a), Not(HasSubstr(old_token)));
  EXPECT_GE(Json(a, "stats")["etcd"].value("open_failures", 0), 1);
  EXPECT_EQ(BackendCalls(), 3);
  EXPECT_THAT(ReadFile(a->log()), HasSubstr("an old value put back?"));

  // One flipped byte: refused and fetched anew.
  std::string value;
  for (const auto& [k, v] : Values()) {
    if (k == key) value = v;
  }
  ASSERT_FALSE(value.empty());
  value[value.size() / 2] ^= 0x01;
  ASSERT_TRUE(cluster_->Etcdctl({"put", key}, value).ok());
  b->Shim({"flush"});
  EXPECT_THAT(Get(b), HasSubstr(token_));
  EXPECT_GE(Json(b, "stats")["etcd"].value("open_failures", 0), 1);
  EXPECT_EQ(BackendCalls(), 4);
  EXPECT_THAT(ReadFile(b->log()), Not(HasSubstr(token_)));
  EXPECT_THAT(ReadFile(a->log()), Not(HasSubstr(token_)));

  // The registry's generation key deleted, then the old value put back:
  // still refused (no value is served at a generation etcd does not hold).
  const std::string gen_key =
      absl::StrCat(kPrefix, "gen/", key.substr(strlen(kPrefix) + strlen("token/"), 32));
  ASSERT_TRUE(cluster_->Etcdctl({"del", gen_key}).ok());
  ASSERT_TRUE(cluster_->Etcdctl({"put", key}, old_value).ok());
  a->Shim({"flush"});
  const std::string after = Get(a);
  EXPECT_THAT(after, HasSubstr(token_));
  EXPECT_THAT(after, Not(HasSubstr(old_token)));
  EXPECT_THAT(ReadFile(a->log()), HasSubstr("etcd has no generation for the registry"));
}

TEST_F(EtcdTierTest, AClaimNoDaemonHoldsIsTakenOver) {
  DaemonEnv* a = Machine(Config());
  DaemonEnv* b = Machine(Config());
  EXPECT_THAT(Get(a), HasSubstr(token_));
  const std::string key = TokenValueKey();
  ASSERT_FALSE(key.empty());
  std::string claim_key = key;
  claim_key.replace(strlen(kPrefix), strlen("token/"), "claim/");
  // The value gone, and a claim written by hand, with no lease.
  a->Shim({"forget", kUrl});
  ASSERT_TRUE(cluster_->Etcdctl({"put", claim_key, "nobody"}).ok());
  EXPECT_THAT(Get(b), HasSubstr(token_));
  EXPECT_EQ(BackendCalls(), 2);
  EXPECT_GE(Json(b, "stats")["etcd"].value("claims", 0), 1) << "taken over, not waited out";
  EXPECT_EQ(Json(b, "stats")["etcd"].value("waits", 0), 0);
  EXPECT_FALSE(TokenValueKey().empty()) << "shared again";
  EXPECT_THAT(Get(a), HasSubstr(token_));
  EXPECT_EQ(BackendCalls(), 2);
}

TEST_F(EtcdTierTest, AMachineWithAnotherTeamKeyLeavesTheOthersValuesAlone) {
  DaemonEnv* a = Machine(Config());
  DaemonEnv* b = Machine(Config());
  EXPECT_THAT(Get(a), HasSubstr(token_));
  EXPECT_THAT(Get(b), HasSubstr(token_));
  // A machine given a key the others lack (a rotation half done).
  const std::string other = RandomToken() + RandomToken();
  WriteFile(shared_ + "/other.key",
            absl::StrCat("k2 ", absl::Base64Escape(other.substr(0, 32)), "\n"));
  std::string config = Config();
  config.replace(config.find("team.key"), strlen("team.key"), "other.key");
  DaemonEnv* c = Machine(config);
  EXPECT_THAT(Get(c), HasSubstr(token_)) << "fetched for itself";
  EXPECT_EQ(BackendCalls(), 2);
  EXPECT_FALSE(TokenValueKey().empty()) << "the team's value stays";
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_TRUE(Holds(a));
  EXPECT_TRUE(Holds(b));
  EXPECT_GE(Json(c, "stats")["etcd"].value("open_failures", 0), 1);
}

TEST_F(EtcdTierTest, AFetchCutOffByAStalledClusterLeavesNoClaimBehind) {
  DaemonEnv* a = Machine(Config());
  DaemonEnv* b = Machine(Config());
  Start(a);
  Start(b);
  // The source takes 2 s; the cluster stalls while A fetches, and A cannot
  // share the value or drop its claim then.
  WriteFile(shared_ + "/source.sh",
            absl::StrCat("#!/bin/sh\necho \"$1\" >> ", shared_, "/calls\n/bin/sleep 2\n/bin/cat ",
                         shared_, "/token\n"),
            0700);
  std::string answer;
  std::thread ask([&] { answer = Get(a); });
  EXPECT_TRUE(Eventually([&] { return BackendCalls() == 1; }));
  for (int i = 0; i < cluster_->size(); ++i) kill(cluster_->pid(i), SIGSTOP);
  absl::SleepFor(absl::Milliseconds(2500));
  for (int i = 0; i < cluster_->size(); ++i) kill(cluster_->pid(i), SIGCONT);
  ask.join();
  EXPECT_THAT(answer, HasSubstr(token_));
  EXPECT_TRUE(Eventually([&] { return Joined(a); }));
  // No claim is left: B fetches the token at once, and shares it.
  EXPECT_TRUE(Eventually([&] {
    absl::StatusOr<std::string> claims =
        cluster_->Etcdctl({"get", "--prefix", absl::StrCat(kPrefix, "claim/"), "--keys-only"});
    return claims.ok() && absl::StripAsciiWhitespace(*claims).empty();
  }));
  EXPECT_THAT(Get(b), HasSubstr(token_));
  EXPECT_EQ(Json(b, "stats")["etcd"].value("waits", 0), 0);
}

TEST_F(EtcdTierTest, ATeamDaemonAuditsAValueItRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "the team daemon's rule here names root";
  DaemonEnv* a = Machine(Config());
  EXPECT_THAT(Get(a), HasSubstr(token_));
  const std::string key = TokenValueKey();
  ASSERT_FALSE(key.empty());
  std::string value;
  for (const auto& [k, v] : Values()) {
    if (k == key) value = v;
  }
  value[value.size() - 1] ^= 0x01;
  ASSERT_TRUE(cluster_->Etcdctl({"put", key}, value).ok());

  DaemonEnv* team = Machine("");
  const std::string config = Config();
  const std::string audit_file = team->root() + "/audit.log";
  team->WriteConfig(absl::StrCat(
      "[listen]\ngroup = \"root\"\n\n[[rule]]\nregistries = [\"*\"]\nusers = [\"root\"]\n"
      "operations = [\"read\"]\n\n[audit]\nfile = \"",
      audit_file, "\"\n\n",
      absl::StrReplaceAll(config,
                          {{"kind = \"command\"\n", "kind = \"command\"\nscope = \"shared\"\n"}})));
  cargo_credential::SubprocessResult started = team->Daemon({"--socket", team->socket()});
  ASSERT_EQ(started.exit_code, 0) << started.stderr_text;
  const std::string answer =
      AnswerLine(team->Shim({"--cargo-plugin"}, GetRequestLine(kUrl),
                            {{"CREDCACHE_SOCKET_OWNER", "root"}, {"CREDCACHE_NO_SPAWN", "1"}}));
  EXPECT_THAT(answer, HasSubstr(token_)) << "fetched anew";
  EXPECT_EQ(BackendCalls(), 2);
  EXPECT_TRUE(Eventually([&] {
    return absl::StrContains(ReadFile(audit_file), "refused-from-etcd");
  })) << ReadFile(audit_file);
  EXPECT_THAT(ReadFile(audit_file), Not(HasSubstr(token_)));
  team->Shim({"stop"}, "", {{"CREDCACHE_SOCKET_OWNER", "root"}});
}

TEST_F(EtcdTierTest, CheckConfigReadsTheFilesTheTierNamesAndPointsAtTheirLine) {
  DaemonEnv* a = Machine(Config());
  cargo_credential::SubprocessResult checked = a->Daemon({"--check-config"});
  EXPECT_EQ(checked.exit_code, 0) << checked.stderr_text;
  EXPECT_THAT(checked.stdout_text, HasSubstr("shared through etcd"));

  chmod((shared_ + "/team.key").c_str(), 0644);
  checked = a->Daemon({"--check-config"});
  EXPECT_EQ(checked.exit_code, 3);
  EXPECT_THAT(checked.stderr_text, HasSubstr(a->config_path() + ":"));
  EXPECT_THAT(checked.stderr_text, HasSubstr("`team_key_file`"));
  EXPECT_THAT(checked.stderr_text, HasSubstr("chmod 600"));
  cargo_credential::SubprocessResult started = a->Daemon({});
  EXPECT_NE(started.exit_code, 0) << "no start with a key others can read";

  std::string config = Config();
  config.replace(config.find("team.key"), strlen("team.key"), "missing.key");
  a->WriteConfig(config);
  checked = a->Daemon({"--check-config"});
  EXPECT_EQ(checked.exit_code, 3);
  EXPECT_THAT(checked.stderr_text, HasSubstr("`team_key_file`"));
  EXPECT_THAT(checked.stderr_text, HasSubstr("missing.key"));
}

TEST_F(EtcdTierTest, TheLeaderKilledUnderLoadFailsNoRequestAndLogoutsStillReachEveryone) {
  DaemonEnv* a = Machine(Config());
  DaemonEnv* b = Machine(Config());
  Start(a);
  Start(b);
  std::atomic<int> failed{0};
  std::atomic<int> answered{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> load;
  for (int i = 0; i < 4; ++i) {
    load.emplace_back([&, i] {
      DaemonEnv* machine = i % 2 == 0 ? a : b;
      for (int n = 0; !done; ++n) {
        // Cold registries, so that requests reach etcd.
        const std::string url = absl::StrCat("sparse+https://r", i, "-", n % 8, ".example/");
        if (n % 8 == 0) machine->Shim({"flush"});
        const std::string answer = Get(machine, url);
        ++answered;
        if (!absl::StrContains(answer, token_)) {
          ++failed;
          ADD_FAILURE() << url << ": " << answer;
        }
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(500));
  absl::StatusOr<int> leader = cluster_->LeaderIndex();
  ASSERT_TRUE(leader.ok()) << leader.status();
  ASSERT_TRUE(cluster_->KillMember(*leader).ok());
  absl::SleepFor(absl::Seconds(2));
  done = true;
  for (std::thread& thread : load) thread.join();
  EXPECT_EQ(failed.load(), 0) << "of " << answered.load();
  EXPECT_GT(answered.load(), 8);

  // The cluster, with a new leader, still carries a logout to everyone.
  ASSERT_TRUE(cluster_->WaitForLeader().ok());
  EXPECT_TRUE(Eventually([&] { return Joined(a) && Joined(b); }));
  EXPECT_THAT(Get(a), HasSubstr(token_));
  EXPECT_THAT(Get(b), HasSubstr(token_));
  ASSERT_TRUE(Holds(b));
  SetToken(RandomToken());
  a->Shim({"forget", kUrl});
  EXPECT_TRUE(Eventually([&] { return !Holds(b); }));
  EXPECT_THAT(Get(b), HasSubstr(token_));
}

TEST_F(EtcdTierTest, AMachineStoppedThroughACompactionRecovers) {
  DaemonEnv* a = Machine(Config());
  DaemonEnv* b = Machine(Config());
  EXPECT_THAT(Get(a), HasSubstr(token_));
  EXPECT_THAT(Get(b), HasSubstr(token_));
  ASSERT_TRUE(Holds(b));
  const int pid = b->DaemonPid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, SIGSTOP), 0);
  // Meanwhile: a rotation, other writes, and a compaction past them all.
  SetToken(RandomToken());
  a->Shim({"forget", kUrl});
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(Get(a, absl::StrCat("sparse+https://other", i, ".example/")), HasSubstr(token_));
  }
  absl::StatusOr<int64_t> revision = cluster_->Revision();
  ASSERT_TRUE(revision.ok()) << revision.status();
  ASSERT_TRUE(cluster_->Compact(*revision).ok());
  ASSERT_EQ(kill(pid, SIGCONT), 0);
  EXPECT_TRUE(Eventually([&] { return !Holds(b); })) << "B kept a token rotated away";
  EXPECT_THAT(Get(b), HasSubstr(token_));
  EXPECT_TRUE(Eventually([&] { return Joined(b); }));
}

TEST_F(EtcdTierTest, TheWholeClusterStoppedLeavesEveryMachineServingAlone) {
  DaemonEnv* a = Machine(Config());
  EXPECT_THAT(Get(a), HasSubstr(token_));
  ASSERT_TRUE(Eventually([&] { return Joined(a); }));
  ASSERT_TRUE(cluster_->StopAll().ok());
  // Cached in memory: served. Cold: from the backend, as on one machine.
  EXPECT_THAT(Get(a), HasSubstr(token_));
  EXPECT_THAT(Get(a, "sparse+https://cold.example/"), HasSubstr(token_));
  EXPECT_TRUE(Eventually([&] { return !Joined(a); }));
  EXPECT_THAT(a->Shim({"status"}).stdout_text, HasSubstr("serving from this machine alone"));
  EXPECT_THAT(Get(a, "sparse+https://colder.example/"), HasSubstr(token_));
  EXPECT_GE(Json(a, "stats")["etcd"].value("local", 0), 1);
  EXPECT_THAT(ReadFile(a->log()), HasSubstr("etcd tier unreachable"));

  // Back: the machine rejoins.
  ASSERT_TRUE(cluster_->StartAll().ok());
  EXPECT_TRUE(Eventually([&] { return Joined(a); }));
  EXPECT_THAT(a->Shim({"status"}).stdout_text, HasSubstr("joined"));
  DaemonEnv* b = Machine(Config());
  EXPECT_THAT(Get(b, "sparse+https://after.example/"), HasSubstr(token_));
  EXPECT_THAT(Get(a, "sparse+https://after.example/"), HasSubstr(token_));
  EXPECT_GE(Json(a, "stats")["etcd"].value("hits", 0) + Json(b, "stats")["etcd"].value("hits", 0),
            1);
}

class EtcdTierTlsTest : public EtcdTierTest {
 protected:
  void SetUp() override {
    EtcdClusterOptions options;
    options.tls = true;
    StartCluster(options);
  }
};

TEST_F(EtcdTierTlsTest, MutualTlsServesAndAWrongCertificateFailsClosedToLocal) {
  DaemonEnv* a = Machine(Config(absl::StrCat(
      "ca_file = \"", cluster_->ca_path(), "\"\ncert_file = \"", cluster_->client_cert_path(),
      "\"\nkey_file = \"", cluster_->client_key_path(), "\"\n")));
  DaemonEnv* b = Machine(Config(absl::StrCat(
      "ca_file = \"", cluster_->ca_path(), "\"\ncert_file = \"", cluster_->client_cert_path(),
      "\"\nkey_file = \"", cluster_->client_key_path(), "\"\n")));
  EXPECT_THAT(Get(a), HasSubstr(token_));
  EXPECT_TRUE(Eventually([&] { return Joined(a); }));
  EXPECT_THAT(Get(b), HasSubstr(token_));
  EXPECT_EQ(BackendCalls(), 1) << "B read A's value over TLS";

  DaemonEnv* wrong = Machine(Config(absl::StrCat(
      "ca_file = \"", cluster_->ca_path(), "\"\ncert_file = \"", cluster_->wrong_client_cert_path(),
      "\"\nkey_file = \"", cluster_->wrong_client_key_path(), "\"\n")));
  EXPECT_THAT(Get(wrong), HasSubstr(token_)) << "served locally";
  EXPECT_EQ(BackendCalls(), 2);
  absl::SleepFor(absl::Seconds(1));
  EXPECT_FALSE(Joined(wrong));
  EXPECT_THAT(wrong->Shim({"status"}).stdout_text, HasSubstr("serving from this machine alone"));

  DaemonEnv* plain = Machine(Config());  // No TLS at all.
  EXPECT_THAT(Get(plain), HasSubstr(token_));
  EXPECT_FALSE(Joined(plain));
}

class EtcdTierAuthTest : public EtcdTierTest {
 protected:
  void SetUp() override {
    EtcdClusterOptions options;
    options.auth = true;
    options.prefix = kPrefix;
    options.auth_token_ttl_seconds = 2;
    StartCluster(options);
    WriteFile(shared_ + "/etcd.password", cluster_->password() + "\n");
  }
  std::string Auth() {
    return absl::StrCat("user = \"", cluster_->user(), "\"\npassword_file = \"", shared_,
                        "/etcd.password\"\n");
  }
};

TEST_F(EtcdTierAuthTest, ARoleLimitedToThePrefixServesAndItsExpiredTokenIsRenewed) {
  DaemonEnv* a = Machine(Config(Auth()));
  DaemonEnv* b = Machine(Config(Auth()));
  EXPECT_THAT(Get(a), HasSubstr(token_));
  EXPECT_TRUE(Eventually([&] { return Joined(a); }));
  EXPECT_THAT(Get(b), HasSubstr(token_));
  EXPECT_EQ(BackendCalls(), 1);

  // Idle past the auth token's TTL: the next call authenticates again.
  absl::SleepFor(absl::Seconds(4));
  a->Shim({"flush"});
  EXPECT_THAT(Get(a), HasSubstr(token_));
  EXPECT_EQ(BackendCalls(), 1) << "read from etcd with a renewed auth token";
  EXPECT_GE(Json(a, "stats")["etcd"].value("hits", 0), 1);

  // A prefix outside the role: refused by etcd, so served locally.
  std::string outside = Config(Auth());
  outside.replace(outside.find(kPrefix), strlen(kPrefix), "/credcache/other-team/");
  DaemonEnv* c = Machine(outside);
  EXPECT_THAT(Get(c), HasSubstr(token_));
  EXPECT_EQ(BackendCalls(), 2);
  EXPECT_FALSE(Joined(c));

  // A wrong password: the same.
  WriteFile(shared_ + "/wrong.password", "not-the-password\n");
  std::string wrong = Config(Auth());
  wrong.replace(wrong.find("etcd.password"), strlen("etcd.password"), "wrong.password");
  DaemonEnv* d = Machine(wrong);
  EXPECT_THAT(Get(d), HasSubstr(token_));
  EXPECT_FALSE(Joined(d));
}

}  // namespace
}  // namespace credcache_testing
