#include "cargo_credential/error.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cargo_credential {
namespace {

using ::testing::ElementsAre;

TEST(ErrorTest, KindsRoundTripThroughStatus) {
  EXPECT_EQ(KindOf(UrlNotSupportedError()), ErrorKind::kUrlNotSupported);
  EXPECT_EQ(KindOf(NotFoundError()), ErrorKind::kNotFound);
  EXPECT_EQ(KindOf(OperationNotSupportedError()), ErrorKind::kOperationNotSupported);
  EXPECT_EQ(KindOf(OtherError("x")), ErrorKind::kOther);
  EXPECT_EQ(KindOf(ProtocolError(ErrorKind::kUnknown, "")), ErrorKind::kUnknown);
}

TEST(ErrorTest, ALibraryNotFoundIsNotTheProtocolsNotFound) {
  EXPECT_EQ(KindOf(absl::NotFoundError("no such file")), ErrorKind::kOther);
}

TEST(ErrorTest, AnnotatePushesContextAndKeepsKind) {
  absl::Status status = Annotate(OtherError("E2", {"E1"}), "E3");
  EXPECT_EQ(status.message(), "E3");
  EXPECT_THAT(CausedBy(status), ElementsAre("E2", "E1"));
  EXPECT_EQ(KindOf(Annotate(NotFoundError(), "looking in the keyring")), ErrorKind::kNotFound);
  EXPECT_THAT(CausedBy(Annotate(NotFoundError(), "outer")), ElementsAre("credential not found"));
  EXPECT_TRUE(Annotate(absl::OkStatus(), "x").ok());
}

TEST(ErrorTest, NamesAreTheProtocolsSpellings) {
  for (ErrorKind kind : {ErrorKind::kUrlNotSupported, ErrorKind::kNotFound,
                         ErrorKind::kOperationNotSupported, ErrorKind::kOther}) {
    EXPECT_EQ(ParseErrorKind(ErrorKindName(kind)), kind);
  }
  EXPECT_EQ(ParseErrorKind("url_not_supported"), ErrorKind::kUnknown);
}

}  // namespace
}  // namespace cargo_credential
