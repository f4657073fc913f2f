// Faults met from outside, on real processes: hostile and broken backends,
// a daemon stopped, killed or exiting under load, bad settings. Each test
// here once failed (issue 8's numbered defects) and keeps the attack that
// showed it.
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
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

std::string GetLine(const std::string& url = kUrl, const std::string& name = "myreg") {
  return GetRequestLine(url, name);
}

std::string Answer(const SubprocessResult& result) { return AnswerLine(result); }

bool Running(pid_t pid) {
  const std::string status = ReadFile(absl::StrCat("/proc/", pid, "/status"));
  return !status.empty() && !absl::StrContains(status, "State:\tZ");
}

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override { token_ = RandomToken(); }
  void TearDown() override {
    // A test that stopped the daemon must not leave it stopped.
    if (const int pid = env_.DaemonPid(); pid > 0) kill(pid, SIGCONT);
  }

  // An executable script in the test's directory.
  std::string Script(const std::string& name, const std::string& body) {
    const std::string path = absl::StrCat(env_.root(), "/", name);
    WriteFile(path, absl::StrCat("#!/bin/sh\n", body), 0700);
    return path;
  }

  // A command backend named `name` running `script`, for every registry.
  static std::string CommandBackend(const std::string& name, const std::string& script,
                                    const std::string& extra = "") {
    return absl::StrCat("[[backend]]\nname = \"", name, "\"\nkind = \"command\"\ncommand = [\"",
                        script, "\"]\nindex_urls = [\"*\"]\n", extra);
  }

  // The token from a script that waits `delay` seconds first, and counts.
  std::string SlowTokenScript(const std::string& delay) {
    WriteFile(env_.root() + "/token", token_);
    return Script("slow.sh", absl::StrCat("echo x >> ", env_.root(), "/calls\nsleep ", delay,
                                          "\ncat ", env_.root(), "/token\n"));
  }

  DaemonEnv env_;
  std::string token_;
};

// 1. A number too large for a double once killed the shim, every provider
//    on lib/, and (through a cargo-provider backend) the daemon.
TEST_F(FaultTest, AHugeNumberFromCargoIsAnErrorNotACrash) {
  SubprocessResult result = env_.Shim({"--cargo-plugin"}, "{\"v\":1e400}\n");
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(Answer(result), HasSubstr(R"({"Err":{"kind":"other")"));
  EXPECT_THAT(Answer(result), HasSubstr("unreadable JSON"));
}

TEST_F(FaultTest, AHostileProviderBackendCannotKillTheDaemon) {
  const std::string provider = Script("hostile-provider", "echo '{\"v\":[1e400]}'\nread line\n");
  const std::string answerer =
      Script("answer-provider",
             "echo '{\"v\":[1]}'\nread line\necho '{\"Ok\":{\"kind\":\"get\",\"token\":\"t\","
             "\"cache\":\"expires\",\"expiration\":1e400,\"operation_independent\":true}}'\n");
  env_.WriteConfig(absl::StrCat(
      "[[backend]]\nname = \"hostile\"\nkind = \"cargo-provider\"\nprovider = \"", provider,
      "\"\nindex_urls = [\"*/a/*\"]\n[[backend]]\nname = \"answerer\"\nkind = \"cargo-provider\""
      "\nprovider = \"",
      answerer, "\"\nindex_urls = [\"*/b/*\"]\n"));
  const std::string first = Answer(env_.Shim({"--cargo-plugin"}, GetLine("sparse+http://h/a/")));
  EXPECT_THAT(first, HasSubstr(R"("kind":"other")"));
  EXPECT_THAT(first, HasSubstr("malformed hello"));
  const int pid = env_.DaemonPid();
  ASSERT_GT(pid, 0);
  const std::string second = Answer(env_.Shim({"--cargo-plugin"}, GetLine("sparse+http://h/b/")));
  EXPECT_THAT(second, HasSubstr("malformed answer"));
  EXPECT_TRUE(Running(pid));
  EXPECT_EQ(env_.DaemonPid(), pid);
  EXPECT_EQ(env_.Shim({"status"}).exit_code, 0);
}

TEST_F(FaultTest, CrashingAndBabblingBackendsAreErrorsNamingThem) {
  const std::string crash =
      Script("crash-provider", "echo '{\"v\":[1]}'\nread line\nkill -SEGV $$\n");
  const std::string babble = Script("babble-provider", "echo 'hello, cargo!'\nread line\n");
  const std::string lines = Script("lines.sh", "echo one\necho two\n");
  env_.WriteConfig(absl::StrCat(
      "[[backend]]\nname = \"crash\"\nkind = \"cargo-provider\"\nprovider = \"", crash,
      "\"\nindex_urls = [\"*/a/*\"]\n[[backend]]\nname = \"babble\"\nkind = \"cargo-provider\"\n"
      "provider = \"",
      babble,
      "\"\nindex_urls = [\"*/b/*\"]\n[[backend]]\nname = \"lines\"\n"
      "kind = \"command\"\ncommand = [\"",
      lines, "\"]\nindex_urls = [\"*/c/*\"]\n"));
  const std::string crashed = Answer(env_.Shim({"--cargo-plugin"}, GetLine("sparse+http://h/a/")));
  EXPECT_THAT(crashed, HasSubstr("backend `crash` failed"));
  EXPECT_THAT(crashed, HasSubstr("exited without answering"));
  const std::string babbled = Answer(env_.Shim({"--cargo-plugin"}, GetLine("sparse+http://h/b/")));
  EXPECT_THAT(babbled, HasSubstr("backend `babble` failed"));
  EXPECT_THAT(babbled, HasSubstr("malformed hello"));
  const std::string two = Answer(env_.Shim({"--cargo-plugin"}, GetLine("sparse+http://h/c/")));
  EXPECT_THAT(two, HasSubstr("printed more than one line"));
  EXPECT_THAT(env_.Shim({"list"}).stdout_text, HasSubstr("no cached tokens"));
  EXPECT_EQ(env_.Shim({"status"}).exit_code, 0);  // The daemon lived through all of it.
}

// 2. A stopped daemon still has connections accepted by the kernel; it once
//    held cargo for five minutes.
TEST_F(FaultTest, AStoppedDaemonIsReportedNotWaitedOn) {
  env_.WriteConfig(CommandBackend("sso", SlowTokenScript("0")));
  ASSERT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine())), HasSubstr(token_));
  const int pid = env_.DaemonPid();
  ASSERT_EQ(kill(pid, SIGSTOP), 0);
  // The fixture's own limit (60 s) would fail the run if this hung.
  SubprocessResult get = env_.Shim({"--cargo-plugin"}, GetLine());
  EXPECT_EQ(get.exit_code, 0);
  EXPECT_THAT(Answer(get), HasSubstr(absl::StrCat("credcached (pid ", pid, ")")));
  EXPECT_THAT(Answer(get), HasSubstr("is not answering"));
  EXPECT_THAT(Answer(get), HasSubstr(absl::StrCat("kill -CONT ", pid)));
  SubprocessResult status = env_.Shim({"status"});
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_THAT(status.stderr_text, HasSubstr("is not answering"));
  // No second daemon was started beside the stopped one.
  EXPECT_EQ(env_.DaemonPid(), pid);
  ASSERT_EQ(kill(pid, SIGCONT), 0);
  EXPECT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine())), HasSubstr(token_));
}

TEST_F(FaultTest, ASlowBackendIsWaitedForAndNamedOnStderr) {
  // Longer than the liveness limit: the daemon answers PINGs meanwhile. A
  // quick backend before it in the chain is not the one named.
  env_.WriteConfig(absl::StrCat(
      "[[backend]]\nname = \"quick\"\nkind = \"env\"\nvariable = \"CREDCACHE_UNSET_VAR\"\n"
      "index_urls = [\"*\"]\n",
      CommandBackend("sso", SlowTokenScript("4"), "timeout = \"30s\"\n")));
  std::string coalesced;
  std::thread other([&] {
    absl::SleepFor(absl::Milliseconds(200));
    coalesced = env_.Shim({"--cargo-plugin"}, GetLine()).stderr_text;
  });
  SubprocessResult get = env_.Shim({"--cargo-plugin"}, GetLine());
  other.join();
  EXPECT_THAT(Answer(get), HasSubstr(token_));
  EXPECT_THAT(get.stderr_text, HasSubstr("credcache: waiting for backend `sso` (up to 30s)"));
  EXPECT_THAT(get.stderr_text, Not(HasSubstr("quick")));
  // A request coalesced onto the same backend call hears it too.
  EXPECT_THAT(coalesced, HasSubstr("credcache: waiting for backend `sso` (up to 30s)"));
  EXPECT_EQ(CountLines(env_.root() + "/calls"), 1);
  // A cached answer comes at once, with nothing said.
  SubprocessResult again = env_.Shim({"--cargo-plugin"}, GetLine());
  EXPECT_THAT(Answer(again), HasSubstr(token_));
  EXPECT_THAT(again.stderr_text, Not(HasSubstr("waiting")));
}

TEST_F(FaultTest, AShimWaitingWithoutANoticeDoesNotPoll) {
  // Six backends, each quick enough never to be named (0.3 s), together
  // slow: the shim waits past its notice time with no header to show.
  std::string config;
  for (int i = 0; i < 6; ++i) {
    const std::string script = Script(absl::StrCat("nf", i, ".sh"),
                                      "echo '{\"v\":[1]}'\nread line\nsleep 0.3\n"
                                      "echo '{\"Err\":{\"kind\":\"url-not-supported\"}}'\n");
    config += absl::StrCat("[[backend]]\nname = \"nf", i,
                           "\"\nkind = \"cargo-provider\"\nprovider = \"", script, "\"\n");
  }
  env_.WriteConfig(config);
  ASSERT_EQ(env_.Shim({"status"}).exit_code, 1);  // Nothing runs yet; start it below.
  ASSERT_EQ(env_.Shim({"--cargo-plugin"}, GetLine("sparse+http://warm/index/")).exit_code, 0);
  struct rusage before, after;
  getrusage(RUSAGE_CHILDREN, &before);
  SubprocessResult get = env_.Shim({"--cargo-plugin"}, GetLine());
  getrusage(RUSAGE_CHILDREN, &after);
  EXPECT_EQ(Answer(get), R"({"Err":{"kind":"url-not-supported"}})");
  // Each wake-up of a waiting process is a voluntary context switch: a
  // shim that waits on its socket wakes a few times a second (PINGs), one
  // that polls in a loop wakes a thousand times.
  const long wakeups = after.ru_nvcsw - before.ru_nvcsw;
  EXPECT_LT(wakeups, 200) << get.stderr_text;
}

TEST_F(FaultTest, ADaemonKilledMidRequestIsReplacedByTheNext) {
  env_.WriteConfig(CommandBackend("sso", SlowTokenScript("3")));
  ASSERT_EQ(env_.Shim({"--cargo-plugin"}, GetLine("sparse+http://warm/index/")).exit_code, 0);
  const int pid = env_.DaemonPid();
  std::string answer;
  std::thread slow([&] { answer = Answer(env_.Shim({"--cargo-plugin"}, GetLine())); });
  for (int i = 0; i < 500 && CountLines(env_.root() + "/calls") < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  slow.join();
  // The request in flight fails cleanly (nothing is acknowledged that was
  // not done), or was retried on a new daemon; the next one is served.
  EXPECT_TRUE(absl::StrContains(answer, token_) || absl::StrContains(answer, R"("kind":"other")"))
      << answer;
  EXPECT_THAT(Answer(env_.Shim({"--cargo-plugin"}, GetLine())), HasSubstr(token_));
  EXPECT_NE(env_.DaemonPid(), pid);
}

// 3. Requests that arrived while the daemon exited once failed: the next
//    daemon could not take the exiting one's lock.
TEST_F(FaultTest, RequestsDuringAnIdleExitAreNeverFailed) {
  env_.WriteConfig(CommandBackend("env", SlowTokenScript("0")));
  int failed = 0;
  std::string first_failure;
  for (int i = 0; i < 24; ++i) {
    // Around the idle limit, on both sides of it.
    absl::SleepFor(absl::Milliseconds(880 + 20 * (i % 12)));
    const SubprocessResult result =
        env_.Shim({"--cargo-plugin"}, GetLine(), {{"CREDCACHE_IDLE_EXIT", "1s"}});
    if (!absl::StrContains(Answer(result), token_)) {
      ++failed;
      if (first_failure.empty()) {
        first_failure = absl::StrCat("exit ", result.exit_code, ": ", result.stdout_text,
                                     result.stderr_text, "\nlog:\n", ReadFile(env_.log()));
      }
    }
  }
  EXPECT_EQ(failed, 0) << first_failure;
}

TEST_F(FaultTest, StopFinishesInFlightRequestsAndANewDaemonServesAtOnce) {
  env_.WriteConfig(CommandBackend("sso", SlowTokenScript("3")));
  ASSERT_EQ(env_.Shim({"--cargo-plugin"}, GetLine("sparse+http://warm/index/")).exit_code, 0);
  const int old_pid = env_.DaemonPid();
  std::string in_flight;
  std::thread slow([&] { in_flight = Answer(env_.Shim({"--cargo-plugin"}, GetLine())); });
  for (int i = 0; i < 500 && CountLines(env_.root() + "/calls") < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  SubprocessResult stop = env_.Shim({"stop"});
  EXPECT_EQ(stop.exit_code, 0) << stop.stderr_text;
  // Right after `stop`: a new daemon takes over while the old one drains.
  SubprocessResult next = env_.Shim({"--cargo-plugin"}, GetLine("sparse+http://other/index/"));
  EXPECT_THAT(Answer(next), HasSubstr(token_));
  EXPECT_NE(env_.DaemonPid(), old_pid);
  slow.join();
  EXPECT_THAT(in_flight, HasSubstr(token_));
}

// 4. A token that is not UTF-8 once made the answer unparsable, and was
//    cached for 30 minutes.
TEST_F(FaultTest, ATokenThatIsNotTextIsAnErrorNamingTheBackendAndNeverCached) {
  const std::string script = Script("binary.sh", "printf 'Bearer \\377\\376'\n");
  env_.WriteConfig(CommandBackend("weird", script));
  SubprocessResult get = env_.Shim({"--cargo-plugin"}, GetLine());
  const std::string answer = Answer(get);
  ASSERT_TRUE(nlohmann::json::accept(answer)) << answer;
  EXPECT_THAT(answer, HasSubstr("backend `weird` returned a token cargo cannot send"));
  EXPECT_THAT(answer, HasSubstr("not valid UTF-8"));
  EXPECT_THAT(get.stderr_text, Not(HasSubstr("libprotobuf")));
  EXPECT_THAT(env_.Shim({"list"}).stdout_text, HasSubstr("no cached tokens"));
}

TEST_F(FaultTest, AFailingCommandsStderrThatIsNotTextStillReachesTheUser) {
  const std::string script =
      Script("fail.sh", "printf 'session expired \\377 run sso-login\\n' >&2\nexit 3\n");
  env_.WriteConfig(CommandBackend("sso", script));
  SubprocessResult get = env_.Shim({"--cargo-plugin"}, GetLine());
  const std::string answer = Answer(get);
  ASSERT_TRUE(nlohmann::json::accept(answer)) << answer;
  EXPECT_THAT(answer, HasSubstr("failed with exit status 3"));
  EXPECT_THAT(answer, HasSubstr("run sso-login"));
  EXPECT_THAT(get.stderr_text, Not(HasSubstr("libprotobuf")));
}

TEST_F(FaultTest, ATokenWithALineBreakIsRefused) {
  // Once sent on, the second line would be a header of the attacker's.
  const std::string script = Script("split.sh", "printf 'Bearer a\\rX-Evil: 1\\n'\n");
  env_.WriteConfig(CommandBackend("split", script));
  const std::string answer = Answer(env_.Shim({"--cargo-plugin"}, GetLine()));
  EXPECT_THAT(answer, HasSubstr("control character"));
  EXPECT_THAT(answer, Not(HasSubstr("X-Evil")));
}

TEST_F(FaultTest, ALoginThatAGetCouldNeverUseIsRefusedNotStored) {
  env_.WriteConfig(
      absl::StrCat("[[backend]]\nkind = \"file\"\npath = \"", env_.root(), "/tokens.toml\"\n"));
  for (const char* token : {"SEC\\u0000RET", "SECRET\\nLF", "a\\u001b[31m"}) {
    const std::string login = absl::StrCat(R"({"v":1,"registry":{"index-url":")", kUrl,
                                           R"("},"kind":"login","token":")", token, R"("})", "\n");
    const std::string answer = Answer(env_.Shim({"--cargo-plugin"}, login));
    EXPECT_THAT(answer, HasSubstr("login refused"));
    EXPECT_THAT(answer, HasSubstr("nothing was stored"));
  }
  EXPECT_THAT(ReadFile(env_.root() + "/tokens.toml"), Not(HasSubstr("SEC")));
}

TEST_F(FaultTest, AStoredTokenLongerThanAnyHeaderIsRefused) {
  const std::string path = env_.root() + "/tokens.toml";
  WriteFile(path, absl::StrCat("[tokens]\n\"", kUrl, "\" = \"", std::string(100000, 'a'), "\"\n"));
  env_.WriteConfig(absl::StrCat("[[backend]]\nkind = \"file\"\npath = \"", path, "\"\n"));
  const std::string answer = Answer(env_.Shim({"--cargo-plugin"}, GetLine()));
  EXPECT_THAT(answer, HasSubstr("longer than 65536 bytes"));
  EXPECT_THAT(env_.Shim({"list"}).stdout_text, HasSubstr("no cached tokens"));
}

TEST_F(FaultTest, ALogLineCannotBeForgedOrCarryTerminalEscapes) {
  env_.WriteConfig(CommandBackend("sso", SlowTokenScript("0")));
  ASSERT_EQ(env_.Shim({"--cargo-plugin"}, GetLine()).exit_code, 0);
  EXPECT_EQ(
      env_.Shim({"forget", "x\n2026-01-01T00:00:00.000Z credcached[1] FORGED\x1b[31m"}).exit_code,
      1);  // Nothing was cached for it; the daemon logged the ask all the same.
  const std::string log = ReadFile(env_.log());
  EXPECT_THAT(log, Not(HasSubstr("\n2026-01-01T00:00:00.000Z credcached[1] FORGED")));
  EXPECT_THAT(log, Not(HasSubstr("\x1b")));
  EXPECT_THAT(log, HasSubstr("x\\x0a2026-01-01"));
}

TEST_F(FaultTest, ADaemonThatNeverGetsReadyIsNotLeftRunning) {
  const std::string pid_file = env_.root() + "/hang.pid";
  const std::string hang =
      Script("hang-daemon", absl::StrCat("echo $$ > ", pid_file, "\nexec sleep 1000\n"));
  SubprocessResult get = env_.Shim({"--cargo-plugin"}, GetLine(), {{"CREDCACHE_DAEMON", hang}});
  EXPECT_THAT(Answer(get), HasSubstr("did not say it was ready in time"));
  int pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(pid_file)), &pid));
  for (int i = 0; i < 300 && Running(pid); ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_FALSE(Running(pid));
}

// 5. A token over 1 MiB was cut and returned as a success.
TEST_F(FaultTest, AnOverlongTokenIsAnErrorNotCutShort) {
  const std::string script = Script("long.sh", "head -c 1048577 /dev/zero | tr '\\0' 'a'\n");
  env_.WriteConfig(CommandBackend("long", script));
  const std::string answer = Answer(env_.Shim({"--cargo-plugin"}, GetLine()));
  EXPECT_THAT(answer, HasSubstr(R"("kind":"other")"));
  EXPECT_THAT(answer, HasSubstr("printed more than 1048576 bytes"));
  EXPECT_THAT(env_.Shim({"list"}).stdout_text, HasSubstr("no cached tokens"));
}

// 6. Only the command itself was killed at its timeout; its children lived.
TEST_F(FaultTest, ATimedOutCommandLeavesNoChildrenBehind) {
  const std::string pid_file = env_.root() + "/child.pid";
  const std::string script =
      Script("spawner.sh", absl::StrCat("sleep 1000 &\necho $! > ", pid_file, "\nwait\n"));
  env_.WriteConfig(CommandBackend("hang", script, "timeout = \"1s\"\n"));
  const std::string answer = Answer(env_.Shim({"--cargo-plugin"}, GetLine()));
  // Whichever notices first, the command's own limit or the daemon's.
  EXPECT_THAT(answer, ::testing::AnyOf(HasSubstr("did not finish within 1s"),
                                       HasSubstr("did not answer within 1s")));
  int child = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(pid_file)), &child));
  for (int i = 0; i < 300 && Running(child); ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_FALSE(Running(child));
}

// 7. `timeout = "inf"` was accepted and spun a core.
TEST_F(FaultTest, AnEndlessTimeoutIsAConfigError) {
  env_.WriteConfig(CommandBackend("x", "/bin/true", "timeout = \"inf\"\n"));
  SubprocessResult check = env_.Daemon({"--check-config"});
  EXPECT_NE(check.exit_code, 0);
  EXPECT_THAT(check.stderr_text, HasSubstr("`timeout` must be at most"));
  EXPECT_THAT(check.stderr_text, HasSubstr(env_.config_path() + ":"));
}

// 8. `forget NAME` did not void a fetch under way.
TEST_F(FaultTest, ForgetByNameVoidsAFetchUnderWay) {
  env_.WriteConfig(CommandBackend("sso", SlowTokenScript("2")));
  ASSERT_EQ(env_.Shim({"--cargo-plugin"}, GetLine("sparse+http://warm/index/", "warm")).exit_code,
            0);
  std::string answer;
  std::thread slow([&] { answer = Answer(env_.Shim({"--cargo-plugin"}, GetLine())); });
  for (int i = 0; i < 500 && CountLines(env_.root() + "/calls") < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  // Nothing was cached yet (exit 1), but the fetch under way is voided.
  EXPECT_EQ(env_.Shim({"forget", "myreg"}).exit_code, 1);
  slow.join();
  EXPECT_THAT(answer, HasSubstr(token_));  // The asker still gets its answer,
  const std::string list = env_.Shim({"list"}).stdout_text;
  EXPECT_THAT(list, Not(HasSubstr(kUrl)));  // but it is not cached.
}

TEST_F(FaultTest, ExitCodesSayWhatFailedNotWhichStatusCodeItCarried) {
  // A socket path too long for a Unix socket is a failed start (1), though
  // the error is an InvalidArgument; a refused config is 3, detached or not.
  env_.WriteConfig(CommandBackend("sso", "/bin/true"));
  const std::string long_socket = env_.root() + "/" + std::string(120, 's') + "/s.sock";
  EXPECT_EQ(env_.Daemon({"--socket", long_socket}).exit_code, 1);
  env_.WriteConfig("[[backend]]\nkind = \"vault\"\n");
  SubprocessResult detached = env_.Daemon({});
  EXPECT_EQ(detached.exit_code, 3) << detached.stderr_text;
  EXPECT_THAT(detached.stderr_text, HasSubstr("unknown backend kind"));
  EXPECT_EQ(env_.Daemon({"--foreground"}).exit_code, 3);
}

// A config naming a program that is nowhere passed --check-config (issue 13).
TEST_F(FaultTest, AProgramThatIsNowhereFailsTheConfigCheckWithItsLine) {
  env_.WriteConfig(CommandBackend("x", "credcache-no-such-program", ""));
  SubprocessResult check = env_.Daemon({"--check-config"});
  EXPECT_EQ(check.exit_code, 3);
  EXPECT_THAT(check.stderr_text,
              HasSubstr(env_.config_path() + ":1:1: backend `x` runs "
                                             "`credcache-no-such-program`, which is not on PATH"));
  env_.WriteConfig(CommandBackend("x", "/nonexistent/token-tool", ""));
  check = env_.Daemon({"--check-config"});
  EXPECT_EQ(check.exit_code, 3);
  EXPECT_THAT(check.stderr_text,
              HasSubstr("`/nonexistent/token-tool`, which is not an executable"));
  env_.WriteConfig(CommandBackend("x", "/bin/true", ""));
  EXPECT_EQ(env_.Daemon({"--check-config"}).exit_code, 0);
}

// A config that only adjusted [cache] was refused for having no backend
// (issue 13): it keeps the embedded default's.
TEST_F(FaultTest, AConfigThatOnlyAdjustsTheCacheKeepsTheDefaultBackends) {
  env_.WriteConfig("[cache]\nttl = \"5m\"\n");
  SubprocessResult check = env_.Daemon({"--check-config"});
  EXPECT_EQ(check.exit_code, 0) << check.stderr_text;
  // The default's token file answers: nothing stored yet, so not-found, not
  // "no backend serves it".
  EXPECT_EQ(Answer(env_.Shim({"--cargo-plugin"}, GetLine())), R"({"Err":{"kind":"not-found"}})");
  EXPECT_THAT(env_.Shim({"status"}).stdout_text, HasSubstr("file"));
}

// 9. A backend with one token once served it to any registry by default.
TEST_F(FaultTest, ASingleTokenBackendMustSayWhichRegistriesItServes) {
  env_.WriteConfig("[[backend]]\nname = \"corp\"\nkind = \"env\"\nvariable = \"CORP_TOKEN\"\n");
  SubprocessResult check = env_.Daemon({"--check-config"});
  EXPECT_NE(check.exit_code, 0);
  EXPECT_THAT(check.stderr_text, HasSubstr("serves one token to whatever registry asks"));
  EXPECT_THAT(check.stderr_text, HasSubstr("index_urls = [\"*\"]"));
}

TEST_F(FaultTest, ARegistryTheTokenIsNotForIsNeverHandedIt) {
  env_.WriteConfig(
      "[[backend]]\nname = \"corp\"\nkind = \"env\"\nvariable = \"CORP_TOKEN\"\n"
      "index_urls = [\"sparse+https://cargo.corp.example/*\"]\n");
  const std::string evil =
      Answer(env_.Shim({"--cargo-plugin"}, GetLine("sparse+https://evil.example/index/", "evil"),
                       {{"CORP_TOKEN", token_}}));
  EXPECT_EQ(evil, R"({"Err":{"kind":"url-not-supported"}})");
}

// 11. Smaller ones.
TEST_F(FaultTest, StatusSaysWhyItCannotReachADaemonNotThatNoneRuns) {
  mkdir((env_.root() + "/run").c_str(), 0755);
  chmod((env_.root() + "/run").c_str(), 0755);
  SubprocessResult status = env_.Shim({"status"});
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_THAT(status.stderr_text, HasSubstr("too loose"));
  EXPECT_THAT(status.stderr_text, Not(HasSubstr("no credcached is running")));
  SubprocessResult stop = env_.Shim({"stop"});
  EXPECT_EQ(stop.exit_code, 1);
  EXPECT_THAT(stop.stderr_text, HasSubstr("too loose"));
  nlohmann::json json = nlohmann::json::parse(env_.Shim({"status", "--json"}).stdout_text);
  EXPECT_EQ(json["running"], false);
  EXPECT_THAT(json["error"].get<std::string>(), HasSubstr("too loose"));
}

TEST_F(FaultTest, StatusJsonIsValidForAnySocketPath) {
  // Once a quote broke the hand-written JSON, and a byte that is not UTF-8
  // would have thrown.
  const std::string socket = env_.root() + "/we\"ird\xff/s.sock";
  SubprocessResult status = env_.Shim({"status", "--json"}, "", {{"CREDCACHE_SOCKET", socket}});
  nlohmann::json json;
  ASSERT_NO_THROW(json = nlohmann::json::parse(status.stdout_text)) << status.stdout_text;
  EXPECT_EQ(json["running"], false);
  EXPECT_THAT(json["socket"].get<std::string>(), HasSubstr("we\"ird"));
}

TEST_F(FaultTest, ARelativeSocketPathMeansTheWorkingDirectory) {
  env_.WriteConfig(CommandBackend("sso", SlowTokenScript("0")));
  const std::string dir = env_.root() + "/rel";
  mkdir(dir.c_str(), 0700);
  cargo_credential::SubprocessOptions options;
  options.argv = {"/bin/sh", "-c",
                  absl::StrCat("cd ", dir, " && exec ", DaemonEnv::ShimPath(), " --cargo-plugin")};
  options.set_env = env_.Environment();
  options.set_env.push_back({"CREDCACHE_SOCKET", "sock/credcache.sock"});
  absl::StatusOr<SubprocessResult> result =
      cargo_credential::RunSubprocess(options, GetLine(), absl::Seconds(60));
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(Answer(*result), HasSubstr(token_));
  struct stat info;
  EXPECT_EQ(stat((dir + "/sock/credcache.sock").c_str(), &info), 0);
  options.argv = {"/bin/sh", "-c",
                  absl::StrCat("cd ", dir, " && exec ", DaemonEnv::ShimPath(), " stop")};
  ASSERT_TRUE(cargo_credential::RunSubprocess(options, "", absl::Seconds(60)).ok());
}

TEST_F(FaultTest, TheDaemonLogIsNeverWrittenThroughASymlink) {
  env_.WriteConfig(CommandBackend("sso", SlowTokenScript("0")));
  mkdir((env_.root() + "/run").c_str(), 0700);
  const std::string victim = env_.root() + "/victim";
  WriteFile(victim, "untouched\n");
  ASSERT_EQ(symlink(victim.c_str(), env_.log().c_str()), 0);
  env_.Shim({"--cargo-plugin"}, GetLine());
  EXPECT_EQ(ReadFile(victim), "untouched\n");
}

TEST_F(FaultTest, CommandChildrenNeverSeeTokenVariables) {
  const std::string seen = env_.root() + "/seen-env";
  const std::string script =
      Script("envdump.sh", absl::StrCat("env > ", seen, "\necho Bearer from-command\n"));
  env_.WriteConfig(
      absl::StrCat("[[backend]]\nname = \"team\"\nkind = \"env\"\nvariable = \"TEAM_TOKEN\"\n"
                   "index_urls = [\"sparse+https://team.example/*\"]\n",
                   CommandBackend("sso", script)));
  const std::string answer =
      Answer(env_.Shim({"--cargo-plugin"}, GetLine(),
                       {{"TEAM_TOKEN", token_},
                        {"CARGO_REGISTRIES_OTHER_TOKEN", "Bearer other-" + token_},
                        {"CREDCACHE_VISIBLE", "yes"}}));
  EXPECT_THAT(answer, HasSubstr("from-command"));
  const std::string env = ReadFile(seen);
  EXPECT_THAT(env, HasSubstr("CREDCACHE_VISIBLE=yes"));
  // Nor the allocator setting credcached runs with itself.
  EXPECT_THAT(env, Not(HasSubstr("glibc.malloc")));
  EXPECT_THAT(env, Not(HasSubstr(token_)));
  EXPECT_THAT(env, Not(HasSubstr("TEAM_TOKEN")));
}

}  // namespace
}  // namespace credcache_testing
