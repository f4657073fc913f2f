// Against real provider processes: the example file provider, and scripts.
#include "backends/cargo_provider_backend.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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
using cargo_credential::ResponseKind;
using credcache_testing::Describe;
using credcache_testing::Get;
using credcache_testing::Login;
using credcache_testing::Logout;
using credcache_testing::MakeTempDir;
using credcache_testing::Registry;
using credcache_testing::Runfile;
using credcache_testing::TestConfig;
using credcache_testing::WriteFile;
using ::testing::HasSubstr;

constexpr char kUrl[] = "sparse+https://example.com/index/";

class CargoProviderBackendTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }

  // A backend made from config, as the daemon makes one.
  std::unique_ptr<cargo_credential::Credential> Make(const std::string& body,
                                                     absl::Duration timeout = absl::Seconds(20)) {
    TestConfig config(body);
    absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> made =
        MakeCargoProviderBackend(config.Options(timeout));
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? *std::move(made) : nullptr;
  }

  // The example file provider, keeping its tokens in this test's directory.
  std::unique_ptr<cargo_credential::Credential> FileProvider() {
    return Make(absl::StrCat("provider = \"", Runfile("examples/cargo-credential-example-file"),
                             "\"\nargs = [\"--file\", \"", dir_, "/tokens\"]"));
  }

  // An executable script in this test's directory.
  std::string Script(const std::string& name, const std::string& body) {
    const std::string path = absl::StrCat(dir_, "/", name);
    WriteFile(path, "#!/bin/sh\n" + body, 0700);
    return path;
  }

  std::string dir_;
};

TEST_F(CargoProviderBackendTest, LoginGetLogoutThroughTheExampleProvider) {
  std::unique_ptr<cargo_credential::Credential> backend = FileProvider();
  ASSERT_NE(backend, nullptr);

  absl::StatusOr<CredentialResponse> done =
      backend->Perform(Registry(kUrl, "r"), Login("Bearer one two"), {});
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->kind, ResponseKind::kLogin);

  done = backend->Perform(Registry(kUrl, "r"), Get(), {});
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->kind, ResponseKind::kGet);
  EXPECT_EQ(done->token.Expose(), "Bearer one two");
  EXPECT_EQ(done->cache.kind, CacheKind::kSession);
  EXPECT_TRUE(done->operation_independent);

  done = backend->Perform(Registry(kUrl, "r"), Logout(), {});
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->kind, ResponseKind::kLogout);
}

TEST_F(CargoProviderBackendTest, NotFoundPassesThrough) {
  std::unique_ptr<cargo_credential::Credential> backend = FileProvider();
  ASSERT_NE(backend, nullptr);
  for (const cargo_credential::Action& action : {Get(), Logout()}) {
    absl::StatusOr<CredentialResponse> done = backend->Perform(Registry(kUrl), action, {});
    ASSERT_FALSE(done.ok());
    EXPECT_EQ(KindOf(done.status()), ErrorKind::kNotFound);
  }
}

TEST_F(CargoProviderBackendTest, ConfiguredArgsComeFirst) {
  // The example provider refuses arguments it does not know, naming them:
  // the request's own arguments follow the configured ones.
  std::unique_ptr<cargo_credential::Credential> backend = FileProvider();
  ASSERT_NE(backend, nullptr);
  absl::StatusOr<CredentialResponse> done =
      backend->Perform(Registry(kUrl), Login("Bearer x"), {"--extra"});
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(KindOf(done.status()), ErrorKind::kOther);
  EXPECT_THAT(Describe(done.status()), HasSubstr("unknown argument `--extra`"));
}

TEST_F(CargoProviderBackendTest, TheAnswerPassesThroughUnchanged) {
  const std::string provider = Script("expiring", R"(echo '{"v":[1]}'
read -r request
echo '{"Ok":{"kind":"get","token":"Bearer e","cache":"expires","expiration":1893456000,"operation_independent":false}}'
)");
  std::unique_ptr<cargo_credential::Credential> backend =
      Make(absl::StrCat("provider = \"", provider, "\""));
  absl::StatusOr<CredentialResponse> got = backend->Perform(Registry(kUrl), Get(), {});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->token.Expose(), "Bearer e");
  EXPECT_EQ(got->cache.kind, CacheKind::kExpires);
  EXPECT_EQ(got->cache.expiration, 1893456000);
  EXPECT_FALSE(got->operation_independent);
}

TEST_F(CargoProviderBackendTest, ErrorKindsPassThrough) {
  const std::string provider = Script("failing", R"(echo '{"v":[1]}'
read -r request
case "$request" in
  *'"kind":"login"'*) echo '{"Err":{"kind":"operation-not-supported"}}' ;;
  *'"kind":"logout"'*) echo '{"Err":{"kind":"url-not-supported"}}' ;;
  *) echo '{"Err":{"kind":"other","message":"vault sealed","caused-by":["try later"]}}' ;;
esac
)");
  std::unique_ptr<cargo_credential::Credential> backend =
      Make(absl::StrCat("provider = \"", provider, "\""));
  absl::StatusOr<CredentialResponse> done = backend->Perform(Registry(kUrl), Login("Bearer x"), {});
  EXPECT_EQ(KindOf(done.status()), ErrorKind::kOperationNotSupported);
  done = backend->Perform(Registry(kUrl), Logout(), {});
  EXPECT_EQ(KindOf(done.status()), ErrorKind::kUrlNotSupported);
  done = backend->Perform(Registry(kUrl), Get(), {});
  EXPECT_EQ(KindOf(done.status()), ErrorKind::kOther);
  EXPECT_EQ(Describe(done.status()), "vault sealed / try later");
}

TEST_F(CargoProviderBackendTest, AnAnswerOfTheWrongKindIsRefused) {
  const std::string provider = Script("confused", R"(echo '{"v":[1]}'
read -r request
echo '{"Ok":{"kind":"logout"}}'
)");
  std::unique_ptr<cargo_credential::Credential> backend =
      Make(absl::StrCat("provider = \"", provider, "\""));
  absl::StatusOr<CredentialResponse> got = backend->Perform(Registry(kUrl), Get(), {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
  EXPECT_THAT(Describe(got.status()),
              HasSubstr("answered a `get` request with a response of another kind"));
}

TEST_F(CargoProviderBackendTest, AHangingProviderTimesOutByName) {
  const std::string provider = Script("hanging", "exec sleep 30\n");
  std::unique_ptr<cargo_credential::Credential> backend =
      Make(absl::StrCat("provider = \"", provider, "\""), absl::Milliseconds(300));
  const absl::Time start = absl::Now();
  absl::StatusOr<CredentialResponse> got = backend->Perform(Registry(kUrl), Get(), {});
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
  EXPECT_THAT(Describe(got.status()),
              HasSubstr(absl::StrCat("credential provider `", provider, "`")));
  EXPECT_THAT(Describe(got.status()), HasSubstr("timed out"));
}

TEST_F(CargoProviderBackendTest, AMissingProviderIsNamed) {
  std::unique_ptr<cargo_credential::Credential> backend =
      Make("provider = \"/nonexistent/cargo-credential-nothing\"");
  absl::StatusOr<CredentialResponse> got = backend->Perform(Registry(kUrl), Get(), {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(KindOf(got.status()), ErrorKind::kOther);
  EXPECT_THAT(Describe(got.status()),
              HasSubstr("credential provider `/nonexistent/cargo-credential-nothing`"));
}

TEST(MakeCargoProviderBackendTest, ConfigErrors) {
  TestConfig missing("args = [\"--x\"]");
  EXPECT_THAT(Describe(MakeCargoProviderBackend(missing.Options()).status()),
              HasSubstr("credcache.toml:1:1: backend `test`: `provider` is required"));
  TestConfig empty("provider = \"\"");
  EXPECT_THAT(Describe(MakeCargoProviderBackend(empty.Options()).status()),
              HasSubstr("credcache.toml:2:12: backend `test`: `provider` must name a program"));
  TestConfig args("provider = \"p\"\nargs = [1]");
  EXPECT_THAT(Describe(MakeCargoProviderBackend(args.Options()).status()),
              HasSubstr("credcache.toml:3:8: backend `test`: `args` must be a list of strings"));
  TestConfig number("provider = 5");
  EXPECT_THAT(
      Describe(MakeCargoProviderBackend(number.Options()).status()),
      HasSubstr("`provider` must be a program, or a list of the program and its arguments"));
  // cargo's built-ins run inside cargo: say so, and what to use instead.
  TestConfig builtin("provider = \"cargo:libsecret\"");
  const std::string said = Describe(MakeCargoProviderBackend(builtin.Options()).status());
  EXPECT_THAT(said, HasSubstr("`cargo:libsecret`, one of cargo's built-in providers"));
  EXPECT_THAT(said, HasSubstr("kind = \"libsecret\""));
  TestConfig both("provider = [\"p\", \"--x\"]\nargs = [\"--y\"]");
  EXPECT_THAT(Describe(MakeCargoProviderBackend(both.Options()).status()),
              HasSubstr("`args` goes with `provider = \"prog\"`"));
}

TEST(MakeCargoProviderBackendTest, CargosListFormNamesTheProgramAndItsArguments) {
  TestConfig listed("provider = [\"cargo-credential-x\", \"--flag\", \"value\"]");
  EXPECT_TRUE(MakeCargoProviderBackend(listed.Options()).ok());
}

}  // namespace
}  // namespace credcache
