// The admin command line (cargo-credential-credcache without --cargo-plugin)
// end to end, on a private daemon: what each command takes and refuses,
// help and version, --json on success and failure, forget, import (its
// reasons, its index URLs against the real cargo's, its advice), the
// CREDCACHE_* switches, and list's table. Issue 13 reported each of these.
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "shim/import.h"
#include "tests/support/cargo_sandbox.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::SubprocessResult;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kShim[] = "cargo-credential-credcache";
constexpr char kUrl[] = "sparse+http://127.0.0.1:9/index/";

// Every admin command, as its table names it.
const std::vector<std::string>& Commands() {
  static const std::vector<std::string>* const kCommands = new std::vector<std::string>{
      "status", "list",  "forget", "flush",           "stats",
      "reload", "stop",  "audit",  "install-service", "uninstall-service",
      "import", "doctor"};
  return *kCommands;
}

// How many times `part` occurs in `text`.
int Occurrences(const std::string& text, const std::string& part) {
  int count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

// The one JSON object `result` printed: stdout must hold exactly one line,
// an object.
nlohmann::json OneObject(const SubprocessResult& result) {
  EXPECT_EQ(std::count(result.stdout_text.begin(), result.stdout_text.end(), '\n'), 1)
      << "stdout: " << result.stdout_text << "\nstderr: " << result.stderr_text;
  const nlohmann::json json = nlohmann::json::parse(result.stdout_text, nullptr, false);
  EXPECT_TRUE(json.is_object()) << "stdout: " << result.stdout_text;
  return json.is_object() ? json : nlohmann::json::object();
}

class AdminCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = RandomToken();
    token_file_ = env_.root() + "/registry-token";
    WriteFile(token_file_, token_);
    cargo_home_ = env_.root() + "/cargo-home";
    mkdir(cargo_home_.c_str(), 0700);
  }

  // A `command` backend that serves `token_` to every registry.
  std::string ServingBackend() const {
    return absl::StrCat(
        "[[backend]]\nname = \"served\"\nkind = \"command\"\nindex_urls = [\"*\"]\n"
        "command = [\"cat\", \"",
        token_file_, "\"]\n");
  }

  // A get through the shim, as cargo makes it; returns the answer line.
  std::string Get(const std::string& url = kUrl,
                  std::vector<std::pair<std::string, std::string>> extra_env = {}) {
    return AnswerLine(env_.Shim({"--cargo-plugin"}, GetRequestLine(url), std::move(extra_env)));
  }

  SubprocessResult Admin(const std::vector<std::string>& args,
                         std::vector<std::pair<std::string, std::string>> extra_env = {}) {
    return env_.Shim(args, "", std::move(extra_env));
  }

  // The shim run in the working directory `cwd`.
  SubprocessResult AdminIn(const std::string& cwd, const std::vector<std::string>& args) {
    return env_.Shim(args, "", {}, cwd);
  }

  // credentials.toml (private, as cargo keeps it) and config.toml.
  void WriteCargoFiles(const std::string& credentials, const std::string& config) {
    WriteFile(cargo_home_ + "/credentials.toml", credentials, 0600);
    WriteFile(cargo_home_ + "/config.toml", config, 0644);
  }

  DaemonEnv env_;
  std::string token_;
  std::string token_file_;
  std::string cargo_home_;
};

// 1. Options meant for other commands were taken and ignored.
TEST_F(AdminCliTest, EachCommandRefusesTheOptionsOfOthers) {
  env_.WriteConfig(ServingBackend());
  ASSERT_THAT(Get(), HasSubstr(token_));
  const std::vector<std::pair<std::vector<std::string>, std::string>> kCases = {
      {{"status", "--bindir", "/x"}, "`--bindir` is not an option of `status`"},
      {{"flush", "--remove"}, "`--remove` is not an option of `flush`"},
      {{"list", "--backend", "file"}, "`--backend` is not an option of `list`"},
      {{"--backend=file", "list"}, "`--backend` is not an option of `list`"},
      {{"forget", "myreg", "--count", "5"}, "`--count` is not an option of `forget`"},
      {{"stop", "--cargo-home", "/x"}, "`--cargo-home` is not an option of `stop`"},
      {{"import", "--team"}, "`--team` is not an option of `import`"},
      {{"install-service", "--socket", "/x"}, "`--socket` is not an option of `install-service`"},
      {{"install-service", "--account", "a"}, "`--account` goes with `--team`"},
      {{"status", "--socket", env_.socket(), "--socket", env_.socket()},
       "`--socket` is given twice"},
  };
  for (const auto& [args, why] : kCases) {
    SubprocessResult refused = Admin(args);
    EXPECT_EQ(refused.exit_code, 2) << args[0];
    EXPECT_THAT(refused.stderr_text, HasSubstr(why));
    EXPECT_THAT(refused.stderr_text, HasSubstr("usage: cargo-credential-credcache "))
        << "the command's help follows";
    EXPECT_EQ(refused.stdout_text, "") << args[0];
  }
  // Nothing was done: `flush --remove` flushed nothing, `stop ...` stopped nothing.
  EXPECT_TRUE(env_.DaemonRunning());
  EXPECT_EQ(OneObject(Admin({"list", "--json"}))["entries"].size(), 1u);
}

// 2. `COMMAND --help` printed the global help.
TEST_F(AdminCliTest, EveryCommandHasHelpOfItsOwn) {
  const std::string usage = Admin({"--help"}).stdout_text;
  for (const std::string& command : Commands()) {
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {command, "--help"}, {command, "-h"}, {"help", command}}) {
      SubprocessResult help = Admin(args);
      EXPECT_EQ(help.exit_code, 0) << args[0] << " " << args[1];
      EXPECT_THAT(help.stdout_text, StartsWith(absl::StrCat("usage: ", kShim, " ", command)));
      EXPECT_THAT(help.stdout_text, HasSubstr("\noptions:\n"));
      EXPECT_THAT(help.stdout_text, Not(HasSubstr("COMMAND [ARGUMENTS]"))) << "not the global help";
      EXPECT_EQ(help.stderr_text, "");
      // Its one-line description is the one the global usage shows.
      const std::vector<std::string> lines = absl::StrSplit(help.stdout_text, '\n');
      ASSERT_GE(lines.size(), 3u);
      EXPECT_THAT(usage, HasSubstr(lines[2])) << command;
    }
  }
  SubprocessResult list = Admin({"list", "--help"});
  EXPECT_THAT(list.stdout_text, HasSubstr("cached tokens: registry, backend, time left"));
  EXPECT_THAT(list.stdout_text, HasSubstr("--json"));
  EXPECT_THAT(list.stdout_text, Not(HasSubstr("--bindir")));
  EXPECT_FALSE(env_.DaemonRunning());
}

// 3. `-V` and `version` were refused.
TEST_F(AdminCliTest, TheVersionAnswersToEachSpelling) {
  const SubprocessResult reference = Admin({"--version"});
  EXPECT_EQ(reference.exit_code, 0);
  EXPECT_THAT(reference.stdout_text, StartsWith(absl::StrCat(kShim, " ")));
  for (const char* spelling : {"-V", "version"}) {
    SubprocessResult version = Admin({spelling});
    EXPECT_EQ(version.exit_code, 0) << spelling;
    EXPECT_EQ(version.stdout_text, reference.stdout_text) << spelling;
  }
  const nlohmann::json json = OneObject(Admin({"version", "--json"}));
  EXPECT_EQ(json["ok"], true);
  EXPECT_EQ(absl::StrCat(kShim, " ", json["version"].get<std::string>(), "\n"),
            reference.stdout_text);
}

// 4. `--socket=/x` was refused.
TEST_F(AdminCliTest, AnOptionsValueMayFollowAnEqualsSign) {
  env_.WriteConfig(ServingBackend());
  ASSERT_THAT(Get(), HasSubstr(token_));
  // The socket comes from the option, not from the environment.
  SubprocessResult status = Admin({"status", "--socket=" + env_.socket(), "--json"},
                                  {{"CREDCACHE_SOCKET", env_.root() + "/run/elsewhere.sock"}});
  EXPECT_EQ(status.exit_code, 0) << status.stderr_text;
  EXPECT_EQ(OneObject(status)["running"], true);
  SubprocessResult count = Admin({"audit", "--count=0"});
  EXPECT_EQ(count.exit_code, 2) << "the value reached the command";
  EXPECT_THAT(count.stderr_text, HasSubstr("--count must be a positive number, not `0`"));
  SubprocessResult flag = Admin({"status", "--json=yes"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_THAT(flag.stderr_text, HasSubstr("`--json` is a switch: it takes no value"));
}

// 5. `forget` of what was not cached said "forgot 0" and succeeded.
TEST_F(AdminCliTest, ForgettingWhatIsNotCachedFailsAndSaysWhereToLook) {
  env_.WriteConfig(ServingBackend());
  ASSERT_THAT(Get(), HasSubstr(token_));
  SubprocessResult typo = Admin({"forget", "myregg"});
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_EQ(typo.stdout_text, "");
  EXPECT_THAT(typo.stderr_text, HasSubstr("nothing was cached for myregg"));
  EXPECT_THAT(typo.stderr_text,
              HasSubstr("`cargo-credential-credcache list` shows what is cached"));
  SubprocessResult typo_json = Admin({"forget", "myregg", "--json"});
  EXPECT_EQ(typo_json.exit_code, 1);
  const nlohmann::json json = OneObject(typo_json);
  EXPECT_EQ(json["ok"], false);
  EXPECT_EQ(json["removed"], 0);
  EXPECT_THAT(json["error"].get<std::string>(), HasSubstr("nothing was cached for myregg"));
  EXPECT_THAT(json["hint"].get<std::string>(), HasSubstr("list"));

  SubprocessResult forgot = Admin({"forget", "myreg"});
  EXPECT_EQ(forgot.exit_code, 0);
  EXPECT_THAT(forgot.stdout_text, HasSubstr("forgot 1 cached token(s) for myreg"));
  ASSERT_THAT(Get(), HasSubstr(token_));
  const nlohmann::json forgot_json = OneObject(Admin({"forget", kUrl, "--json"}));
  EXPECT_EQ(forgot_json["ok"], true);
  EXPECT_EQ(forgot_json["removed"], 1);
}

// Through an etcd tier, forgetting an index URL reaches every machine's
// copy, so it did something even when this daemon had nothing cached.
TEST_F(AdminCliTest, ForgettingAnIndexUrlThroughAnEtcdTierSucceedsWithNothingCachedHere) {
  EtcdClusterOptions options;
  options.members = 1;
  absl::StatusOr<std::unique_ptr<EtcdCluster>> cluster = EtcdCluster::Start(options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string key = RandomToken() + RandomToken();
  WriteFile(env_.root() + "/team.key",
            absl::StrCat("k1 ", absl::Base64Escape(key.substr(0, 32)), "\n"));
  env_.WriteConfig(absl::StrCat(ServingBackend(), "[etcd]\nendpoints = [\"",
                                (*cluster)->endpoints()[0], "\"]\nprefix = \"/credcache/test/\"\n",
                                "team_key_file = \"", env_.root(), "/team.key\"\n"));
  ASSERT_THAT(Get(), HasSubstr(token_));
  SubprocessResult elsewhere = Admin({"forget", "sparse+http://elsewhere.example/index/"});
  EXPECT_EQ(elsewhere.exit_code, 0) << elsewhere.stderr_text;
  EXPECT_THAT(elsewhere.stdout_text,
              HasSubstr("nothing was cached here for sparse+http://elsewhere.example/index/; the "
                        "etcd tier forgets it on every machine"));
  EXPECT_EQ(OneObject(Admin({"forget", "sparse+http://elsewhere.example/index/", "--json"})),
            nlohmann::json({{"ok", true}, {"removed", 0}, {"etcd", true}}));
  // The tier keys tokens by index URL: a name it cannot forget elsewhere.
  EXPECT_EQ(Admin({"forget", "elsewhere"}).exit_code, 1);
}

// 6. Only `status --json` answered in JSON when it failed.
TEST_F(AdminCliTest, WithJsonEveryDaemonCommandPrintsOneObjectWhenNoDaemonRuns) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"status"},
                                             {"list"},
                                             {"forget", "myreg"},
                                             {"flush"},
                                             {"stats"},
                                             {"reload"},
                                             {"audit"}}) {
    std::vector<std::string> with_json = args;
    with_json.push_back("--json");
    SubprocessResult result = Admin(with_json);
    EXPECT_EQ(result.exit_code, 1) << args[0];
    const nlohmann::json json = OneObject(result);
    EXPECT_EQ(json["ok"], false) << args[0];
    EXPECT_EQ(json["running"], false) << args[0];
    EXPECT_EQ(json["socket"], env_.socket()) << args[0];
    EXPECT_THAT(json["error"].get<std::string>(), HasSubstr("no credcached is running"));
    EXPECT_FALSE(json["hint"].get<std::string>().empty());
    EXPECT_THAT(result.stderr_text, HasSubstr("no credcached is running")) << "for people";
  }
  // Nothing to stop is what `stop` is for.
  SubprocessResult stop = Admin({"stop", "--json"});
  EXPECT_EQ(stop.exit_code, 0);
  EXPECT_EQ(
      OneObject(stop),
      nlohmann::json(
          {{"ok", true}, {"running", false}, {"socket", env_.socket()}, {"stopping", false}}));
  // A command line that is refused answers in JSON too.
  SubprocessResult usage = Admin({"list", "--json", "--nope"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_EQ(OneObject(usage)["error"], "unknown option `--nope`");
  EXPECT_FALSE(env_.DaemonRunning());
}

TEST_F(AdminCliTest, WithJsonEveryDaemonCommandPrintsOneObjectOnSuccessAndRefusal) {
  env_.WriteConfig(ServingBackend());
  ASSERT_THAT(Get(), HasSubstr(token_));
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"status"}, {"list"}, {"stats"}, {"reload"}, {"flush"}}) {
    std::vector<std::string> with_json = args;
    with_json.push_back("--json");
    SubprocessResult result = Admin(with_json);
    EXPECT_EQ(result.exit_code, 0) << args[0] << ": " << result.stderr_text;
    EXPECT_EQ(OneObject(result)["ok"], true) << args[0];
  }
  // A config the daemon refuses.
  env_.WriteConfig("[[backend]]\nkind = \"nonsense\"\n");
  SubprocessResult reload = Admin({"reload", "--json"});
  EXPECT_EQ(reload.exit_code, 1);
  const nlohmann::json refused = OneObject(reload);
  EXPECT_EQ(refused["ok"], false);
  EXPECT_THAT(refused["error"].get<std::string>(), HasSubstr("credcached refused the new config"));
  EXPECT_THAT(reload.stderr_text, HasSubstr("credcached refused the new config"));

  SubprocessResult stop = Admin({"stop", "--json"});
  EXPECT_EQ(stop.exit_code, 0);
  EXPECT_EQ(OneObject(stop), nlohmann::json({{"ok", true}, {"stopping", true}}));
}

TEST_F(AdminCliTest, WithJsonInstallServiceSaysHowItEndedAndPrintsTheRestOnStderr) {
  const std::string root = env_.root() + "/install";
  SubprocessResult install = Admin({"install-service", "--json", "--no-enable", "--bindir",
                                    root + "/bin", "--unitdir", root + "/units"});
  EXPECT_EQ(install.exit_code, 0) << install.stderr_text;
  const nlohmann::json installed = OneObject(install);
  EXPECT_EQ(installed["ok"], true);
  EXPECT_THAT(installed["output"].get<std::string>(), HasSubstr(root + "/units/credcached.socket"));
  EXPECT_THAT(install.stderr_text, HasSubstr(root + "/units/credcached.socket"));
  EXPECT_FALSE(ReadFile(root + "/units/credcached.socket").empty());

  SubprocessResult uninstall =
      Admin({"uninstall-service", "--json", "--no-enable", "--unitdir", root + "/units"});
  EXPECT_EQ(uninstall.exit_code, 0) << uninstall.stderr_text;
  EXPECT_THAT(OneObject(uninstall)["output"].get<std::string>(),
              HasSubstr("removed 2 unit file(s)"));

  // A bin directory that cannot be made.
  SubprocessResult failed = Admin({"install-service", "--json", "--no-enable", "--bindir",
                                   token_file_ + "/bin", "--unitdir", root + "/units"});
  EXPECT_EQ(failed.exit_code, 1);
  const nlohmann::json json = OneObject(failed);
  EXPECT_EQ(json["ok"], false);
  EXPECT_EQ(json["exit_code"], 1);
  EXPECT_THAT(json["error"].get<std::string>(), HasSubstr(token_file_));
}

// 7. import: an empty reason for a backend that stores nothing, one error
// line per registry.
TEST_F(AdminCliTest, ImportSaysEachReasonOnceWithTheRegistriesItHit) {
  env_.WriteConfig(
      "[[backend]]\nname = \"ro\"\nkind = \"env\"\nvariable = \"CREDCACHE_TEST_UNSET\"\n"
      "index_urls = [\"*\"]\n"
      "[[backend]]\nname = \"file\"\nkind = \"file\"\n");
  WriteCargoFiles(
      "[registries.a]\ntoken = \"ta\"\n[registries.b]\ntoken = \"tb\"\n"
      "[registries.c]\ntoken = \"tc\"\n",
      "[registries.a]\nindex = \"sparse+https://a.example/index/\"\n"
      "[registries.b]\nindex = \"sparse+https://b.example/index/\"\n"
      "[registries.c]\nindex = \"sparse+https://c.example/index/\"\n");

  SubprocessResult read_only = Admin({"import", "--cargo-home", cargo_home_, "--backend", "ro"});
  EXPECT_EQ(read_only.exit_code, 1);
  EXPECT_THAT(read_only.stderr_text,
              HasSubstr("failed for 3 registries (a, b, c): backend `ro` does not store tokens"));
  EXPECT_EQ(Occurrences(read_only.stderr_text, "does not store tokens"), 1)
      << read_only.stderr_text;
  EXPECT_THAT(read_only.stderr_text, HasSubstr("hint: `cargo-credential-credcache status` lists"));

  SubprocessResult no_such = Admin({"import", "--cargo-home", cargo_home_, "--backend", "nope"});
  EXPECT_EQ(no_such.exit_code, 1);
  EXPECT_EQ(Occurrences(no_such.stderr_text, "no backend named `nope`"), 1) << no_such.stderr_text;
  EXPECT_THAT(no_such.stderr_text, HasSubstr("failed for 3 registries (a, b, c)"));

  const nlohmann::json json =
      OneObject(Admin({"import", "--cargo-home", cargo_home_, "--backend", "ro", "--json"}));
  EXPECT_EQ(json["ok"], false);
  ASSERT_EQ(json["failed"].size(), 1u);
  EXPECT_EQ(json["failed"][0]["registries"].size(), 3u);
  EXPECT_THAT(json["failed"][0]["error"].get<std::string>(), HasSubstr("does not store tokens"));
  EXPECT_EQ(json["error"], "3 of 3 registries were not imported");

  // A daemon that cannot be reached is found once, not once per registry.
  env_.StopDaemon();
  SubprocessResult unreachable =
      Admin({"import", "--cargo-home", cargo_home_}, {{"CREDCACHE_NO_SPAWN", "1"}});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_EQ(Occurrences(unreachable.stderr_text, "not reachable"), 1) << unreachable.stderr_text;
  EXPECT_THAT(unreachable.stderr_text, HasSubstr("failed for 3 registries (a, b, c)"));
  EXPECT_FALSE(env_.DaemonRunning());
}

// 7. import kept `[::ffff:127.0.0.1]`'s token under a key cargo never asks
// for.
TEST_F(AdminCliTest, ImportKeepsTokensUnderTheIndexCargoAsksFor) {
  env_.WriteConfig("[[backend]]\nname = \"file\"\nkind = \"file\"\n");
  WriteCargoFiles(absl::StrCat("[registries.v6]\ntoken = \"", token_,
                               "\"\n[registries.loose]\ntoken = \"x\"\n"),
                  "[registries.v6]\nindex = \"sparse+http://[::ffff:127.0.0.1]:9/index/\"\n"
                  "[registries.loose]\nindex = \"sparse+https://example.com/index\"\n");
  SubprocessResult imported = Admin({"import", "--cargo-home", cargo_home_, "--json"});
  EXPECT_EQ(imported.exit_code, 1) << "one registry was skipped";
  const nlohmann::json json = OneObject(imported);
  ASSERT_EQ(json["imported"].size(), 1u) << imported.stdout_text;
  EXPECT_EQ(json["imported"][0]["index_url"], "sparse+http://[::ffff:7f00:1]:9/index/");
  ASSERT_EQ(json["skipped"].size(), 1u);
  EXPECT_EQ(json["skipped"][0]["name"], "loose");
  EXPECT_THAT(json["skipped"][0]["reason"].get<std::string>(), HasSubstr("must end in a slash"));
  EXPECT_THAT(imported.stdout_text, Not(HasSubstr("imported v6"))) << "no text on stdout";
  EXPECT_THAT(imported.stderr_text, HasSubstr("skipped loose: ")) << "what went wrong, on stderr";
  EXPECT_THAT(imported.stdout_text, Not(HasSubstr(token_)));
  // What cargo asks for, credcache has.
  EXPECT_THAT(Get("sparse+http://[::ffff:7f00:1]:9/index/"), HasSubstr(token_));
}

// The rules CargoIndexUrl follows, checked against the real cargo: each
// spelling is configured as a registry's index, and a provider that
// records its requests sees what cargo makes of it.
TEST_F(AdminCliTest, ImportSpellsIndexesAsTheRealCargoDoes) {
  CargoSandbox cargo;
  absl::StatusOr<SubprocessResult> runs = cargo.Cargo({"--version"}, cargo.root());
  ASSERT_TRUE(runs.ok() && runs->exit_code == 0)
      << "no cargo to compare with (./test.sh passes CREDCACHE_TEST_CARGO): "
      << (runs.ok() ? runs->stderr_text : runs.status().ToString());
  const std::string log = cargo.root() + "/requests";
  const std::string provider = cargo.root() + "/recording-provider";
  WriteFile(provider,
            absl::StrCat("#!/bin/sh\necho '{\"v\":[1]}'\nread request\necho \"$request\" >> ", log,
                         "\necho '{\"Ok\":{\"kind\":\"logout\"}}'\nread end\nexit 0\n"),
            0700);
  for (const char* index : {
           "sparse+http://[::ffff:127.0.0.1]:8080/index/",
           "sparse+HTTPS://Example.COM:0443/a/../Index/",
           "sparse+https://[1:0:0:2:0:0:0:3]/x/",
           "https://EXAMPLE.com",
           "HTTPS://Exa%4Dple.com:443/a/./b/../c",
           "http://127.1:80/x",
           "https://0x7f.0.0.1/x/",
           "http://[0:0:0:0:0:0:0:1]:8080/",
           "https://example.com/a b/{c}",
           "sparse+https://example.com/index",
           "https://1.2.3.4.5/x",
       }) {
    unlink(log.c_str());
    cargo.WriteConfig(absl::StrCat("[registries.r]\nindex = '", index,
                                   "'\ncredential-provider = [\"", provider, "\"]\n"));
    absl::StatusOr<SubprocessResult> logout =
        cargo.Cargo({"logout", "--registry", "r"}, cargo.root());
    ASSERT_TRUE(logout.ok()) << logout.status();
    const absl::StatusOr<std::string> ours = credcache::CargoIndexUrl(index);
    if (logout->exit_code != 0) {
      EXPECT_THAT(logout->stderr_text, HasSubstr("url")) << "cargo refused the index itself";
      EXPECT_FALSE(ours.ok()) << index << ": cargo refused it (" << logout->stderr_text
                              << ") but import would use " << *ours;
      continue;
    }
    const nlohmann::json request = nlohmann::json::parse(ReadFile(log), nullptr, false);
    ASSERT_TRUE(request.is_object()) << index << ": " << logout->stderr_text;
    ASSERT_TRUE(ours.ok()) << index << ": " << ours.status();
    EXPECT_EQ(*ours, request["registry"]["index-url"].get<std::string>()) << index;
  }
}

// 7. import always said "Tell cargo to ask credcache".
TEST_F(AdminCliTest, ImportSaysHowToSetUpCargoOnlyWhenCargoDoesNotAskCredcache) {
  env_.WriteConfig("[[backend]]\nname = \"file\"\nkind = \"file\"\n");
  const std::string credentials = "[registries.myreg]\ntoken = \"t\"\n";
  const std::string index = absl::StrCat("[registries.myreg]\nindex = \"", kUrl, "\"\n");
  WriteCargoFiles(credentials, index);
  SubprocessResult unset = Admin({"import", "--cargo-home", cargo_home_});
  EXPECT_EQ(unset.exit_code, 0) << unset.stderr_text;
  EXPECT_THAT(unset.stdout_text, HasSubstr("Tell cargo to ask credcache"));
  EXPECT_EQ(
      OneObject(Admin({"import", "--cargo-home", cargo_home_, "--json"}))["cargo_asks_credcache"],
      false);

  WriteCargoFiles(credentials, absl::StrCat(index, "[registry]\nglobal-credential-providers = [\"",
                                            DaemonEnv::ShimPath(), "\"]\n"));
  SubprocessResult set = Admin({"import", "--cargo-home", cargo_home_});
  EXPECT_EQ(set.exit_code, 0) << set.stderr_text;
  EXPECT_THAT(set.stdout_text, Not(HasSubstr("Tell cargo to ask credcache")));
  EXPECT_THAT(set.stdout_text, HasSubstr("cargo already asks credcache"));
  EXPECT_EQ(
      OneObject(Admin({"import", "--cargo-home", cargo_home_, "--json"}))["cargo_asks_credcache"],
      true);

  // A registry's own provider is the one cargo asks: it must change too.
  WriteCargoFiles(credentials, absl::StrCat(index, "credential-provider = \"cargo:token\"\n",
                                            "[registry]\nglobal-credential-providers = [\"",
                                            DaemonEnv::ShimPath(), "\"]\n"));
  SubprocessResult own = Admin({"import", "--cargo-home", cargo_home_});
  EXPECT_THAT(own.stdout_text, HasSubstr("change the `credential-provider` of myreg"));
}

// 8. CREDCACHE_NO_SPAWN=true was taken as "spawn".
TEST_F(AdminCliTest, SwitchVariablesTakeTheUsualWordsAndRefuseOthers) {
  env_.WriteConfig(ServingBackend());
  for (const char* yes : {"true", "Yes", "ON", "1"}) {
    const std::string answer = Get(kUrl, {{"CREDCACHE_NO_SPAWN", yes}});
    EXPECT_THAT(answer, HasSubstr("credcached is not reachable")) << yes;
    EXPECT_FALSE(env_.DaemonRunning()) << yes;
  }
  const std::string refused = Get(kUrl, {{"CREDCACHE_NO_SPAWN", "maybe"}});
  EXPECT_THAT(refused, HasSubstr(R"("kind":"other")"));
  EXPECT_THAT(refused, HasSubstr("CREDCACHE_NO_SPAWN=maybe: takes 1, true, yes or on"));
  EXPECT_FALSE(env_.DaemonRunning());
  SubprocessResult import =
      Admin({"import", "--cargo-home", cargo_home_}, {{"CREDCACHE_NO_SPAWN", "maybe"}});
  EXPECT_EQ(import.exit_code, 1);
  EXPECT_THAT(import.stderr_text, HasSubstr("CREDCACHE_NO_SPAWN=maybe"));
  EXPECT_THAT(Get(kUrl, {{"CREDCACHE_IDLE_EXIT", "soon"}}),
              HasSubstr("CREDCACHE_IDLE_EXIT=soon: takes a duration such as 15m"));
  EXPECT_FALSE(env_.DaemonRunning());

  // A bare number is seconds to the shim as to credcached's --idle-exit.
  EXPECT_THAT(Get(kUrl, {{"CREDCACHE_NO_SPAWN", "off"}, {"CREDCACHE_IDLE_EXIT", "900"}}),
              HasSubstr(token_));
  EXPECT_TRUE(env_.DaemonRunning());
  EXPECT_EQ(OneObject(Admin({"status", "--json"}))["idle_exit_seconds"], 900);
}

// 9. A long index URL broke list's columns.
TEST_F(AdminCliTest, ListKeepsItsColumnsWhateverTheRegistrysLength) {
  env_.WriteConfig(ServingBackend());
  const std::string long_url = absl::StrCat("sparse+https://", std::string(60, 'r'),
                                            ".example.com/a/long/path/to/the/index/");
  ASSERT_THAT(Get(kUrl), HasSubstr(token_));
  ASSERT_THAT(Get(long_url), HasSubstr(token_));
  SubprocessResult list = Admin({"list"});
  ASSERT_EQ(list.exit_code, 0) << list.stderr_text;
  const std::vector<std::string> lines = absl::StrSplit(list.stdout_text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << list.stdout_text;  // Header, short row, long URL, its row.
  const size_t name = lines[0].find("NAME");
  const size_t backend = lines[0].find("BACKEND");
  ASSERT_NE(name, std::string::npos);
  const auto row_of = [&](const std::string& url) {
    for (size_t i = 1; i < lines.size(); ++i) {
      if (absl::StartsWith(lines[i], url)) return i;
    }
    return size_t{0};
  };
  const size_t short_row = row_of(kUrl);
  const size_t long_row = row_of(long_url);
  ASSERT_NE(short_row, 0u) << list.stdout_text;
  ASSERT_NE(long_row, 0u) << list.stdout_text;
  EXPECT_EQ(lines[short_row].find("myreg"), name) << list.stdout_text;
  EXPECT_EQ(lines[short_row].find("served"), backend) << list.stdout_text;
  EXPECT_EQ(lines[long_row], long_url) << "the long registry has a line of its own";
  ASSERT_LT(long_row + 1, lines.size());
  EXPECT_EQ(lines[long_row + 1].find_first_not_of(' '), name) << list.stdout_text;
  EXPECT_EQ(lines[long_row + 1].find("served"), backend) << list.stdout_text;
}

// Issue 13: status did not say where the log goes, when an on-demand
// daemon exits, or how it was started; stats could not be reset.
TEST_F(AdminCliTest, StatusSaysWhereTheLogIsAndWhenTheDaemonExits) {
  env_.WriteConfig(absl::StrCat("[[backend]]\nname = \"store\"\nkind = \"file\"\npath = \"",
                                env_.root(), "/tokens.toml\"\n"));
  ASSERT_THAT(Get(), HasSubstr("not-found"));
  const nlohmann::json json = OneObject(Admin({"status", "--json"}));
  EXPECT_EQ(json["log"], env_.root() + "/state/credcache/credcached.log");
  EXPECT_EQ(json["socket_activated"], false);
  EXPECT_EQ(json["on_demand"], true);
  EXPECT_EQ(json["idle_exit_seconds"], 15 * 60);
  EXPECT_EQ(json["backends"][0]["store"], env_.root() + "/tokens.toml");
  const SubprocessResult text = Admin({"status"});
  EXPECT_THAT(text.stdout_text, HasSubstr("started on demand"));
  EXPECT_THAT(text.stdout_text,
              HasSubstr(absl::StrCat("log:     ", env_.root(), "/state/credcache/credcached.log")));
  EXPECT_THAT(text.stdout_text, HasSubstr("exits:   after 15m with no request"));
  EXPECT_THAT(text.stdout_text, HasSubstr(env_.root() + "/tokens.toml"));
}

TEST_F(AdminCliTest, StatsResetAnswersTheCountsThenStartsFromZero) {
  env_.WriteConfig(ServingBackend());
  ASSERT_THAT(Get(), HasSubstr(token_));
  ASSERT_THAT(Get(), HasSubstr(token_));
  const nlohmann::json before = OneObject(Admin({"stats", "--reset", "--json"}));
  EXPECT_EQ(before["requests"], 2);
  EXPECT_EQ(before["hits"], 1);
  EXPECT_EQ(before["reset"], true);
  const nlohmann::json after = OneObject(Admin({"stats", "--json"}));
  EXPECT_EQ(after["requests"], 0);
  EXPECT_EQ(after["hits"], 0);
  EXPECT_EQ(after["cached_entries"], 1) << "the cache itself stays";
  EXPECT_THAT(Admin({"stats", "--reset"}).stdout_text, HasSubstr("(now reset to zero)"));
  EXPECT_EQ(Admin({"list", "--reset"}).exit_code, 2) << "--reset is stats' alone";
}

// Issue 13: no man page, no completions; install-service exited 1 without
// a user systemd, and without the "now tell cargo" hint.
TEST_F(AdminCliTest, InstallServicePutsTheManPageAndCompletionsWhereTheyAreLookedFor) {
  const std::string root = env_.root() + "/install";
  const std::string data = env_.root() + "/data";
  const std::vector<std::string> documents = {
      data + "/man/man1/cargo-credential-credcache.1", data + "/man/man1/credcached.1",
      data + "/bash-completion/completions/cargo-credential-credcache",
      data + "/zsh/site-functions/_cargo-credential-credcache",
      env_.root() + "/config-home/fish/completions/cargo-credential-credcache.fish"};
  // With systemctl run (no --no-enable): here there is no user manager for
  // it to reach, which is a note, not a failure.
  SubprocessResult install =
      Admin({"install-service", "--bindir", root + "/bin", "--unitdir", root + "/units"});
  EXPECT_EQ(install.exit_code, 0) << install.stderr_text;
  EXPECT_THAT(install.stdout_text, HasSubstr("Now tell cargo"));
  for (const std::string& document : documents) {
    EXPECT_THAT(install.stdout_text, HasSubstr(document));
    EXPECT_FALSE(ReadFile(document).empty()) << document;
  }
  // Each names every command, as the table does.
  for (const std::string& command : Commands()) {
    for (size_t i = 2; i < documents.size(); ++i) {
      EXPECT_THAT(ReadFile(documents[i]), HasSubstr(command)) << documents[i];
    }
    EXPECT_THAT(ReadFile(documents[0]),
                HasSubstr(absl::StrCat(".B ", absl::StrReplaceAll(command, {{"-", "\\-"}}))));
  }
  EXPECT_EQ(ReadFile(documents[0]), Admin({"manual", "cargo-credential-credcache"}).stdout_text);
  EXPECT_EQ(ReadFile(documents[1]), Admin({"manual", "credcached"}).stdout_text);
  EXPECT_EQ(Admin({"manual", "cargo"}).exit_code, 2);
  // credcached's page lists every option its --help does.
  for (const char* flag :
       {"\\-\\-config PATH", "\\-\\-idle\\-exit DURATION", "\\-\\-log\\-level LEVEL",
        "\\-\\-check\\-config", "\\-\\-print\\-default\\-config", ".SH SIGNALS"}) {
    EXPECT_THAT(ReadFile(documents[1]), HasSubstr(flag));
  }
  EXPECT_EQ(ReadFile(documents[2]), Admin({"completions", "bash"}).stdout_text);
  EXPECT_EQ(Admin({"completions", "tcsh"}).exit_code, 2);

  // Uninstalled without --bindir: the programs go from where they were
  // put all the same; what credcache made in use stays.
  mkdir((env_.root() + "/data").c_str(), 0700);
  mkdir((env_.root() + "/data/credcache").c_str(), 0700);
  WriteFile(env_.root() + "/data/credcache/tokens.toml", "", 0600);
  SubprocessResult uninstall = Admin({"uninstall-service", "--no-enable"});
  EXPECT_EQ(uninstall.exit_code, 0) << uninstall.stderr_text;
  std::vector<std::string> gone = documents;
  for (const char* unit : {"/units/credcached.socket", "/units/credcached.service",
                           "/bin/credcached", "/bin/cargo-credential-credcache"}) {
    gone.push_back(root + unit);
  }
  for (const std::string& path : gone) {
    struct stat info;
    EXPECT_NE(stat(path.c_str(), &info), 0) << path << " was left";
    EXPECT_THAT(uninstall.stdout_text, HasSubstr("removed " + path));
  }
  EXPECT_THAT(uninstall.stdout_text, HasSubstr("removed 2 unit file(s)"));
  EXPECT_THAT(uninstall.stdout_text, HasSubstr("--purge"));
  struct stat kept;
  EXPECT_EQ(stat((env_.root() + "/data/credcache/tokens.toml").c_str(), &kept), 0);

  // --purge: the daemon is stopped, and its config, tokens and logs go.
  ASSERT_THAT(Get(), HasSubstr("not-found"));
  SubprocessResult purge = Admin({"uninstall-service", "--no-enable", "--purge"});
  EXPECT_EQ(purge.exit_code, 0) << purge.stderr_text;
  EXPECT_THAT(purge.stdout_text, HasSubstr("stopped credcached"));
  for (const std::string& dir :
       {env_.root() + "/data/credcache", env_.root() + "/state/credcache"}) {
    struct stat info;
    EXPECT_NE(stat(dir.c_str(), &info), 0) << dir << " was left";
  }
  EXPECT_THAT(purge.stdout_text, HasSubstr("keyring stay"));
  EXPECT_EQ(Admin({"uninstall-service", "--team", "--purge"}).exit_code, 2);
}

// Attack: `install-service --bindir rel/bin` wrote ExecStart="rel/bin/
// credcached" (systemd refuses a relative one), told cargo to run
// "rel/bin/cargo-credential-credcache" (cargo takes that from the config
// file's directory) and recorded relative paths, which uninstall-service
// then skipped: the programs stayed.
TEST_F(AdminCliTest, RelativeInstallDirectoriesAreTakenFromTheWorkingDirectory) {
  const std::string root = env_.root();
  SubprocessResult install = AdminIn(
      root, {"install-service", "--no-enable", "--bindir", "rel/bin", "--unitdir", "rel/units"});
  ASSERT_EQ(install.exit_code, 0) << install.stderr_text;
  EXPECT_THAT(ReadFile(root + "/rel/units/credcached.service"),
              HasSubstr(absl::StrCat("ExecStart=\"", root, "/rel/bin/credcached\"")));
  EXPECT_THAT(install.stdout_text, HasSubstr(absl::StrCat("[\"", root, "/rel/bin/", kShim)));
  SubprocessResult uninstall = AdminIn("/", {"uninstall-service", "--no-enable"});
  EXPECT_EQ(uninstall.exit_code, 0) << uninstall.stderr_text;
  for (const char* path : {"/rel/bin/credcached", "/rel/bin/cargo-credential-credcache",
                           "/rel/units/credcached.service"}) {
    struct stat info;
    EXPECT_NE(stat((root + path).c_str(), &info), 0) << path << " was left";
  }
}

// Attack: credcache's data and config directories are symbolic links
// (dotfiles kept elsewhere). --purge removes neither the link's target nor
// what is in it, and says why it stopped.
TEST_F(AdminCliTest, PurgeNeverFollowsASymbolicLinkOutOfItsDirectories) {
  const std::string root = env_.root();
  for (const std::string& dir : {root + "/elsewhere", root + "/data", root + "/config-home"}) {
    mkdir(dir.c_str(), 0700);
  }
  WriteFile(root + "/elsewhere/precious", "keep", 0600);
  ASSERT_EQ(symlink((root + "/elsewhere").c_str(), (root + "/data/credcache").c_str()), 0);
  ASSERT_EQ(symlink((root + "/elsewhere").c_str(), (root + "/config-home/credcache").c_str()), 0);
  SubprocessResult purge = Admin({"uninstall-service", "--no-enable", "--purge"});
  EXPECT_EQ(purge.exit_code, 1);
  EXPECT_THAT(purge.stderr_text, HasSubstr("is a symbolic link, which --purge does not follow"));
  EXPECT_EQ(ReadFile(root + "/elsewhere/precious"), "keep");
  struct stat info;
  EXPECT_EQ(lstat((root + "/data/credcache").c_str(), &info), 0) << "the link is left too";
}

}  // namespace
}  // namespace credcache_testing
