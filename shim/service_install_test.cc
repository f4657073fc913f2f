#include "shim/service_install.h"

#include <string>

#include "daemon/systemd/units.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credcache {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

ServiceInstallOptions Team() {
  ServiceInstallOptions options;
  options.team = true;
  options.account = "svc";
  options.group = "devs";
  options.bindir = "/opt/cc/bin";
  options.config = "/etc/cc/team.toml";
  return options;
}

TEST(FillTeamUnitTest, EveryPlaceholderOfTheShippedUnitsIsFilledIn) {
  for (const char* unit : {kTeamSocketUnit, kTeamServiceUnit}) {
    const std::string filled = FillTeamUnit(unit, Team());
    for (const char* placeholder : {"@ACCOUNT@", "@GROUP@", "@BINDIR@", "@CONFIG@"}) {
      EXPECT_THAT(filled, Not(HasSubstr(placeholder))) << unit;
    }
    EXPECT_THAT(filled, Not(ContainsRegex("@[A-Z_]+@"))) << "a placeholder this test does not know";
  }
  const std::string socket = FillTeamUnit(kTeamSocketUnit, Team());
  EXPECT_THAT(socket, HasSubstr("\nSocketUser=svc\n"));
  EXPECT_THAT(socket, HasSubstr("\nSocketGroup=devs\n"));
  const std::string service = FillTeamUnit(kTeamServiceUnit, Team());
  EXPECT_THAT(service, HasSubstr("\nUser=svc\n"));
  EXPECT_THAT(service, HasSubstr("\nGroup=devs\n"));
  EXPECT_THAT(service, HasSubstr("\nExecStart=\"/opt/cc/bin/credcached\" --foreground --config "
                                 "\"/etc/cc/team.toml\"\n"));
}

TEST(FillTeamUnitTest, TheDefaultBinDirectoryIsUsrLocalBin) {
  ServiceInstallOptions options = Team();
  options.bindir.clear();
  EXPECT_THAT(FillTeamUnit(kTeamServiceUnit, options),
              HasSubstr("ExecStart=\"/usr/local/bin/credcached\" "));
}

TEST(FillTeamUnitTest, PathsAreQuotedForSystemdAndValuesAreNotRescanned) {
  ServiceInstallOptions options = Team();
  // Unquoted, the space would split the command, systemd would expand %h
  // and $HOME, and a second pass would fill in the @GROUP@ in the path.
  options.bindir = "/opt/my bin/100%h";
  options.config = "/etc/$HOME/@GROUP@.toml";
  const std::string service = FillTeamUnit(kTeamServiceUnit, options);
  EXPECT_THAT(service, HasSubstr("ExecStart=\"/opt/my bin/100%%h/credcached\" --foreground "
                                 "--config \"/etc/$$HOME/@GROUP@.toml\"\n"));
}

// uninstall removes what the manifest lists: never a file of another name,
// a relative path, or one that climbs out with `..`.
TEST(ServiceInstallTest, AManifestNamesOnlyWhatAnInstallWrites) {
  const std::vector<std::string> names = {"credcached", "credcached.socket"};
  EXPECT_THAT(ManifestPaths("/a/bin/credcached\n\n  \n/u/credcached.socket\n"
                            "relative/credcached\n/a/../etc/credcached\n/a/./credcached\n"
                            "/home/u/.bashrc\n/credcached.socket.bak\n",
                            names),
              ::testing::ElementsAre("/a/bin/credcached", "/u/credcached.socket"));
  EXPECT_TRUE(ManifestPaths("", names).empty());
}

}  // namespace
}  // namespace credcache
