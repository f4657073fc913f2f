#include "shim/cargo_config.h"

#include <stdlib.h>
#include <sys/stat.h>

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
  setenv("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS", "cargo:token", 1);
  EXPECT_FALSE(CargoAsksCredcache(
      "[registry]\nglobal-credential-providers = [\"cargo-credential-credcache\"]\n", "mine"))
      << "wins over the file's";
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

}  // namespace
}  // namespace credcache
