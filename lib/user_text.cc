#include "lib/user_text.h"

#include <unistd.h>

#include <utility>

#include "cargo_credential/line_io.h"

namespace cargo_credential {
namespace {

thread_local UserTextCapture* current_capture = nullptr;

}  // namespace

UserTextCapture::UserTextCapture(std::function<void(absl::string_view)> sink)
    : sink_(std::move(sink)), outer_(current_capture) {
  current_capture = this;
}

UserTextCapture::~UserTextCapture() { current_capture = outer_; }

void TellUser(absl::string_view text) {
  if (text.empty()) return;
  if (current_capture != nullptr) {
    current_capture->sink_(text);
    return;
  }
  WriteAll(STDERR_FILENO, text).IgnoreError();  // Nobody to tell that stderr failed.
}

}  // namespace cargo_credential
