#include "shim/cargo_config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credcache {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

// issue 13: import told the user to set up cargo even when cargo already
// asks credcache.
TEST(CargoConfigTest, KnowsWhetherCargoAsksCredcache) {
  unsetenv("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS");
  unsetenv("CARGO_REGISTRY_CREDENTIAL_PROVIDER");
  unsetenv("CARGO_REGISTRIES_MINE_CREDENTIAL_PROVIDER");
  EXPECT_FALSE(CargoAsksCredcache("", "mine"));
  EXPECT_FALSE(
      CargoAsksCredcache("[registry]\nglobal-credential-providers = [\"cargo:token\"]\n", "mine"));
  EXPECT_TRUE(
      CargoAsksCredcache("[registry]\nglobal-credential-providers = [\"cargo:token\", "
                         "\"cargo-credential-credcache\"]\n",
                         "mine"));
  EXPECT_TRUE(CargoAsksCredcache(
      "[registry]\nglobal-credential-providers = [\"/opt/bin/cargo-credential-credcache --x\"]\n",
      "crates-io"))
      << "by path, with arguments";
  EXPECT_TRUE(
      CargoAsksCredcache("[registry]\nglobal-credential-providers = [\"cc\"]\n"
                         "[credential-alias]\ncc = [\"/usr/bin/cargo-credential-credcache\"]\n",
                         "mine"))
      << "through an alias";
  EXPECT_FALSE(CargoAsksCredcache(
      "[registry]\nglobal-credential-providers = [\"cargo-credential-credcache\"]\n"
      "[registries.mine]\ncredential-provider = \"cargo:token\"\n",
      "mine"))
      << "a registry's own provider is the only one cargo asks";
  EXPECT_TRUE(CargoAsksCredcache(
      "[registries.mine]\ncredential-provider = [\"cargo-credential-credcache\"]\n", "mine"));
  EXPECT_FALSE(
      CargoAsksCredcache("[registry]\ncredential-provider = \"cargo:token\"\n"
                         "global-credential-providers = [\"cargo-credential-credcache\"]\n",
                         "crates-io"));
  setenv("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS", "cargo:token cargo-credential-credcache", 1);
  EXPECT_TRUE(CargoAsksCredcache("", "mine")) << "the environment's list";
  // cargo joins the variable's list after the file's (asking it first),
  // and falls back to the file's entries: credcache is still asked.
  setenv("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS", "cargo:token", 1);
  EXPECT_TRUE(CargoAsksCredcache(
      "[registry]\nglobal-credential-providers = [\"cargo-credential-credcache\"]\n", "mine"))
      << "joined to the file's, as cargo 1.95 does";
  unsetenv("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS");
}

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string TempDir() {
  std::string dir = std::string(getenv("TEST_TMPDIR")) + "/cargo_config_XXXXXX";
  return mkdtemp(dir.data());
}

// doctor reports the file that decides, so the order must be cargo's: the
// working directory's first, its parents next, $CARGO_HOME's last and once.
TEST(CargoConfigTest, ReadsTheFilesCargoReadsNearestFirst) {
  const std::string root = TempDir();
  const std::string home = root + "/home";
  const std::string work = root + "/work/crate";
  for (const std::string& dir :
       {home, root + "/work", root + "/work/.cargo", work, work + "/.cargo"}) {
    mkdir(dir.c_str(), 0700);
  }
  Write(work + "/.cargo/config.toml", "[registries.near]\nindex = \"sparse+https://n/\"\n");
  Write(root + "/work/.cargo/config",
        "[registries.near]\nindex = \"sparse+https://far/\"\n"
        "[registries.far]\nindex = \"sparse+https://f/\"\n");
  Write(home + "/config.toml", "[registries.home]\nindex = \"sparse+https://h/\"\n");
  const std::vector<CargoConfigFile> files = ReadCargoConfigs(work, home);
  ASSERT_GE(files.size(), 3u);
  EXPECT_EQ(files[0].path, work + "/.cargo/config.toml");
  EXPECT_EQ(files[1].path, root + "/work/.cargo/config") << "the legacy name";
  EXPECT_EQ(files.back().path, home + "/config.toml");
  // A CARGO_HOME under the working directory is read once.
  EXPECT_EQ(ReadCargoConfigs(work, work + "/.cargo").size(), files.size() - 1);

  unsetenv("CARGO_REGISTRIES_ENVREG_INDEX");
  setenv("CARGO_REGISTRIES_MY_REG_INDEX", "sparse+https://e/", 1);
  const std::vector<CargoRegistry> registries = CargoRegistries(files);
  unsetenv("CARGO_REGISTRIES_MY_REG_INDEX");
  ASSERT_EQ(registries.size(), 5u);
  EXPECT_EQ(registries[0].name, "crates-io");
  EXPECT_EQ(registries[1].name, "my_reg");
  EXPECT_EQ(registries[1].source, "CARGO_REGISTRIES_MY_REG_INDEX");
  EXPECT_EQ(registries[2].name, "near");
  EXPECT_EQ(registries[2].index, "sparse+https://n/") << "the nearest file wins";
  EXPECT_THAT(registries, testing::Contains(Field(&CargoRegistry::name, "far")));
  EXPECT_THAT(registries, testing::Contains(Field(&CargoRegistry::source, home + "/config.toml")));
}

TEST(CargoConfigTest, MalformedFilesAreSkippedNotFatal) {
  const std::string root = TempDir();
  mkdir((root + "/.cargo").c_str(), 0700);
  Write(root + "/.cargo/config.toml", "[registries.x\nindex = 1\n\xff\xfe");
  const std::vector<CargoConfigFile> files = ReadCargoConfigs(root, root + "/none");
  ASSERT_FALSE(files.empty());
  EXPECT_EQ(CargoRegistries(files).size(), 1u) << "crates-io only";
  absl::StatusOr<toml::table> parsed = ParseCargoToml(files[0].text, files[0].path);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(std::string(parsed.status().message()).find("index"), std::string::npos)
      << "the text is never quoted";
}

// Attack on doctor: each file was judged alone, nearest first, so a
// project's `.cargo/config.toml` giving a registry its own provider
// (cargo:token) was passed over for $CARGO_HOME's global list, and doctor
// said cargo asks credcache when cargo never does. What cargo 1.95 does
// was checked with providers that log their runs: a registry's own
// provider comes from the nearest file and replaces the global list; an
// alias comes from any file; a relative program path is taken from the
// directory that holds the file's `.cargo`; global lists are joined.
TEST(CargoConfigTest, FilesAreMergedAsCargoMergesThem) {
  unsetenv("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS");
  unsetenv("CARGO_REGISTRIES_MINE_CREDENTIAL_PROVIDER");
  unsetenv("CARGO_CREDENTIAL_ALIAS_CC");
  const std::vector<CargoConfigFile> files = {
      {"/p/.cargo/config.toml",
       "[registries.mine]\ncredential-provider = \"cargo:token\"\n"
       "[registries.aliased]\ncredential-provider = \"cc\"\n"
       "[registries.relative]\ncredential-provider = \"./bin/cargo-credential-credcache\"\n",
       ""},
      {"/home/u/.cargo/config.toml",
       "[registry]\nglobal-credential-providers = [\"cargo-credential-credcache\"]\n"
       "[registries.mine]\ncredential-provider = \"cargo-credential-credcache\"\n"
       "[credential-alias]\ncc = \"/opt/cargo-credential-credcache\"\n",
       ""}};
  const CargoSettings settings(files);
  CargoProviderChoice mine = settings.ProviderFor("mine");
  EXPECT_FALSE(mine.asks_credcache) << "the nearest own provider wins";
  EXPECT_EQ(mine.decided_by, "/p/.cargo/config.toml");
  CargoProviderChoice aliased = settings.ProviderFor("aliased");
  EXPECT_TRUE(aliased.asks_credcache) << "an alias set in another file";
  EXPECT_EQ(aliased.program, "/opt/cargo-credential-credcache");
  EXPECT_EQ(aliased.decided_by, "/p/.cargo/config.toml");
  CargoProviderChoice relative = settings.ProviderFor("relative");
  EXPECT_TRUE(relative.asks_credcache);
  EXPECT_EQ(relative.program, "/p/bin/cargo-credential-credcache");
  CargoProviderChoice other = settings.ProviderFor("other");
  EXPECT_TRUE(other.asks_credcache);
  EXPECT_EQ(other.decided_by, "/home/u/.cargo/config.toml");

  // A nearer global list adds to the farther one.
  const CargoSettings joined({{"/p/.cargo/config.toml",
                               "[registry]\nglobal-credential-providers = [\"cargo:token\"]\n", ""},
                              files[1]});
  EXPECT_TRUE(joined.ProviderFor("other").asks_credcache);

  setenv("CARGO_REGISTRIES_MINE_CREDENTIAL_PROVIDER", "cargo-credential-credcache", 1);
  mine = settings.ProviderFor("mine");
  unsetenv("CARGO_REGISTRIES_MINE_CREDENTIAL_PROVIDER");
  EXPECT_TRUE(mine.asks_credcache) << "the variable wins over every file";
  EXPECT_EQ(mine.decided_by, "CARGO_REGISTRIES_MINE_CREDENTIAL_PROVIDER");
}

// cargo reads the legacy `config` when both spellings exist (and warns).
TEST(CargoConfigTest, TheLegacyNameWinsWhenBothExistAsInCargo) {
  const std::string root = TempDir();
  mkdir((root + "/.cargo").c_str(), 0700);
  Write(root + "/.cargo/config.toml", "[registries.a]\nindex = \"sparse+https://toml/\"\n");
  Write(root + "/.cargo/config", "[registries.a]\nindex = \"sparse+https://legacy/\"\n");
  const std::vector<CargoConfigFile> files = ReadCargoConfigs(root, root + "/none");
  ASSERT_FALSE(files.empty());
  EXPECT_EQ(files[0].path, root + "/.cargo/config");
  EXPECT_EQ(ReadCargoHomeConfig(root + "/.cargo"),
            "[registries.a]\nindex = \"sparse+https://legacy/\"\n");
}

// A config that is a FIFO, a device or a directory neither hangs nor eats
// memory: it is listed with why it cannot be read (cargo stops at it).
TEST(CargoConfigTest, AFileThatIsNotOneIsReportedNotWaitedOn) {
  const std::string root = TempDir();
  for (const char* dir : {"/fifo", "/fifo/.cargo", "/zero", "/zero/.cargo", "/dir", "/dir/.cargo",
                          "/dir/.cargo/config.toml"}) {
    mkdir((root + dir).c_str(), 0700);
  }
  ASSERT_EQ(mkfifo((root + "/fifo/.cargo/config.toml").c_str(), 0600), 0);
  ASSERT_EQ(symlink("/dev/zero", (root + "/zero/.cargo/config").c_str()), 0);
  for (const std::string& where : {root + "/fifo", root + "/zero", root + "/dir"}) {
    const std::vector<CargoConfigFile> files = ReadCargoConfigs(where, root + "/none");
    ASSERT_FALSE(files.empty()) << where;
    EXPECT_FALSE(files[0].error.empty()) << where;
    EXPECT_TRUE(files[0].text.empty()) << where;
  }
}

}  // namespace
}  // namespace credcache
