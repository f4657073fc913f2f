#include "daemon/config.h"

#include <stdlib.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credcache {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ConfigTest, AConfigThatOnlyAdjustsTheCacheLeavesTheBackendsToTheDefault) {
  absl::StatusOr<Config> config = ParseConfig("[cache]\nttl = \"5m\"\n", "c.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cache.ttl, absl::Minutes(5));
  EXPECT_TRUE(config->backends.empty()) << "LoadConfig adds the embedded default's";
}

TEST(ConfigTest, FullConfig) {
  absl::StatusOr<Config> config = ParseConfig(R"(
[cache]
ttl = "5m"
max_ttl = "2h"
expiry_margin = 90

[[backend]]
name = "corp"
kind = "command"
index_urls = ["sparse+https://cargo.corp.example/*"]
names = ["corp"]
ttl = "1m"
timeout = "10s"
command = ["corp-token", "{index_url}"]

[[backend]]
kind = "env"
variable = "CARGO_REGISTRIES_{NAME}_TOKEN"

[[backend]]
name = "everyone"
kind = "command"
index_urls = ["*"]
command = ["shared-token"]

[[backend]]
kind = "file"
path = "/tmp/credcache-config-test/tokens.toml"
)",
                                              "config.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->source, "config.toml");
  EXPECT_EQ(config->cache.ttl, absl::Minutes(5));
  EXPECT_EQ(config->cache.max_ttl, absl::Hours(2));
  EXPECT_EQ(config->cache.expiry_margin, absl::Seconds(90));
  ASSERT_EQ(config->backends.size(), 4u);
  const BackendSettings& corp = config->backends[0].settings;
  EXPECT_EQ(corp.name, "corp");
  EXPECT_EQ(corp.kind, "command");
  EXPECT_THAT(corp.index_urls, ElementsAre("sparse+https://cargo.corp.example/*"));
  EXPECT_THAT(corp.names, ElementsAre("corp"));
  EXPECT_EQ(corp.ttl, absl::Minutes(1));
  EXPECT_EQ(corp.timeout, absl::Seconds(10));
  EXPECT_EQ(config->backends[1].settings.name, "env");
  EXPECT_EQ(config->backends[1].settings.timeout, absl::Seconds(30));
  EXPECT_FALSE(config->backends[1].settings.ttl.has_value());
  EXPECT_THAT(config->backends[2].settings.index_urls, ElementsAre("*"));
  EXPECT_NE(config->backends[3].credential, nullptr);
}

TEST(ConfigTest, EmbeddedDefaultIsOneFileBackendForEverything) {
  setenv("XDG_DATA_HOME", ::testing::TempDir().c_str(), 1);
  absl::StatusOr<Config> config = EmbeddedDefault();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->source, kEmbeddedDefaultName);
  ASSERT_EQ(config->backends.size(), 1u);
  EXPECT_EQ(config->backends[0].settings.kind, "file");
  EXPECT_TRUE(config->backends[0].settings.index_urls.empty());
  EXPECT_TRUE(config->backends[0].settings.names.empty());
}

TEST(ConfigTest, MissingFileIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(LoadConfigFile("/nonexistent/credcache.toml").status()));
}

TEST(ConfigTest, LoadsAFile) {
  const std::string path = ::testing::TempDir() + "/config.toml";
  std::ofstream(path) << "[[backend]]\nkind = \"env\"\nindex_urls = [\"*\"]\nvariable = \"X\"\n";
  absl::StatusOr<Config> config = LoadConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->source, path);
}

// Every registry, said on purpose (a single-token backend must say it).
#define SERVES_ALL "index_urls = [\"*\"]\n"

struct BadConfig {
  const char* text;
  const char* error;  // Including its file:line:column.
};

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, IsRefusedWithItsPlace) {
  absl::StatusOr<Config> config = ParseConfig(GetParam().text, "c.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadConfigTest,
    ::testing::Values(
        BadConfig{"[cache\nttl = 1\n", "c.toml:1:"},
        BadConfig{"colour = \"red\"\n", "c.toml:1:1: unknown key `colour`"},
        BadConfig{"[cache]\nttl = \"soon\"\n", "c.toml:2:7: `ttl` must be a duration"},
        BadConfig{"[cache]\nttl = 0\n", "c.toml:2:7: `ttl` must be longer than zero"},
        BadConfig{"[cache]\nttl = \"1h\"\nkeep = true\n",
                  "c.toml:3:1: unknown key `keep` in [cache]"},
        BadConfig{"[cache]\nttl = \"2h\"\nmax_ttl = \"1h\"\n[[backend]]\nkind = "
                  "\"env\"\nindex_urls = [\"*\"]\nvariable = \"X\"\n",
                  "ttl is longer than max_ttl"},
        BadConfig{"cache = 5\n", "c.toml:1:9: `cache` must be a table"},
        BadConfig{"[etcd]\nendpoints = [\"10.0.0.1:2379\"]\nprefix = \"/t/\"\n"
                  "team_key_file = \"/k\"\n",
                  "no [[backend]]; a team daemon, or one with [etcd], names its own"},
        BadConfig{"[[backend]]\nname = \"x\"\n", "c.toml:1:1: backend has no `kind`"},
        BadConfig{"[[backend]]\nkind = \"vault\"\n",
                  "c.toml:2:8: unknown backend kind `vault`; expected one of file, env, command, "
                  "cargo-provider, libsecret"},
        BadConfig{
            "[[backend]]\nkind = \"env\"\nvariable = \"X\"\nbogus = 1\nindex_urls = [\"*\"]\n",
            "c.toml:4:1: unknown key `bogus` for a `env` backend"},
        BadConfig{"[[backend]]\nkind = \"env\"\nvariable = \"X\"\nindex_urls = \"x\"\n",
                  "c.toml:4:14: `index_urls` must be a list of strings"},
        BadConfig{"[[backend]]\nkind = \"env\"\nvariable = \"X\"\nnames = [1]\n",
                  "c.toml:4:10: `names` must be a list of strings"},
        BadConfig{"[[backend]]\nkind = \"env\"\nvariable = \"X\"\ntimeout = \"fast\"\nindex_urls = "
                  "[\"*\"]\n",
                  "c.toml:4:11: `timeout` must be a duration"},
        BadConfig{"[[backend]]\nkind = \"env\"\nindex_urls = [\"*\"]\n",
                  "backend `env`: `variable` is required"},
        BadConfig{"[[backend]]\nkind = \"env\"\nvariable = \"X\"\nindex_urls = "
                  "[\"*\"]\n[[backend]]\nkind = \"env\"\nvariable = \"Y\"\nindex_urls = [\"*\"]\n",
                  "c.toml:5:1: backend name `env` is used twice"},
        BadConfig{"[[backend]]\nkind = \"env\"\nvariable = \"X\"\n" SERVES_ALL
                  "timeout = \"inf\"\n",
                  "c.toml:5:11: `timeout` must be at most 720h"},
        BadConfig{"[[backend]]\nkind = \"env\"\nvariable = \"X\"\n" SERVES_ALL
                  "timeout = 99999999999999\n",
                  "c.toml:5:11: `timeout` must be at most 720h"},
        BadConfig{"[[backend]]\nkind = \"env\"\nvariable = \"X\"\n" SERVES_ALL "timeout = \"2h\"\n",
                  "c.toml:5:11: `timeout` must be at most 1h"},
        BadConfig{"[cache]\nttl = \"inf\"\n", "c.toml:2:7: `ttl` must be at most 720h"},
        // One token for whatever registry asks: refused unless said on purpose.
        BadConfig{"[[backend]]\nkind = \"env\"\nvariable = \"CORP_TOKEN\"\n",
                  "c.toml:1:1: backend `env` serves one token to whatever registry asks"},
        BadConfig{"[[backend]]\nname = \"sso\"\nkind = \"command\"\ncommand = [\"sso-token\"]\n",
                  "c.toml:1:1: backend `sso` serves one token to whatever registry asks"}));

TEST(ConfigTest, BackendsKeyedByRegistryNeedNoRegistryList) {
  // A store keyed by registry, a variable per registry name, a command
  // told the registry: each decides per registry, so none is refused.
  absl::StatusOr<Config> config = ParseConfig(
      "[[backend]]\nkind = \"file\"\npath = \"/tmp/credcache-config-test/t.toml\"\n"
      "[[backend]]\nkind = \"env\"\nvariable = \"CARGO_REGISTRIES_{NAME}_TOKEN\"\n"
      "[[backend]]\nkind = \"command\"\ncommand = [\"pass\", \"cargo/{name}\"]\n"
      "[[backend]]\nkind = \"cargo-provider\"\nprovider = \"cargo-credential-x\"\n",
      "c.toml");
  EXPECT_TRUE(config.ok()) << config.status();
}

#undef SERVES_ALL

TEST(ConfigTest, RunInSaysWhereABackendRuns) {
  absl::StatusOr<Config> config = ParseConfig(R"(
[[backend]]
name = "sso"
kind = "command"
run_in = "caller"
index_urls = ["*"]
command = ["sso-token"]

[[backend]]
kind = "file"
run_in = "daemon"
path = "/tmp/credcache-config-test/tokens.toml"
)",
                                              "config.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->backends[0].settings.run_in_caller);
  EXPECT_FALSE(config->backends[1].settings.run_in_caller);
  // What the shim is handed to make it from.
  EXPECT_THAT(config->backends[0].settings.fingerprint, HasSubstr("sso-token"));

  absl::StatusOr<Config> store =
      ParseConfig("[[backend]]\nkind = \"file\"\nrun_in = \"caller\"\n", "config.toml");
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(std::string(store.status().message()),
              HasSubstr("config.toml:3:10: a `file` backend runs in the daemon"));
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("env, command, cargo-provider"));

  absl::StatusOr<Config> elsewhere = ParseConfig(
      "[[backend]]\nkind = \"env\"\nvariable = \"T\"\nnames = [\"r\"]\nrun_in = \"moon\"\n",
      "config.toml");
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_THAT(std::string(elsewhere.status().message()),
              HasSubstr("config.toml:5:10: `run_in` must be \"daemon\" or \"caller\""));
}

// toml++ 3.3 checks such characters against its whitespace table through a
// path its authors marked unreachable (.bazelrc); the answer is still the
// parse error, with its place.
TEST(ConfigTest, NonAsciiWhereWhitespaceMayBeIsAParseError) {
  for (const char* text : {"\xc3\xa9 = 1\n", "\xef\xb9\xbf\x07", "[cache]\n\xe3\x81\x82\n"}) {
    absl::StatusOr<Config> config = ParseConfig(text, "config.toml");
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_THAT(std::string(config.status().message()), HasSubstr("config.toml:")) << text;
  }
}

}  // namespace
}  // namespace credcache

namespace credcache {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A team config around `rest`: [listen] on a group every system has.
std::string Team(const std::string& rest) {
  return "[listen]\nsocket = \"/run/credcache-test/team.sock\"\ngroup = \"root\"\n" + rest;
}

constexpr char kSharedBackend[] =
    "[[backend]]\nname = \"corp\"\nkind = \"env\"\nscope = \"shared\"\nindex_urls = [\"*\"]\n"
    "variable = \"X\"\n";

TEST(TeamConfigTest, ListenRulesAdminAuditLimitsAndScopes) {
  absl::StatusOr<Config> config = ParseConfig(Team(R"(contact = "ops@example.com"

[[backend]]
name = "corp"
kind = "env"
scope = "shared"
index_urls = ["sparse+https://cargo.corp.example/*"]
variable = "CORP_TOKEN"

[[backend]]
name = "mine"
kind = "memory"
scope = "personal"

[[backend]]
name = "sso"
kind = "command"
scope = "personal"
run_in = "caller"
index_urls = ["*"]
command = ["sso-token"]

[[rule]]
registries = ["sparse+https://cargo.corp.example/*"]
groups = ["root"]
users = ["root", "4242"]
operations = ["read", "publish"]
login = true

[admin]
users = ["root"]

[audit]
file = "/var/log/credcache/audit.log"
max_size = 1000
keep = 2

[limits]
entries_per_user = 8
request_bytes = 4096
calls_per_user = 4
)"),
                                              "team.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->team.has_value());
  EXPECT_EQ(config->team->socket, "/run/credcache-test/team.sock");
  EXPECT_EQ(config->team->group, 0u);
  ASSERT_EQ(config->team->access.rules().size(), 1u);
  const AccessRule& rule = config->team->access.rules()[0];
  EXPECT_EQ(rule.where, "team.toml:26:1");
  EXPECT_THAT(rule.users, ElementsAre(0u, 4242u));
  EXPECT_TRUE(rule.login);
  EXPECT_EQ(rule.operations.size(), 2u);
  EXPECT_EQ(config->team->audit.file, "/var/log/credcache/audit.log");
  EXPECT_EQ(config->team->audit.max_size, 1000);
  EXPECT_EQ(config->team->limits.entries_per_user, 8);
  EXPECT_EQ(config->team->limits.request_bytes, 4096);
  EXPECT_EQ(config->team->limits.calls_per_user, 4);
  EXPECT_FALSE(config->backends[0].settings.personal);
  EXPECT_TRUE(config->backends[1].settings.personal);
  // Each user's personal store is its own; the caller's runs in the caller.
  ASSERT_NE(config->backends[1].personal, nullptr);
  EXPECT_NE(*config->backends[1].personal->For(1), *config->backends[1].personal->For(2));
  EXPECT_EQ(*config->backends[1].personal->For(1), *config->backends[1].personal->For(1));
  EXPECT_EQ(config->backends[2].personal, nullptr);
}

TEST(TeamConfigTest, APersonalDaemonHasNoTeamSettings) {
  absl::StatusOr<Config> config = ParseConfig(kSharedBackend, "c.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->team.has_value());
}

struct BadTeamConfig {
  std::string text;
  std::string error;
};

class BadTeamConfigTest : public ::testing::TestWithParam<BadTeamConfig> {};

TEST_P(BadTeamConfigTest, IsRefusedWithItsPlace) {
  absl::StatusOr<Config> config = ParseConfig(GetParam().text, "t.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadTeamConfigTest,
    ::testing::Values(
        BadTeamConfig{std::string(kSharedBackend) +
                          "[[rule]]\nregistries = [\"*\"]\n"
                          "groups = [\"root\"]\noperations = [\"read\"]\n",
                      "[rule] is for a team daemon, which needs a [listen] section"},
        BadTeamConfig{Team("[[backend]]\nkind = \"env\"\nindex_urls = [\"*\"]\nvariable = \"X\"\n"),
                      "t.toml:4:1: backend `env`: a team daemon serves many users; say whose"},
        BadTeamConfig{Team("[[backend]]\nkind = \"file\"\nscope = \"personal\"\n"),
                      "t.toml:6:9: backend `file` is personal, but a `file` backend in the daemon "
                      "reads the daemon's account's store"},
        BadTeamConfig{Team("[[backend]]\nkind = \"env\"\nscope = \"shared\"\nrun_in = \"caller\"\n"
                           "index_urls = [\"*\"]\nvariable = \"X\"\n"),
                      "runs in the caller, as that user: its tokens are theirs"},
        BadTeamConfig{Team("[[backend]]\nkind = \"env\"\nscope = \"everyone\"\n"),
                      "t.toml:6:9: `scope` must be \"shared\" or \"personal\""},
        BadTeamConfig{Team(std::string(kSharedBackend) +
                           "[[rule]]\nregistries = [\"*\"]\ngroups = [\"no-such-group-cc\"]\n"
                           "operations = [\"read\"]\n"),
                      "t.toml:12:11: no group named `no-such-group-cc`"},
        BadTeamConfig{Team(std::string(kSharedBackend) +
                           "[[rule]]\nregistries = [\"*\"]\nusers = [\"no-such-user-cc\"]\n"
                           "operations = [\"read\"]\n"),
                      "no user named `no-such-user-cc`"},
        BadTeamConfig{Team(std::string(kSharedBackend) +
                           "[[rule]]\nregistries = [\"*\"]\ngroups = [\"root\"]\n"
                           "operations = [\"delete\"]\n"),
                      "unknown operation `delete`"},
        BadTeamConfig{Team(std::string(kSharedBackend) +
                           "[[rule]]\nregistries = [\"*\"]\noperations = [\"read\"]\n"),
                      "must name the `users` or `groups` it admits"},
        BadTeamConfig{Team(std::string(kSharedBackend) +
                           "[[rule]]\ngroups = [\"root\"]\noperations = [\"read\"]\n"),
                      "must list the `registries` it admits to"},
        BadTeamConfig{Team(std::string(kSharedBackend) +
                           "[[rule]]\nregistries = [\"*\"]\ngroups = [\"root\"]\n"),
                      "must allow some `operations`"},
        BadTeamConfig{Team(std::string(kSharedBackend) + "[[rule]]\nregistries = [\"*\"]\n"
                                                         "groups = [\"root\"]\nread = true\n"),
                      "unknown key `read` in [[rule]]"},
        BadTeamConfig{"[listen]\nsocket = \"relative.sock\"\n" + std::string(kSharedBackend),
                      "t.toml:2:10: `socket` must be an absolute path"},
        BadTeamConfig{"[listen]\ngroup = \"no-such-group-cc\"\n" + std::string(kSharedBackend),
                      "t.toml:2:9: no group named"},
        BadTeamConfig{Team(std::string(kSharedBackend) + "[limits]\nentries_per_user = 0\n"),
                      "`entries_per_user` must be a whole number from 1 to"},
        BadTeamConfig{Team(std::string(kSharedBackend) + "[audit]\nfile = \"audit.log\"\n"),
                      "`file` in [audit] must be an absolute path"}));

}  // namespace
}  // namespace credcache
