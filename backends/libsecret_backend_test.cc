// Without a Secret Service (no D-Bus session, as on a headless box): every
// action declines with the reason, so a chain moves on to its next backend.
// The keyring itself is exercised in tests/keyring_test.cc, on a real one.
#include "backends/libsecret_backend.h"

#include <stdlib.h>

#include "cargo_credential/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/builders.h"

namespace credcache {
namespace {

using cargo_credential::ErrorKind;
using ::testing::HasSubstr;

class NoSecretServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("DBUS_SESSION_BUS_ADDRESS");
    unsetenv("DISPLAY");
    setenv("XDG_RUNTIME_DIR", ::testing::TempDir().c_str(), 1);
  }
  LibsecretBackend backend_;
  cargo_credential::RegistryInfo registry_ = credcache_testing::Registry("sparse+http://h/index/");
};

TEST_F(NoSecretServiceTest, ProbeSaysWhy) {
  absl::Status probe = ProbeSecretService();
  ASSERT_FALSE(probe.ok());
  EXPECT_THAT(std::string(probe.message()), HasSubstr("Secret Service is not available"));
}

TEST_F(NoSecretServiceTest, EveryActionDeclines) {
  const cargo_credential::Action login = credcache_testing::Login("t");
  const cargo_credential::Action logout = credcache_testing::Logout();
  const cargo_credential::Action get = credcache_testing::Get();
  for (const cargo_credential::Action* action :
       std::vector<const cargo_credential::Action*>{&get, &login, &logout}) {
    absl::Status status = backend_.Perform(registry_, *action, {}).status();
    EXPECT_EQ(cargo_credential::KindOf(status), ErrorKind::kUrlNotSupported) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("not available"));
  }
}

}  // namespace
}  // namespace credcache
