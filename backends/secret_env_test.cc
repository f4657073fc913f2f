#include "backends/secret_env.h"

#include <stdlib.h>

#include "cargo_credential/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credcache {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(SecretEnvTest, CargosOwnTokenVariablesAreAlwaysSecret) {
  EXPECT_THAT(SecretVariables(), Contains("CARGO_REGISTRY_TOKEN"));
  EXPECT_THAT(SecretVariables(), Contains("CARGO_REGISTRIES_*_TOKEN"));
}

TEST(SecretEnvTest, AChildSeesNoRegisteredVariableButEverythingElse) {
  RegisterSecretVariable("TEAM_TOKEN_*");
  setenv("TEAM_TOKEN_A", "sentinel-a", 1);
  setenv("CARGO_REGISTRIES_CORP_TOKEN", "sentinel-b", 1);
  setenv("CREDCACHE_HARMLESS", "visible", 1);
  cargo_credential::SubprocessOptions options;
  options.argv = {"env"};
  options.unset_env = SecretVariables();
  absl::StatusOr<cargo_credential::SubprocessResult> result =
      cargo_credential::RunSubprocess(options, "", absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->stdout_text, Not(HasSubstr("sentinel")));
  EXPECT_THAT(result->stdout_text, HasSubstr("CREDCACHE_HARMLESS=visible"));
  EXPECT_THAT(result->stdout_text, HasSubstr("PATH="));
}

}  // namespace
}  // namespace credcache
