// Without a Secret Service (no D-Bus session, as on a headless box): every
// action declines with the reason, so a chain moves on to its next backend.
// The keyring itself is exercised in tests/keyring_test.cc, on a real one.
#include "backends/libsecret_backend.h"

#include <stdlib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/error.h"

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
  cargo_credential::RegistryInfo registry_{"sparse+http://h/index/", std::nullopt, {}};
};

TEST_F(NoSecretServiceTest, ProbeSaysWhy) {
  absl::Status probe = ProbeSecretService();
  ASSERT_FALSE(probe.ok());
  EXPECT_THAT(std::string(probe.message()), HasSubstr("Secret Service is not available"));
}

TEST_F(NoSecretServiceTest, EveryActionDeclines) {
  cargo_credential::Action login;
  login.kind = cargo_credential::ActionKind::kLogin;
  login.login.token = cargo_credential::Secret(absl::string_view("t"));
  cargo_credential::Action logout;
  logout.kind = cargo_credential::ActionKind::kLogout;
  const cargo_credential::Action get;
  for (const cargo_credential::Action* action :
       std::vector<const cargo_credential::Action*>{&get, &login, &logout}) {
    absl::Status status = backend_.Perform(registry_, *action, {}).status();
    EXPECT_EQ(cargo_credential::KindOf(status), ErrorKind::kUrlNotSupported) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("not available"));
  }
}

}  // namespace
}  // namespace credcache
