// EtcdCluster: a real etcd cluster (etcd 3.4, Debian's `etcd-server`) of a
// few members on loopback, for end-to-end tests that run several credcached
// daemons against one etcd, as machines of a team would. Optionally with
// mutual TLS (certificates made with the openssl CLI for the run) and with
// etcd's auth (root, and a user "credcache" whose role may read and write
// one key prefix only). Members can be killed, stopped and restarted, and
// etcdctl run against them as root or as the credcache user.
//
// Everything lives in one private directory (mkdtemp, 0700) under the
// test's temporary directory: each member's data directory and log
// (`mN/`, `mN.log`) and the certificates.
//
// Ownership: an EtcdCluster owns its member processes and its directory.
// Each member runs in a process group of its own; the destructor stops
// every member still running (SIGTERM, then SIGKILL after a bounded wait),
// reaps it, and removes the directory, whether the test passed or not
// (when it failed, the members' logs are first copied to
// $TEST_UNDECLARED_OUTPUTS_DIR). Members are also started under
// `setpriv --pdeathsig KILL`, so a test process that crashes or is killed
// by Bazel's timeout takes them along.
//
// Thread-safety: one thread at a time. The kernel's parent-death signal
// follows the thread that started a member: call Start, RestartMember and
// StartAll from a thread that outlives the cluster (the test's own).
#ifndef CREDCACHE_TESTS_SUPPORT_ETCD_CLUSTER_H_
#define CREDCACHE_TESTS_SUPPORT_ETCD_CLUSTER_H_

#include <stdint.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cargo_credential/subprocess.h"

namespace credcache_testing {

struct EtcdClusterOptions {
  // How many members (1 to 7).
  int members = 3;
  // Mutual TLS on the client URLs (https): a CA, a server certificate with
  // subjectAltName IP:127.0.0.1, a client certificate with CN "credcache"
  // (which etcd then takes as user credcache), all made with openssl, and
  // `--client-cert-auth`. Peers talk plain HTTP on loopback.
  bool tls = false;
  // etcd's auth: root with a password, and user "credcache" with a role
  // that may read and write keys under `prefix` and nothing else.
  bool auth = false;
  // The key prefix the credcache user's role is limited to.
  std::string prefix = "/credcache/test/";
  // 0: etcd's default (300 s); else `--auth-token simple --auth-token-ttl N`,
  // after which an idle client's token is invalid.
  int auth_token_ttl_seconds = 0;
};

// Whom etcdctl acts as (see EtcdctlCall).
enum class EtcdIdentity {
  // Root with its password when auth is on; under TLS also the client
  // certificate (the password decides who it is).
  kRoot,
  // User credcache with its password (auth), and the client certificate
  // (TLS).
  kUser,
  // The client certificate alone, no password: under TLS with auth, etcd
  // takes its CN ("credcache") as the user.
  kCertificate,
  // A client certificate with the same CN signed by another CA (TLS).
  kWrongCertificate,
  // No password and no client certificate (the CA is still trusted).
  kAnonymous,
};

// One etcdctl run (ETCDCTL_API=3).
struct EtcdctlCall {
  // etcdctl's arguments after the connection flags, e.g. {"put", "k", "v"}.
  std::vector<std::string> args;
  // Written to etcdctl's stdin.
  std::string input;
  EtcdIdentity as = EtcdIdentity::kRoot;
  // The members to connect to, by index; empty for every running member.
  std::vector<int> members;
  // etcdctl's --command-timeout; the process itself is killed a few seconds
  // after (its dial timeout is 2 s on top).
  absl::Duration timeout = absl::Seconds(10);
};

class EtcdCluster {
 public:
  // Makes the directory (and certificates), picks free loopback ports (two
  // per member), starts every member, waits until each answers
  // `etcdctl endpoint health` (at most 20 s), then with auth makes the
  // users and role and enables auth. A member that cannot bind its port
  // (taken between picking and binding) makes it start again on new ports,
  // up to three times. Fails with the end of the members' logs in the
  // message; nothing it started is left running.
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> Start(const EtcdClusterOptions& options);

  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;
  ~EtcdCluster();

  const EtcdClusterOptions& options() const { return options_; }
  int size() const { return static_cast<int>(members_.size()); }

  // Each member's client endpoint, "127.0.0.1:PORT", in member order (the
  // scheme is https under TLS, http otherwise; see url()).
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  // The same, joined with commas, as etcdctl's --endpoints takes them.
  std::string endpoints_csv() const;
  // Member `i`'s client URL, with its scheme.
  std::string url(int i) const;

  // The private directory everything lives in.
  const std::string& dir() const { return dir_; }
  // Member `i`'s log (its stderr, etcd's zap logger).
  std::string log_path(int i) const;
  // The CA that signed the server and client certificates, and the client
  // certificate (CN "credcache") and its key. Under TLS only.
  std::string ca_path() const { return dir_ + "/ca.pem"; }
  std::string client_cert_path() const { return dir_ + "/client.pem"; }
  std::string client_key_path() const { return dir_ + "/client-key.pem"; }
  // A client certificate with the same CN signed by another CA, and its
  // key: what the cluster must refuse. Under TLS only.
  std::string wrong_client_cert_path() const { return dir_ + "/wrong_client.pem"; }
  std::string wrong_client_key_path() const { return dir_ + "/wrong_client-key.pem"; }

  // The etcd user limited to options().prefix, and its password (with
  // auth); and root's password.
  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }
  const std::string& root_password() const { return root_password_; }

  // Runs etcdctl as root against every running member and returns its
  // stdout; fails with its stderr's error when it exits non-zero:
  // PermissionDenied ("permission denied"), Unauthenticated (a bad
  // password or token), OutOfRange (a compacted revision),
  // DeadlineExceeded (no member answered: one down, or a TLS refusal),
  // Unknown otherwise.
  absl::StatusOr<std::string> Etcdctl(std::vector<std::string> args, std::string input = "");
  absl::StatusOr<std::string> Etcdctl(const EtcdctlCall& call);

  // The index of the member that leads, as the running members report it
  // (`endpoint status`: its member id is its leader id); Unavailable when
  // none does right now.
  absl::StatusOr<int> LeaderIndex();
  // LeaderIndex, retried until it answers or `timeout` passes.
  absl::StatusOr<int> WaitForLeader(absl::Duration timeout = absl::Seconds(10));

  // Member `i` ends at once (SIGKILL to its group) and is reaped.
  absl::Status KillMember(int i);
  // Member `i` stops (SIGTERM; SIGKILL after 5 s) and is reaped.
  absl::Status StopMember(int i);
  // Starts member `i` again (stopping it first if it runs) on the same
  // ports and data directory, with --initial-cluster-state existing, and
  // waits until it is healthy when a quorum of members then runs.
  absl::Status RestartMember(int i);
  // Stops every running member.
  absl::Status StopAll();
  // Starts every member that is not running, and waits until all are
  // healthy.
  absl::Status StartAll();

  // Whether member `i` runs (as far as this object started and stopped
  // it; a member that died on its own counts as not running).
  bool running(int i);
  // Member `i`'s pid, or 0 when it does not run.
  pid_t pid(int i);
  // The pid of every member process ever started, running or not: a test
  // checks none is left once the cluster is gone.
  const std::vector<pid_t>& started_pids() const { return started_pids_; }

  // The cluster's current revision (a read's header revision).
  absl::StatusOr<int64_t> Revision();
  // Compacts the key space up to `revision` (physically: reads below it
  // fail with OutOfRange when this returns).
  absl::Status Compact(int64_t revision);

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    std::unique_ptr<cargo_credential::Subprocess> process;
  };

  explicit EtcdCluster(const EtcdClusterOptions& options) : options_(options) {}

  absl::Status MakeCertificates();
  absl::Status PickPorts();
  absl::Status StartMember(int i, bool existing);
  absl::Status StopMemberWithin(int i, absl::Duration grace);
  // Waits until each member in `indices` answers `endpoint health`, failing
  // early when one of them exits.
  absl::Status WaitHealthy(const std::vector<int>& indices, absl::Duration timeout);
  absl::Status EnableAuth();
  std::vector<int> RunningMembers();
  // The end of each member's log, for an error message.
  std::string LogTails() const;
  bool AnyLogSays(const std::string& text) const;
  void CopyLogsForFailedTest() const;

  EtcdClusterOptions options_;
  std::string dir_;
  std::string etcd_;
  std::string setpriv_;
  std::string cluster_token_;
  std::vector<Member> members_;
  std::vector<std::string> endpoints_;
  std::vector<pid_t> started_pids_;
  std::string user_ = "credcache";
  std::string password_;
  std::string root_password_;
  bool auth_enabled_ = false;
};

}  // namespace credcache_testing

#endif  // CREDCACHE_TESTS_SUPPORT_ETCD_CLUSTER_H_
