#include "proto/convert.h"

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cargo_credential/error.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "gtest/gtest.h"
#include "lib/utf8.h"

namespace credcache {
namespace {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::CacheControl;
using cargo_credential::CacheKind;
using cargo_credential::CredentialRequest;
using cargo_credential::CredentialResponse;
using cargo_credential::ErrorKind;
using cargo_credential::OperationKind;
using cargo_credential::ResponseKind;
using cargo_credential::Secret;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// How many members an aggregate has: the most initializers it takes. A
// member added to a lib/ type changes it, and the static_asserts below point
// whoever added it at the proto message and the conversion to extend.
// Only in unevaluated contexts; defined all the same, as clang warns about a
// function of internal linkage that is used (in an instantiation) and never
// defined (-Wundefined-internal).
struct AnyField {
  template <typename T>
  operator T() const {  // NOLINT(google-explicit-constructor)
    return T();
  }
};

template <size_t>
using AnyFieldAt = AnyField;

template <typename T, typename... A>
constexpr auto BraceInitializable(int) -> decltype(T{std::declval<A>()...}, true) {
  return true;
}
template <typename T, typename... A>
constexpr bool BraceInitializable(...) {
  return false;
}

template <typename T, size_t... I>
constexpr bool TakesInitializers(std::index_sequence<I...>) {
  return BraceInitializable<T, AnyFieldAt<I>...>(0);
}

// Counts down from 16, the most it tells apart, to the first count T{...}
// takes: counting up would try T{...} with fewer initializers than members,
// which clang warns about (-Wmissing-field-initializers) even unevaluated.
template <typename T, size_t N = 16>
constexpr size_t MembersOf() {
  if constexpr (N == 0) {
    return 0;
  } else if constexpr (TakesInitializers<T>(std::make_index_sequence<N>())) {
    return N;
  } else {
    return MembersOf<T, N - 1>();
  }
}

static_assert(MembersOf<cargo_credential::RegistryInfo>() == 3, "extend v1::RegistryInfo");
static_assert(MembersOf<cargo_credential::Operation>() == 4, "extend v1::Operation");
static_assert(MembersOf<cargo_credential::LoginOptions>() == 2, "extend v1::LoginOptions");
static_assert(MembersOf<cargo_credential::Action>() == 3, "extend v1::Action");
static_assert(MembersOf<cargo_credential::CredentialRequest>() == 4,
              "extend v1::CredentialRequest");
static_assert(MembersOf<cargo_credential::CacheControl>() == 2, "extend v1::CacheControl");
static_assert(MembersOf<cargo_credential::CredentialResponse>() == 4,
              "extend v1::CredentialResponse");

// Fails for any field of `message` (recursively) left at its default: a
// field added to the proto that the encoder does not fill.
void ExpectEveryFieldSet(const google::protobuf::Message& message, const std::string& path = "") {
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  const google::protobuf::Reflection* reflection = message.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    const std::string name = path + field->name();
    // Set by the daemon's service, not carried by any lib/ type: what
    // backends said for the user (their programs' stderr).
    if (name == "user_text") continue;
    if (field->real_containing_oneof() != nullptr && !reflection->HasField(message, field)) {
      continue;  // One member of a oneof is set at a time; tested one by one.
    }
    if (field->is_repeated()) {
      EXPECT_GT(reflection->FieldSize(message, field), 0) << name << " left empty";
      continue;
    }
    EXPECT_TRUE(reflection->HasField(message, field)) << name << " left unset";
    if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE &&
        reflection->HasField(message, field)) {
      ExpectEveryFieldSet(reflection->GetMessage(message, field), name + ".");
    }
  }
}

CredentialRequest FullRequest(ActionKind kind) {
  CredentialRequest request;
  request.v = 7;
  request.registry = {"sparse+http://h/index/", "myreg", {"WWW-Authenticate: Cargo"}};
  request.action.kind = kind;
  request.action.operation = {OperationKind::kPublish, "foo", "0.1.0", "ab"};
  request.action.login.token = Secret(absl::string_view("Bearer t"));
  request.action.login.login_url = "https://h/me";
  request.args = {"a", "b c"};
  return request;
}

TEST(ConvertTest, EveryRequestFieldIsEncodedAndDecoded) {
  const CredentialRequest request = FullRequest(ActionKind::kLogin);
  const v1::CredentialRequest encoded = ToProto(request);
  ExpectEveryFieldSet(encoded);

  const CredentialRequest decoded = FromProto(encoded);
  EXPECT_EQ(decoded.v, 7u);
  EXPECT_EQ(decoded.registry.index_url, "sparse+http://h/index/");
  EXPECT_EQ(decoded.registry.name, "myreg");
  EXPECT_THAT(decoded.registry.headers, ElementsAre("WWW-Authenticate: Cargo"));
  EXPECT_EQ(decoded.action.kind, ActionKind::kLogin);
  EXPECT_EQ(decoded.action.operation.kind, OperationKind::kPublish);
  EXPECT_EQ(decoded.action.operation.name, "foo");
  EXPECT_EQ(decoded.action.operation.vers, "0.1.0");
  EXPECT_EQ(decoded.action.operation.cksum, "ab");
  ASSERT_TRUE(decoded.action.login.token.has_value());
  EXPECT_EQ(decoded.action.login.token->Expose(), "Bearer t");
  EXPECT_EQ(decoded.action.login.login_url, "https://h/me");
  EXPECT_THAT(decoded.args, ElementsAre("a", "b c"));
}

TEST(ConvertTest, AbsentOptionalsStayAbsent) {
  CredentialRequest request;
  request.registry.index_url = "u";
  const CredentialRequest decoded = FromProto(ToProto(request));
  EXPECT_FALSE(decoded.registry.name.has_value());
  EXPECT_THAT(decoded.registry.headers, IsEmpty());
  EXPECT_FALSE(decoded.action.login.token.has_value());
  EXPECT_FALSE(decoded.action.login.login_url.has_value());
  EXPECT_EQ(decoded.action.kind, ActionKind::kGet);
  EXPECT_EQ(decoded.action.operation.kind, OperationKind::kRead);
}

TEST(ConvertTest, EveryResponseFieldIsEncodedAndDecoded) {
  const absl::StatusOr<CredentialResponse> response = CredentialResponse::Get(
      Secret(absl::string_view("t")), CacheControl::Expires(1700000000), true);
  v1::PerformResponse encoded = ResultToProto(response);
  ExpectEveryFieldSet(encoded);

  absl::StatusOr<CredentialResponse> decoded = ResultFromProto(&encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->kind, ResponseKind::kGet);
  EXPECT_EQ(decoded->token.Expose(), "t");
  EXPECT_EQ(decoded->cache.kind, CacheKind::kExpires);
  EXPECT_EQ(decoded->cache.expiration, 1700000000);
  EXPECT_TRUE(decoded->operation_independent);
  EXPECT_THAT(encoded.ok().token(), IsEmpty()) << "the message keeps no copy of the token";

  // proto3's defaults (false, 0) travel as absent and come back the same.
  encoded = ResultToProto(
      CredentialResponse::Get(Secret(absl::string_view("t")), CacheControl::Session(), false));
  decoded = ResultFromProto(&encoded);
  EXPECT_FALSE(decoded->operation_independent);
  EXPECT_EQ(decoded->cache.kind, CacheKind::kSession);
}

TEST(ConvertTest, EveryErrorFieldIsEncodedAndDecoded) {
  v1::PerformResponse encoded = ResultToProto(cargo_credential::OtherError("top", {"cause"}));
  ExpectEveryFieldSet(encoded);
  const absl::StatusOr<CredentialResponse> decoded = ResultFromProto(&encoded);
  EXPECT_EQ(cargo_credential::KindOf(decoded.status()), ErrorKind::kOther);
  EXPECT_EQ(decoded.status().message(), "top");
  EXPECT_THAT(cargo_credential::CausedBy(decoded.status()), ElementsAre("cause"));
}

TEST(ConvertTest, ErrorTextThatIsNotUtf8IsMadeValid) {
  v1::PerformResponse encoded = ResultToProto(cargo_credential::OtherError("bad \xff", {"\xfe"}));
  EXPECT_TRUE(cargo_credential::IsUtf8(encoded.error().message()));
  EXPECT_TRUE(cargo_credential::IsUtf8(encoded.error().caused_by(0)));
}

TEST(ConvertTest, EveryEnumValueRoundTrips) {
  for (OperationKind kind :
       {OperationKind::kRead, OperationKind::kPublish, OperationKind::kYank, OperationKind::kUnyank,
        OperationKind::kOwners, OperationKind::kUnknown}) {
    EXPECT_EQ(FromProto(ToProto(kind)), kind);
  }
  for (ActionKind kind :
       {ActionKind::kGet, ActionKind::kLogin, ActionKind::kLogout, ActionKind::kUnknown}) {
    EXPECT_EQ(FromProto(ToProto(kind)), kind);
  }
  for (CacheKind kind :
       {CacheKind::kNever, CacheKind::kSession, CacheKind::kExpires, CacheKind::kUnknown}) {
    EXPECT_EQ(FromProto(ToProto(kind)), kind);
  }
  for (ResponseKind kind :
       {ResponseKind::kGet, ResponseKind::kLogin, ResponseKind::kLogout, ResponseKind::kUnknown}) {
    EXPECT_EQ(FromProto(ToProto(kind)), kind);
  }
  for (ErrorKind kind :
       {ErrorKind::kUrlNotSupported, ErrorKind::kNotFound, ErrorKind::kOperationNotSupported,
        ErrorKind::kOther, ErrorKind::kUnknown}) {
    EXPECT_EQ(FromProto(ToProto(kind)), kind);
  }
  // Every proto value maps to a lib/ value of its own: none is left out.
  const google::protobuf::EnumDescriptor* enums[] = {
      v1::OperationKind_descriptor(), v1::ActionKind_descriptor(), v1::CacheKind_descriptor(),
      v1::ResponseKind_descriptor(), v1::ErrorKind_descriptor()};
  for (const google::protobuf::EnumDescriptor* e : enums) {
    for (int i = 0; i < e->value_count(); ++i) {
      const int number = e->value(i)->number();
      int back = -1;
      if (e == v1::OperationKind_descriptor()) {
        back = ToProto(FromProto(static_cast<v1::OperationKind>(number)));
      } else if (e == v1::ActionKind_descriptor()) {
        back = ToProto(FromProto(static_cast<v1::ActionKind>(number)));
      } else if (e == v1::CacheKind_descriptor()) {
        back = ToProto(FromProto(static_cast<v1::CacheKind>(number)));
      } else if (e == v1::ResponseKind_descriptor()) {
        back = ToProto(FromProto(static_cast<v1::ResponseKind>(number)));
      } else {
        back = ToProto(FromProto(static_cast<v1::ErrorKind>(number)));
      }
      EXPECT_EQ(back, number) << e->value(i)->name();
    }
  }
}

TEST(ConvertTest, EveryResultKindRoundTrips) {
  for (const absl::StatusOr<CredentialResponse>& result :
       {absl::StatusOr<CredentialResponse>(CredentialResponse::Login()),
        absl::StatusOr<CredentialResponse>(CredentialResponse::Logout())}) {
    v1::PerformResponse encoded = ResultToProto(result);
    EXPECT_EQ(ResultFromProto(&encoded)->kind, result->kind);
  }
  for (const absl::Status& error :
       {cargo_credential::NotFoundError(), cargo_credential::UrlNotSupportedError(),
        cargo_credential::OperationNotSupportedError()}) {
    v1::PerformResponse encoded = ResultToProto(error);
    EXPECT_EQ(cargo_credential::KindOf(ResultFromProto(&encoded).status()),
              cargo_credential::KindOf(error));
  }
  v1::PerformResponse empty;
  EXPECT_EQ(cargo_credential::KindOf(ResultFromProto(&empty).status()), ErrorKind::kOther);
}

}  // namespace
}  // namespace credcache
