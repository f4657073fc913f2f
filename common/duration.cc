#include "common/duration.h"

#include <cstdint>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace credcache {

absl::StatusOr<absl::Duration> ParseIdleExit(absl::string_view text) {
  const absl::Status refused = absl::InvalidArgumentError(
      absl::StrCat("takes a duration such as 15m, 90s or 1h30m, or a number of seconds (0: "
                   "never); `",
                   text, "` is not one"));
  absl::Duration duration;
  if (!text.empty() && absl::c_all_of(text, absl::ascii_isdigit)) {
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(text, &seconds)) return refused;
    duration = absl::Seconds(seconds);
  } else if (text.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(text[0])) ||
             !absl::ParseDuration(text, &duration)) {
    // A leading digit keeps out "inf" and "-5m".
    return refused;
  }
  // A daemon idle for less than a second exits between a shim's connect
  // and its request: cargo's requests fail.
  if (duration > absl::ZeroDuration() && duration < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("takes at least 1s (0: never); `", text, "` is shorter"));
  }
  if (duration > absl::Hours(24 * 30)) {
    return absl::InvalidArgumentError(
        absl::StrCat("takes at most 30 days (720h); `", text, "` is longer"));
  }
  return duration;
}

}  // namespace credcache
