#include "lib/user_text.h"

#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace cargo_credential {
namespace {

TEST(UserTextTest, ACaptureTakesTheTextOfItsThreadOnly) {
  std::string outer_text, inner_text, other_thread;
  {
    UserTextCapture outer(
        [&](absl::string_view text) { outer_text.append(text.data(), text.size()); });
    TellUser("one ");
    {
      UserTextCapture inner(
          [&](absl::string_view text) { inner_text.append(text.data(), text.size()); });
      TellUser("two");
      std::thread([&] {
        UserTextCapture mine(
            [&](absl::string_view text) { other_thread.append(text.data(), text.size()); });
        TellUser("three");
      }).join();
    }
    TellUser("four");
    TellUser("");
  }
  EXPECT_EQ(outer_text, "one four");
  EXPECT_EQ(inner_text, "two");
  EXPECT_EQ(other_thread, "three");
}

TEST(UserTextTest, WithoutACaptureItGoesToStderr) {
  ::testing::internal::CaptureStderr();
  TellUser("for the user\n");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "for the user\n");
}

}  // namespace
}  // namespace cargo_credential
