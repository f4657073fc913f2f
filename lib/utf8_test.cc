#include "lib/utf8.h"

#include "gtest/gtest.h"

namespace cargo_credential {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsUtf8(""));
  EXPECT_TRUE(IsUtf8("Bearer abc"));
  EXPECT_TRUE(IsUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x91"));
  EXPECT_TRUE(IsUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST(Utf8Test, RefusesEveryKindOfMalformedSequence) {
  EXPECT_FALSE(IsUtf8("\xFF"));
  EXPECT_FALSE(IsUtf8("\x80"));              // A continuation byte alone.
  EXPECT_FALSE(IsUtf8("\xC3"));              // Truncated.
  EXPECT_FALSE(IsUtf8("\xC0\xAF"));          // Overlong '/'.
  EXPECT_FALSE(IsUtf8("\xE0\x80\xAF"));      // Overlong, three bytes.
  EXPECT_FALSE(IsUtf8("\xED\xA0\x80"));      // A surrogate.
  EXPECT_FALSE(IsUtf8("\xF4\x90\x80\x80"));  // Past U+10FFFF.
  EXPECT_FALSE(IsUtf8("ok\xC3("));
}

TEST(Utf8Test, LossyReplacesOnlyTheBadBytes) {
  EXPECT_EQ(ToUtf8Lossy("plain"), "plain");
  EXPECT_EQ(ToUtf8Lossy("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(ToUtf8Lossy("a\xFF"
                        "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ToUtf8Lossy("\xC3"), "\xEF\xBF\xBD");
  EXPECT_TRUE(IsUtf8(ToUtf8Lossy("\xED\xA0\x80\xF4\x90\x80\x80\xC0")));
}

}  // namespace
}  // namespace cargo_credential
