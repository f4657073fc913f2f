#include "proto/convert.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/error.h"

namespace credcache {
namespace {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::CacheControl;
using cargo_credential::CredentialResponse;
using cargo_credential::ErrorKind;
using cargo_credential::OperationKind;
using cargo_credential::RegistryInfo;
using cargo_credential::Secret;
using ::testing::ElementsAre;

TEST(ConvertTest, RequestsRoundTrip) {
  RegistryInfo registry{"sparse+http://h/index/", "myreg", {"WWW-Authenticate: Cargo"}};
  Action publish;
  publish.operation = {OperationKind::kPublish, "foo", "0.1.0", "ab"};
  v1::PerformRequest encoded = EncodeRequest(registry, publish, {"a", "b c"});
  DecodedRequest decoded = DecodeRequest(encoded);
  EXPECT_EQ(decoded.registry.index_url, registry.index_url);
  EXPECT_EQ(decoded.registry.name, "myreg");
  EXPECT_THAT(decoded.registry.headers, ElementsAre("WWW-Authenticate: Cargo"));
  EXPECT_EQ(decoded.action.kind, ActionKind::kGet);
  EXPECT_EQ(decoded.action.operation.kind, OperationKind::kPublish);
  EXPECT_EQ(decoded.action.operation.cksum, "ab");
  EXPECT_THAT(decoded.args, ElementsAre("a", "b c"));

  Action login;
  login.kind = ActionKind::kLogin;
  login.login.token = Secret(absl::string_view("Bearer t"));
  RegistryInfo unnamed{"u", std::nullopt, {}};
  encoded = EncodeRequest(unnamed, login, {});
  decoded = DecodeRequest(encoded);
  EXPECT_FALSE(decoded.registry.name.has_value());
  ASSERT_TRUE(decoded.action.login.token.has_value());
  EXPECT_EQ(decoded.action.login.token->Expose(), "Bearer t");
  EXPECT_FALSE(decoded.action.login.login_url.has_value());
}

TEST(ConvertTest, ResultsRoundTrip) {
  v1::PerformResponse encoded = EncodeResult(CredentialResponse::Get(
      Secret(absl::string_view("t")), CacheControl::Expires(1700000000), false));
  absl::StatusOr<CredentialResponse> decoded = DecodeResult(&encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->token.Expose(), "t");
  EXPECT_EQ(decoded->cache.kind, cargo_credential::CacheKind::kExpires);
  EXPECT_EQ(decoded->cache.expiration, 1700000000);
  EXPECT_FALSE(decoded->operation_independent);

  encoded = EncodeResult(cargo_credential::OtherError("top", {"cause"}));
  decoded = DecodeResult(&encoded);
  EXPECT_EQ(cargo_credential::KindOf(decoded.status()), ErrorKind::kOther);
  EXPECT_EQ(decoded.status().message(), "top");
  EXPECT_THAT(cargo_credential::CausedBy(decoded.status()), ElementsAre("cause"));

  for (const absl::Status& error : {cargo_credential::NotFoundError(),
                                    cargo_credential::UrlNotSupportedError(),
                                    cargo_credential::OperationNotSupportedError()}) {
    encoded = EncodeResult(error);
    EXPECT_EQ(cargo_credential::KindOf(DecodeResult(&encoded).status()),
              cargo_credential::KindOf(error));
  }
  v1::PerformResponse empty;
  EXPECT_EQ(cargo_credential::KindOf(DecodeResult(&empty).status()), ErrorKind::kOther);
}

}  // namespace
}  // namespace credcache
