// The team daemon with real Unix users: a service account runs credcached,
// alice and bob (in the team's group) and mallory (not) ask it, through the
// shim and through the real cargo, each as themselves (setpriv). Users,
// group and files have names unique to the run and are removed afterwards.
// Needs root (CI runs as root); anywhere else every case is skipped, saying
// why.
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "cargo_credential/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/files.h"
#include "nlohmann/json.hpp"
#include "tests/support/cargo_sandbox.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/registry_server.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::SubprocessOptions;
using cargo_credential::SubprocessResult;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPersonalUrl[] = "sparse+http://personal.example/index/";
constexpr char kSlowUrl[] = "sparse+http://slow.example/index/";
constexpr char kFastUrl[] = "sparse+http://fast.example/index/";
constexpr char kNamedUrl[] = "sparse+http://named.example/index/";

SubprocessResult RunAsRoot(const std::vector<std::string>& argv, const std::string& input = "",
                           std::vector<std::pair<std::string, std::string>> env = {},
                           absl::Duration timeout = absl::Seconds(60)) {
  SubprocessOptions options;
  options.argv = argv;
  options.set_env = std::move(env);
  absl::StatusOr<SubprocessResult> result =
      cargo_credential::RunSubprocess(options, input, timeout);
  if (!result.ok()) return SubprocessResult{-1, "", std::string(result.status().message())};
  return *std::move(result);
}

// Everything the team tests share: the accounts, the files, the registry
// and the team daemon, made once for the suite.
struct TeamWorld {
  std::string suffix;
  std::string group, service, alice, bob, mallory;
  std::vector<std::string> users;  // Made, to remove.
  bool group_made = false;
  std::string root;  // Shared by everyone: 0755.
  std::string bin, service_dir, run_dir, socket, audit_file;
  std::string registry_token;
  std::unique_ptr<RegistryServer> registry;
  std::unique_ptr<cargo_credential::Subprocess> daemon;
  std::string failure;  // Why the world could not be made.

  uid_t Uid(const std::string& name) const { return getpwnam(name.c_str())->pw_uid; }
  std::string Home(const std::string& user) const { return root + "/home-" + user; }
};

TeamWorld* world = nullptr;

// Copies `from` to `to` with mode 0755, for other users to run.
bool Install(const std::string& from, const std::string& to) {
  return RunAsRoot({"/bin/cp", from, to}).exit_code == 0 && chmod(to.c_str(), 0755) == 0;
}

// The real cargo binary behind rustup's proxy, which other users could not
// run from root's home.
std::string RealCargo(const std::string& cargo) {
  const std::string rustup = cargo_credential::DirectoryOf(cargo) + "/rustup";
  if (access(rustup.c_str(), X_OK) != 0) return cargo;
  std::string rustup_home = getenv("RUSTUP_HOME") != nullptr ? getenv("RUSTUP_HOME") : "";
  if (rustup_home.empty() && getenv("HOME") != nullptr) {
    rustup_home = absl::StrCat(getenv("HOME"), "/.rustup");
  }
  SubprocessResult which =
      RunAsRoot({rustup, "which", "cargo"}, "", {{"RUSTUP_HOME", rustup_home}});
  return which.exit_code == 0 ? std::string(absl::StripAsciiWhitespace(which.stdout_text)) : cargo;
}

// The team's config, for a daemon on `socket` auditing to `audit_file`.
std::string TeamConfig(const TeamWorld& w, const std::string& socket,
                       const std::string& audit_file) {
  return absl::StrCat(
      "[listen]\nsocket = \"", socket, "\"\ngroup = \"", w.group,
      "\"\ncontact = \"the build team (#cargo-help)\"\n\n"
      "[audit]\nfile = \"",
      audit_file,
      "\"\n\n[limits]\nentries_per_user = 3\n\n"
      // The registry's read token, fetched once with the service's own
      // command and shared; slow enough that cold askers overlap.
      "[[backend]]\nname = \"corp\"\nkind = \"command\"\nscope = \"shared\"\n"
      "index_urls = [\"sparse+http://127.0.0.1:*\", \"sparse+http://cap-*\"]\n"
      "command = [\"/bin/sh\", \"",
      w.service_dir,
      "/token.sh\", \"{index_url}\"]\n\n"
      "[[backend]]\nname = \"slow\"\nkind = \"command\"\nscope = \"shared\"\n"
      "index_urls = [\"",
      kSlowUrl, "\", \"", kFastUrl, "\"]\n",
      "command = [\"/bin/sh\", \"-c\", \"case $0 in *slow*) sleep 3;; esac; echo t-$0\", "
      "\"{index_url}\"]\n\n"
      // Says what it was given of the registry's name and the arguments.
      "[[backend]]\nname = \"named\"\nkind = \"command\"\nscope = \"shared\"\n"
      "index_urls = [\"",
      kNamedUrl, "\"]\n",
      "command = [\"/bin/sh\", \"-c\", \"echo n-$0-a-$1-\", \"{name}\", \"{args}\"]\n\n"
      "[[backend]]\nname = \"mine\"\nkind = \"memory\"\nscope = \"personal\"\n"
      "index_urls = [\"",
      kPersonalUrl, "\"]\n\n",
      "[[rule]]\nregistries = [\"sparse+http://127.0.0.1:*\", \"sparse+http://cap-*\", \"",
      kSlowUrl, "\", \"", kFastUrl, "\"]\ngroups = [\"", w.group,
      "\"]\noperations = [\"read\"]\n\n", "[[rule]]\nregistries = [\"", kPersonalUrl, "\", \"",
      kNamedUrl, "\"]\ngroups = [\"", w.group,
      "\"]\noperations = [\"read\", \"publish\"]\nlogin = true\n\n",
      // Root may read the personal registry: and still never gets alice's.
      "[[rule]]\nregistries = [\"", kPersonalUrl, "\"]\nusers = [\"root\"]\n",
      "operations = [\"read\"]\n");
}

// Starts credcached as the service account with `config`, and waits for
// `socket`; its stderr goes to `log`. `extra_env` is added to its
// environment (INVOCATION_ID, as systemd sets it).
absl::StatusOr<std::unique_ptr<cargo_credential::Subprocess>> StartTeamDaemon(
    const TeamWorld& w, const std::string& config, const std::string& socket,
    const std::string& log, std::vector<std::pair<std::string, std::string>> extra_env = {}) {
  SubprocessOptions daemon;
  daemon.argv = {"setpriv",
                 absl::StrCat("--reuid=", w.service),
                 absl::StrCat("--regid=", w.service),
                 "--init-groups",
                 "--",
                 w.bin + "/credcached",
                 "--foreground",
                 "--config",
                 config};
  daemon.set_env = {{"HOME", w.service_dir}};
  daemon.set_env.insert(daemon.set_env.end(), extra_env.begin(), extra_env.end());
  daemon.unset_env = {"XDG_RUNTIME_DIR"};
  if (extra_env.empty()) daemon.unset_env.push_back("INVOCATION_ID");
  daemon.stdin_mode = SubprocessOptions::Stdio::kNull;
  daemon.stdout_mode = SubprocessOptions::Stdio::kNull;
  daemon.stderr_mode = SubprocessOptions::Stdio::kFile;
  daemon.stderr_file = log;
  daemon.new_process_group = true;
  absl::StatusOr<std::unique_ptr<cargo_credential::Subprocess>> started =
      cargo_credential::Subprocess::Start(daemon);
  if (!started.ok()) return started.status();
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  struct stat info;
  while (stat(socket.c_str(), &info) != 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  if (stat(socket.c_str(), &info) != 0) {
    return absl::UnavailableError(absl::StrCat("the team daemon did not start: ", ReadFile(log)));
  }
  return started;
}

void MakeWorld(TeamWorld& w) {
  w.suffix = absl::StrCat(getpid() % 100000, RandomToken().substr(0, 4));
  for (char& c : w.suffix) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  w.group = "cct" + w.suffix;
  w.service = "ccs" + w.suffix;
  w.alice = "cca" + w.suffix;
  w.bob = "ccb" + w.suffix;
  w.mallory = "ccm" + w.suffix;
  if (RunAsRoot({"groupadd", w.group}).exit_code != 0) {
    w.failure = "groupadd failed";
    return;
  }
  w.group_made = true;
  for (const auto& [user, groups] : std::vector<std::pair<std::string, std::string>>{
           {w.service, w.group}, {w.alice, w.group}, {w.bob, w.group}, {w.mallory, ""}}) {
    std::vector<std::string> argv = {"useradd", "-M", "-s", "/usr/sbin/nologin"};
    if (!groups.empty()) argv.insert(argv.end(), {"-G", groups});
    argv.push_back(user);
    SubprocessResult made = RunAsRoot(argv);
    if (made.exit_code != 0) {
      w.failure = absl::StrCat("useradd ", user, ": ", made.stderr_text);
      return;
    }
    w.users.push_back(user);
  }
  w.root = MakeTempDir("credcache-team", "/tmp");
  chmod(w.root.c_str(), 0755);
  w.bin = w.root + "/bin";
  mkdir(w.bin.c_str(), 0755);
  absl::StatusOr<std::string> cargo = FindCargo();
  if (!cargo.ok() || !Install(DaemonEnv::DaemonPath(), w.bin + "/credcached") ||
      !Install(DaemonEnv::ShimPath(), w.bin + "/cargo-credential-credcache") ||
      !Install(RealCargo(*cargo), w.bin + "/cargo")) {
    w.failure = "cannot install the programs for other users";
    return;
  }
  const uid_t service = w.Uid(w.service);
  const gid_t team = getgrnam(w.group.c_str())->gr_gid;
  w.service_dir = w.root + "/service";
  mkdir(w.service_dir.c_str(), 0700);
  w.run_dir = w.root + "/run";
  mkdir(w.run_dir.c_str(), 0750);
  w.socket = w.run_dir + "/team.sock";
  w.audit_file = w.service_dir + "/audit/audit.log";
  w.registry_token = RandomToken();
  absl::StatusOr<std::unique_ptr<RegistryServer>> registry =
      RegistryServer::Start(w.registry_token);
  if (!registry.ok()) {
    w.failure = std::string(registry.status().message());
    return;
  }
  w.registry = *std::move(registry);
  WriteFile(w.service_dir + "/token", w.registry_token);
  WriteFile(w.service_dir + "/token.sh",
            absl::StrCat("echo call >> ", w.service_dir, "/calls\nsleep 0.5\ncat ", w.service_dir,
                         "/token\n"));
  WriteFile(w.service_dir + "/team.toml", TeamConfig(w, w.socket, w.audit_file));
  for (const std::string& user : {w.alice, w.bob, w.mallory}) {
    const std::string home = w.Home(user);
    mkdir(home.c_str(), 0700);
    mkdir((home + "/cargo-home").c_str(), 0700);
    RunAsRoot({"chown", "-R", absl::StrCat(user, ":"), home});
  }
  RunAsRoot({"chown", "-R", absl::StrCat(w.service, ":"), w.service_dir});
  if (chown(w.run_dir.c_str(), service, team) != 0) {
    w.failure = "chown of the run directory failed";
    return;
  }

  absl::StatusOr<std::unique_ptr<cargo_credential::Subprocess>> daemon =
      StartTeamDaemon(w, w.service_dir + "/team.toml", w.socket, w.root + "/daemon.log");
  if (!daemon.ok()) {
    w.failure = std::string(daemon.status().message());
    return;
  }
  w.daemon = *std::move(daemon);
}

void DestroyWorld(TeamWorld& w) {
  w.daemon.reset();  // Kills it, with its process group.
  w.registry.reset();
  for (const std::string& user : w.users) RunAsRoot({"userdel", user});
  if (w.group_made) RunAsRoot({"groupdel", w.group});
  if (!w.root.empty()) RunAsRoot({"rm", "-rf", w.root});
}

class TeamTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    world = new TeamWorld();
    MakeWorld(*world);
  }
  static void TearDownTestSuite() {
    if (world == nullptr) return;
    DestroyWorld(*world);
    delete world;
    world = nullptr;
  }
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "the team tests create Unix users and switch to them: run as root (CI does)";
    }
    ASSERT_TRUE(world->failure.empty()) << world->failure;
  }

  const TeamWorld& w() const { return *world; }

  // Runs `argv` as `user` (with the groups the system gives it, or
  // `setpriv_flags` instead), with the team socket and its owner set.
  SubprocessResult As(const std::string& user, std::vector<std::string> argv,
                      const std::string& input = "",
                      std::vector<std::string> groups_flags = {"--init-groups"},
                      std::vector<std::pair<std::string, std::string>> env = {},
                      absl::Duration timeout = absl::Seconds(60)) const {
    std::vector<std::string> full = {"setpriv", absl::StrCat("--reuid=", user),
                                     absl::StrCat("--regid=", user)};
    full.insert(full.end(), groups_flags.begin(), groups_flags.end());
    full.push_back("--");
    full.insert(full.end(), argv.begin(), argv.end());
    SubprocessOptions options;
    options.argv = full;
    options.cwd = user == "root" ? w().root : w().Home(user);
    options.set_env = {{"HOME", user == "root" ? w().root : w().Home(user)},
                       {"CREDCACHE_SOCKET", w().socket},
                       {"CREDCACHE_SOCKET_OWNER", w().service}};
    options.set_env.insert(options.set_env.end(), env.begin(), env.end());
    for (const char* name : {"XDG_RUNTIME_DIR", "CREDCACHE_CONFIG", "CARGO_HOME"}) {
      const bool set = std::any_of(env.begin(), env.end(),
                                   [name](const auto& pair) { return pair.first == name; });
      if (!set) options.unset_env.push_back(name);
    }
    absl::StatusOr<SubprocessResult> result =
        cargo_credential::RunSubprocess(options, input, timeout);
    if (!result.ok()) return SubprocessResult{-1, "", std::string(result.status().message())};
    return *std::move(result);
  }

  // One cargo request through the shim, as `user`; the answer line.
  std::string Ask(const std::string& user, const std::string& request_line,
                  std::vector<std::string> groups_flags = {"--init-groups"}) const {
    SubprocessResult result = As(user, {w().bin + "/cargo-credential-credcache", "--cargo-plugin"},
                                 request_line, groups_flags);
    return AnswerLine(result);
  }

  // An admin command, as root.
  SubprocessResult Admin(std::vector<std::string> args) const {
    std::vector<std::string> argv = {w().bin + "/cargo-credential-credcache"};
    argv.insert(argv.end(), args.begin(), args.end());
    return As("root", argv);
  }

  std::vector<nlohmann::json> AuditRecords() const {
    SubprocessResult audit = Admin({"audit", "--json", "--count", "1000"});
    EXPECT_EQ(audit.exit_code, 0) << audit.stderr_text;
    nlohmann::json parsed = nlohmann::json::parse(audit.stdout_text, nullptr, false);
    if (!parsed.is_object() || !parsed["records"].is_array()) return {};
    return parsed["records"].get<std::vector<nlohmann::json>>();
  }

  int BackendCalls() const {
    const std::string calls = ReadFile(w().service_dir + "/calls");
    return static_cast<int>(std::count(calls.begin(), calls.end(), '\n'));
  }

  std::string RegistryUrl() const { return w().registry->index_url(); }
};

std::string LoginLine(const std::string& index_url, const std::string& token) {
  return absl::StrCat(R"({"v":1,"registry":{"index-url":")", index_url,
                      R"(","name":"personal"},"kind":"login","token":")", token, R"(","args":[]})",
                      "\n");
}

std::string OperationLine(const std::string& index_url, const std::string& operation) {
  return absl::StrCat(R"({"v":1,"registry":{"index-url":")", index_url,
                      R"(","name":"corp"},"kind":"get","operation":")", operation,
                      R"(","name":"foo","vers":"0.1.0","cksum":"00"})", "\n");
}

TEST_F(TeamTest, TheSocketIsTheTeamsAndTheDaemonIsTheServiceAccount) {
  struct stat info;
  ASSERT_EQ(stat(w().socket.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0660u);
  EXPECT_EQ(info.st_uid, w().Uid(w().service));
  EXPECT_EQ(info.st_gid, getgrnam(w().group.c_str())->gr_gid);
  SubprocessResult status = Admin({"status", "--json"});
  EXPECT_EQ(status.exit_code, 0) << status.stderr_text;
  EXPECT_THAT(status.stdout_text, HasSubstr("\"team\":true"));
  EXPECT_THAT(status.stdout_text, HasSubstr(w().audit_file));
}

TEST_F(TeamTest, AliceAndBobShareOneFetchOfTheTeamTokenTwentyColdAsksMakeOneBackendCall) {
  const int before = BackendCalls();
  std::vector<std::string> answers(20);
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([this, i, &answers] {
      answers[i] = Ask(i % 2 == 0 ? w().alice : w().bob, GetRequestLine(RegistryUrl(), "corp"));
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& answer : answers) {
    EXPECT_THAT(answer, HasSubstr(w().registry_token));
    // A team's read token is never one cargo may reuse to publish.
    EXPECT_THAT(answer, HasSubstr("\"operation_independent\":false"));
  }
  EXPECT_EQ(BackendCalls() - before, 1);
}

TEST_F(TeamTest, TheRealCargoRunAsAliceAndAsBobGetsTheTeamTokenFromTheTeamDaemon) {
  // foo is published by root with the token itself, so that there is
  // something to depend on.
  CargoSandbox publisher;
  publisher.WriteConfig(absl::StrCat("[registries.corp]\nindex = \"", RegistryUrl(),
                                     "\"\ncredential-provider = \"cargo:token\"\n"));
  publisher.SetEnv({{"CARGO_REGISTRIES_CORP_TOKEN", w().registry_token}});
  const std::string foo = publisher.NewCrate("foo", "corp");
  absl::StatusOr<SubprocessResult> published =
      publisher.Cargo({"publish", "--registry", "corp", "--no-verify", "--allow-dirty"}, foo);
  ASSERT_TRUE(published.ok() && published->exit_code == 0)
      << (published.ok() ? published->stderr_text : published.status().ToString());

  for (const std::string& user : {w().alice, w().bob}) {
    const std::string home = w().Home(user);
    WriteFile(home + "/cargo-home/config.toml",
              absl::StrCat("[registries.corp]\nindex = \"", RegistryUrl(),
                           "\"\ncredential-provider = [\"", w().bin,
                           "/cargo-credential-credcache\"]\n\n[net]\nretry = 0\n"));
    const std::string crate = home + "/bar";
    mkdir(crate.c_str(), 0755);
    mkdir((crate + "/src").c_str(), 0755);
    WriteFile(crate + "/Cargo.toml",
              "[package]\nname = \"bar\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n"
              "[dependencies]\nfoo = { version = \"0.1\", registry = \"corp\" }\n");
    WriteFile(crate + "/src/lib.rs", "");
    RunAsRoot({"chown", "-R", absl::StrCat(user, ":"), home});
    SubprocessResult cargo = As(
        user, {w().bin + "/cargo", "generate-lockfile", "--manifest-path", crate + "/Cargo.toml"},
        "", {"--init-groups"},
        {{"CARGO_HOME", home + "/cargo-home"}, {"CARGO_TERM_COLOR", "never"}});
    EXPECT_EQ(cargo.exit_code, 0) << user << ": " << cargo.stderr_text;
    EXPECT_THAT(ReadFile(crate + "/Cargo.lock"), HasSubstr("name = \"foo\""));
  }
}

TEST_F(TeamTest, MalloryIsStoppedBySocketModeAndWhenItIsOpenedByTheRules) {
  SubprocessResult refused =
      As(w().mallory, {w().bin + "/cargo-credential-credcache", "--cargo-plugin"},
         GetRequestLine(RegistryUrl(), "corp"));
  EXPECT_THAT(AnswerLine(refused), Not(HasSubstr(w().registry_token)));
  EXPECT_THAT(refused.stdout_text + refused.stderr_text, HasSubstr("ermission denied"));

  // Defence in depth: with the socket opened to everyone, the daemon still
  // refuses her by rule, saying whom to ask; and alice with her groups
  // dropped is refused the same way.
  ASSERT_EQ(chmod(w().run_dir.c_str(), 0755), 0);
  ASSERT_EQ(chmod(w().socket.c_str(), 0666), 0);
  const std::string mallory = Ask(w().mallory, GetRequestLine(RegistryUrl(), "corp"));
  const std::string dropped =
      Ask(w().alice, GetRequestLine(RegistryUrl(), "corp"), {"--clear-groups"});
  chmod(w().socket.c_str(), 0660);
  chmod(w().run_dir.c_str(), 0750);
  for (const std::string& answer : {mallory, dropped}) {
    EXPECT_THAT(answer, HasSubstr("\"kind\":\"other\""));
    EXPECT_THAT(answer, HasSubstr("no [[rule]]"));
    EXPECT_THAT(answer, HasSubstr("#cargo-help"));
    EXPECT_THAT(answer, Not(HasSubstr(w().registry_token)));
  }
}

TEST_F(TeamTest, AReadOnlyRuleRefusesAPublish) {
  const std::string answer = Ask(w().alice, OperationLine(RegistryUrl(), "publish"));
  EXPECT_THAT(answer, HasSubstr("refuses publish"));
  EXPECT_THAT(answer, Not(HasSubstr(w().registry_token)));
}

TEST_F(TeamTest, AlicesPersonalTokenIsNeverServedToBobOrRootAndAForgedUidChangesNothing) {
  const std::string token = "personal-" + RandomToken();
  EXPECT_THAT(Ask(w().alice, LoginLine(kPersonalUrl, token)), HasSubstr("\"kind\":\"login\""));
  EXPECT_THAT(Ask(w().alice, GetRequestLine(kPersonalUrl, "personal")), HasSubstr(token));
  EXPECT_THAT(Ask(w().bob, GetRequestLine(kPersonalUrl, "personal")),
              HasSubstr("\"kind\":\"not-found\""));
  EXPECT_THAT(Ask("root", GetRequestLine(kPersonalUrl, "personal")),
              HasSubstr("\"kind\":\"not-found\""));
  // Whatever a request claims about who sends it is not read.
  const std::string forged =
      absl::StrCat(R"({"v":1,"uid":)", w().Uid(w().alice), R"(,"user":")", w().alice,
                   R"(","registry":{"index-url":")", kPersonalUrl, R"(","name":"personal","uid":)",
                   w().Uid(w().alice), R"(},"kind":"get","operation":"read","args":["--uid",")",
                   w().Uid(w().alice), "\"]}\n");
  EXPECT_THAT(Ask(w().bob, forged), Not(HasSubstr(token)));
  // `list` shows whose it is, never the token.
  SubprocessResult list = Admin({"list", "--json"});
  EXPECT_THAT(list.stdout_text, HasSubstr(absl::StrCat("\"owner_uid\":", w().Uid(w().alice))));
  EXPECT_THAT(list.stdout_text, Not(HasSubstr(token)));
}

TEST_F(TeamTest, ACallerThatGivesUpAndOneConnectingMeanwhileAreEachAuditedAsThemselves) {
  // alice gives up (killed) while the slow backend runs; bob connects
  // meanwhile, on a descriptor the daemon may reuse.
  std::thread alice([this] {
    As(w().alice, {w().bin + "/cargo-credential-credcache", "--cargo-plugin"},
       GetRequestLine(kSlowUrl, "slow"), {"--init-groups"}, {}, absl::Milliseconds(700));
  });
  absl::SleepFor(absl::Milliseconds(300));
  std::thread bob([this] {
    EXPECT_THAT(Ask(w().bob, GetRequestLine(kFastUrl, "fast")), HasSubstr("t-sparse"));
  });
  alice.join();
  bob.join();
  absl::SleepFor(absl::Seconds(4));  // The slow call ends, and is audited.
  bool alice_slow = false, bob_fast = false;
  for (const nlohmann::json& record : AuditRecords()) {
    const std::string registry = record.value("registry", "");
    const int64_t uid = record.value("uid", -1);
    if (registry == kSlowUrl) {
      EXPECT_EQ(uid, w().Uid(w().alice)) << record.dump();
      alice_slow = true;
    }
    if (registry == kFastUrl) {
      EXPECT_EQ(uid, w().Uid(w().bob)) << record.dump();
      bob_fast = true;
    }
  }
  EXPECT_TRUE(alice_slow);
  EXPECT_TRUE(bob_fast);
}

TEST_F(TeamTest, OneUserAtTheEntryCapDoesNotStopAnotherUsersRequests) {
  // entries_per_user = 3: alice's fourth registry is served, not cached.
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(
        Ask(w().alice, GetRequestLine(absl::StrCat("sparse+http://cap-a", i, "/index/"), "cap")),
        HasSubstr(w().registry_token));
  }
  EXPECT_THAT(Ask(w().bob, GetRequestLine("sparse+http://cap-b/index/", "cap")),
              HasSubstr(w().registry_token));
  SubprocessResult list = Admin({"list"});
  EXPECT_THAT(list.stdout_text, HasSubstr("cap-b"));
  EXPECT_THAT(list.stdout_text, Not(HasSubstr("cap-a3")));
}

TEST_F(TeamTest, TheShimAcceptsAnotherUsersDaemonOnlyWhenToldWhoseAndItIsExactlyThat) {
  SubprocessResult unnamed = As(
      w().alice, {w().bin + "/cargo-credential-credcache", "--cargo-plugin"},
      GetRequestLine(RegistryUrl(), "corp"), {"--init-groups"}, {{"CREDCACHE_SOCKET_OWNER", ""}});
  EXPECT_THAT(unnamed.stdout_text + unnamed.stderr_text, HasSubstr("CREDCACHE_SOCKET_OWNER"));
  EXPECT_THAT(unnamed.stdout_text, Not(HasSubstr(w().registry_token)));
  SubprocessResult wrong =
      As(w().alice, {w().bin + "/cargo-credential-credcache", "--cargo-plugin"},
         GetRequestLine(RegistryUrl(), "corp"), {"--init-groups"},
         {{"CREDCACHE_SOCKET_OWNER", w().bob}});
  // Refused: the socket's directory is not bob's, nor is the daemon.
  EXPECT_THAT(wrong.stdout_text, HasSubstr("\"kind\":\"other\""));
  EXPECT_THAT(wrong.stdout_text, HasSubstr(w().bob));
  EXPECT_THAT(wrong.stdout_text, Not(HasSubstr(w().registry_token)));
}

TEST_F(TeamTest, AlicesOwnDaemonPutsTheTeamDaemonBehindItsCache) {
  // Her own daemon (started on demand by her shim, as her) asks the team
  // daemon on a miss; the team daemon sees her uid, and decides by it.
  const std::string home = w().Home(w().alice);
  const std::string url = "sparse+http://cap-via-own/index/";
  WriteFile(
      home + "/config.toml",
      absl::StrCat("[[backend]]\nname = \"team\"\nkind = \"credcache\"\nsocket = \"", w().socket,
                   "\"\nowner = \"", w().service, "\"\nindex_urls = [\"sparse+http://cap-*\"]\n"));
  RunAsRoot({"chown", "-R", absl::StrCat(w().alice, ":"), home});
  const std::vector<std::pair<std::string, std::string>> own = {
      {"CREDCACHE_SOCKET", home + "/run/credcache.sock"},
      {"CREDCACHE_SOCKET_OWNER", ""},
      {"CREDCACHE_CONFIG", home + "/config.toml"}};
  SubprocessResult got = As(w().alice, {w().bin + "/cargo-credential-credcache", "--cargo-plugin"},
                            GetRequestLine(url, "cap"), {"--init-groups"}, own);
  EXPECT_THAT(AnswerLine(got), HasSubstr(w().registry_token)) << got.stderr_text;
  SubprocessResult stop =
      As(w().alice, {w().bin + "/cargo-credential-credcache", "stop"}, "", {"--init-groups"}, own);
  EXPECT_EQ(stop.exit_code, 0) << stop.stderr_text;
  bool audited = false;
  for (const nlohmann::json& record : AuditRecords()) {
    if (record.value("registry", "") != url) continue;
    EXPECT_EQ(record.value("uid", -1), w().Uid(w().alice)) << record.dump();
    audited = true;
  }
  EXPECT_TRUE(audited);
}

TEST_F(TeamTest, ASharedBackendSeesNeitherTheClientsRegistryNameNorItsArguments) {
  // Both could pick another of the service account's tokens than the one
  // the rules admit (`{NAME}`, `{args}`): the daemon drops them.
  const std::string line = absl::StrCat(
      R"({"v":1,"registry":{"index-url":")", kNamedUrl, R"(","name":"corp-publish"},"kind":"get",)",
      R"("operation":"read","args":["--profile","admin"]})", "\n");
  const std::string answer = Ask(w().alice, line);
  EXPECT_THAT(answer, HasSubstr("n--a--"));
  EXPECT_THAT(answer, Not(HasSubstr("corp-publish")));
  EXPECT_THAT(answer, Not(HasSubstr("admin")));
}

TEST_F(TeamTest, ALoginOrLogoutNeverWritesOrErasesTheTeamsSharedToken) {
  // named.example admits logins, but only a shared backend serves it.
  const std::string login = Ask(w().bob, LoginLine(kNamedUrl, "bobs-own-token"));
  EXPECT_THAT(login, HasSubstr("keeps no personal token"));
  const std::string logout =
      Ask(w().bob, absl::StrCat(R"({"v":1,"registry":{"index-url":")", kNamedUrl,
                                R"("},"kind":"logout","args":[]})", "\n"));
  EXPECT_THAT(logout, HasSubstr("keeps no personal token"));
  EXPECT_THAT(Ask(w().alice, GetRequestLine(kNamedUrl, "named")), HasSubstr("n--a--"));
}

// A journald for one test: the system's when one runs, else one started
// here (CI machines run no systemd) and removed, with what it made, after.
class Journal {
 public:
  Journal() {
    struct stat info;
    if (stat(kSocket, &info) == 0) return;  // The system's.
    if (access(kJournald, X_OK) != 0) {
      failure_ = "no systemd-journald on this machine";
      return;
    }
    for (const char* dir :
         {"/run/systemd", "/run/systemd/journal", "/run/log", "/run/log/journal"}) {
      if (stat(dir, &info) != 0) made_.push_back(dir);
    }
    SubprocessOptions options;
    options.argv = {kJournald};
    options.stdin_mode = SubprocessOptions::Stdio::kNull;
    options.stdout_mode = SubprocessOptions::Stdio::kNull;
    options.stderr_mode = SubprocessOptions::Stdio::kNull;
    options.new_process_group = true;
    absl::StatusOr<std::unique_ptr<cargo_credential::Subprocess>> started =
        cargo_credential::Subprocess::Start(options);
    if (!started.ok()) {
      failure_ = std::string(started.status().message());
      return;
    }
    journald_ = *std::move(started);
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (stat(kSocket, &info) != 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    if (stat(kSocket, &info) != 0) failure_ = "systemd-journald did not start";
  }
  ~Journal() {
    journald_.reset();  // Kills it.
    for (auto it = made_.rbegin(); it != made_.rend(); ++it) RunAsRoot({"rm", "-rf", *it});
  }
  const std::string& failure() const { return failure_; }

 private:
  static constexpr char kSocket[] = "/run/systemd/journal/socket";
  static constexpr char kJournald[] = "/lib/systemd/systemd-journald";
  std::unique_ptr<cargo_credential::Subprocess> journald_;
  std::vector<std::string> made_;
  std::string failure_;
};

TEST_F(TeamTest, UnderSystemdTheAuditGoesToTheJournalAsStructuredFields) {
  Journal journal;
  if (!journal.failure().empty()) GTEST_SKIP() << journal.failure();
  // A second team daemon, run as systemd runs a service (INVOCATION_ID).
  const std::string run = w().root + "/run-journal";
  mkdir(run.c_str(), 0750);
  ASSERT_EQ(chown(run.c_str(), w().Uid(w().service), getgrnam(w().group.c_str())->gr_gid), 0);
  const std::string socket = run + "/team.sock";
  const std::string config = w().service_dir + "/journal.toml";
  WriteFile(config, TeamConfig(w(), socket, w().service_dir + "/unused-audit.log"));
  RunAsRoot({"chown", absl::StrCat(w().service, ":"), config});
  const std::string invocation = "credcache" + w().suffix;
  absl::StatusOr<std::unique_ptr<cargo_credential::Subprocess>> daemon = StartTeamDaemon(
      w(), config, socket, w().root + "/journal-daemon.log", {{"INVOCATION_ID", invocation}});
  ASSERT_TRUE(daemon.ok()) << daemon.status();

  const std::string url = "sparse+http://cap-journal/index/";
  SubprocessResult asked =
      As(w().alice, {w().bin + "/cargo-credential-credcache", "--cargo-plugin"},
         GetRequestLine(url, "cap"), {"--init-groups"}, {{"CREDCACHE_SOCKET", socket}});
  EXPECT_THAT(AnswerLine(asked), HasSubstr(w().registry_token)) << asked.stderr_text;

  // journald may take a moment to make it readable.
  std::string found;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (found.find(url) == std::string::npos && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    found =
        RunAsRoot({"journalctl", "--no-pager", "-o", "export", "SYSLOG_IDENTIFIER=credcached-audit",
                   absl::StrCat("CREDCACHE_UID=", w().Uid(w().alice))})
            .stdout_text;
  }
  EXPECT_THAT(found, HasSubstr(absl::StrCat("CREDCACHE_REGISTRY=", url)));
  EXPECT_THAT(found, HasSubstr("CREDCACHE_DECISION=allow"));
  EXPECT_THAT(found, HasSubstr("CREDCACHE_TOKEN_HMAC="));
  EXPECT_THAT(found, Not(HasSubstr(w().registry_token)));
  // The file is not used under systemd.
  struct stat info;
  EXPECT_NE(stat((w().service_dir + "/unused-audit.log").c_str(), &info), 0);
  SubprocessResult status = As("root", {w().bin + "/cargo-credential-credcache", "status"}, "",
                               {"--init-groups"}, {{"CREDCACHE_SOCKET", socket}});
  EXPECT_THAT(status.stdout_text, HasSubstr("audit to journal"));
}

TEST_F(TeamTest, OnlyAdminsMayUseTheAdminCommands) {
  for (const char* command : {"list", "stats", "flush", "audit"}) {
    SubprocessResult refused = As(w().alice, {w().bin + "/cargo-credential-credcache", command});
    EXPECT_NE(refused.exit_code, 0) << command;
    EXPECT_THAT(refused.stderr_text, HasSubstr("team daemon is for its account")) << command;
  }
}

TEST_F(TeamTest, TheAuditHoldsEveryDecisionAndNoToken) {
  const std::vector<nlohmann::json> records = AuditRecords();
  ASSERT_FALSE(records.empty());
  bool allowed = false, denied_rule = false, personal = false;
  for (const nlohmann::json& record : records) {
    for (const char* key : {"time", "uid", "user", "groups", "pid", "registry", "operation", "rule",
                            "decision", "outcome", "latency_ms"}) {
      EXPECT_TRUE(record.contains(key)) << key << " in " << record.dump();
    }
    if (record.value("decision", "") == "allow" && record.value("outcome", "") != "error" &&
        record.value("operation", "") == "read" && record.value("scope", "") == "shared") {
      allowed = true;
      EXPECT_TRUE(record.contains("token_hmac")) << record.dump();
    }
    if (record.value("decision", "") == "deny" && record.value("rule", "") == "no rule") {
      denied_rule = true;
    }
    if (record.value("scope", "") == "personal") personal = true;
  }
  EXPECT_TRUE(allowed);
  EXPECT_TRUE(denied_rule);
  EXPECT_TRUE(personal);
  // No token anywhere in the audit, plain or in base64.
  const std::string file = ReadFile(w().audit_file);
  const std::string log = ReadFile(w().root + "/daemon.log");
  for (const std::string& where : {file, log}) {
    EXPECT_FALSE(where.empty());
    EXPECT_THAT(where, Not(HasSubstr(w().registry_token)));
    EXPECT_THAT(where, Not(HasSubstr(absl::Base64Escape(w().registry_token))));
    EXPECT_THAT(where, Not(HasSubstr("personal-")));
  }
  struct stat info;
  ASSERT_EQ(stat(w().audit_file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(info.st_uid, w().Uid(w().service));
}

}  // namespace
}  // namespace credcache_testing
