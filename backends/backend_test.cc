// BackendOptions (backend_options.cc) and the table of kinds
// (backend_kinds.cc).
#include "backends/backend.h"

#include <string>
#include <vector>

#include "backends/backend_kinds.h"
#include "backends/test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credcache {
namespace {

using credcache_testing::Describe;
using credcache_testing::TestConfig;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

TEST(BackendOptionsTest, ReadsEachType) {
  TestConfig config(R"(
name = "x"
list = ["a", "b"]
flag = true
)");
  BackendOptions options = config.Options(absl::Seconds(7));
  EXPECT_EQ(options.backend_name(), "test");
  EXPECT_EQ(options.timeout(), absl::Seconds(7));
  EXPECT_EQ(*options.String("name"), "x");
  EXPECT_THAT(*options.OptionalString("name"), Optional(std::string("x")));
  EXPECT_EQ(*options.OptionalString("absent"), std::nullopt);
  EXPECT_THAT(*options.StringList("list"), ElementsAre("a", "b"));
  EXPECT_TRUE(options.StringList("absent")->empty());
  EXPECT_THAT(*options.Bool("flag"), Optional(true));
  EXPECT_EQ(*options.Bool("absent"), std::nullopt);
}

TEST(BackendOptionsTest, ErrorsPointAtTheValue) {
  TestConfig config("name = 5\n");
  absl::StatusOr<std::string> name = config.Options().String("name");
  ASSERT_FALSE(name.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(name.status()));
  // Line 1 is the [[backend]] header.
  EXPECT_EQ(Describe(name.status()), "credcache.toml:2:8: backend `test`: `name` must be a string");
}

TEST(BackendOptionsTest, AMissingKeyPointsAtTheTable) {
  TestConfig config("other = 1\n");
  absl::StatusOr<std::string> name = config.Options().String("name");
  ASSERT_FALSE(name.ok());
  EXPECT_THAT(Describe(name.status()), HasSubstr("credcache.toml:1:"));
  EXPECT_THAT(Describe(name.status()), HasSubstr("`name` is required"));
}

TEST(BackendOptionsTest, WrongTypes) {
  TestConfig config(R"(
list = "a"
mixed = ["a", 1]
flag = "yes"
)");
  BackendOptions options = config.Options();
  EXPECT_THAT(Describe(options.StringList("list").status()),
              HasSubstr(":3:8: backend `test`: `list` must be a list of strings"));
  EXPECT_THAT(Describe(options.StringList("mixed").status()),
              HasSubstr("`mixed` must be a list of strings"));
  EXPECT_THAT(Describe(options.Bool("flag").status()), HasSubstr("`flag` must be true or false"));
  EXPECT_THAT(Describe(options.OptionalString("mixed").status()),
              HasSubstr("`mixed` must be a string"));
}

TEST(BackendOptionsTest, Durations) {
  TestConfig config(R"(
text = "90s"
seconds = 90
mixed = "1h30m"
vague = "soon"
zero = 0
negative = "-5s"
wrong = true
)");
  BackendOptions options = config.Options();
  EXPECT_THAT(*options.Duration("text"), Optional(absl::Seconds(90)));
  EXPECT_THAT(*options.Duration("seconds"), Optional(absl::Seconds(90)));
  EXPECT_THAT(*options.Duration("mixed"), Optional(absl::Minutes(90)));
  EXPECT_EQ(*options.Duration("absent"), std::nullopt);
  EXPECT_THAT(Describe(options.Duration("vague").status()),
              HasSubstr(":6:9: backend `test`: `vague` must be a duration such as"));
  EXPECT_THAT(Describe(options.Duration("zero").status()),
              HasSubstr("`zero` must be longer than zero"));
  EXPECT_THAT(Describe(options.Duration("negative").status()),
              HasSubstr("`negative` must be longer than zero"));
  EXPECT_THAT(Describe(options.Duration("wrong").status()),
              HasSubstr("`wrong` must be a duration"));
}

TEST(BackendKindsTest, EveryKindInOrderWithItsKeys) {
  std::vector<std::string> names;
  for (const BackendKind& kind : BackendKinds()) {
    names.push_back(kind.name);
    EXPECT_TRUE(kind.make) << kind.name;
  }
  EXPECT_THAT(names, ElementsAre("file", "env", "command", "cargo-provider", "libsecret", "memory",
                                 "credcache"));
  EXPECT_THAT(FindBackendKind("file")->option_keys, ElementsAre("path"));
  EXPECT_THAT(FindBackendKind("env")->option_keys, ElementsAre("variable"));
  EXPECT_THAT(FindBackendKind("command")->option_keys, ElementsAre("command", "cache", "lifetime"));
  EXPECT_THAT(FindBackendKind("cargo-provider")->option_keys, ElementsAre("provider", "args"));
  EXPECT_TRUE(FindBackendKind("libsecret")->option_keys.empty());
  EXPECT_TRUE(FindBackendKind("memory")->option_keys.empty());
}

TEST(BackendKindsTest, FindsByExactName) {
  EXPECT_EQ(FindBackendKind("env"), &BackendKinds()[1]);
  EXPECT_EQ(FindBackendKind("nope"), nullptr);
  EXPECT_EQ(FindBackendKind("File"), nullptr);
  EXPECT_EQ(FindBackendKind(""), nullptr);
}

TEST(BackendKindsTest, FactoriesRefuseMissingRequiredKeys) {
  TestConfig config("");
  for (const char* name : {"env", "command", "cargo-provider"}) {
    absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> made =
        FindBackendKind(name)->make(config.Options());
    ASSERT_FALSE(made.ok()) << name;
    EXPECT_TRUE(absl::IsInvalidArgument(made.status())) << name;
    EXPECT_THAT(Describe(made.status()), HasSubstr("credcache.toml:1:")) << name;
    EXPECT_THAT(Describe(made.status()), HasSubstr("is required")) << name;
  }
}

TEST(BackendKindsTest, FactoriesRefuseWrongTypes) {
  struct Case {
    const char* kind;
    const char* body;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"file", "path = 1", "`path` must be a string"},
           {"env", "variable = [\"X\"]", "`variable` must be a string"},
           {"command", "command = \"echo hi\"", "`command` must be a list of strings"},
           {"cargo-provider", "args = \"--x\"\nprovider = \"p\"",
            "`args` must be a list of strings"},
       }) {
    TestConfig config(c.body);
    absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> made =
        FindBackendKind(c.kind)->make(config.Options());
    ASSERT_FALSE(made.ok()) << c.kind;
    EXPECT_THAT(Describe(made.status()), HasSubstr("credcache.toml:2:")) << c.kind;
    EXPECT_THAT(Describe(made.status()), HasSubstr(c.error)) << c.kind;
  }
}

TEST(BackendKindsTest, FactoriesMakeBackendsFromGoodOptions) {
  for (const auto& [kind, body] : std::vector<std::pair<const char*, const char*>>{
           {"file", "path = \"/tmp/credcache-test/tokens.toml\""},
           {"env", "variable = \"CARGO_REGISTRIES_{NAME}_TOKEN\""},
           {"command", "command = [\"echo\", \"token\"]"},
           {"cargo-provider", "provider = \"cargo-credential-example-file\""},
       }) {
    TestConfig config(body);
    absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> made =
        FindBackendKind(kind)->make(config.Options());
    ASSERT_TRUE(made.ok()) << kind << ": " << made.status();
    EXPECT_NE(*made, nullptr);
  }
}

}  // namespace
}  // namespace credcache
