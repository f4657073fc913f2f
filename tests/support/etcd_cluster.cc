#include "tests/support/etcd_cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "lib/programs.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::RunSubprocess;
using cargo_credential::Subprocess;
using cargo_credential::SubprocessOptions;
using cargo_credential::SubprocessResult;

constexpr absl::Duration kHealthTimeout = absl::Seconds(20);
constexpr absl::Duration kStopGrace = absl::Seconds(5);
constexpr int kStartAttempts = 3;

// Neither etcd nor etcdctl may take settings from the test's environment.
const std::vector<std::string>& UnsetEtcdEnvironment() {
  static const auto* names = new std::vector<std::string>{"ETCD_*", "ETCDCTL_*"};
  return *names;
}

std::string RandomHex(int bytes) {
  std::random_device device;
  std::string hex;
  for (int i = 0; i < bytes; i += 4) absl::StrAppend(&hex, absl::Hex(device(), absl::kZeroPad8));
  return hex.substr(0, static_cast<size_t>(bytes) * 2);
}

// The end of `text`, at most `limit` bytes, starting at a line.
std::string Tail(const std::string& text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t start = text.size() - limit;
  const size_t newline = text.find('\n', start);
  if (newline != std::string::npos && newline + 1 < text.size()) start = newline + 1;
  return text.substr(start);
}

// What etcdctl's failure says: its "Error: ..." lines (the rest of its
// stderr is the client's retry log), else the end of stderr.
std::string EtcdctlError(const SubprocessResult& result) {
  std::vector<std::string> errors;
  for (absl::string_view line : absl::StrSplit(result.stderr_text, '\n')) {
    if (absl::StartsWith(line, "Error:") || absl::StrContains(line, " is unhealthy: ")) {
      errors.emplace_back(line);
    }
  }
  if (!errors.empty()) return absl::StrJoin(errors, "; ");
  const std::string tail = Tail(result.stderr_text, 1500);
  return tail.empty() ? absl::StrCat("exit code ", result.exit_code) : tail;
}

absl::StatusCode EtcdctlErrorCode(const std::string& stderr_text) {
  const std::string text = absl::AsciiStrToLower(stderr_text);
  if (absl::StrContains(text, "permission denied")) return absl::StatusCode::kPermissionDenied;
  if (absl::StrContains(text, "authentication failed") ||
      absl::StrContains(text, "invalid auth token") ||
      absl::StrContains(text, "user name is empty")) {
    return absl::StatusCode::kUnauthenticated;
  }
  if (absl::StrContains(text, "has been compacted")) return absl::StatusCode::kOutOfRange;
  if (absl::StrContains(text, "deadline exceeded")) return absl::StatusCode::kDeadlineExceeded;
  return absl::StatusCode::kUnknown;
}

// A free TCP port on 127.0.0.1 for each of `count`, all distinct: each is
// bound (port 0) while the next is picked, then all are released.
absl::StatusOr<std::vector<int>> FreeLoopbackPorts(int count) {
  std::vector<int> sockets;
  std::vector<int> ports;
  absl::Status status;
  for (int i = 0; i < count && status.ok(); ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      status = absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
      break;
    }
    sockets.push_back(fd);
    struct sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    if (bind(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof(address)) != 0 ||
        getsockname(fd, reinterpret_cast<struct sockaddr*>(&address), &length) != 0) {
      status = absl::InternalError(absl::StrCat("bind 127.0.0.1:0: ", strerror(errno)));
      break;
    }
    ports.push_back(ntohs(address.sin_port));
  }
  for (int fd : sockets) close(fd);
  if (!status.ok()) return status;
  return ports;
}

// Whether something listens on 127.0.0.1:`port`.
bool AcceptsConnections(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  struct sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  const bool connected =
      connect(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return connected;
}

absl::Status RunOpenssl(const std::string& openssl, const std::string& dir,
                        std::vector<std::string> args) {
  SubprocessOptions options;
  options.argv = std::move(args);
  options.argv.insert(options.argv.begin(), openssl);
  options.cwd = dir;
  absl::StatusOr<SubprocessResult> result = RunSubprocess(options, "", absl::Seconds(20));
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("openssl ", options.argv[1], " failed: ", Tail(result->stderr_text, 1500)));
  }
  return absl::OkStatus();
}

// A new P-256 key in `key` and a certificate for it in `cert` with subject
// CN=`cn`: self-signed with `ca_cert` empty, else signed by that CA with
// the extensions in the file `extensions`.
absl::Status MakeCertificate(const std::string& openssl, const std::string& dir,
                             const std::string& cn, const std::string& key, const std::string& cert,
                             const std::string& ca_cert = "", const std::string& ca_key = "",
                             const std::string& extensions = "") {
  const std::vector<std::string> new_key = {
      "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", key,  "-subj",    absl::StrCat("/CN=", cn)};
  std::vector<std::string> request = {"req"};
  if (ca_cert.empty()) {
    request.insert(request.end(), {"-x509", "-days", "2"});
    request.insert(request.end(), new_key.begin(), new_key.end());
    request.insert(request.end(), {"-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                                   "keyUsage=critical,keyCertSign,cRLSign", "-out", cert});
    return RunOpenssl(openssl, dir, request);
  }
  const std::string csr = absl::StrCat(cert, ".csr");
  request.insert(request.end(), new_key.begin(), new_key.end());
  request.insert(request.end(), {"-out", csr});
  absl::Status made = RunOpenssl(openssl, dir, request);
  if (!made.ok()) return made;
  // A random serial: two certificates from one CA must never share one.
  return RunOpenssl(
      openssl, dir,
      {"x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-set_serial",
       absl::StrCat("0x", RandomHex(8)), "-days", "2", "-extfile", extensions, "-out", cert});
}

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(const EtcdClusterOptions& options) {
  if (options.members < 1 || options.members > 7) {
    return absl::InvalidArgumentError(
        absl::StrCat("an etcd cluster has 1 to 7 members here, not ", options.members));
  }
  if (options.auth_token_ttl_seconds < 0) {
    return absl::InvalidArgumentError("auth_token_ttl_seconds must not be negative");
  }
  std::unique_ptr<EtcdCluster> cluster(new EtcdCluster(options));
  cluster->etcd_ = cargo_credential::FindOnPath("etcd");
  if (cluster->etcd_.empty()) {
    return absl::NotFoundError(
        "no etcd on PATH: install Debian's etcd-server and etcd-client (3.4)");
  }
  if (cargo_credential::FindOnPath("etcdctl").empty()) {
    return absl::NotFoundError("no etcdctl on PATH: install Debian's etcd-client (3.4)");
  }
  // util-linux's setpriv sets the parent-death signal before it runs etcd;
  // without it the members still die with the cluster, only not with a
  // crashed test.
  cluster->setpriv_ = cargo_credential::FindOnPath("setpriv");

  cluster->dir_ = MakeTempDir("etcd");
  struct stat info;
  if (stat(cluster->dir_.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    const std::string dir = cluster->dir_;
    cluster->dir_.clear();  // Nothing of ours to remove.
    return absl::InternalError(absl::StrCat("cannot make a directory like ", dir));
  }
  if (options.tls) {
    absl::Status made = cluster->MakeCertificates();
    if (!made.ok()) return made;
  }
  cluster->root_password_ = RandomHex(12);
  cluster->password_ = RandomHex(12);

  const int count = options.members;
  for (int i = 0; i < count; ++i) {
    Member member;
    member.name = absl::StrCat("m", i + 1);
    cluster->members_.push_back(std::move(member));
  }
  std::vector<int> all(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) all[static_cast<size_t>(i)] = i;

  absl::Status healthy;
  for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
    cluster->cluster_token_ = absl::StrCat("credcache-test-", RandomHex(8));
    absl::Status picked = cluster->PickPorts();
    if (!picked.ok()) return picked;
    healthy = absl::OkStatus();
    for (int i = 0; i < count && healthy.ok(); ++i) healthy = cluster->StartMember(i, false);
    if (healthy.ok()) healthy = cluster->WaitHealthy(all, kHealthTimeout);
    if (healthy.ok()) break;
    // A port taken between picking and binding: start over on new ones,
    // from nothing (a member that joined a half-made cluster is spoiled).
    const bool port_taken = cluster->AnyLogSays("address already in use");
    for (int i = 0; i < count; ++i) (void)cluster->StopMemberWithin(i, absl::ZeroDuration());
    if (!port_taken || attempt == kStartAttempts) break;
    for (int i = 0; i < count; ++i) {
      std::error_code ignored;
      std::filesystem::remove_all(absl::StrCat(cluster->dir_, "/", cluster->members_[i].name),
                                  ignored);
      std::filesystem::remove(cluster->log_path(i), ignored);
    }
  }
  if (!healthy.ok()) {
    return absl::Status(healthy.code(),
                        absl::StrCat("etcd cluster did not start: ", healthy.message()));
  }
  if (options.auth) {
    absl::Status enabled = cluster->EnableAuth();
    if (!enabled.ok()) return enabled;
  }
  return cluster;
}

EtcdCluster::~EtcdCluster() {
  // One after another: a member stops in tens of milliseconds while the
  // others run, but a leader whose followers stop at the same moment waits
  // seconds on a leadership transfer that cannot happen.
  for (int i = 0; i < size(); ++i) {
    if (!StopMemberWithin(i, absl::Seconds(2)).ok()) {
      // Outlived SIGKILL for 10 s (unkillable, in the kernel): the
      // Subprocess's destructor kills it again and waits for it.
      members_[i].process.reset();
    }
  }
  if (dir_.empty()) return;
  CopyLogsForFailedTest();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string EtcdCluster::endpoints_csv() const { return absl::StrJoin(endpoints_, ","); }

std::string EtcdCluster::url(int i) const {
  return absl::StrCat(options_.tls ? "https://" : "http://", endpoints_.at(i));
}

std::string EtcdCluster::log_path(int i) const {
  return absl::StrCat(dir_, "/", members_.at(i).name, ".log");
}

absl::Status EtcdCluster::MakeCertificates() {
  const std::string openssl = cargo_credential::FindOnPath("openssl");
  if (openssl.empty()) return absl::NotFoundError("no openssl on PATH, needed for TLS");
  // Go wants clientAuth on the server's certificate too: etcd's gateway
  // dials the member with it.
  WriteFile(dir_ + "/server.ext",
            "basicConstraints=CA:FALSE\n"
            "subjectAltName=IP:127.0.0.1\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth,clientAuth\n");
  WriteFile(dir_ + "/client.ext",
            "basicConstraints=CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=clientAuth\n");
  const struct {
    const char* cn;
    const char* key;
    const char* cert;
    const char* ca_cert;
    const char* ca_key;
    const char* extensions;
  } certificates[] = {
      {"credcache-test-ca", "ca-key.pem", "ca.pem", "", "", ""},
      {"credcache-test-wrong-ca", "wrong_ca-key.pem", "wrong_ca.pem", "", "", ""},
      {"127.0.0.1", "server-key.pem", "server.pem", "ca.pem", "ca-key.pem", "server.ext"},
      {"credcache", "client-key.pem", "client.pem", "ca.pem", "ca-key.pem", "client.ext"},
      {"credcache", "wrong_client-key.pem", "wrong_client.pem", "wrong_ca.pem", "wrong_ca-key.pem",
       "client.ext"},
  };
  for (const auto& c : certificates) {
    absl::Status made =
        MakeCertificate(openssl, dir_, c.cn, c.key, c.cert, c.ca_cert, c.ca_key, c.extensions);
    if (!made.ok()) return made;
  }
  return absl::OkStatus();
}

absl::Status EtcdCluster::PickPorts() {
  absl::StatusOr<std::vector<int>> ports = FreeLoopbackPorts(2 * size());
  if (!ports.ok()) return ports.status();
  endpoints_.clear();
  for (int i = 0; i < size(); ++i) {
    members_[i].client_port = (*ports)[2 * i];
    members_[i].peer_port = (*ports)[2 * i + 1];
    endpoints_.push_back(absl::StrCat("127.0.0.1:", members_[i].client_port));
  }
  return absl::OkStatus();
}

absl::Status EtcdCluster::StartMember(int i, bool existing) {
  Member& member = members_.at(i);
  std::vector<std::string> peers;
  for (const Member& peer : members_) {
    peers.push_back(absl::StrCat(peer.name, "=http://127.0.0.1:", peer.peer_port));
  }
  const std::string client_url = url(i);
  const std::string peer_url = absl::StrCat("http://127.0.0.1:", member.peer_port);
  SubprocessOptions options;
  if (!setpriv_.empty()) options.argv = {setpriv_, "--pdeathsig", "KILL", "--"};
  options.argv.insert(options.argv.end(), {etcd_,
                                           "--name",
                                           member.name,
                                           "--data-dir",
                                           absl::StrCat(dir_, "/", member.name),
                                           "--listen-client-urls",
                                           client_url,
                                           "--advertise-client-urls",
                                           client_url,
                                           "--listen-peer-urls",
                                           peer_url,
                                           "--initial-advertise-peer-urls",
                                           peer_url,
                                           "--initial-cluster",
                                           absl::StrJoin(peers, ","),
                                           "--initial-cluster-state",
                                           existing ? "existing" : "new",
                                           "--initial-cluster-token",
                                           cluster_token_,
                                           "--election-timeout",
                                           "500",
                                           "--heartbeat-interval",
                                           "50",
                                           "--logger",
                                           "zap",
                                           "--log-outputs",
                                           "stderr"});
  if (options_.tls) {
    options.argv.insert(options.argv.end(), {"--cert-file", dir_ + "/server.pem", "--key-file",
                                             dir_ + "/server-key.pem", "--trusted-ca-file",
                                             ca_path(), "--client-cert-auth"});
  }
  if (options_.auth_token_ttl_seconds > 0) {
    options.argv.insert(options.argv.end(), {"--auth-token", "simple", "--auth-token-ttl",
                                             absl::StrCat(options_.auth_token_ttl_seconds)});
  }
  options.unset_env = UnsetEtcdEnvironment();
  options.stdin_mode = SubprocessOptions::Stdio::kNull;
  options.stdout_mode = SubprocessOptions::Stdio::kNull;
  options.stderr_mode = SubprocessOptions::Stdio::kFile;
  options.stderr_file = log_path(i);
  options.new_process_group = true;
  absl::StatusOr<std::unique_ptr<Subprocess>> started = Subprocess::Start(options);
  if (!started.ok()) return started.status();
  member.process = std::move(*started);
  started_pids_.push_back(member.process->pid());
  return absl::OkStatus();
}

absl::Status EtcdCluster::StopMemberWithin(int i, absl::Duration grace) {
  Member& member = members_.at(i);
  if (member.process == nullptr) return absl::OkStatus();
  absl::StatusOr<int> ended = absl::DeadlineExceededError("not yet");
  if (grace > absl::ZeroDuration()) {
    member.process->Kill(SIGTERM);
    ended = member.process->Wait(absl::Now() + grace);
  }
  if (!ended.ok()) {
    member.process->Kill(SIGKILL);
    ended = member.process->Wait(absl::Now() + absl::Seconds(10));
  }
  if (!ended.ok()) {
    return absl::InternalError(absl::StrCat("etcd member ", member.name, " (pid ",
                                            member.process->pid(), ") outlived SIGKILL"));
  }
  member.process.reset();
  return absl::OkStatus();
}

absl::Status EtcdCluster::KillMember(int i) {
  if (i < 0 || i >= size()) return absl::InvalidArgumentError(absl::StrCat("no member ", i));
  return StopMemberWithin(i, absl::ZeroDuration());
}

absl::Status EtcdCluster::StopMember(int i) {
  if (i < 0 || i >= size()) return absl::InvalidArgumentError(absl::StrCat("no member ", i));
  return StopMemberWithin(i, kStopGrace);
}

absl::Status EtcdCluster::RestartMember(int i) {
  if (i < 0 || i >= size()) return absl::InvalidArgumentError(absl::StrCat("no member ", i));
  absl::Status stopped = StopMemberWithin(i, kStopGrace);
  if (!stopped.ok()) return stopped;
  absl::Status started = StartMember(i, true);
  if (!started.ok()) return started;
  // Health is a read through raft: without a quorum there is none to see.
  if (static_cast<int>(RunningMembers().size()) < size() / 2 + 1) return absl::OkStatus();
  return WaitHealthy({i}, kHealthTimeout);
}

absl::Status EtcdCluster::StopAll() {
  // One after another, as the destructor does.
  absl::Status status;
  for (int i : RunningMembers()) {
    absl::Status stopped = StopMemberWithin(i, kStopGrace);
    if (status.ok()) status = stopped;
  }
  return status;
}

absl::Status EtcdCluster::StartAll() {
  for (int i = 0; i < size(); ++i) {
    if (running(i)) continue;
    absl::Status started = StartMember(i, true);
    if (!started.ok()) return started;
  }
  return WaitHealthy(RunningMembers(), kHealthTimeout);
}

bool EtcdCluster::running(int i) {
  Member& member = members_.at(i);
  if (member.process == nullptr) return false;
  if (member.process->Wait(absl::Now()).ok()) {
    member.process.reset();  // Ended on its own, and now reaped.
    return false;
  }
  return true;
}

pid_t EtcdCluster::pid(int i) { return running(i) ? members_[i].process->pid() : 0; }

std::vector<int> EtcdCluster::RunningMembers() {
  std::vector<int> out;
  for (int i = 0; i < size(); ++i) {
    if (running(i)) out.push_back(i);
  }
  return out;
}

absl::Status EtcdCluster::WaitHealthy(const std::vector<int>& indices, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status last = absl::DeadlineExceededError("no answer yet");
  while (true) {
    bool listening = true;
    for (int i : indices) {
      if (!running(i)) {
        return absl::UnavailableError(
            absl::StrCat("etcd member ", members_[i].name, " exited; logs:\n", LogTails()));
      }
      listening = listening && AcceptsConnections(members_[i].client_port);
    }
    // etcdctl would spend its whole dial timeout on a port not yet open.
    if (!listening) {
      if (absl::Now() >= deadline) break;
      absl::SleepFor(absl::Milliseconds(20));
      continue;
    }
    EtcdctlCall call;
    call.args = {"endpoint", "health"};
    call.members = indices;
    call.timeout = absl::Milliseconds(500);
    absl::StatusOr<std::string> health = Etcdctl(call);
    if (health.ok()) return absl::OkStatus();
    last = health.status();
    if (absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("etcd not healthy within ",
                                                  absl::FormatDuration(timeout), ": ",
                                                  last.message(), "; logs:\n", LogTails()));
}

absl::Status EtcdCluster::EnableAuth() {
  const std::vector<std::vector<std::string>> steps = {
      {"user", "add", "root", "--interactive=false", "--new-user-password=" + root_password_},
      {"role", "add", "root"},
      {"user", "grant-role", "root", "root"},
      {"role", "add", user_},
      {"role", "grant-permission", user_, "--prefix=true", "readwrite", options_.prefix},
      {"user", "add", user_, "--interactive=false", "--new-user-password=" + password_},
      {"user", "grant-role", user_, user_},
      {"auth", "enable"},
  };
  for (const std::vector<std::string>& step : steps) {
    absl::StatusOr<std::string> done = Etcdctl(step);
    if (!done.ok()) {
      return absl::Status(done.status().code(),
                          absl::StrCat("enabling etcd auth: ", done.status().message()));
    }
  }
  auth_enabled_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::string> EtcdCluster::Etcdctl(std::vector<std::string> args, std::string input) {
  EtcdctlCall call;
  call.args = std::move(args);
  call.input = std::move(input);
  return Etcdctl(call);
}

absl::StatusOr<std::string> EtcdCluster::Etcdctl(const EtcdctlCall& call) {
  std::vector<std::string> endpoints;
  for (int i : call.members.empty() ? RunningMembers() : call.members) {
    if (i < 0 || i >= size()) return absl::InvalidArgumentError(absl::StrCat("no member ", i));
    endpoints.push_back(endpoints_[i]);
  }
  if (endpoints.empty()) return absl::FailedPreconditionError("no etcd member is running");
  const absl::Duration dial = std::min(call.timeout, absl::Seconds(2));
  SubprocessOptions options;
  options.argv = {"etcdctl", "--endpoints=" + absl::StrJoin(endpoints, ","),
                  "--dial-timeout=" + absl::FormatDuration(dial),
                  "--command-timeout=" + absl::FormatDuration(call.timeout)};
  if (options_.tls) {
    options.argv.push_back("--cacert=" + ca_path());
    if (call.as == EtcdIdentity::kWrongCertificate) {
      options.argv.push_back("--cert=" + wrong_client_cert_path());
      options.argv.push_back("--key=" + wrong_client_key_path());
    } else if (call.as != EtcdIdentity::kAnonymous) {
      options.argv.push_back("--cert=" + client_cert_path());
      options.argv.push_back("--key=" + client_key_path());
    }
  }
  if (auth_enabled_ && call.as == EtcdIdentity::kRoot) {
    options.argv.insert(options.argv.end(), {"--user=root", "--password=" + root_password_});
  } else if (auth_enabled_ && call.as == EtcdIdentity::kUser) {
    options.argv.insert(options.argv.end(), {"--user=" + user_, "--password=" + password_});
  }
  options.argv.insert(options.argv.end(), call.args.begin(), call.args.end());
  options.unset_env = UnsetEtcdEnvironment();
  options.set_env = {{"ETCDCTL_API", "3"}};
  absl::StatusOr<SubprocessResult> result =
      RunSubprocess(options, call.input, call.timeout + dial + absl::Seconds(3));
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::Status(EtcdctlErrorCode(result->stderr_text),
                        absl::StrCat("etcdctl ", absl::StrJoin(call.args, " "), " on ",
                                     absl::StrJoin(endpoints, ","), ": ", EtcdctlError(*result)));
  }
  return std::move(result->stdout_text);
}

absl::StatusOr<int> EtcdCluster::LeaderIndex() {
  absl::Status last = absl::UnavailableError("no etcd member is running");
  for (int i : RunningMembers()) {
    EtcdctlCall call;
    call.args = {"endpoint", "status", "-w", "json"};
    call.members = {i};
    call.timeout = absl::Seconds(2);
    absl::StatusOr<std::string> status = Etcdctl(call);
    if (!status.ok()) {
      last = status.status();
      continue;
    }
    // Member ids are unsigned 64-bit numbers, beyond a double's precision.
    const nlohmann::json parsed = nlohmann::json::parse(*status, nullptr, false);
    if (!parsed.is_array() || parsed.empty() || !parsed[0].is_object()) continue;
    const nlohmann::json entry = parsed[0].value("Status", nlohmann::json::object());
    const nlohmann::json header = entry.value("header", nlohmann::json::object());
    const nlohmann::json member_id = header.value("member_id", nlohmann::json());
    const nlohmann::json leader = entry.value("leader", nlohmann::json());
    if (!member_id.is_number_integer() || !leader.is_number_integer()) continue;
    if (leader.get<uint64_t>() != 0 && leader.get<uint64_t>() == member_id.get<uint64_t>()) {
      return i;
    }
    last = absl::UnavailableError("no running member leads");
  }
  return last;
}

absl::StatusOr<int> EtcdCluster::WaitForLeader(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::StatusOr<int> leader = LeaderIndex();
    if (leader.ok() || absl::Now() >= deadline) return leader;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

absl::StatusOr<int64_t> EtcdCluster::Revision() {
  absl::StatusOr<std::string> read = Etcdctl({"get", options_.prefix, "--limit=1", "-w", "json"});
  if (!read.ok()) return read.status();
  const nlohmann::json parsed = nlohmann::json::parse(*read, nullptr, false);
  if (parsed.is_object() && parsed.contains("header") && parsed["header"].is_object()) {
    const nlohmann::json revision = parsed["header"].value("revision", nlohmann::json());
    if (revision.is_number_integer()) return revision.get<int64_t>();
  }
  return absl::InternalError(absl::StrCat("no header revision in etcdctl's answer: ", *read));
}

absl::Status EtcdCluster::Compact(int64_t revision) {
  return Etcdctl({"compact", absl::StrCat(revision), "--physical"}).status();
}

std::string EtcdCluster::LogTails() const {
  std::string out;
  for (int i = 0; i < size(); ++i) {
    absl::StrAppend(&out, "--- ", log_path(i), ":\n", Tail(ReadFile(log_path(i)), 1500), "\n");
  }
  return out;
}

bool EtcdCluster::AnyLogSays(const std::string& text) const {
  for (int i = 0; i < size(); ++i) {
    if (absl::StrContains(ReadFile(log_path(i)), text)) return true;
  }
  return false;
}

void EtcdCluster::CopyLogsForFailedTest() const {
  const char* outputs = getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  if (outputs == nullptr || !::testing::Test::HasFailure()) return;
  const std::string base = std::filesystem::path(dir_).filename().string();
  for (int i = 0; i < size(); ++i) {
    std::error_code ignored;
    std::filesystem::copy_file(log_path(i),
                               absl::StrCat(outputs, "/", base, "-", members_[i].name, ".log"),
                               std::filesystem::copy_options::overwrite_existing, ignored);
  }
}

}  // namespace credcache_testing
