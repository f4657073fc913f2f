#include "backends/caller_kinds.h"

#include <stdlib.h>

#include "cargo_credential/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/user_text.h"
#include "tests/support/builders.h"

namespace credcache {
namespace {

using ::testing::HasSubstr;

TEST(CallerKindsTest, EveryCallerKindRunsInTheCallerAndNoStoreDoes) {
  std::vector<std::string> names;
  for (const BackendKind& kind : CallerKinds()) {
    EXPECT_TRUE(kind.runs_in_caller) << kind.name;
    names.push_back(kind.name);
  }
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("env", "command", "cargo-provider"));
}

TEST(CallerKindsTest, AnEnvBackendMadeInTheCallerReadsThisEnvironmentAndIsNotCached) {
  absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> backend = MakeBackendInCaller(
      "env", "kind = \"env\"\nrun_in = \"caller\"\nvariable = \"CALLER_KINDS_TEST_TOKEN\"\n",
      "shell", absl::Seconds(1));
  ASSERT_TRUE(backend.ok()) << backend.status();
  setenv("CALLER_KINDS_TEST_TOKEN", "Bearer here", 1);
  absl::StatusOr<cargo_credential::CredentialResponse> answer = (*backend)->Perform(
      credcache_testing::Registry("sparse+http://h/"), credcache_testing::Get(), {});
  unsetenv("CALLER_KINDS_TEST_TOKEN");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->token.Expose(), "Bearer here");
  EXPECT_EQ(answer->cache.kind, cargo_credential::CacheKind::kNever);
}

// In the caller its stderr goes straight to the terminal, as it is
// written, rather than gathered and told once the command ends (as in the
// daemon, where nobody sees a terminal).
TEST(CallerKindsTest, ACommandMadeInTheCallerPrintsItsTokenAndItsStderrIsNotGathered) {
  std::string told;
  cargo_credential::UserTextCapture capture(
      [&told](absl::string_view text) { told.append(text.data(), text.size()); });
  absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> backend = MakeBackendInCaller(
      "command", "command = [\"sh\", \"-c\", \"echo asking >&2; echo Bearer {name}\"]\n", "sso",
      absl::Seconds(5));
  ASSERT_TRUE(backend.ok()) << backend.status();
  absl::StatusOr<cargo_credential::CredentialResponse> answer = (*backend)->Perform(
      credcache_testing::Registry("sparse+http://h/", "corp"), credcache_testing::Get(), {});
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->token.Expose(), "Bearer corp");
  EXPECT_EQ(told, "");
}

TEST(CallerKindsTest, ItsProgramsNeverSeeTheVariablesTheDaemonsBackendsRead) {
  setenv("CALLER_KINDS_CORP_TOKEN", "secret", 1);
  absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> backend = MakeBackendInCaller(
      "command", "command = [\"sh\", \"-c\", \"echo tok-${CALLER_KINDS_CORP_TOKEN:-unset}\"]\n",
      "sso", absl::Seconds(5), {"CALLER_KINDS_CORP_*"});
  ASSERT_TRUE(backend.ok()) << backend.status();
  absl::StatusOr<cargo_credential::CredentialResponse> answer = (*backend)->Perform(
      credcache_testing::Registry("sparse+http://h/"), credcache_testing::Get(), {});
  unsetenv("CALLER_KINDS_CORP_TOKEN");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->token.Expose(), "tok-unset");
}

TEST(CallerKindsTest, WhatCannotRunInTheCallerIsRefused) {
  absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> file =
      MakeBackendInCaller("file", "path = \"/tmp/x\"\n", "tokens", absl::Seconds(1));
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("cannot run in the caller"));

  absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> broken =
      MakeBackendInCaller("command", "command = [\n", "sso", absl::Seconds(1));
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(std::string(broken.status().message()),
              HasSubstr("credcached's config of backend `sso` does not parse"));

  absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> empty =
      MakeBackendInCaller("command", "", "sso", absl::Seconds(1));
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(std::string(empty.status().message()), HasSubstr("`command` is required"));
}

}  // namespace
}  // namespace credcache
