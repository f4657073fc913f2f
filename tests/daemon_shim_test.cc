// credcached and cargo-credential-credcache together, as real processes on a
// private socket: spawning on demand, the cache, coalescing, timeouts, the
// admin commands, the socket's locks and door checks.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::SubprocessResult;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUrl[] = "sparse+http://127.0.0.1:9/index/";

std::string GetLine(const std::string& url = kUrl) { return GetRequestLine(url); }

// The answer line of a one-request exchange.
std::string Answer(const SubprocessResult& result) {
  const std::string answer = AnswerLine(result);
  EXPECT_FALSE(answer.empty()) << result.stdout_text << result.stderr_text;
  return answer;
}

// The number of live credcached processes serving `socket`.
int DaemonsFor(const std::string& socket) {
  int count = 0;
  DIR* proc = opendir("/proc");
  while (struct dirent* entry = readdir(proc)) {
    std::string cmdline = ReadFile(absl::StrCat("/proc/", entry->d_name, "/cmdline"));
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    const std::string status = ReadFile(absl::StrCat("/proc/", entry->d_name, "/status"));
    if (absl::StrContains(cmdline, "credcached") && absl::StrContains(cmdline, socket) &&
        !absl::StrContains(status, "State:\tZ")) {
      ++count;
    }
  }
  closedir(proc);
  return count;
}

class DaemonShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = RandomToken();
    token_file_ = env_.root() + "/registry-token";
    WriteFile(token_file_, token_);
    counter_ = env_.root() + "/calls";
  }

  // A `command` backend that counts its calls, waits `delay`, and prints
  // the token (read from a file: tokens never go on a command line).
  std::string CountingBackend(const std::string& delay = "0", const std::string& extra = "") {
    const std::string script = env_.root() + "/token.sh";
    WriteFile(script, absl::StrCat("#!/bin/sh\necho \"$CARGO_REGISTRY_INDEX_URL\" >> ", counter_,
                                   "\nsleep ", delay, "\ncat ", token_file_, "\n"));
    chmod(script.c_str(), 0700);
    return absl::StrCat(
        "[[backend]]\nname = \"counted\"\nkind = \"command\"\nindex_urls = [\"*\"]\ncommand = [\"",
        script, "\"]\ntimeout = \"20s\"\n", extra);
  }

  DaemonEnv env_;
  std::string token_;
  std::string token_file_;
  std::string counter_;
};

TEST_F(DaemonShimTest, FirstGetStartsTheDaemonAndTheNextComesFromItsCache) {
  env_.WriteConfig(CountingBackend());
  EXPECT_FALSE(env_.DaemonRunning());
  SubprocessResult first = env_.Shim({"--cargo-plugin"}, GetLine());
  EXPECT_EQ(first.exit_code, 0);
  EXPECT_EQ(Answer(first), absl::StrCat(R"({"Ok":{"kind":"get","token":")", token_,
                                        R"(","cache":"session","operation_independent":true}})"));
  EXPECT_TRUE(env_.DaemonRunning());
  const int pid = env_.DaemonPid();

  SubprocessResult second = env_.Shim({"--cargo-plugin"}, GetLine());
  EXPECT_THAT(Answer(second), HasSubstr(token_));
  EXPECT_EQ(CountLines(counter_), 1);
  EXPECT_EQ(env_.DaemonPid(), pid);

  nlohmann::json stats = nlohmann::json::parse(env_.Shim({"stats", "--json"}).stdout_text);
  EXPECT_EQ(stats["hits"], 1);
  EXPECT_EQ(stats["misses"], 1);
}

TEST_F(DaemonShimTest, SeveralRequestsOnOneShimProcess) {
  env_.WriteConfig(CountingBackend());
  SubprocessResult result = env_.Shim({"--cargo-plugin"}, GetLine() + GetLine() + GetLine());
  std::vector<std::string> lines = absl::StrSplit(result.stdout_text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1], lines[3]);
  EXPECT_EQ(CountLines(counter_), 1);
}

TEST_F(DaemonShimTest, UnreachableDaemonIsAClearErrorNotAHang) {
  SubprocessResult result = env_.Shim({"--cargo-plugin"}, GetLine(), {{"CREDCACHE_NO_SPAWN", "1"}});
  EXPECT_EQ(result.exit_code, 0);
  const std::string answer = Answer(result);
  EXPECT_THAT(answer, HasSubstr(R"("kind":"other")"));
  EXPECT_THAT(answer, HasSubstr(absl::StrCat("credcached is not reachable on ", env_.socket())));
  EXPECT_FALSE(env_.DaemonRunning());
}

TEST_F(DaemonShimTest, ALooseSocketDirectoryIsRefused) {
  mkdir((env_.root() + "/run").c_str(), 0755);
  chmod((env_.root() + "/run").c_str(), 0755);
  const std::string answer = Answer(env_.Shim({"--cargo-plugin"}, GetLine()));
  EXPECT_THAT(answer, HasSubstr("too loose"));
  EXPECT_THAT(answer, HasSubstr("chmod 700"));
  EXPECT_FALSE(env_.DaemonRunning());
}

TEST_F(DaemonShimTest, AdminCommandsNeverShowTheToken) {
  env_.WriteConfig(CountingBackend());
  ASSERT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine())), HasSubstr(token_));

  SubprocessResult status = env_.Shim({"status"});
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_THAT(status.stdout_text, HasSubstr("is running"));
  EXPECT_THAT(status.stdout_text, HasSubstr(env_.socket()));
  EXPECT_THAT(status.stdout_text, HasSubstr(env_.config_path()));
  EXPECT_THAT(status.stdout_text, HasSubstr("counted"));

  SubprocessResult list = env_.Shim({"list"});
  EXPECT_THAT(list.stdout_text, HasSubstr(kUrl));
  EXPECT_THAT(list.stdout_text, HasSubstr("myreg"));
  EXPECT_THAT(list.stdout_text, HasSubstr("session"));
  nlohmann::json listed = nlohmann::json::parse(env_.Shim({"list", "--json"}).stdout_text);
  ASSERT_EQ(listed["entries"].size(), 1u);
  EXPECT_EQ(listed["entries"][0]["backend"], "counted");

  // forget and flush each force a new backend call.
  EXPECT_THAT(env_.Shim({"forget", "myreg"}).stdout_text, HasSubstr("forgot 1"));
  env_.Shim({"--cargo-plugin"}, GetLine());
  EXPECT_EQ(CountLines(counter_), 2);
  EXPECT_THAT(env_.Shim({"flush"}).stdout_text, HasSubstr("flushed 1"));
  env_.Shim({"--cargo-plugin"}, GetLine());
  EXPECT_EQ(CountLines(counter_), 3);

  SubprocessResult stats = env_.Shim({"stats"});
  EXPECT_THAT(stats.stdout_text, HasSubstr("cache hits:"));
  EXPECT_THAT(stats.stdout_text, HasSubstr("counted"));
  for (const std::string& text :
       {status.stdout_text, list.stdout_text, stats.stdout_text,
        env_.Shim({"stats", "--json"}).stdout_text, env_.Shim({"status", "--json"}).stdout_text,
        env_.Shim({"list", "--json"}).stdout_text, ReadFile(env_.log())}) {
    EXPECT_THAT(text, Not(HasSubstr(token_.substr(7))));
  }

  EXPECT_EQ(env_.Shim({"stop"}).exit_code, 0);
  for (int i = 0; i < 500 && env_.DaemonRunning(); ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_FALSE(env_.DaemonRunning());
  EXPECT_EQ(env_.Shim({"status"}).exit_code, 1);
  EXPECT_THAT(env_.Shim({"status"}).stderr_text, HasSubstr("no credcached is running"));
}

TEST_F(DaemonShimTest, AdminUsageErrors) {
  EXPECT_EQ(env_.Shim({}).exit_code, 2);
  EXPECT_EQ(env_.Shim({"bogus"}).exit_code, 2);
  EXPECT_EQ(env_.Shim({"forget"}).exit_code, 2);
  EXPECT_THAT(env_.Shim({"forget"}).stderr_text,
              HasSubstr("`forget` takes 1 argument(s): REGISTRY"));
  EXPECT_EQ(env_.Shim({"status", "--remove"}).exit_code, 2);
  SubprocessResult usage = env_.Shim({"--help"});
  EXPECT_EQ(usage.exit_code, 0);
  EXPECT_THAT(usage.stdout_text, HasSubstr("forget REGISTRY"));
  // Each command has help of its own.
  SubprocessResult help = env_.Shim({"forget", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.stdout_text, HasSubstr("usage: cargo-credential-credcache forget REGISTRY"));
  EXPECT_THAT(help.stdout_text, HasSubstr("index URL"));
  EXPECT_FALSE(env_.DaemonRunning());  // Admin commands never start one.
}

TEST_F(DaemonShimTest, AHangingBackendTimesOutNamingIt) {
  env_.WriteConfig(
      "[[backend]]\nname = \"hang\"\nkind = \"command\"\nindex_urls = [\"*\"]\ncommand = "
      "[\"sleep\", \"30\"]\n"
      "timeout = \"500ms\"\n");
  const absl::Time start = absl::Now();
  const std::string answer = Answer(env_.Shim({"--cargo-plugin"}, GetLine()));
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));  // A bound, not a benchmark.
  EXPECT_THAT(answer, HasSubstr(R"("kind":"other")"));
  EXPECT_THAT(answer, HasSubstr("backend `hang`"));
  EXPECT_THAT(env_.Shim({"list"}).stdout_text, HasSubstr("no cached tokens"));
}

TEST_F(DaemonShimTest, ExpiresIsPassedOnAndHonoured) {
  env_.WriteConfig("[cache]\nexpiry_margin = \"1s\"\n" +
                   CountingBackend("0", "cache = \"expires\"\nlifetime = \"4s\"\n"));
  const int64_t before = absl::ToUnixSeconds(absl::Now());
  const std::string answer = Answer(env_.Shim({"--cargo-plugin"}, GetLine()));
  nlohmann::json parsed = nlohmann::json::parse(answer);
  EXPECT_EQ(parsed["Ok"]["cache"], "expires");
  EXPECT_GE(parsed["Ok"]["expiration"].get<int64_t>(), before + 4);
  EXPECT_LE(parsed["Ok"]["expiration"].get<int64_t>(), absl::ToUnixSeconds(absl::Now()) + 4);
  // The cache keeps it until a second before it expires, then asks again.
  while (absl::Now() < absl::FromUnixSeconds(parsed["Ok"]["expiration"].get<int64_t>())) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine())), HasSubstr(token_));
  EXPECT_EQ(CountLines(counter_), 2);
}

TEST_F(DaemonShimTest, NotFoundAndUrlNotSupportedPassThrough) {
  env_.WriteConfig(
      "[[backend]]\nkind = \"env\"\nvariable = \"CREDCACHE_TEST_UNSET_TOKEN\"\n"
      "index_urls = [\"sparse+http://127.0.0.1:9/*\"]\n");
  EXPECT_EQ(Answer(env_.Shim({"--cargo-plugin"}, GetLine())), R"({"Err":{"kind":"not-found"}})");
  EXPECT_EQ(Answer(env_.Shim({"--cargo-plugin"}, GetLine("sparse+https://elsewhere/index/"))),
            R"({"Err":{"kind":"url-not-supported"}})");
}

TEST_F(DaemonShimTest, ABadConfigIsRefusedWithItsPlace) {
  env_.WriteConfig("[[backend]]\nkind = \"file\"\ncolour = \"blue\"\n");
  SubprocessResult check = env_.Daemon({"--check-config"});
  EXPECT_EQ(check.exit_code, 3);
  EXPECT_THAT(check.stderr_text,
              HasSubstr(absl::StrCat(env_.config_path(), ":3:1: unknown key `colour`")));
  // The shim's start of a daemon fails and says why.
  const std::string answer = Answer(env_.Shim({"--cargo-plugin"}, GetLine()));
  EXPECT_THAT(answer, HasSubstr("could not start"));
  EXPECT_THAT(answer, HasSubstr("unknown key `colour`"));

  env_.WriteConfig(CountingBackend());
  SubprocessResult good = env_.Daemon({"--check-config"});
  EXPECT_EQ(good.exit_code, 0);
  EXPECT_THAT(good.stdout_text, HasSubstr("ok, 1 backend(s)"));
}

TEST_F(DaemonShimTest, TwoDaemonsRacingForOneSocket) {
  env_.WriteConfig(CountingBackend());
  std::vector<std::unique_ptr<cargo_credential::Subprocess>> daemons;
  for (int i = 0; i < 2; ++i) {
    cargo_credential::SubprocessOptions options;
    options.argv = {DaemonEnv::DaemonPath(), "--foreground"};
    options.set_env = env_.Environment();
    options.stdout_mode = cargo_credential::SubprocessOptions::Stdio::kNull;
    options.stderr_mode = cargo_credential::SubprocessOptions::Stdio::kPipe;
    absl::StatusOr<std::unique_ptr<cargo_credential::Subprocess>> daemon =
        cargo_credential::Subprocess::Start(options);
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemons.push_back(*std::move(daemon));
  }
  // Exactly one loses, quickly, and says who won.
  int losers = 0;
  for (auto& daemon : daemons) {
    absl::StatusOr<int> code = daemon->Wait(absl::Now() + absl::Seconds(3));
    if (code.ok()) {
      ++losers;
      EXPECT_EQ(*code, 1);
      char buffer[512] = {};
      const ssize_t n = read(daemon->stderr_fd(), buffer, sizeof(buffer) - 1);
      EXPECT_THAT(std::string(buffer, n > 0 ? n : 0), HasSubstr("another credcached is serving"));
    }
  }
  EXPECT_EQ(losers, 1);
  EXPECT_EQ(env_.Shim({"status"}).exit_code, 0);
  EXPECT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine())), HasSubstr(token_));
  env_.StopDaemon();
  for (auto& daemon : daemons) EXPECT_TRUE(daemon->Wait(absl::Now() + absl::Seconds(15)).ok());
}

TEST_F(DaemonShimTest, FiftyShimsAtOnceForAColdKeyMakeOneBackendCall) {
  env_.WriteConfig(CountingBackend("0.5"));
  std::vector<std::thread> shims;
  std::atomic<int> served{0};
  for (int i = 0; i < 50; ++i) {
    shims.emplace_back([&] {
      if (absl::StrContains(Answer(env_.Shim({"--cargo-plugin"}, GetLine())), token_)) ++served;
    });
  }
  for (std::thread& shim : shims) shim.join();
  EXPECT_EQ(served.load(), 50);
  EXPECT_EQ(CountLines(counter_), 1);
  EXPECT_EQ(DaemonsFor(env_.socket()), 1);
}

TEST_F(DaemonShimTest, SocketIsPrivateAndOtherUsersAreRefused) {
  env_.WriteConfig(CountingBackend());
  ASSERT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine())), HasSubstr(token_));
  struct stat info;
  ASSERT_EQ(stat(env_.socket().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((env_.root() + "/run").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);

  if (geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
  // Open the doors the file modes keep shut, to show the uid check alone
  // stops another user: `nobody` connects and is cut off unread.
  chmod(env_.root().c_str(), 0711);
  chmod((env_.root() + "/run").c_str(), 0711);
  chmod(env_.socket().c_str(), 0666);
  cargo_credential::SubprocessOptions options;
  options.argv = {"setpriv",
                  "--reuid=65534",
                  "--regid=65534",
                  "--clear-groups",
                  "/usr/bin/python3",
                  "-c",
                  "import socket,sys\n"
                  "s=socket.socket(socket.AF_UNIX)\n"
                  "s.connect(sys.argv[1])\n"
                  "try:\n"
                  "  s.sendall(b'PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n')\n"
                  "  print(len(s.recv(100)))\n"
                  "except (ConnectionResetError, BrokenPipeError):\n"
                  "  print(0)\n",
                  env_.socket()};
  absl::StatusOr<SubprocessResult> intruder =
      cargo_credential::RunSubprocess(options, "", absl::Seconds(20));
  ASSERT_TRUE(intruder.ok()) << intruder.status();
  EXPECT_EQ(intruder->exit_code, 0) << intruder->stderr_text;
  EXPECT_EQ(intruder->stdout_text, "0\n");  // Closed without a byte.
  EXPECT_THAT(ReadFile(env_.log()), HasSubstr("refused a connection from uid 65534"));
  // Shut the doors again, or our own shim would refuse the loose directory.
  chmod((env_.root() + "/run").c_str(), 0700);
}

// Two counting backends, one per registry; `timeout` tells their configs
// apart so a reload can change one and not the other.
std::string TwoBackends(const std::string& script_a, const std::string& script_b,
                        const std::string& timeout_b) {
  return absl::StrCat("[[backend]]\nname = \"a\"\nkind = \"command\"\ncommand = [\"", script_a,
                      "\"]\nindex_urls = [\"*/a/*\"]\n\n[[backend]]\nname = \"b\"\n"
                      "kind = \"command\"\ncommand = [\"",
                      script_b, "\"]\nindex_urls = [\"*/b/*\"]\ntimeout = \"", timeout_b, "\"\n");
}

TEST_F(DaemonShimTest, ReloadKeepsTheTokensOfUnchangedBackends) {
  const std::string script = env_.root() + "/t.sh";
  WriteFile(script, absl::StrCat("#!/bin/sh\necho \"$CARGO_REGISTRY_INDEX_URL\" >> ", counter_,
                                 "\ncat ", token_file_, "\n"));
  chmod(script.c_str(), 0700);
  env_.WriteConfig(TwoBackends(script, script, "10s"));
  const std::string a = "sparse+http://h/a/", b = "sparse+http://h/b/";
  ASSERT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine(a))), HasSubstr(token_));
  ASSERT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine(b))), HasSubstr(token_));
  ASSERT_EQ(CountLines(counter_), 2);

  env_.WriteConfig(TwoBackends(script, script, "20s"));  // Only `b` changes.
  SubprocessResult reload = env_.Shim({"reload"});
  EXPECT_EQ(reload.exit_code, 0) << reload.stderr_text;
  EXPECT_THAT(reload.stdout_text, HasSubstr("reloaded " + env_.config_path()));
  const std::string list = env_.Shim({"list"}).stdout_text;
  EXPECT_THAT(list, HasSubstr(a));
  EXPECT_THAT(list, Not(HasSubstr(b)));
  env_.Shim({"--cargo-plugin"}, GetLine(a) + GetLine(b));
  EXPECT_EQ(CountLines(counter_), 3);  // Only `b` was asked again.
  EXPECT_THAT(env_.Shim({"status"}).stdout_text, HasSubstr("timeout 20s"));
}

TEST_F(DaemonShimTest, ABadReloadKeepsTheOldConfigServing) {
  env_.WriteConfig(CountingBackend());
  ASSERT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine())), HasSubstr(token_));
  env_.WriteConfig(
      "[[backend]]\nkind = \"command\"\ncommand = \"not a list\"\nindex_urls = [\"*\"]\n");
  SubprocessResult reload = env_.Shim({"reload"});
  EXPECT_EQ(reload.exit_code, 1);
  EXPECT_THAT(reload.stderr_text, HasSubstr(env_.config_path() + ":3:11:"));
  EXPECT_THAT(reload.stderr_text, HasSubstr("credcached refused the new config"));
  EXPECT_THAT(ReadFile(env_.log()), HasSubstr("reload refused, the old config keeps serving"));
  // Still the old backend, and its cached token.
  EXPECT_THAT(env_.Shim({"status"}).stdout_text, HasSubstr("counted"));
  EXPECT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine())), HasSubstr(token_));
  EXPECT_EQ(CountLines(counter_), 1);
}

TEST_F(DaemonShimTest, SigtermFinishesInFlightRequestsThenExits) {
  env_.WriteConfig(CountingBackend("1"));
  ASSERT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine("sparse+http://warm/index/"))),
              HasSubstr(token_));
  const int pid = env_.DaemonPid();
  std::string answer;
  std::thread slow([&] { answer = Answer(env_.Shim({"--cargo-plugin"}, GetLine())); });
  // The request is under way (its backend takes a second) when SIGTERM comes.
  for (int i = 0; i < 500 && CountLines(counter_) < 2; ++i) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  slow.join();
  EXPECT_THAT(answer, HasSubstr(token_));
  for (int i = 0; i < 500 && env_.DaemonRunning(); ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_FALSE(env_.DaemonRunning());
  EXPECT_THAT(ReadFile(env_.log()), HasSubstr("stopping"));
}

TEST_F(DaemonShimTest, ADaemonStartedOnDemandExitsWhenIdle) {
  env_.WriteConfig(CountingBackend());
  ASSERT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine(), {{"CREDCACHE_IDLE_EXIT", "1s"}})),
              HasSubstr(token_));
  EXPECT_THAT(env_.Shim({"status"}).stdout_text, HasSubstr("exits:   after 1s with no request"));
  for (int i = 0; i < 1000 && env_.DaemonRunning(); ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_FALSE(env_.DaemonRunning());
  EXPECT_THAT(ReadFile(env_.log()), HasSubstr("idle; exiting"));
  // The next request starts a new one, as the first did.
  EXPECT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine())), HasSubstr(token_));
}

TEST_F(DaemonShimTest, SighupReloads) {
  env_.WriteConfig(CountingBackend());
  ASSERT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine())), HasSubstr(token_));
  env_.WriteConfig(
      "[[backend]]\nname = \"renamed\"\nkind = \"env\"\nindex_urls = [\"*\"]\nvariable = \"X\"\n");
  ASSERT_EQ(kill(env_.DaemonPid(), SIGHUP), 0);
  for (int i = 0; i < 500; ++i) {
    if (absl::StrContains(ReadFile(env_.log()), "reloaded")) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_THAT(env_.Shim({"status"}).stdout_text, HasSubstr("renamed"));
  EXPECT_THAT(env_.Shim({"list"}).stdout_text, HasSubstr("no cached tokens"));
}

// The daemon of another build, as tests/support/other_version_daemon.cc
// makes it.
std::string OtherVersionDaemon() { return Runfile("tests/other_version_daemon"); }
constexpr char kOtherVersion[] = "0.0.1-other (wire 000000000000)";

TEST_F(DaemonShimTest, AnOnDemandDaemonOfAnotherVersionIsReplacedBeforeItServes) {
  env_.WriteConfig(CountingBackend());
  // A shim whose daemon is of another build starts one on demand, which
  // refuses it; it is replaced by the same build once, and the shim gives up.
  SubprocessResult first =
      env_.Shim({"--cargo-plugin"}, GetLine(), {{"CREDCACHE_DAEMON", OtherVersionDaemon()}});
  EXPECT_THAT(Answer(first), HasSubstr("install the shim and the daemon of one build"));
  const int old_pid = env_.DaemonPid();
  ASSERT_GT(old_pid, 0);
  EXPECT_THAT(env_.Shim({"status"}).stdout_text, HasSubstr("warning: this shim is 0.1.0 (wire "));

  // This build's shim replaces that on-demand daemon before it serves.
  SubprocessResult get = env_.Shim({"--cargo-plugin"}, GetLine());
  EXPECT_THAT(Answer(get), HasSubstr(token_));
  EXPECT_THAT(get.stderr_text,
              HasSubstr(absl::StrCat("credcache: replacing credcached ", kOtherVersion, " (pid ",
                                     old_pid, ", started on demand) with 0.1.0")));
  EXPECT_NE(env_.DaemonPid(), old_pid);
  EXPECT_EQ(kill(old_pid, 0), -1) << "the old daemon is gone";
  EXPECT_EQ(DaemonsFor(env_.socket()), 1);
  const nlohmann::json status = nlohmann::json::parse(env_.Shim({"status", "--json"}).stdout_text);
  EXPECT_EQ(status["version"], status["shim_version"]);
  EXPECT_EQ(status["started_by"], "shim");
  // The old daemons never ran the backend: the request went to the new one only.
  EXPECT_EQ(CountLines(counter_), 1);
}

TEST_F(DaemonShimTest, ADaemonOfAnotherVersionStartedByHandIsReportedAndKept) {
  env_.WriteConfig(CountingBackend());
  ASSERT_EQ(env_.Daemon({"--socket", env_.socket()}, OtherVersionDaemon()).exit_code, 0);
  const int pid = env_.DaemonPid();

  SubprocessResult get = env_.Shim({"--cargo-plugin"}, GetLine());
  EXPECT_EQ(get.exit_code, 0);
  const std::string answer = Answer(get);
  EXPECT_THAT(answer, HasSubstr(R"("Err")"));
  EXPECT_THAT(answer, HasSubstr(absl::StrCat("is version ", kOtherVersion,
                                             " (started by hand); this shim is 0.1.0")));
  EXPECT_THAT(answer, HasSubstr("cargo-credential-credcache stop"));
  EXPECT_EQ(env_.DaemonPid(), pid);
  EXPECT_TRUE(env_.DaemonRunning());
  EXPECT_EQ(CountLines(counter_), 0) << "a refused request reaches no backend";
  EXPECT_THAT(env_.Shim({"status"}).stdout_text,
              HasSubstr("stop it and start this version's credcached"));
}

TEST_F(DaemonShimTest, ADaemonStartedByHandWithAnIdleExitIsStillLeftAlone) {
  // An idle exit does not make a daemon a shim's: only a shim's own start does.
  env_.WriteConfig(CountingBackend());
  ASSERT_EQ(env_.Daemon({"--socket", env_.socket(), "--idle-exit", "15m"}, OtherVersionDaemon())
                .exit_code,
            0);
  const int pid = env_.DaemonPid();
  EXPECT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine())),
              HasSubstr("(started by hand); this shim is 0.1.0"));
  EXPECT_EQ(env_.DaemonPid(), pid);
  EXPECT_EQ(CountLines(counter_), 0);
}

TEST_F(DaemonShimTest, NoTokenIsAskedForWhereNoBackendWouldStoreIt) {
  const std::string login = absl::StrCat(R"({"v":1,"registry":{"index-url":")", kUrl,
                                         R"(","name":"myreg"},"kind":"login"})", "\n");
  // A command backend only reads tokens: the login is refused without a
  // prompt, and the user has pasted nothing.
  env_.WriteConfig(CountingBackend());
  SubprocessResult refused = env_.Shim({"--cargo-plugin"}, login);
  EXPECT_EQ(Answer(refused), R"({"Err":{"kind":"operation-not-supported"}})");
  EXPECT_THAT(refused.stderr_text, Not(HasSubstr("paste")));
  EXPECT_EQ(CountLines(counter_), 0);
  env_.StopDaemon();

  // A file backend stores tokens: now the shim asks (here there is no
  // terminal, and it says so).
  env_.WriteConfig(
      absl::StrCat("[[backend]]\nkind = \"file\"\npath = \"", env_.root(), "/tokens.toml\"\n"));
  SubprocessResult asked = env_.Shim({"--cargo-plugin"}, login);
  EXPECT_THAT(Answer(asked), HasSubstr("no terminal to ask for the token on"));
  // With the token on stdin, as `cargo login` passes it, it is stored.
  SubprocessResult stored =
      env_.Shim({"--cargo-plugin"},
                absl::StrCat(R"({"v":1,"registry":{"index-url":")", kUrl,
                             R"(","name":"myreg"},"kind":"login","token":"Bearer t"})", "\n"));
  EXPECT_EQ(Answer(stored), R"({"Ok":{"kind":"login"}})");
}

TEST_F(DaemonShimTest, WhatBackendsSayOnStderrGoesToTheShimsStderrNotTheLog) {
  // A command backend and a wrapped provider, both talkative on stderr.
  env_.WriteConfig(absl::StrCat(
      "[[backend]]\nname = \"sso\"\nkind = \"command\"\nindex_urls = [\"*sso*\"]\n",
      "command = [\"sh\", \"-c\", \"echo 'sso: session expires in 5 minutes' >&2; cat ",
      token_file_, "\"]\n", "[[backend]]\nname = \"wrapped\"\nkind = \"cargo-provider\"\n",
      "index_urls = [\"*noisy*\"]\nprovider = \"", Runfile("tests/noisy_provider"), "\"\n"));
  SubprocessResult sso = env_.Shim({"--cargo-plugin"}, GetLine("sparse+http://sso/index/"));
  EXPECT_THAT(Answer(sso), HasSubstr(token_));
  EXPECT_THAT(sso.stderr_text, HasSubstr("sso: session expires in 5 minutes"));
  SubprocessResult noisy = env_.Shim({"--cargo-plugin"}, GetLine("sparse+http://noisy/index/"));
  EXPECT_THAT(Answer(noisy), HasSubstr("Bearer noisy"));
  EXPECT_THAT(noisy.stderr_text,
              HasSubstr("noisy: handled a request for sparse+http://noisy/index/"));
  // A cache hit runs nothing, so says nothing.
  SubprocessResult hit = env_.Shim({"--cargo-plugin"}, GetLine("sparse+http://sso/index/"));
  EXPECT_THAT(hit.stderr_text, Not(HasSubstr("session expires")));
  const std::string log = ReadFile(env_.log());
  EXPECT_THAT(log, HasSubstr("backend `sso` wrote"));
  EXPECT_THAT(log, HasSubstr("backend `wrapped` wrote"));
  EXPECT_THAT(log, Not(HasSubstr("session expires")));
  EXPECT_THAT(log, Not(HasSubstr("handled a request")));
}

TEST_F(DaemonShimTest, ProviderArgumentsChooseTheTokenAndAreCachedApart) {
  // One credcache serving two profiles, as cargo's config may ask:
  // credential-provider = ["cargo-credential-credcache", "--profile", "a"].
  const std::string script = env_.root() + "/profile.sh";
  WriteFile(script,
            absl::StrCat("#!/bin/sh\necho \"$2\" >> ", counter_, "\necho \"Bearer for-$2\"\n"));
  chmod(script.c_str(), 0700);
  env_.WriteConfig(absl::StrCat("[[backend]]\nname = \"profiles\"\nkind = \"command\"\n",
                                "index_urls = [\"*\"]\ncommand = [\"", script,
                                "\", \"{args}\"]\n"));
  auto get = [this](const std::string& profile) {
    return Answer(
        env_.Shim({"--cargo-plugin"},
                  absl::StrCat(R"({"v":1,"registry":{"index-url":")", kUrl,
                               R"("},"kind":"get","operation":"read","args":["--profile",")",
                               profile, R"("]})", "\n")));
  };
  EXPECT_THAT(get("a"), HasSubstr("Bearer for-a"));
  EXPECT_THAT(get("b"), HasSubstr("Bearer for-b"));
  EXPECT_THAT(get("a"), HasSubstr("Bearer for-a"));
  EXPECT_EQ(CountLines(counter_), 2) << "each profile fetched once, then cached apart";
  const nlohmann::json list = nlohmann::json::parse(env_.Shim({"list", "--json"}).stdout_text);
  ASSERT_EQ(list["entries"].size(), 2u);
  EXPECT_EQ(list["entries"][0]["args"], nlohmann::json({"--profile", "a"}));
  EXPECT_THAT(env_.Shim({"list"}).stdout_text, HasSubstr("[--profile b]"));
}

TEST_F(DaemonShimTest, ALoginForARegistryNoBackendServesAsksForNothing) {
  env_.WriteConfig(absl::StrCat("[[backend]]\nkind = \"file\"\nindex_urls = [\"*only-this*\"]\n",
                                "path = \"", env_.root(), "/tokens.toml\"\n"));
  SubprocessResult login = env_.Shim(
      {"--cargo-plugin"},
      absl::StrCat(R"({"v":1,"registry":{"index-url":")", kUrl, R"("},"kind":"login"})", "\n"));
  EXPECT_EQ(Answer(login), R"({"Err":{"kind":"url-not-supported"}})")
      << "cargo's next provider gets its turn, and nobody was asked for a token";
  EXPECT_THAT(login.stderr_text, Not(HasSubstr("terminal")));
}

}  // namespace
}  // namespace credcache_testing
