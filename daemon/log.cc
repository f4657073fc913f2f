#include "daemon/log.h"

#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace credcache {
namespace {

// The longest message logged whole; a registry "name" sent by a client can
// be anything.
constexpr size_t kMaxMessage = 2000;

// `message` as one line of plain text: control characters (a line break
// that would forge a line, a terminal escape) are escaped, and an overlong
// message is cut.
std::string OneLine(absl::string_view message) {
  std::string out;
  for (const char c : message.substr(0, kMaxMessage)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      absl::StrAppend(&out, "\\x", absl::Hex(byte, absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  if (message.size() > kMaxMessage) absl::StrAppend(&out, "... (", message.size(), " bytes)");
  return out;
}

}  // namespace

void Log(absl::string_view message) {
  // One write() per line: atomic for lines this short, so no lock is needed.
  const std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                   " credcached[", getpid(), "] ", OneLine(message), "\n");
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace credcache
