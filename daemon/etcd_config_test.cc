#include "daemon/etcd_config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credcache {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kBackend[] =
    "[[backend]]\nkind = \"command\"\nindex_urls = [\"*\"]\ncommand = [\"t\", \"{index_url}\"]\n";

absl::StatusOr<Config> WithEtcd(const std::string& etcd) {
  return ParseConfig(absl::StrCat(kBackend, "[etcd]\n", etcd), "team.toml");
}

constexpr char kMinimal[] =
    "endpoints = [\"10.0.0.1:2379\", \"10.0.0.2:2379\"]\nprefix = \"/credcache/a/\"\n"
    "team_key_file = \"/etc/credcache/team.key\"\n";

TEST(EtcdConfigTest, AFullTableIsRead) {
  absl::StatusOr<Config> config = WithEtcd(absl::StrCat(
      kMinimal,
      "ca_file = \"/etc/ca.pem\"\ncert_file = \"/etc/c.pem\"\nkey_file = \"/etc/k.pem\"\n"
      "server_name = \"etcd.internal\"\nuser = \"credcache\"\npassword_file = \"/etc/pw\"\n"
      "deadline = \"500ms\"\nwait = \"5s\"\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->etcd.has_value());
  const EtcdTierSettings& etcd = *config->etcd;
  EXPECT_THAT(etcd.connection.endpoints, ElementsAre("10.0.0.1:2379", "10.0.0.2:2379"));
  EXPECT_EQ(etcd.prefix, "/credcache/a/");
  EXPECT_EQ(etcd.team_key_file, "/etc/credcache/team.key");
  EXPECT_EQ(etcd.connection.ca_file, "/etc/ca.pem");
  EXPECT_EQ(etcd.connection.cert_file, "/etc/c.pem");
  EXPECT_EQ(etcd.connection.key_file, "/etc/k.pem");
  EXPECT_EQ(etcd.connection.server_name, "etcd.internal");
  EXPECT_EQ(etcd.connection.user, "credcache");
  EXPECT_EQ(etcd.connection.password_file, "/etc/pw");
  EXPECT_EQ(etcd.connection.deadline, absl::Milliseconds(500));
  EXPECT_EQ(etcd.wait, absl::Seconds(5));
  EXPECT_FALSE(etcd.fingerprint.empty());
}

TEST(EtcdConfigTest, DefaultsAndOneNamedEndpoint) {
  absl::StatusOr<Config> config =
      WithEtcd("endpoints = [\"etcd.internal:2379\"]\nprefix = \"/t/\"\nteam_key_file = \"/k\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->etcd->connection.deadline, absl::Seconds(1));
  EXPECT_EQ(config->etcd->wait, absl::Seconds(10));
  EXPECT_FALSE(ParseConfig(kBackend, "x.toml")->etcd.has_value());
}

TEST(EtcdConfigTest, MistakesAreRefusedWithTheirLine) {
  struct Case {
    std::string etcd;
    std::string says;
  };
  const Case cases[] = {
      {"prefix = \"/t/\"\nteam_key_file = \"/k\"\n", "needs `endpoints`"},
      {"endpoints = [\"10.0.0.1:2379\"]\nteam_key_file = \"/k\"\n", "needs `prefix`"},
      {"endpoints = [\"10.0.0.1:2379\"]\nprefix = \"/t/\"\n", "needs `team_key_file`"},
      {"endpoints = \"10.0.0.1:2379\"\nprefix = \"/t/\"\nteam_key_file = \"/k\"\n",
       "list of \"address:port\""},
      {"endpoints = [\"http://10.0.0.1:2379\"]\nprefix = \"/t/\"\nteam_key_file = \"/k\"\n",
       "no scheme"},
      {"endpoints = [\"10.0.0.1\"]\nprefix = \"/t/\"\nteam_key_file = \"/k\"\n", "address:port"},
      {"endpoints = [\"10.0.0.1:70000\"]\nprefix = \"/t/\"\nteam_key_file = \"/k\"\n",
       "address:port"},
      {"endpoints = [\"a.example:2379\", \"b.example:2379\"]\nprefix = \"/t/\"\n"
       "team_key_file = \"/k\"\n",
       "must be IP addresses"},
      {"endpoints = [\"10.0.0.1:2379\", \"[::1]:2379\"]\nprefix = \"/t/\"\n"
       "team_key_file = \"/k\"\n",
       "all IPv4 or all IPv6"},
      {"endpoints = [\"10.0.0.1:2379\"]\nprefix = \"t/\"\nteam_key_file = \"/k\"\n",
       "start and end with \"/\""},
      {"endpoints = [\"10.0.0.1:2379\"]\nprefix = \"/t\"\nteam_key_file = \"/k\"\n",
       "start and end with \"/\""},
      {"endpoints = [\"10.0.0.1:2379\"]\nprefix = \"/t/\"\nteam_key_file = \"team.key\"\n",
       "absolute path"},
      {absl::StrCat(kMinimal, "cert_file = \"/c\"\n"), "go together"},
      {absl::StrCat(kMinimal, "cert_file = \"/c\"\nkey_file = \"/k\"\n"), "set `ca_file` too"},
      {absl::StrCat(kMinimal, "user = \"u\"\n"), "go together"},
      {absl::StrCat(kMinimal, "deadline = \"1m\"\n"), "at most 10s"},
      {absl::StrCat(kMinimal, "deadline = \"-1s\"\n"), "`deadline`"},
      {absl::StrCat(kMinimal, "password = \"hunter2\"\n"), "unknown key `password`"},
      {absl::StrCat(kMinimal, "deadline = \"1ns\"\n"), "at least 50ms"},
      {"endpoints = [\"::1:2379\"]\nprefix = \"/t/\"\nteam_key_file = \"/k\"\n", "in brackets"},
      {"endpoints = [\"10.0.0.1:2379\"]\nprefix = \"/\"\nteam_key_file = \"/k\"\n",
       "name the team's keys"},
      {"endpoints = [\"10.0.0.1:2379\"]\nprefix = \"//\"\nteam_key_file = \"/k\"\n",
       "name the team's keys"},
  };
  for (const Case& each : cases) {
    absl::StatusOr<Config> config = WithEtcd(each.etcd);
    ASSERT_FALSE(config.ok()) << each.etcd;
    EXPECT_THAT(config.status().message(), HasSubstr("team.toml:")) << each.etcd;
    EXPECT_THAT(config.status().message(), HasSubstr(each.says)) << each.etcd;
  }
}

TEST(EtcdConfigTest, ATierWithNothingToShareIsRefused) {
  absl::StatusOr<Config> config = ParseConfig(
      absl::StrCat("[[backend]]\nkind = \"env\"\nrun_in = \"caller\"\nindex_urls = [\"*\"]\n"
                   "variable = \"TOKEN\"\n[etcd]\n",
                   kMinimal),
      "team.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("team.toml:"));
  EXPECT_THAT(config.status().message(), HasSubstr("every backend here is personal"));
}

}  // namespace
}  // namespace credcache
