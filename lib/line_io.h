/// @file
/// Line framing on raw file descriptors, with deadlines.
///
/// The protocol is one JSON object per line each way. These helpers read and
/// write such lines on descriptors directly (no stdio buffering to flush or
/// to leak into a child), retry on EINTR, and give up at a deadline instead
/// of blocking forever, so neither side can hang the other.
///
/// Bytes read are kept only until returned; the buffer is wiped when the
/// reader dies, since lines may hold tokens.
///
/// Thread-safety: a LineReader is used by one thread at a time.
///
/// The exchange of a protocol peer on two descriptors, each step bounded by
/// one deadline:
///
/// @code
/// #include <optional>
/// #include <string>
///
/// #include "absl/time/clock.h"
/// #include "absl/time/time.h"
/// #include "cargo_credential/line_io.h"
///
/// // Writes `request` as a line to `out_fd` and returns the line that answers
/// // it on `in_fd`, all within 10 seconds.
/// absl::StatusOr<std::string> Exchange(int in_fd, int out_fd, const std::string& request) {
///   absl::Time deadline = absl::Now() + absl::Seconds(10);
///   absl::Status written = cargo_credential::WriteLine(out_fd, request, deadline);
///   if (!written.ok()) return written;
///   cargo_credential::LineReader reader(in_fd, /*max_line=*/1 << 20);
///   absl::StatusOr<std::optional<std::string>> line = reader.Next(deadline);
///   if (!line.ok()) return line.status();
///   if (!line->has_value()) return absl::UnavailableError("no answer before end of input");
///   return **line;
/// }
/// @endcode
#ifndef CARGO_CREDENTIAL_LINE_IO_H_
#define CARGO_CREDENTIAL_LINE_IO_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cargo_credential {

/// Reads lines from a descriptor, each by a deadline.
class LineReader {
 public:
  /// Reads from `fd`, which it does not own. Lines longer than `max_line`
  /// bytes are refused (see Next).
  LineReader(int fd, size_t max_line);
  LineReader(const LineReader&) = delete;             ///< Not copyable.
  LineReader& operator=(const LineReader&) = delete;  ///< Not copyable.
  /// Wipes what was read and not yet returned.
  ~LineReader();

  /// The next line without its "\n", or nullopt at end of input (a last line
  /// without "\n" is still returned). Fails with DeadlineExceeded when no
  /// whole line arrived by `deadline`, with ResourceExhausted for a line over
  /// the limit (whose remaining bytes are then skipped, so the next call reads
  /// the line after it), and with the errno text for a read error.
  absl::StatusOr<std::optional<std::string>> Next(absl::Time deadline = absl::InfiniteFuture());

 private:
  /// Takes the first `length` bytes of buffer_ and the newline after them.
  std::string TakeLine(size_t length, size_t consumed);

  const int fd_;
  const size_t max_line_;
  std::string buffer_;
  bool eof_ = false;
  /// Set while the rest of an over-long line is being thrown away.
  bool discarding_ = false;
};

/// Milliseconds until `deadline`, as poll() takes them: -1 for an infinite
/// deadline, 0 once it has passed, and never more than about 12 days (the
/// caller loops), however far the deadline.
int PollTimeout(absl::Time deadline);

/// Writes all of `data` to `fd`, waiting for a non-blocking descriptor as
/// needed, until `deadline`. EPIPE is reported as an error (callers ignore
/// SIGPIPE), never as a signal.
absl::Status WriteAll(int fd, absl::string_view data, absl::Time deadline = absl::InfiniteFuture());

/// `line` followed by "\n", written in one piece.
absl::Status WriteLine(int fd, absl::string_view line,
                       absl::Time deadline = absl::InfiniteFuture());

}  // namespace cargo_credential

#endif  // CARGO_CREDENTIAL_LINE_IO_H_
