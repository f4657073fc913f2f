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
