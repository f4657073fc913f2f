#include "cargo_credential/protocol.h"

#include <string>

#include "cargo_credential/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cargo_credential {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

CredentialRequest RequestFor(ActionKind kind) {
  CredentialRequest request;
  request.registry.index_url = "url";
  request.action.kind = kind;
  return request;
}

// The serialisations cargo-credential's own tests pin, byte for byte.
TEST(SerializeTest, OwnersRequestMatchesCargoCredential) {
  CredentialRequest request = RequestFor(ActionKind::kGet);
  request.action.operation.kind = OperationKind::kOwners;
  request.action.operation.name = "pkg";
  EXPECT_EQ(SerializeRequest(request), R"({"v":1,"registry":{"index-url":"url"},"kind":"get",)"
                                       R"("operation":"owners","name":"pkg"})");
}

TEST(SerializeTest, GetResponseMatchesCargoCredential) {
  absl::StatusOr<CredentialResponse> response =
      CredentialResponse::Get(Secret(std::string("value")), CacheControl::Never(), true);
  EXPECT_EQ(SerializeResult(response), R"({"Ok":{"kind":"get","token":"value","cache":"never",)"
                                       R"("operation_independent":true}})");
}

TEST(SerializeTest, ExpiresCarriesIntegerExpiration) {
  absl::StatusOr<CredentialResponse> response =
      CredentialResponse::Get(Secret(std::string("t")), CacheControl::Expires(1693928537), false);
  EXPECT_EQ(SerializeResult(response),
            R"({"Ok":{"kind":"get","token":"t","cache":"expires",)"
            R"("expiration":1693928537,"operation_independent":false}})");
}

TEST(SerializeTest, SessionCache) {
  absl::StatusOr<CredentialResponse> response =
      CredentialResponse::Get(Secret(std::string("Bearer a b")), CacheControl::Session(), true);
  EXPECT_EQ(SerializeResult(response),
            R"({"Ok":{"kind":"get","token":"Bearer a b","cache":"session",)"
            R"("operation_independent":true}})");
}

TEST(SerializeTest, UnknownCacheIsWrittenAsNever) {
  CredentialResponse response =
      CredentialResponse::Get(Secret(std::string("t")), CacheControl{CacheKind::kUnknown, 5}, true);
  EXPECT_THAT(SerializeResult(std::move(response)), HasSubstr(R"("cache":"never")"));
}

TEST(SerializeTest, LoginAndLogoutResponses) {
  EXPECT_EQ(SerializeResult(CredentialResponse::Login()), R"({"Ok":{"kind":"login"}})");
  EXPECT_EQ(SerializeResult(CredentialResponse::Logout()), R"({"Ok":{"kind":"logout"}})");
}

TEST(SerializeTest, ErrorKindsAreKebabCase) {
  EXPECT_EQ(SerializeResult(UrlNotSupportedError()), R"({"Err":{"kind":"url-not-supported"}})");
  EXPECT_EQ(SerializeResult(NotFoundError()), R"({"Err":{"kind":"not-found"}})");
  EXPECT_EQ(SerializeResult(OperationNotSupportedError()),
            R"({"Err":{"kind":"operation-not-supported"}})");
}

TEST(SerializeTest, OtherErrorCarriesMessageAndCausedBy) {
  EXPECT_EQ(SerializeResult(OtherError("E3", {"E2", "E1"})),
            R"({"Err":{"kind":"other","message":"E3","caused-by":["E2","E1"]}})");
  // cargo-credential always writes caused-by, as [] when empty.
  EXPECT_EQ(SerializeResult(OtherError("daemon unreachable")),
            R"({"Err":{"kind":"other","message":"daemon unreachable","caused-by":[]}})");
}

TEST(SerializeTest, PlainStatusIsOther) {
  EXPECT_EQ(SerializeResult(absl::NotFoundError("config file missing")),
            R"({"Err":{"kind":"other","message":"config file missing","caused-by":[]}})");
}

TEST(SerializeTest, UnknownErrorKindIsWrittenAsOther) {
  EXPECT_EQ(SerializeResult(ProtocolError(ErrorKind::kUnknown, "new kind")),
            R"({"Err":{"kind":"other","message":"new kind","caused-by":[]}})");
}

TEST(SerializeTest, ATokenThatIsNotUtf8IsRefusedNotAltered) {
  absl::StatusOr<CredentialResponse> response = CredentialResponse::Get(
      Secret(std::string("Bearer \xff\xfe")), CacheControl::Session(), true);
  const std::string line = SerializeResult(response);
  EXPECT_THAT(line, HasSubstr(R"("kind":"other","message":"the token is not valid UTF-8")"));
  EXPECT_THAT(line, Not(HasSubstr("Bearer")));
  // Multi-byte UTF-8 passes untouched.
  absl::StatusOr<CredentialResponse> accented = CredentialResponse::Get(
      Secret(std::string("Bearer caf\xc3\xa9 \xf0\x9f\x94\x91")), CacheControl::Session(), true);
  EXPECT_THAT(SerializeResult(accented), HasSubstr("caf\xc3\xa9 \xf0\x9f\x94\x91"));
}

TEST(CheckTokenTest, RefusesWhatCannotBeAnHttpHeaderValue) {
  EXPECT_TRUE(CheckToken(Secret(absl::string_view("Bearer a.b-c_d\tcaf\xc3\xa9"))).ok());
  for (const char* bad : {"", "a\nb", "a\r", "\x7f", "a\x01", "\xff"}) {
    const absl::Status status = CheckToken(Secret(absl::string_view(bad)));
    EXPECT_FALSE(status.ok()) << bad;
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr(bad[0] ? bad : "~")));
  }
  EXPECT_FALSE(CheckToken(Secret(std::string("a\0b", 3))).ok());
}

TEST(SerializeTest, HelloIsVersionList) {
  EXPECT_EQ(SerializeHello(CredentialHello()), R"({"v":[1]})");
}

TEST(SerializeTest, FullRequestsInCargoOrder) {
  CredentialRequest publish = RequestFor(ActionKind::kGet);
  publish.registry.index_url = "sparse+http://127.0.0.1:1/index/";
  publish.registry.name = "myreg";
  publish.registry.headers = {"WWW-Authenticate: Cargo login_url=\"x\""};
  publish.action.operation = {OperationKind::kPublish, "foo", "0.1.1", "c47c"};
  publish.args = {"session"};
  EXPECT_EQ(SerializeRequest(publish),
            R"({"v":1,"registry":{"index-url":"sparse+http://127.0.0.1:1/index/",)"
            R"("name":"myreg","headers":["WWW-Authenticate: Cargo login_url=\"x\""]},)"
            R"("kind":"get","operation":"publish","name":"foo","vers":"0.1.1",)"
            R"("cksum":"c47c","args":["session"]})");

  CredentialRequest login = RequestFor(ActionKind::kLogin);
  login.action.login.token = Secret(std::string("Bearer s3kr1t"));
  login.action.login.login_url = "http://h/me";
  EXPECT_EQ(SerializeRequest(login), R"({"v":1,"registry":{"index-url":"url"},"kind":"login",)"
                                     R"("token":"Bearer s3kr1t","login-url":"http://h/me"})");

  EXPECT_EQ(SerializeRequest(RequestFor(ActionKind::kLogout)),
            R"({"v":1,"registry":{"index-url":"url"},"kind":"logout"})");

  CredentialRequest yank = RequestFor(ActionKind::kGet);
  yank.action.operation = {OperationKind::kYank, "foo", "0.1.0", "ignored"};
  EXPECT_EQ(SerializeRequest(yank), R"({"v":1,"registry":{"index-url":"url"},"kind":"get",)"
                                    R"("operation":"yank","name":"foo","vers":"0.1.0"})");
}

// Requests exactly as cargo 1.95 sent them (cargo-protocol.md §1.3).
TEST(ParseRequestTest, CargoReadWithHeaders) {
  absl::StatusOr<CredentialRequest> request =
      ParseRequest(R"({"v":1,"registry":{"index-url":"sparse+http://127.0.0.1:18080/index/",)"
                   R"("name":"myreg","headers":["Server: BaseHTTP/0.6 Python/3.11.7",)"
                   R"("WWW-Authenticate: Cargo login_url=\"http://127.0.0.1:18080/me\""]},)"
                   R"("kind":"get","operation":"read","args":["session"]})"
                   "\n");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->v, 1u);
  EXPECT_EQ(request->registry.index_url, "sparse+http://127.0.0.1:18080/index/");
  EXPECT_EQ(request->registry.name, "myreg");
  EXPECT_THAT(request->registry.headers,
              ElementsAre("Server: BaseHTTP/0.6 Python/3.11.7",
                          "WWW-Authenticate: Cargo login_url=\"http://127.0.0.1:18080/me\""));
  EXPECT_EQ(request->action.kind, ActionKind::kGet);
  EXPECT_EQ(request->action.operation.kind, OperationKind::kRead);
  EXPECT_THAT(request->args, ElementsAre("session"));
}

TEST(ParseRequestTest, CargoPublishYankUnyankOwners) {
  absl::StatusOr<CredentialRequest> publish = ParseRequest(
      R"({"v":1,"registry":{"index-url":"u","name":"myreg"},"kind":"get",)"
      R"("operation":"publish","name":"foo","vers":"0.1.1","cksum":"c47c","args":["session"]})");
  ASSERT_TRUE(publish.ok()) << publish.status();
  EXPECT_EQ(publish->action.operation.kind, OperationKind::kPublish);
  EXPECT_EQ(publish->action.operation.name, "foo");
  EXPECT_EQ(publish->action.operation.vers, "0.1.1");
  EXPECT_EQ(publish->action.operation.cksum, "c47c");

  absl::StatusOr<CredentialRequest> unyank =
      ParseRequest(R"({"v":1,"registry":{"index-url":"u"},"kind":"get","operation":"unyank",)"
                   R"("name":"foo","vers":"0.1.0"})");
  ASSERT_TRUE(unyank.ok()) << unyank.status();
  EXPECT_EQ(unyank->action.operation.kind, OperationKind::kUnyank);
  EXPECT_FALSE(unyank->registry.name.has_value());
  EXPECT_TRUE(unyank->args.empty());

  absl::StatusOr<CredentialRequest> owners = ParseRequest(
      R"({"v":1,"registry":{"index-url":"u"},"kind":"get","operation":"owners","name":"foo"})");
  ASSERT_TRUE(owners.ok()) << owners.status();
  EXPECT_EQ(owners->action.operation.kind, OperationKind::kOwners);
  EXPECT_EQ(owners->action.operation.name, "foo");
}

TEST(ParseRequestTest, LoginWithAndWithoutToken) {
  absl::StatusOr<CredentialRequest> login =
      ParseRequest(R"({"v":1,"registry":{"index-url":"u"},"kind":"login","token":"Bearer s3kr1t",)"
                   R"("login-url":"http://h/me","args":["session","--extra1","x"]})");
  ASSERT_TRUE(login.ok()) << login.status();
  ASSERT_TRUE(login->action.login.token.has_value());
  EXPECT_EQ(login->action.login.token->Expose(), "Bearer s3kr1t");
  EXPECT_EQ(login->action.login.login_url, "http://h/me");
  EXPECT_THAT(login->args, ElementsAre("session", "--extra1", "x"));

  absl::StatusOr<CredentialRequest> bare =
      ParseRequest(R"({"v":1,"registry":{"index-url":"u"},"kind":"login","args":["session"]})");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_FALSE(bare->action.login.token.has_value());
  EXPECT_FALSE(bare->action.login.login_url.has_value());
}

TEST(ParseRequestTest, UnknownFieldsAreIgnored) {
  absl::StatusOr<CredentialRequest> request =
      ParseRequest(R"({"v":1,"future":{"x":[1,2]},"registry":{"index-url":"u","color":"red"},)"
                   R"("kind":"logout","extra":null})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->action.kind, ActionKind::kLogout);
}

TEST(ParseRequestTest, UnknownKindAndOperationParseAsUnknown) {
  absl::StatusOr<CredentialRequest> kind =
      ParseRequest(R"({"v":1,"registry":{"index-url":"u"},"kind":"refresh","anything":1})");
  ASSERT_TRUE(kind.ok()) << kind.status();
  EXPECT_EQ(kind->action.kind, ActionKind::kUnknown);

  absl::StatusOr<CredentialRequest> operation =
      ParseRequest(R"({"v":1,"registry":{"index-url":"u"},"kind":"get","operation":"mirror"})");
  ASSERT_TRUE(operation.ok()) << operation.status();
  EXPECT_EQ(operation->action.operation.kind, OperationKind::kUnknown);
}

TEST(ParseRequestTest, TrailingCarriageReturnIsAccepted) {
  EXPECT_TRUE(
      ParseRequest("{\"v\":1,\"registry\":{\"index-url\":\"u\"},\"kind\":\"logout\"}\r\n").ok());
}

TEST(ParseRequestTest, RoundTripsEveryShape) {
  for (OperationKind kind : {OperationKind::kRead, OperationKind::kPublish, OperationKind::kYank,
                             OperationKind::kUnyank, OperationKind::kOwners}) {
    CredentialRequest request = RequestFor(ActionKind::kGet);
    request.registry.name = "n";
    request.registry.headers = {"A: b"};
    request.action.operation = {kind, "foo", "1.0.0", "ab"};
    request.args = {"x", "y z"};
    const std::string line = SerializeRequest(request);
    absl::StatusOr<CredentialRequest> parsed = ParseRequest(line);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(SerializeRequest(*parsed), line);
  }
}

struct Malformed {
  const char* line;
  const char* error;
};

class MalformedRequestTest : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedRequestTest, FailsWithClearMessage) {
  absl::StatusOr<CredentialRequest> request = ParseRequest(GetParam().line);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(request.status().message()), HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedRequestTest,
    ::testing::Values(
        Malformed{"", "malformed JSON"}, Malformed{"not json", "malformed JSON"},
        Malformed{R"({"v":1,"registry":)", "malformed JSON"},
        Malformed{"[1,2]", "expected a JSON object"},
        Malformed{R"({"registry":{"index-url":"u"},"kind":"logout"})", "missing field `v`"},
        Malformed{R"({"v":"1","registry":{"index-url":"u"},"kind":"logout"})", "field `v`"},
        Malformed{R"({"v":-1,"registry":{"index-url":"u"},"kind":"logout"})", "field `v`"},
        Malformed{R"({"v":1,"kind":"logout"})", "missing field `registry`"},
        Malformed{R"({"v":1,"registry":"u","kind":"logout"})",
                  "field `registry` must be an object"},
        Malformed{R"({"v":1,"registry":{},"kind":"logout"})", "missing field `index-url`"},
        Malformed{R"({"v":1,"registry":{"index-url":7},"kind":"logout"})",
                  "field `index-url` must be a string"},
        Malformed{R"({"v":1,"registry":{"index-url":"u","headers":"x"},"kind":"logout"})",
                  "field `headers`"},
        Malformed{R"({"v":1,"registry":{"index-url":"u"}})", "missing field `kind`"},
        Malformed{R"({"v":1,"registry":{"index-url":"u"},"kind":"get"})",
                  "missing field `operation`"},
        Malformed{
            R"({"v":1,"registry":{"index-url":"u"},"kind":"get","operation":"publish","name":"a","vers":"1"})",
            "missing field `cksum`"},
        Malformed{
            R"({"v":1,"registry":{"index-url":"u"},"kind":"get","operation":"yank","name":"a"})",
            "missing field `vers`"},
        Malformed{R"({"v":1,"registry":{"index-url":"u"},"kind":"get","operation":"owners"})",
                  "missing field `name`"},
        Malformed{R"({"v":1,"registry":{"index-url":"u"},"kind":"login","token":5})",
                  "field `token` must be a string"},
        Malformed{R"({"v":1,"registry":{"index-url":"u"},"kind":"logout","args":[1]})",
                  "field `args` must be a list of strings"},
        // Valid JSON that nlohmann cannot hold: once an uncaught exception.
        Malformed{R"({"v":1e400})", "unreadable JSON"},
        Malformed{R"({"v":1,"registry":{"index-url":"u"},"kind":"logout","x":-1e999})",
                  "unreadable JSON"}));

TEST(ParseHelloTest, NumbersTooLargeForADoubleAreRefusedNotFatal) {
  EXPECT_FALSE(ParseHello(R"({"v":[1e400]})").ok());
  EXPECT_FALSE(ParseHello(R"({"v":[1],"x":1e400})").ok());
  EXPECT_FALSE(
      ParseResult(
          R"({"Ok":{"kind":"get","token":"t","cache":"expires","expiration":1e400,"operation_independent":true}})")
          .ok());
}

TEST(ParseRequestTest, ErrorsNeverQuoteTheInput) {
  absl::StatusOr<CredentialRequest> request =
      ParseRequest(R"({"v":1,"registry":{"index-url":"u"},"kind":"login","token":"Bearer SEKRIT)");
  ASSERT_FALSE(request.ok());
  EXPECT_THAT(std::string(request.status().message()), Not(HasSubstr("SEKRIT")));
}

TEST(ParseHelloTest, AcceptsVersionLists) {
  absl::StatusOr<CredentialHello> hello = ParseHello(R"({"v":[1,2]})");
  ASSERT_TRUE(hello.ok()) << hello.status();
  EXPECT_THAT(hello->v, ElementsAre(1u, 2u));
  EXPECT_FALSE(ParseHello(R"({"v":1})").ok());
  EXPECT_FALSE(ParseHello(R"({"x":[1]})").ok());
  EXPECT_FALSE(ParseHello(R"({"v":["1"]})").ok());
}

TEST(ParseResultTest, GetResponses) {
  auto parsed = ParseResult(
      R"({"Ok":{"kind":"get","token":"Bearer x","cache":"expires","expiration":1693942857,)"
      R"("operation_independent":false,"extra":true}})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(parsed->result.ok()) << parsed->result.status();
  const CredentialResponse& response = *parsed->result;
  EXPECT_EQ(response.kind, ResponseKind::kGet);
  EXPECT_EQ(response.token.Expose(), "Bearer x");
  EXPECT_EQ(response.cache.kind, CacheKind::kExpires);
  EXPECT_EQ(response.cache.expiration, 1693942857);
  EXPECT_FALSE(response.operation_independent);
}

TEST(ParseResultTest, UnknownCacheAndKindAreKept) {
  auto cache = ParseResult(
      R"({"Ok":{"kind":"get","token":"t","cache":"forever","operation_independent":true}})");
  ASSERT_TRUE(cache.ok()) << cache.status();
  ASSERT_TRUE(cache->result.ok());
  EXPECT_EQ(cache->result->cache.kind, CacheKind::kUnknown);

  auto kind = ParseResult(R"({"Ok":{"kind":"refresh","x":1}})");
  ASSERT_TRUE(kind.ok()) << kind.status();
  ASSERT_TRUE(kind->result.ok());
  EXPECT_EQ(kind->result->kind, ResponseKind::kUnknown);
}

TEST(ParseResultTest, ErrorsKeepKindMessageAndCause) {
  auto other = ParseResult(
      R"({"Err":{"kind":"other","message":"daemon unreachable","caused-by":["connect failed","ENOENT"]}})");
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_FALSE(other->result.ok());
  EXPECT_EQ(KindOf(other->result.status()), ErrorKind::kOther);
  EXPECT_EQ(other->result.status().message(), "daemon unreachable");
  EXPECT_THAT(CausedBy(other->result.status()), ElementsAre("connect failed", "ENOENT"));

  auto not_found = ParseResult(R"({"Err":{"kind":"not-found"}})");
  ASSERT_TRUE(not_found.ok());
  EXPECT_EQ(KindOf(not_found->result.status()), ErrorKind::kNotFound);

  auto unknown = ParseResult(R"({"Err":{"kind":"unexpected-kind","unexpected-content":"test"}})");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(KindOf(unknown->result.status()), ErrorKind::kUnknown);
}

TEST(ParseResultTest, UnitKindsNeedNoMessageAndTheirsIsExtra) {
  // Cargo's unit variants take no message: none is needed, and one given is
  // read (cargo ignores it) rather than refused.
  for (const char* line : {R"({"Err":{"kind":"not-found"}})",
                           R"({"Err":{"kind":"not-found","message":"dropped by cargo"}})",
                           R"({"Err":{"kind":"url-not-supported"}})",
                           R"({"Err":{"kind":"operation-not-supported","message":"x"}})"}) {
    EXPECT_TRUE(ParseResult(line).ok()) << line;
  }
}

TEST(ParseResultTest, RoundTripsErrors) {
  for (const absl::Status& error : {UrlNotSupportedError(), NotFoundError(),
                                    OperationNotSupportedError(), OtherError("E3", {"E2", "E1"})}) {
    const std::string line = SerializeResult(error);
    auto parsed = ParseResult(line);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(SerializeResult(parsed->result), line);
  }
}

TEST(ParseResultTest, RejectsWhatCargoRejects) {
  // The protocol doc's bare example: cargo says unknown variant `token`.
  EXPECT_FALSE(ParseResult(R"({"token":"x"})").ok());
  EXPECT_FALSE(
      ParseResult(R"({"Ok":{"token":"x","cache":"never","operation_independent":true}})").ok());
  EXPECT_FALSE(
      ParseResult(R"({"Ok":{"kind":"get","cache":"never","operation_independent":true}})").ok());
  EXPECT_FALSE(
      ParseResult(R"({"Ok":{"kind":"get","token":"x","operation_independent":true}})").ok());
  EXPECT_FALSE(
      ParseResult(
          R"({"Ok":{"kind":"get","token":"x","cache":"expires","operation_independent":true}})")
          .ok());
  EXPECT_FALSE(
      ParseResult(
          R"({"Ok":{"kind":"get","token":"x","cache":"expires","expiration":1.5,"operation_independent":true}})")
          .ok());
  EXPECT_FALSE(
      ParseResult(
          R"({"Ok":{"kind":"get","token":"x","cache":"expires","expiration":"2023-09-05T00:00:00Z","operation_independent":true}})")
          .ok());
  EXPECT_FALSE(ParseResult(R"({"Ok":{"kind":"get","token":"x","cache":"never"}})").ok());
  EXPECT_FALSE(ParseResult(R"({"Err":{"message":"no kind"}})").ok());
  // serde's required field: an `other` error without its message.
  EXPECT_FALSE(ParseResult(R"({"Err":{"kind":"other"}})").ok());
  EXPECT_FALSE(ParseResult(R"({"Err":{"kind":"other","caused-by":["x"]}})").ok());
  EXPECT_FALSE(ParseResult(R"({"Ok":{"kind":"login"},"Err":{"kind":"other"}})").ok());
  // Pretty-printed JSON spans lines; the first line alone is malformed.
  EXPECT_FALSE(ParseResult("{").ok());
}

TEST(ParseResultTest, SerialisedLinesHaveNoNewline) {
  // A token with a line break would split the HTTP request cargo sends it
  // in: it is refused with an error, and the line itself stays one line.
  absl::StatusOr<CredentialResponse> response =
      CredentialResponse::Get(Secret(std::string("a\nb")), CacheControl::Session(), true);
  const std::string line = SerializeResult(response);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto parsed = ParseResult(line);
  ASSERT_TRUE(parsed.ok());
  ASSERT_FALSE(parsed->result.ok());
  EXPECT_THAT(std::string(parsed->result.status().message()), HasSubstr("control character"));
  // Messages with line breaks are escaped, never raw.
  const std::string error = SerializeResult(OtherError("two\nlines", {"and\nmore"}));
  EXPECT_EQ(error.find('\n'), std::string::npos);
  ASSERT_TRUE(ParseResult(error).ok());
  EXPECT_EQ(ParseResult(error)->result.status().message(), "two\nlines");
}

}  // namespace
}  // namespace cargo_credential
