#include "cargo_credential/secret.h"

#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace cargo_credential {
namespace {

TEST(SecretTest, NeverPrints) {
  Secret secret(std::string("Bearer hunter2"));
  std::ostringstream stream;
  stream << secret;
  EXPECT_EQ(stream.str(), "REDACTED");
  EXPECT_EQ(::testing::PrintToString(secret).find("hunter2"), std::string::npos);
  EXPECT_EQ(secret.Expose(), "Bearer hunter2");
}

TEST(SecretTest, TakingAStringWipesTheSource) {
  std::string source = "short";  // Inline storage: std::string copies it.
  const char* inline_bytes = source.data();
  Secret secret(std::move(source));
  EXPECT_EQ(secret.Expose(), "short");
  EXPECT_EQ(std::string(inline_bytes, 5), std::string(5, '\0'));
}

TEST(SecretTest, MoveLeavesNothingBehind) {
  Secret first(std::string("a token long enough to live on the heap, surely"));
  Secret second(std::move(first));
  EXPECT_TRUE(first.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(second.Expose(), "a token long enough to live on the heap, surely");
  Secret third;
  third = std::move(second);
  EXPECT_TRUE(second.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(third.size(), 47u);
}

TEST(SecretTest, WipeStringZeroesTheWholeBuffer) {
  std::string value(100, 'x');
  value.resize(10);
  WipeString(value);
  EXPECT_TRUE(value.empty());
  value.resize(100);  // Within capacity: the old bytes would show here.
  EXPECT_EQ(value, std::string(100, '\0'));
}

TEST(SecretTest, ComparesByValue) {
  EXPECT_EQ(Secret(absl::string_view("abc")), Secret(absl::string_view("abc")));
  EXPECT_NE(Secret(absl::string_view("abc")), Secret(absl::string_view("abd")));
  EXPECT_NE(Secret(absl::string_view("abc")), Secret(absl::string_view("abcd")));
  Secret original(absl::string_view("t"));
  EXPECT_EQ(original.Clone(), original);
}

}  // namespace
}  // namespace cargo_credential
