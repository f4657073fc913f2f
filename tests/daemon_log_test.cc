// credcached's log, on real processes: where it goes when the daemon is
// started on demand, by hand, and by systemd (the journal's priorities),
// its levels (--log-level, CREDCACHE_LOG), what a backend's failure says
// there, what --help says of it, and the durations --idle-exit takes.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cargo_credential/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::SubprocessResult;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUrl[] = "sparse+http://127.0.0.1:9/index/";
constexpr char kTimestamp[] = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z credcached\\[[0-9]+\\] ";

int Mode(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 ? static_cast<int>(info.st_mode & 0777) : -1;
}

class DaemonLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = RandomToken();
    WriteFile(env_.root() + "/token", token_);
  }

  // A backend that prints the token, and, for `failing_url`, one whose
  // program writes a line with a terminal escape on stderr and exits 3.
  void WriteConfig(const std::string& failing_url = "sparse+http://fails/index/") {
    const std::string good = env_.root() + "/good.sh";
    WriteFile(good, absl::StrCat("#!/bin/sh\ncat ", env_.root(), "/token\n"), 0700);
    const std::string bad = env_.root() + "/sso-token";
    WriteFile(bad,
              "#!/bin/sh\nprintf 'starting\\nsession expired, run \\033[31msso-login\\n' >&2\n"
              "exit 3\n",
              0700);
    env_.WriteConfig(absl::StrCat(
        "[[backend]]\nname = \"sso\"\nkind = \"command\"\nindex_urls = [\"", failing_url,
        "\"]\ncommand = [\"", bad,
        "\"]\n\n[[backend]]\nname = \"empty\"\nkind = \"file\"\npath = \"", env_.root(),
        "/empty.toml\"\n\n[[backend]]\nname = \"good\"\nkind = \"command\"\n",
        "index_urls = [\"*\"]\ncommand = [\"", good, "\"]\n"));
  }

  std::string Get(const std::string& url = kUrl,
                  std::vector<std::pair<std::string, std::string>> extra_env = {}) {
    return AnswerLine(env_.Shim({"--cargo-plugin"}, GetRequestLine(url), std::move(extra_env)));
  }

  DaemonEnv env_;
  std::string token_;
};

TEST_F(DaemonLogTest, OnDemandTheLogIsAPrivateFileInTheStateDirectory) {
  WriteConfig();
  const std::string state = env_.root() + "/fresh-state";
  ASSERT_THAT(Get(kUrl, {{"XDG_STATE_HOME", state}}), HasSubstr(token_));
  const std::string log = state + "/credcache/credcached.log";
  EXPECT_THAT(ReadFile(log), ContainsRegex(absl::StrCat(kTimestamp, "info: serving on ")));
  EXPECT_EQ(Mode(state + "/credcache"), 0700);
  EXPECT_EQ(Mode(log), 0600);
  // Nothing beside the socket, which is gone at reboot.
  EXPECT_THAT(ReadFile(env_.root() + "/run/credcached.log"), Not(HasSubstr("serving")));
}

TEST_F(DaemonLogTest, StartedByHandItDetachesAndLogsToTheSameFile) {
  WriteConfig();
  SubprocessResult started = env_.Daemon({"--socket", env_.socket()});
  ASSERT_EQ(started.exit_code, 0) << started.stderr_text;
  EXPECT_EQ(started.stderr_text, "");
  EXPECT_THAT(Get(), HasSubstr(token_));
  EXPECT_THAT(ReadFile(env_.log()), ContainsRegex(absl::StrCat(kTimestamp, "info: serving on ")));
}

TEST_F(DaemonLogTest, EachBackendCallIsLoggedAndAFailureCarriesItsCause) {
  WriteConfig();
  ASSERT_THAT(Get(), HasSubstr(token_));
  const std::string failed = Get("sparse+http://fails/index/");
  // What the user is shown: the exit status, and the program's last line.
  EXPECT_THAT(failed, HasSubstr("failed with exit status 3"));
  EXPECT_THAT(failed, HasSubstr("session expired, run \\u001b[31msso-login"));
  const std::string log = ReadFile(env_.log());
  EXPECT_THAT(log, ContainsRegex("info: backend `good` get sparse\\+http://127.0.0.1:9/index/: "
                                 "answered in [0-9]+ms\n"));
  // The same text, its escape written out, on one line.
  EXPECT_THAT(log, ContainsRegex(absl::StrCat(
                       "warning: backend `sso` get sparse\\+http://fails/index/: failed in "
                       "[0-9]+ms: command `",
                       env_.root(),
                       "/sso-token` failed with exit status 3: session expired, "
                       "run \\\\x1b\\[31msso-login\n")));
  EXPECT_THAT(log, Not(HasSubstr("\x1b")));
  // Only the cause: what the program wrote before it is the user's alone.
  EXPECT_THAT(log, Not(HasSubstr("starting")));
  // At info, a backend that had nothing (the empty file) is not logged.
  EXPECT_THAT(log, Not(HasSubstr("backend `empty`")));
  EXPECT_THAT(log, Not(HasSubstr(token_.substr(7))));
}

TEST_F(DaemonLogTest, CredcacheLogSetsTheLevel) {
  WriteConfig();
  ASSERT_THAT(Get(kUrl, {{"CREDCACHE_LOG", "debug"}}), HasSubstr(token_));
  EXPECT_THAT(ReadFile(env_.log()),
              ContainsRegex("debug: backend `empty` get [^\n]*: declined \\(not-found\\)"));
  env_.StopDaemon();
  unlink(env_.log().c_str());

  ASSERT_THAT(Get(kUrl, {{"CREDCACHE_LOG", "warning"}}), HasSubstr(token_));
  Get("sparse+http://fails/index/", {{"CREDCACHE_LOG", "warning"}});
  const std::string log = ReadFile(env_.log());
  EXPECT_THAT(log, HasSubstr("warning: backend `sso`"));
  EXPECT_THAT(log, Not(HasSubstr("info:")));
}

TEST_F(DaemonLogTest, TheLogLevelFlagWinsOverTheVariable) {
  WriteConfig();
  cargo_credential::SubprocessOptions options;
  options.argv = {DaemonEnv::DaemonPath(), "--socket", env_.socket(), "--log-level", "warning"};
  options.set_env = env_.Environment();
  options.set_env.push_back({"CREDCACHE_LOG", "debug"});
  absl::StatusOr<SubprocessResult> started =
      cargo_credential::RunSubprocess(options, "", absl::Seconds(30));
  ASSERT_TRUE(started.ok());
  ASSERT_EQ(started->exit_code, 0) << started->stderr_text;
  ASSERT_THAT(Get(), HasSubstr(token_));
  Get("sparse+http://fails/index/");
  const std::string log = ReadFile(env_.log());
  EXPECT_THAT(log, HasSubstr("warning: backend `sso`"));
  EXPECT_THAT(log, Not(HasSubstr("info:")));
  EXPECT_THAT(log, Not(HasSubstr("debug:")));
}

TEST_F(DaemonLogTest, ABadLevelIsRefusedNamingWhereItCameFrom) {
  WriteConfig();
  SubprocessResult flag = env_.Daemon({"--socket", env_.socket(), "--log-level", "loud"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_THAT(flag.stderr_text,
              HasSubstr("--log-level takes error, warning, info or debug; `loud` is not one"));
  EXPECT_THAT(flag.stderr_text, Not(HasSubstr("usage:")));

  // On demand, the shim that started it tells cargo's user why.
  const std::string answer = Get(kUrl, {{"CREDCACHE_LOG", "verbose"}});
  EXPECT_THAT(answer, HasSubstr("CREDCACHE_LOG=verbose: takes error, warning, info or debug"));
  EXPECT_FALSE(env_.DaemonRunning());
}

TEST_F(DaemonLogTest, IdleExitTakesSecondsOrADurationAndNothingElse) {
  WriteConfig();
  SubprocessResult seconds = env_.Daemon({"--socket", env_.socket(), "--idle-exit", "1"});
  ASSERT_EQ(seconds.exit_code, 0) << seconds.stderr_text;
  EXPECT_THAT(ReadFile(env_.log()), HasSubstr("exiting after 1s idle"));
  for (int i = 0; i < 1000 && env_.DaemonRunning(); ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_FALSE(env_.DaemonRunning());
  EXPECT_THAT(ReadFile(env_.log()), HasSubstr("idle; exiting"));

  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{"--idle-exit", "forever"},
                                             {"--idle-exit", "-5m"},
                                             {"--idle-exit", "15 m"},
                                             {"--idle-exit"}}) {
    std::vector<std::string> args = {"--socket", env_.socket()};
    args.insert(args.end(), bad.begin(), bad.end());
    SubprocessResult refused = env_.Daemon(args);
    EXPECT_EQ(refused.exit_code, 2) << bad.back();
    EXPECT_THAT(refused.stderr_text,
                HasSubstr("--idle-exit takes a duration such as 15m, 90s or 1h30m, or a number "
                          "of seconds"))
        << bad.back();
    if (bad.size() == 2) {
      EXPECT_THAT(refused.stderr_text, HasSubstr(absl::StrCat("`", bad[1], "` is not one")));
    }
    EXPECT_THAT(refused.stderr_text, Not(HasSubstr("bad argument")));
  }
}

TEST_F(DaemonLogTest, HelpSaysWhereTheLogGoesInEachModeAndHowToSetItsLevel) {
  SubprocessResult help = env_.Daemon({"--help"});
  ASSERT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.stdout_text, Not(HasSubstr("either way")));
  EXPECT_THAT(help.stdout_text, HasSubstr("$XDG_STATE_HOME/credcache/credcached.log"));
  EXPECT_THAT(help.stdout_text, HasSubstr("~/.local/state/credcache/credcached.log"));
  EXPECT_THAT(help.stdout_text, HasSubstr("on demand"));
  EXPECT_THAT(help.stdout_text, HasSubstr("with --foreground, on stderr"));
  EXPECT_THAT(help.stdout_text, HasSubstr("journalctl --user -u credcached"));
  EXPECT_THAT(help.stdout_text, HasSubstr("--log-level LEVEL"));
  EXPECT_THAT(help.stdout_text, HasSubstr("$CREDCACHE_LOG"));
}

// credcached started by `systemd-socket-activate` as systemd starts it,
// with INVOCATION_ID and JOURNAL_STREAM as systemd sets them (`stream` the
// device:inode it names), its stderr the file at `stderr_path`.
std::unique_ptr<cargo_credential::Subprocess> StartAsService(const DaemonEnv& env,
                                                             const std::string& stderr_path,
                                                             const std::string& stream) {
  return StartSocketActivated(
      env, DaemonEnv::DaemonPath(), stderr_path,
      {"INVOCATION_ID=0123456789abcdef0123456789abcdef", absl::StrCat("JOURNAL_STREAM=", stream)});
}

TEST_F(DaemonLogTest, UnderSystemdLinesGoToTheJournalWithPrioritiesAndNoTimestamps) {
  WriteConfig();
  // The "journal": a file made first, so that its device and inode are
  // known before the activator's stderr is opened on it.
  const std::string journal = env_.root() + "/journal";
  WriteFile(journal, "");
  struct stat info;
  ASSERT_EQ(stat(journal.c_str(), &info), 0);
  std::unique_ptr<cargo_credential::Subprocess> activator =
      StartAsService(env_, journal, absl::StrCat(info.st_dev, ":", info.st_ino));
  ASSERT_NE(activator, nullptr);
  ASSERT_THAT(Get(kUrl, {{"CREDCACHE_NO_SPAWN", "1"}}), HasSubstr(token_));
  Get("sparse+http://fails/index/", {{"CREDCACHE_NO_SPAWN", "1"}});
  env_.StopDaemon();
  activator->Kill(SIGTERM);
  EXPECT_TRUE(activator->Wait(absl::Now() + absl::Seconds(30)).ok());

  const std::string text = ReadFile(journal);
  EXPECT_THAT(text, ContainsRegex("(^|\n)<6>serving on [^\n]* \\(from systemd\\)"));
  EXPECT_THAT(text, ContainsRegex("(^|\n)<6>backend `good` get [^\n]*: answered in [0-9]+ms\n"));
  EXPECT_THAT(text, ContainsRegex("(^|\n)<4>backend `sso` get [^\n]*: failed in [0-9]+ms: "
                                  "command [^\n]* failed with exit status 3: session expired"));
  // journald stamps time and pid itself.
  EXPECT_THAT(text, Not(HasSubstr("credcached[")));
  EXPECT_THAT(text, Not(HasSubstr("info:")));
  // No log file either.
  EXPECT_NE(access(env_.log().c_str(), F_OK), 0);
}

TEST_F(DaemonLogTest, UnderSystemdWithStderrElsewhereLinesStayTimestamped) {
  WriteConfig();
  const std::string elsewhere = env_.root() + "/service-stderr";
  // JOURNAL_STREAM names another stream: stderr was redirected since.
  std::unique_ptr<cargo_credential::Subprocess> activator = StartAsService(env_, elsewhere, "1:1");
  ASSERT_NE(activator, nullptr);
  ASSERT_THAT(Get(kUrl, {{"CREDCACHE_NO_SPAWN", "1"}}), HasSubstr(token_));
  env_.StopDaemon();
  activator->Kill(SIGTERM);
  EXPECT_TRUE(activator->Wait(absl::Now() + absl::Seconds(30)).ok());
  const std::string text = ReadFile(elsewhere);
  EXPECT_THAT(text, ContainsRegex(absl::StrCat(kTimestamp, "info: serving on ")));
  EXPECT_THAT(text, Not(HasSubstr("<6>")));
}

}  // namespace
}  // namespace credcache_testing
