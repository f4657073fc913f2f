// EtcdCluster (tests/support/etcd_cluster.h) on the real etcd: the cluster
// the end-to-end tests of a tier across machines stand on. Each test starts
// its own cluster and checks, once it is gone, that none of its processes
// (nor their process groups) and none of its files remain.
#include "tests/support/etcd_cluster.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cargo_credential/subprocess.h"
#include "gtest/gtest.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

bool ProcessExists(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

class EtcdClusterTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (cluster_ == nullptr) return;
    const std::vector<pid_t> pids = cluster_->started_pids();
    const std::string dir = cluster_->dir();
    const absl::Time start = absl::Now();
    cluster_.reset();
    EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "stopping the cluster took too long";
    for (pid_t pid : pids) {
      // Reaped (a zombie still answers kill 0), and its group is empty.
      EXPECT_FALSE(ProcessExists(pid)) << "etcd member pid " << pid << " outlived its cluster";
      EXPECT_FALSE(ProcessExists(-pid)) << "process group " << pid << " outlived its cluster";
    }
    struct stat info;
    EXPECT_NE(stat(dir.c_str(), &info), 0) << dir << " outlived its cluster";
  }

  // Starts cluster_, timing it.
  void StartCluster(const EtcdClusterOptions& options = {}) {
    const absl::Time start = absl::Now();
    absl::StatusOr<std::unique_ptr<EtcdCluster>> started = EtcdCluster::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    cluster_ = std::move(*started);
    const absl::Duration took = absl::Now() - start;
    EXPECT_LT(took, absl::Seconds(10));
    RecordProperty("cluster_start_ms", static_cast<int>(absl::ToInt64Milliseconds(took)));
  }

  absl::Status Put(const std::string& key, const std::string& value,
                   EtcdIdentity as = EtcdIdentity::kRoot, std::vector<int> members = {},
                   absl::Duration timeout = absl::Seconds(10)) {
    EtcdctlCall call;
    call.args = {"put", key, value};
    call.as = as;
    call.members = std::move(members);
    call.timeout = timeout;
    return cluster_->Etcdctl(call).status();
  }

  // The value of `key` ("" when there is none), read through `members`.
  absl::StatusOr<std::string> Get(const std::string& key, EtcdIdentity as = EtcdIdentity::kRoot,
                                  std::vector<int> members = {},
                                  std::vector<std::string> flags = {}) {
    EtcdctlCall call;
    call.args = {"get", key, "--print-value-only"};
    call.args.insert(call.args.end(), flags.begin(), flags.end());
    call.as = as;
    call.members = std::move(members);
    absl::StatusOr<std::string> out = cluster_->Etcdctl(call);
    if (!out.ok()) return out.status();
    return std::string(absl::StripSuffix(*out, "\n"));
  }

  std::unique_ptr<EtcdCluster> cluster_;
};

TEST_F(EtcdClusterTest, PlainClusterServesOneKeySpaceThroughEveryMember) {
  StartCluster();
  ASSERT_EQ(cluster_->size(), 3);
  const std::vector<std::string>& endpoints = cluster_->endpoints();
  ASSERT_EQ(endpoints.size(), 3u);
  EXPECT_EQ(std::set<std::string>(endpoints.begin(), endpoints.end()).size(), 3u);
  EXPECT_EQ(cluster_->endpoints_csv(),
            absl::StrCat(endpoints[0], ",", endpoints[1], ",", endpoints[2]));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(absl::StartsWith(endpoints[i], "127.0.0.1:")) << endpoints[i];
    EXPECT_EQ(cluster_->url(i), "http://" + endpoints[i]);
    ASSERT_TRUE(cluster_->running(i));
    const pid_t pid = cluster_->pid(i);
    EXPECT_GT(pid, 0);
    EXPECT_EQ(getpgid(pid), pid) << "member " << i << " has no process group of its own";
    EXPECT_GT(CountLines(cluster_->log_path(i)), 0);
  }
  EXPECT_EQ(cluster_->started_pids().size(), 3u);
  struct stat info;
  ASSERT_EQ(stat(cluster_->dir().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);

  absl::StatusOr<int64_t> before = cluster_->Revision();
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(Put("/credcache/test/a", "through m1", EtcdIdentity::kRoot, {0}).ok());
  for (int i : {1, 2}) {
    absl::StatusOr<std::string> read = Get("/credcache/test/a", EtcdIdentity::kRoot, {i});
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, "through m1") << "read through member " << i;
  }
  absl::StatusOr<int64_t> after = cluster_->Revision();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, *before + 1);

  // A value on stdin, as etcdctl takes one.
  absl::StatusOr<std::string> put = cluster_->Etcdctl({"put", "/credcache/test/b"}, "from stdin");
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(Get("/credcache/test/b").value_or("?"), "from stdin");
  absl::StatusOr<std::string> listed =
      cluster_->Etcdctl({"get", "--prefix", "/credcache/test/", "--keys-only"});
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(*listed, "/credcache/test/a\n\n/credcache/test/b\n\n");
}

TEST_F(EtcdClusterTest, KilledLeaderIsReplacedAndWritesGoOn) {
  StartCluster();
  absl::StatusOr<int> leader = cluster_->WaitForLeader();
  ASSERT_TRUE(leader.ok()) << leader.status();
  const int old_leader = *leader;
  const pid_t old_pid = cluster_->pid(old_leader);
  ASSERT_TRUE(Put("/credcache/test/before", "1").ok());

  ASSERT_TRUE(cluster_->KillMember(old_leader).ok());
  EXPECT_FALSE(cluster_->running(old_leader));
  EXPECT_EQ(cluster_->pid(old_leader), 0);
  EXPECT_FALSE(ProcessExists(old_pid)) << "a killed member must be reaped at once";

  // The two left elect a leader within a few election timeouts (500 ms).
  const absl::Time killed = absl::Now();
  absl::Status put = absl::UnknownError("not tried");
  while (absl::Now() - killed < absl::Seconds(5)) {
    put = Put("/credcache/test/after", "2", EtcdIdentity::kRoot, {}, absl::Seconds(1));
    if (put.ok()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(put.ok()) << put;
  RecordProperty("put_after_leader_kill_ms",
                 static_cast<int>(absl::ToInt64Milliseconds(absl::Now() - killed)));
  absl::StatusOr<int> new_leader = cluster_->WaitForLeader(absl::Seconds(5));
  ASSERT_TRUE(new_leader.ok()) << new_leader.status();
  EXPECT_NE(*new_leader, old_leader);
  for (int i = 0; i < 3; ++i) {
    if (i == old_leader) continue;
    EXPECT_EQ(Get("/credcache/test/after", EtcdIdentity::kRoot, {i}).value_or("?"), "2");
  }

  // Back on its data directory, the old leader catches up.
  ASSERT_TRUE(cluster_->RestartMember(old_leader).ok());
  EXPECT_TRUE(cluster_->running(old_leader));
  EXPECT_NE(cluster_->pid(old_leader), old_pid);
  EXPECT_EQ(Get("/credcache/test/after", EtcdIdentity::kRoot, {old_leader}).value_or("?"), "2");
  EXPECT_EQ(cluster_->started_pids().size(), 4u);
}

TEST_F(EtcdClusterTest, StopAllThenStartAllKeepsTheData) {
  StartCluster();
  ASSERT_TRUE(Put("/credcache/test/kept", "yes").ok());
  absl::StatusOr<int64_t> revision = cluster_->Revision();
  ASSERT_TRUE(revision.ok()) << revision.status();
  const std::vector<pid_t> first = cluster_->started_pids();

  ASSERT_TRUE(cluster_->StopAll().ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(cluster_->running(i));
    EXPECT_EQ(cluster_->pid(i), 0);
  }
  for (pid_t pid : first) EXPECT_FALSE(ProcessExists(pid)) << pid;
  EXPECT_EQ(cluster_->Etcdctl({"get", "/credcache/test/kept"}).status().code(),
            absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(cluster_->StartAll().ok());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(cluster_->running(i));
  EXPECT_EQ(cluster_->started_pids().size(), 6u);
  EXPECT_EQ(Get("/credcache/test/kept").value_or("?"), "yes");
  absl::StatusOr<int64_t> again = cluster_->Revision();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *revision);

  // One member stopped and restarted alone, too.
  ASSERT_TRUE(cluster_->StopMember(1).ok());
  EXPECT_FALSE(cluster_->running(1));
  ASSERT_TRUE(Put("/credcache/test/while-m2-was-down", "x").ok());
  ASSERT_TRUE(cluster_->RestartMember(1).ok());
  EXPECT_EQ(Get("/credcache/test/while-m2-was-down", EtcdIdentity::kRoot, {1}).value_or("?"), "x");
}

TEST_F(EtcdClusterTest, TlsAcceptsOnlyClientCertificatesFromItsCa) {
  EtcdClusterOptions options;
  options.tls = true;
  StartCluster(options);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(absl::StartsWith(cluster_->url(i), "https://"));
  for (const std::string& path :
       {cluster_->ca_path(), cluster_->client_cert_path(), cluster_->client_key_path(),
        cluster_->wrong_client_cert_path(), cluster_->wrong_client_key_path()}) {
    EXPECT_FALSE(ReadFile(path).empty()) << path;
  }
  cargo_credential::SubprocessOptions openssl;
  openssl.argv = {"openssl", "x509", "-noout", "-subject", "-in", cluster_->client_cert_path()};
  absl::StatusOr<cargo_credential::SubprocessResult> subject =
      cargo_credential::RunSubprocess(openssl, "", absl::Seconds(10));
  ASSERT_TRUE(subject.ok()) << subject.status();
  EXPECT_EQ(subject->stdout_text, "subject=CN = credcache\n");

  ASSERT_TRUE(Put("/credcache/test/tls", "ok").ok());
  EXPECT_EQ(Get("/credcache/test/tls", EtcdIdentity::kRoot, {2}).value_or("?"), "ok");

  // Refused in the handshake, which etcdctl reports as a dial that never
  // succeeded: short timeouts keep the test quick.
  EtcdctlCall wrong;
  wrong.args = {"put", "/credcache/test/tls", "wrong"};
  wrong.as = EtcdIdentity::kWrongCertificate;
  wrong.timeout = absl::Seconds(1);
  absl::StatusOr<std::string> refused = cluster_->Etcdctl(wrong);
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDeadlineExceeded) << refused.status();
  EtcdctlCall anonymous = wrong;
  anonymous.as = EtcdIdentity::kAnonymous;
  EXPECT_FALSE(cluster_->Etcdctl(anonymous).ok());
  EXPECT_EQ(Get("/credcache/test/tls").value_or("?"), "ok");
}

TEST_F(EtcdClusterTest, AuthLimitsTheUserToItsPrefix) {
  EtcdClusterOptions options;
  options.auth = true;
  options.auth_token_ttl_seconds = 5;
  StartCluster(options);
  EXPECT_EQ(cluster_->user(), "credcache");
  EXPECT_FALSE(cluster_->password().empty());
  EXPECT_FALSE(cluster_->root_password().empty());
  EXPECT_NE(cluster_->password(), cluster_->root_password());
  const std::string cmdline = ReadFile(absl::StrCat("/proc/", cluster_->pid(0), "/cmdline"));
  EXPECT_TRUE(absl::StrContains(cmdline, std::string("--auth-token-ttl\0005\0", 19)));

  EXPECT_TRUE(Put("/credcache/test/mine", "v", EtcdIdentity::kUser).ok());
  EXPECT_EQ(Get("/credcache/test/mine", EtcdIdentity::kUser, {1}).value_or("?"), "v");

  absl::Status outside = Put("/elsewhere", "v", EtcdIdentity::kUser);
  EXPECT_EQ(outside.code(), absl::StatusCode::kPermissionDenied) << outside;
  outside = Put("/credcache/other", "v", EtcdIdentity::kUser);
  EXPECT_EQ(outside.code(), absl::StatusCode::kPermissionDenied) << outside;
  EXPECT_EQ(Get("/elsewhere", EtcdIdentity::kUser).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Root may write anywhere; the user still may not read it.
  ASSERT_TRUE(Put("/elsewhere", "root's").ok());
  EXPECT_EQ(Get("/elsewhere", EtcdIdentity::kUser).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Get("/elsewhere").value_or("?"), "root's");

  EXPECT_EQ(Put("/credcache/test/mine", "v", EtcdIdentity::kAnonymous).code(),
            absl::StatusCode::kUnauthenticated);
  EtcdctlCall bad_password;
  bad_password.args = {"--user=credcache", "--password=not-" + cluster_->password(), "put",
                       "/credcache/test/mine", "x"};
  bad_password.as = EtcdIdentity::kAnonymous;
  absl::StatusOr<std::string> refused = cluster_->Etcdctl(bad_password);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();
  EXPECT_EQ(Get("/credcache/test/mine").value_or("?"), "v");
}

TEST_F(EtcdClusterTest, WithTlsAndAuthTheCertificateNameIsTheUser) {
  EtcdClusterOptions options;
  options.tls = true;
  options.auth = true;
  StartCluster(options);
  // No password: the client certificate's CN, "credcache", is the user.
  EXPECT_TRUE(Put("/credcache/test/by-cert", "v", EtcdIdentity::kCertificate).ok());
  EXPECT_EQ(Get("/credcache/test/by-cert", EtcdIdentity::kCertificate).value_or("?"), "v");
  absl::Status outside = Put("/elsewhere", "v", EtcdIdentity::kCertificate);
  EXPECT_EQ(outside.code(), absl::StatusCode::kPermissionDenied) << outside;
  EXPECT_TRUE(Put("/elsewhere", "v").ok());  // root, by password over the same certificate
  EXPECT_FALSE(
      Put("/credcache/test/by-cert", "w", EtcdIdentity::kWrongCertificate, {}, absl::Seconds(1))
          .ok());
  EXPECT_EQ(Get("/credcache/test/by-cert").value_or("?"), "v");
}

TEST_F(EtcdClusterTest, CompactionDropsOldRevisions) {
  StartCluster();
  ASSERT_TRUE(Put("/credcache/test/k", "v1").ok());
  absl::StatusOr<int64_t> first = cluster_->Revision();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(Put("/credcache/test/k", "v2").ok());
  absl::StatusOr<int64_t> second = cluster_->Revision();
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(*second, *first + 1);
  const std::string at_first = absl::StrCat("--rev=", *first);
  EXPECT_EQ(Get("/credcache/test/k", EtcdIdentity::kRoot, {}, {at_first}).value_or("?"), "v1");

  ASSERT_TRUE(cluster_->Compact(*second).ok());
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::string> old =
        Get("/credcache/test/k", EtcdIdentity::kRoot, {i}, {at_first});
    EXPECT_EQ(old.status().code(), absl::StatusCode::kOutOfRange) << old.status();
  }
  EXPECT_EQ(Get("/credcache/test/k", EtcdIdentity::kRoot, {}, {absl::StrCat("--rev=", *second)})
                .value_or("?"),
            "v2");
  EXPECT_EQ(Get("/credcache/test/k").value_or("?"), "v2");
  EXPECT_EQ(cluster_->Compact(*first).code(), absl::StatusCode::kOutOfRange);
}

TEST(EtcdClusterOptionsTest, RefusesImpossibleSizes) {
  EtcdClusterOptions options;
  options.members = 0;
  EXPECT_EQ(EtcdCluster::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.members = 8;
  EXPECT_EQ(EtcdCluster::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace credcache_testing
