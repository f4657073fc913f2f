#include "common/duration.h"

#include <string>

#include "gtest/gtest.h"

namespace credcache {
namespace {

// issue 13: the shim refused `CREDCACHE_IDLE_EXIT=900` while credcached
// took `--idle-exit 900`; both now read one value alike.
TEST(ParseIdleExitTest, TakesDurationsAndSecondsAndZeroForNever) {
  EXPECT_EQ(*ParseIdleExit("15m"), absl::Minutes(15));
  EXPECT_EQ(*ParseIdleExit("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseIdleExit("900"), absl::Seconds(900));
  EXPECT_EQ(*ParseIdleExit("0"), absl::ZeroDuration());
  EXPECT_EQ(*ParseIdleExit("0s"), absl::ZeroDuration());
  EXPECT_EQ(*ParseIdleExit("720h"), absl::Hours(720));
}

TEST(ParseIdleExitTest, RefusesWhatIsNotADurationSayingWhatIsTaken) {
  for (const char* bad : {"", "forever", "inf", "-5m", "15 m", "15x", "1e3", "99999999999999999999",
                          "721h", " 15m", "+15m"}) {
    absl::StatusOr<absl::Duration> parsed = ParseIdleExit(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    const std::string message(parsed.status().message());
    EXPECT_TRUE(message.find("30 days") != std::string::npos ||
                message.find("such as 15m") != std::string::npos)
        << message;
  }
}

// Attack: CREDCACHE_IDLE_EXIT=1ns was taken, and a daemon so started
// exited between a shim's connect and its request (cargo saw "did not
// answer: send: Broken pipe"); status said it had no idle exit at all.
TEST(ParseIdleExitTest, RefusesLessThanASecond) {
  for (const char* short_one : {"1ns", "500ms", "0.5s", "999999us"}) {
    absl::StatusOr<absl::Duration> parsed = ParseIdleExit(short_one);
    EXPECT_FALSE(parsed.ok()) << short_one;
    EXPECT_NE(std::string(parsed.status().message()).find("at least 1s"), std::string::npos)
        << parsed.status();
  }
  EXPECT_EQ(*ParseIdleExit("1s"), absl::Seconds(1));
  EXPECT_EQ(*ParseIdleExit("1.5s"), absl::Milliseconds(1500));
  EXPECT_EQ(*ParseIdleExit("0ms"), absl::ZeroDuration()) << "zero is never, however spelt";
}

}  // namespace
}  // namespace credcache
