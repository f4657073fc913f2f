#include "cargo_credential/line_io.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cargo_credential/secret.h"

namespace cargo_credential {
namespace {

constexpr size_t kReadChunk = 4096;

// Waits until `fd` is ready for `events` or the deadline passes.
absl::Status WaitFor(int fd, short events, absl::Time deadline) {
  while (true) {
    struct pollfd pfd = {fd, events, 0};
    const int ready = poll(&pfd, 1, PollTimeout(deadline));
    if (ready > 0) return absl::OkStatus();
    if (ready == 0) return absl::DeadlineExceededError("timed out");
    if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", strerror(errno)));
    }
  }
}

}  // namespace

LineReader::LineReader(int fd, size_t max_line) : fd_(fd), max_line_(max_line) {}

LineReader::~LineReader() { WipeString(buffer_); }

std::string LineReader::TakeLine(size_t length, size_t consumed) {
  std::string line = buffer_.substr(0, length);
  // Overwrite what leaves the buffer before the bytes behind it move up.
  explicit_bzero(buffer_.data(), consumed);
  buffer_.erase(0, consumed);
  return line;
}

absl::StatusOr<std::optional<std::string>> LineReader::Next(absl::Time deadline) {
  while (true) {
    const size_t newline = buffer_.find('\n');
    if (discarding_) {
      if (newline != std::string::npos) {
        TakeLine(0, newline + 1);
        discarding_ = false;
        continue;
      }
      explicit_bzero(buffer_.data(), buffer_.size());
      buffer_.clear();
    } else if (newline != std::string::npos) {
      if (newline > max_line_) {
        TakeLine(0, newline + 1);
        return absl::ResourceExhaustedError(absl::StrCat("line longer than ", max_line_, " bytes"));
      }
      return std::optional<std::string>(TakeLine(newline, newline + 1));
    } else if (buffer_.size() > max_line_) {
      discarding_ = true;
      explicit_bzero(buffer_.data(), buffer_.size());
      buffer_.clear();
      return absl::ResourceExhaustedError(absl::StrCat("line longer than ", max_line_, " bytes"));
    }
    if (eof_) {
      if (buffer_.empty()) return std::optional<std::string>();
      return std::optional<std::string>(TakeLine(buffer_.size(), buffer_.size()));
    }

    absl::Status ready = WaitFor(fd_, POLLIN, deadline);
    if (!ready.ok()) return ready;
    char chunk[kReadChunk];
    const ssize_t n = read(fd_, chunk, sizeof(chunk));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return absl::InternalError(absl::StrCat("read: ", strerror(errno)));
    }
    if (n == 0) {
      eof_ = true;
      discarding_ = false;
      continue;
    }
    AppendWiped(buffer_, absl::string_view(chunk, static_cast<size_t>(n)));
    explicit_bzero(chunk, static_cast<size_t>(n));
  }
}

int PollTimeout(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return -1;
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  // Capped, so that a far deadline never overflows poll()'s int (an
  // overflow could turn into a zero timeout and a spinning caller).
  return static_cast<int>(std::min<int64_t>(
      absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))), 1 << 30));
}

absl::Status WriteAll(int fd, absl::string_view data, absl::Time deadline) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      absl::Status ready = WaitFor(fd, POLLOUT, deadline);
      if (!ready.ok()) return ready;
      continue;
    }
    return absl::UnavailableError(absl::StrCat("write: ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status WriteLine(int fd, absl::string_view line, absl::Time deadline) {
  std::string framed;
  framed.reserve(line.size() + 1);
  framed.append(line.data(), line.size());
  framed.push_back('\n');
  absl::Status status = WriteAll(fd, framed, deadline);
  WipeString(framed);
  return status;
}

}  // namespace cargo_credential
