// credcache as a systemd service, checked with systemd's own tools: the
// installed units (the user's, and a team daemon's system units) pass
// `systemd-analyze verify`, and socket activation by
// `systemd-socket-activate` starts credcached on the first connection and
// serves it.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
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
using ::testing::IsEmpty;
using ::testing::Not;

class SystemdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = env_.root() + "/home";
    runtime_ = env_.root() + "/rt";
    mkdir(home_.c_str(), 0700);
    mkdir(runtime_.c_str(), 0700);
  }
  std::vector<std::pair<std::string, std::string>> UserEnv() const {
    return {
        {"HOME", home_}, {"XDG_CONFIG_HOME", home_ + "/.config"}, {"XDG_RUNTIME_DIR", runtime_}};
  }
  SubprocessResult Run(const std::vector<std::string>& argv) {
    cargo_credential::SubprocessOptions options;
    options.argv = argv;
    options.set_env = UserEnv();
    absl::StatusOr<SubprocessResult> result =
        cargo_credential::RunSubprocess(options, "", absl::Seconds(30));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : SubprocessResult{-1, "", ""};
  }

  DaemonEnv env_;
  std::string home_;
  std::string runtime_;
};

TEST_F(SystemdTest, InstalledUnitsAreTheShippedOnesAndVerify) {
  SubprocessResult installed = env_.Shim({"install-service", "--no-enable"}, "", UserEnv());
  ASSERT_EQ(installed.exit_code, 0) << installed.stderr_text;
  EXPECT_THAT(installed.stdout_text, HasSubstr("global-credential-providers"));
  const std::string unitdir = home_ + "/.config/systemd/user";
  for (const char* unit : {"credcached.socket", "credcached.service"}) {
    EXPECT_EQ(ReadFile(unitdir + "/" + unit),
              ReadFile(Runfile(absl::StrCat("daemon/systemd/", unit))));
  }
  for (const char* program : {"credcached", "cargo-credential-credcache"}) {
    EXPECT_EQ(access((home_ + "/.local/bin/" + program).c_str(), X_OK), 0) << program;
  }
  SubprocessResult verify = Run({"systemd-analyze", "verify", "--user",
                                 unitdir + "/credcached.socket", unitdir + "/credcached.service"});
  EXPECT_EQ(verify.exit_code, 0) << verify.stderr_text;
  EXPECT_THAT(verify.stderr_text, IsEmpty());
  // The installed daemon runs.
  SubprocessResult version = Run({home_ + "/.local/bin/credcached", "--version"});
  EXPECT_THAT(version.stdout_text, HasSubstr("credcached"));

  SubprocessResult removed = env_.Shim({"uninstall-service", "--no-enable"}, "", UserEnv());
  EXPECT_EQ(removed.exit_code, 0);
  EXPECT_THAT(removed.stdout_text, HasSubstr("removed 2 unit file(s)"));
  EXPECT_NE(access((unitdir + "/credcached.socket").c_str(), F_OK), 0);
}

TEST_F(SystemdTest, ACustomBinDirectoryIsWhereTheServiceStarts) {
  const std::string bindir = env_.root() + "/bin";
  ASSERT_EQ(
      env_.Shim({"install-service", "--no-enable", "--bindir", bindir}, "", UserEnv()).exit_code,
      0);
  const std::string service = ReadFile(home_ + "/.config/systemd/user/credcached.service");
  EXPECT_THAT(service,
              HasSubstr(absl::StrCat("ExecStart=\"", bindir, "/credcached\" --foreground")));
  SubprocessResult verify = Run(
      {"systemd-analyze", "verify", "--user", home_ + "/.config/systemd/user/credcached.service"});
  EXPECT_EQ(verify.exit_code, 0) << verify.stderr_text;
}

TEST_F(SystemdTest, ABinDirectoryWithSpacesAndPercentSignsIsQuotedForSystemd) {
  // Unquoted, the space split the command and `%h` was expanded by systemd.
  const std::string bindir = env_.root() + "/my bin/100%h";
  ASSERT_EQ(
      env_.Shim({"install-service", "--no-enable", "--bindir", bindir}, "", UserEnv()).exit_code,
      0);
  const std::string service = ReadFile(home_ + "/.config/systemd/user/credcached.service");
  EXPECT_THAT(service, HasSubstr(absl::StrCat("ExecStart=\"", env_.root(),
                                              "/my bin/100%%h/credcached\" --foreground")));
  SubprocessResult verify = Run(
      {"systemd-analyze", "verify", "--user", home_ + "/.config/systemd/user/credcached.service"});
  EXPECT_EQ(verify.exit_code, 0) << verify.stderr_text;
  EXPECT_THAT(verify.stderr_text, Not(HasSubstr("not executable")));
}

// The team install writes system units; run here without systemctl
// (--no-enable) into the test's directories, as root and root, accounts
// every machine has.
class TeamSystemdTest : public SystemdTest {
 protected:
  void SetUp() override {
    SystemdTest::SetUp();
    unitdir_ = env_.root() + "/system";
    bindir_ = env_.root() + "/sbin dir";  // A space: the path is quoted in ExecStart.
    config_ = env_.root() + "/etc/team.toml";
  }
  SubprocessResult Install(const std::string& account, const std::string& group) {
    return env_.Shim({"install-service", "--team", "--no-enable", "--unitdir", unitdir_, "--bindir",
                      bindir_, "--account", account, "--group", group, "--config", config_},
                     "", UserEnv());
  }
  // A shipped team unit as the install should write it.
  std::string Expected(const std::string& unit) const {
    return absl::StrReplaceAll(
        ReadFile(Runfile("daemon/systemd/" + unit)),
        {{"@ACCOUNT@", "root"},
         {"@GROUP@", "root"},
         {"@BINDIR@/credcached", absl::StrCat("\"", bindir_, "/credcached\"")},
         {"@CONFIG@", absl::StrCat("\"", config_, "\"")}});
  }
  static int Mode(const std::string& path) {
    struct stat info;
    return stat(path.c_str(), &info) == 0 ? static_cast<int>(info.st_mode & 07777) : -1;
  }

  std::string unitdir_;
  std::string bindir_;
  std::string config_;
};

TEST_F(TeamSystemdTest, TeamUnitsAreFilledInAndVerifyAsSystemUnits) {
  SubprocessResult installed = Install("root", "root");
  ASSERT_EQ(installed.exit_code, 0) << installed.stderr_text;
  // No config yet: said, with the smallest one, and installed all the same.
  EXPECT_THAT(installed.stdout_text, HasSubstr(config_ + " does not exist yet"));
  EXPECT_THAT(installed.stdout_text, HasSubstr("[listen]\nsocket = \"/run/credcache/team.sock\""));
  EXPECT_THAT(installed.stdout_text, HasSubstr("CREDCACHE_SOCKET_OWNER=root"));
  for (const char* unit : {"credcached-team.socket", "credcached-team.service"}) {
    const std::string path = absl::StrCat(unitdir_, "/", unit);
    const std::string text = ReadFile(path);
    EXPECT_EQ(text, Expected(unit));
    EXPECT_THAT(text, Not(ContainsRegex("@[A-Z_]+@"))) << unit << ": a placeholder left";
    EXPECT_EQ(Mode(path), 0644) << unit;
  }
  EXPECT_THAT(ReadFile(unitdir_ + "/credcached-team.socket"), HasSubstr("\nSocketUser=root\n"));
  EXPECT_THAT(ReadFile(unitdir_ + "/credcached-team.service"),
              HasSubstr(absl::StrCat("\nExecStart=\"", bindir_, "/credcached\" --foreground ",
                                     "--config \"", config_, "\"\n")));
  for (const char* program : {"credcached", "cargo-credential-credcache"}) {
    EXPECT_EQ(Mode(absl::StrCat(bindir_, "/", program)), 0755) << program;
  }
  // System units (no --user); ExecStart's program is the one just installed.
  SubprocessResult verify = Run({"systemd-analyze", "verify", unitdir_ + "/credcached-team.socket",
                                 unitdir_ + "/credcached-team.service"});
  EXPECT_EQ(verify.exit_code, 0) << verify.stderr_text;
  EXPECT_THAT(verify.stderr_text, IsEmpty());

  // With the config there, nothing is said about it.
  mkdir((env_.root() + "/etc").c_str(), 0755);
  WriteFile(config_, "[listen]\n", 0644);
  SubprocessResult again = Install("root", "root");
  EXPECT_EQ(again.exit_code, 0) << again.stderr_text;
  EXPECT_THAT(again.stdout_text, Not(HasSubstr("does not exist")));

  SubprocessResult removed = env_.Shim(
      {"uninstall-service", "--team", "--no-enable", "--unitdir", unitdir_}, "", UserEnv());
  EXPECT_EQ(removed.exit_code, 0) << removed.stderr_text;
  EXPECT_THAT(removed.stdout_text, HasSubstr("removed 2 unit file(s)"));
  EXPECT_NE(access((unitdir_ + "/credcached-team.socket").c_str(), F_OK), 0);
  EXPECT_NE(access((unitdir_ + "/credcached-team.service").c_str(), F_OK), 0);
  EXPECT_EQ(access((bindir_ + "/credcached").c_str(), X_OK), 0) << "the programs stay";
  EXPECT_EQ(access(config_.c_str(), F_OK), 0) << "the config stays";
}

TEST_F(TeamSystemdTest, AnUnknownAccountIsRefusedWithTheCommandsAndNothingIsWritten) {
  SubprocessResult refused = Install("credcache-no-such-account", "root");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.stderr_text,
              HasSubstr("the account credcache-no-such-account does not exist"));
  EXPECT_THAT(refused.stderr_text, HasSubstr("useradd --system --no-create-home --shell "
                                             "/usr/sbin/nologin --groups root "
                                             "credcache-no-such-account\n"));
  EXPECT_THAT(refused.stderr_text, Not(HasSubstr("groupadd")));

  refused = Install("root", "credcache-no-such-group");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.stderr_text, HasSubstr("  groupadd credcache-no-such-group\n"));
  EXPECT_THAT(refused.stderr_text, Not(HasSubstr("useradd")));

  EXPECT_NE(access(unitdir_.c_str(), F_OK), 0) << "nothing written";
  EXPECT_NE(access(bindir_.c_str(), F_OK), 0) << "nothing written";
}

TEST_F(TeamSystemdTest, TeamOptionsGoWithTeamAndTheirOwnCommands) {
  SubprocessResult refused =
      env_.Shim({"install-service", "--no-enable", "--account", "root"}, "", UserEnv());
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.stderr_text, HasSubstr("`--account` goes with `--team`"));
  refused = env_.Shim({"uninstall-service", "--team", "--group", "root"}, "", UserEnv());
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.stderr_text, HasSubstr("`--group` is not an option of `uninstall-service`"));
  refused = env_.Shim({"status", "--team"}, "", UserEnv());
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(access((home_ + "/.config/systemd/user").c_str(), F_OK), 0) << "nothing written";
}

std::string ActivatorLog(const DaemonEnv& env) { return env.root() + "/activator.log"; }

// `systemd-socket-activate` listening on the test's socket, to start
// `daemon` on the first connection as systemd's credcached.socket does.
std::unique_ptr<cargo_credential::Subprocess> StartActivator(const DaemonEnv& env,
                                                             const std::string& daemon) {
  return StartSocketActivated(env, daemon, ActivatorLog(env));
}

constexpr char kGetLine[] =
    R"({"v":1,"registry":{"index-url":"sparse+http://h/index/"},"kind":"get","operation":"read"})"
    "\n";

TEST_F(SystemdTest, SocketActivationStartsTheDaemonOnTheFirstConnection) {
  const std::string token = RandomToken();
  WriteFile(env_.root() + "/token", token);
  env_.WriteConfig(
      absl::StrCat("[[backend]]\nkind = \"command\"\nindex_urls = [\"*\"]\ncommand = [\"cat\", \"",
                   env_.root(), "/token\"]\n"));
  std::unique_ptr<cargo_credential::Subprocess> activator =
      StartActivator(env_, DaemonEnv::DaemonPath());
  ASSERT_NE(activator, nullptr);
  EXPECT_FALSE(env_.DaemonRunning());  // Listening, but nothing started yet.

  // The shim may not start a daemon itself: systemd's socket must do it.
  SubprocessResult got = env_.Shim({"--cargo-plugin"}, kGetLine, {{"CREDCACHE_NO_SPAWN", "1"}});
  EXPECT_THAT(got.stdout_text, HasSubstr(token));
  EXPECT_TRUE(env_.DaemonRunning());
  EXPECT_THAT(env_.Shim({"status"}).stdout_text, HasSubstr(env_.socket()));

  env_.StopDaemon();
  // The daemon leaves the socket file to its owner (here, the activator).
  EXPECT_EQ(access(env_.socket().c_str(), F_OK), 0);
  activator->Kill(SIGTERM);
  EXPECT_TRUE(activator->Wait(absl::Now() + absl::Seconds(30)).ok())
      << ReadFile(ActivatorLog(env_));
  EXPECT_THAT(ReadFile(ActivatorLog(env_)), HasSubstr("(from systemd)"));
}

TEST_F(SystemdTest, ASystemdDaemonOfAnotherVersionIsReportedWithTheRestartCommand) {
  env_.WriteConfig(
      absl::StrCat("[[backend]]\nkind = \"command\"\nindex_urls = [\"*\"]\ncommand = [\"cat\", \"",
                   env_.root(), "/token\"]\n"));
  WriteFile(env_.root() + "/token", RandomToken());
  std::unique_ptr<cargo_credential::Subprocess> activator =
      StartActivator(env_, Runfile("tests/other_version_daemon"));
  ASSERT_NE(activator, nullptr);

  // The shim does not stop what systemd runs: it says how to restart it.
  SubprocessResult got = env_.Shim({"--cargo-plugin"}, kGetLine);
  EXPECT_THAT(got.stdout_text, HasSubstr("(started by systemd); this shim is 0.1.0"));
  EXPECT_THAT(got.stdout_text, HasSubstr("systemctl --user restart credcached.service"));
  EXPECT_THAT(env_.Shim({"status"}).stdout_text,
              HasSubstr("restart it: systemctl --user restart credcached.service"));
  const int pid = env_.DaemonPid();
  EXPECT_GT(pid, 0);
  EXPECT_EQ(kill(pid, 0), 0) << "still serving";

  env_.StopDaemon();
  activator->Kill(SIGTERM);
  EXPECT_TRUE(activator->Wait(absl::Now() + absl::Seconds(30)).ok())
      << ReadFile(ActivatorLog(env_));
}

}  // namespace
}  // namespace credcache_testing
