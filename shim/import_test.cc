#include "shim/import.h"

#include <stdlib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credcache {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kCredentials[] = R"(
[registry]
token = "crates-token"

[registries.myreg]
token = "Bearer my token"

[registries.unknown]
token = "u"

[registries.paseto]
secret-key = "k3.secret.x"
)";

constexpr char kConfig[] = R"(
[registries.myreg]
index = "sparse+https://cargo.example.com/index/"
)";

TEST(ImportTest, FindsEveryTokenAndItsIndex) {
  setenv("CARGO_REGISTRIES_UNKNOWN_INDEX", "sparse+https://env.example/index/", 1);
  absl::StatusOr<std::vector<CargoToken>> tokens =
      ParseCargoCredentials(kCredentials, kConfig, "credentials.toml");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(tokens->size(), 3u);  // The secret-key is not a token.
  EXPECT_EQ((*tokens)[0].name, "crates-io");
  EXPECT_EQ((*tokens)[0].index_url, kCratesIoIndex);
  EXPECT_EQ((*tokens)[0].token.Expose(), "crates-token");
  EXPECT_EQ((*tokens)[1].name, "myreg");
  EXPECT_EQ((*tokens)[1].index_url, "sparse+https://cargo.example.com/index/");
  EXPECT_EQ((*tokens)[1].token.Expose(), "Bearer my token");
  EXPECT_EQ((*tokens)[2].index_url, "sparse+https://env.example/index/");
  unsetenv("CARGO_REGISTRIES_UNKNOWN_INDEX");
  tokens = ParseCargoCredentials(kCredentials, kConfig, "credentials.toml");
  EXPECT_EQ((*tokens)[2].index_url, "");
}

TEST(ImportTest, IndexesAreSpeltAsCargoSpellsThemOrSaidWhyNot) {
  absl::StatusOr<std::vector<CargoToken>> tokens = ParseCargoCredentials(
      "[registries.v6]\ntoken = \"a\"\n[registries.bad]\ntoken = \"b\"\n",
      "[registries.v6]\nindex = \"sparse+http://[::ffff:127.0.0.1]:9/index/\"\n"
      "[registries.bad]\nindex = \"sparse+https://example.com/index\"\n",
      "credentials.toml");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(tokens->size(), 2u);
  const CargoToken& v6 = (*tokens)[0].name == "v6" ? (*tokens)[0] : (*tokens)[1];
  const CargoToken& bad = (*tokens)[0].name == "v6" ? (*tokens)[1] : (*tokens)[0];
  EXPECT_EQ(v6.index_url, "sparse+http://[::ffff:7f00:1]:9/index/");
  EXPECT_EQ(v6.configured_index, "sparse+http://[::ffff:127.0.0.1]:9/index/");
  EXPECT_EQ(v6.index_error, "");
  EXPECT_EQ(bad.index_url, "");
  EXPECT_EQ(bad.configured_index, "sparse+https://example.com/index");
  EXPECT_THAT(bad.index_error, HasSubstr("must end in a slash"));
}

TEST(ImportTest, MalformedFilesNameTheirPlaceNotTheirContent) {
  absl::StatusOr<std::vector<CargoToken>> tokens =
      ParseCargoCredentials("[registry]\ntoken = \"SEKRIT", "", "/h/.cargo/credentials.toml");
  ASSERT_FALSE(tokens.ok());
  EXPECT_THAT(std::string(tokens.status().message()), HasSubstr("/h/.cargo/credentials.toml:2:"));
  EXPECT_THAT(std::string(tokens.status().message()), Not(HasSubstr("SEKRIT")));
}

TEST(ImportTest, RemoveTakesOnlyTheImportedTokens) {
  absl::StatusOr<std::string> rest = RemoveCargoTokens(kCredentials, {"crates-io", "myreg"});
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_THAT(*rest, Not(HasSubstr("crates-token")));
  EXPECT_THAT(*rest, Not(HasSubstr("my token")));
  EXPECT_THAT(*rest, Not(HasSubstr("[registry]")));
  EXPECT_THAT(*rest, HasSubstr("token = 'u'"));
  EXPECT_THAT(*rest, HasSubstr("secret-key"));
  absl::StatusOr<std::string> none =
      RemoveCargoTokens("[registry]\ntoken = \"t\"\n", {"crates-io"});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "");
}

}  // namespace
}  // namespace credcache
