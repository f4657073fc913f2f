#include "backends/env_backend.h"

#include <stdlib.h>

#include <string>

#include "backends/test_support.h"
#include "cargo_credential/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credcache {
namespace {

using cargo_credential::CacheKind;
using cargo_credential::CredentialResponse;
using cargo_credential::ErrorKind;
using cargo_credential::KindOf;
using credcache_testing::Describe;
using credcache_testing::Get;
using credcache_testing::Login;
using credcache_testing::Logout;
using credcache_testing::Registry;
using credcache_testing::TestConfig;
using ::testing::HasSubstr;
using ::testing::Optional;

constexpr char kUrl[] = "sparse+https://example.com/index/";

// These tests set variables of their own, with names nothing else uses.
class EnvBackendTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("CARGO_REGISTRIES_MY_REG_TOKEN");
    unsetenv("CREDCACHE_TEST_TOKEN");
  }
};

TEST_F(EnvBackendTest, SubstitutesTheRegistryName) {
  EnvBackend backend("CARGO_REGISTRIES_{NAME}_TOKEN");
  EXPECT_THAT(backend.VariableFor("my-reg"),
              Optional(std::string("CARGO_REGISTRIES_MY_REG_TOKEN")));
  EXPECT_THAT(backend.VariableFor("crates-io"),
              Optional(std::string("CARGO_REGISTRIES_CRATES_IO_TOKEN")));

  setenv("CARGO_REGISTRIES_MY_REG_TOKEN", "Bearer from env", 1);
  absl::StatusOr<CredentialResponse> got = backend.Perform(Registry(kUrl, "my-reg"), Get(), {});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->token.Expose(), "Bearer from env");
  EXPECT_EQ(got->cache.kind, CacheKind::kSession);
  EXPECT_TRUE(got->operation_independent);
}

TEST_F(EnvBackendTest, ReadsTheVariableAtEachGet) {
  EnvBackend backend("CREDCACHE_TEST_TOKEN");
  setenv("CREDCACHE_TEST_TOKEN", "Bearer one", 1);
  EXPECT_EQ(backend.Perform(Registry(kUrl), Get(), {})->token.Expose(), "Bearer one");
  setenv("CREDCACHE_TEST_TOKEN", "Bearer two", 1);
  EXPECT_EQ(backend.Perform(Registry(kUrl), Get(), {})->token.Expose(), "Bearer two");
}

TEST_F(EnvBackendTest, UnsetOrEmptyIsNotFound) {
  EnvBackend backend("CARGO_REGISTRIES_{NAME}_TOKEN");
  absl::StatusOr<CredentialResponse> got = backend.Perform(Registry(kUrl, "my-reg"), Get(), {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kNotFound);

  setenv("CARGO_REGISTRIES_MY_REG_TOKEN", "", 1);
  got = backend.Perform(Registry(kUrl, "my-reg"), Get(), {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kNotFound);
}

TEST_F(EnvBackendTest, NoRegistryNameIsNotFound) {
  setenv("CARGO_REGISTRIES__TOKEN", "Bearer wrong", 1);
  EnvBackend backend("CARGO_REGISTRIES_{NAME}_TOKEN");
  absl::StatusOr<CredentialResponse> got = backend.Perform(Registry(kUrl), Get(), {});
  unsetenv("CARGO_REGISTRIES__TOKEN");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kNotFound);

  // A template without {NAME} needs no name.
  setenv("CREDCACHE_TEST_TOKEN", "Bearer any", 1);
  EnvBackend fixed("CREDCACHE_TEST_TOKEN");
  EXPECT_TRUE(fixed.Perform(Registry(kUrl), Get(), {}).ok());
}

TEST_F(EnvBackendTest, LoginAndLogoutAreNotSupported) {
  EnvBackend backend("CREDCACHE_TEST_TOKEN");
  for (const cargo_credential::Action& action : {Login("Bearer x"), Logout()}) {
    absl::StatusOr<CredentialResponse> done = backend.Perform(Registry(kUrl, "r"), action, {});
    ASSERT_FALSE(done.ok());
    EXPECT_EQ(KindOf(done.status()), ErrorKind::kOperationNotSupported);
    EXPECT_EQ(Describe(done.status()), "the env backend only reads tokens");
  }
  EXPECT_EQ(getenv("CREDCACHE_TEST_TOKEN"), nullptr);
}

TEST(MakeEnvBackendTest, Options) {
  TestConfig good("variable = \"CARGO_REGISTRIES_{NAME}_TOKEN\"");
  EXPECT_TRUE(MakeEnvBackend(good.Options()).ok());

  TestConfig missing("");
  EXPECT_THAT(Describe(MakeEnvBackend(missing.Options()).status()),
              HasSubstr("`variable` is required"));
  TestConfig empty("variable = \"\"");
  EXPECT_THAT(Describe(MakeEnvBackend(empty.Options()).status()),
              HasSubstr("credcache.toml:2:12: backend `test`: `variable` must be the name of"));
  TestConfig wrong("variable = 3");
  EXPECT_THAT(Describe(MakeEnvBackend(wrong.Options()).status()),
              HasSubstr("`variable` must be a string"));
}

}  // namespace
}  // namespace credcache
