// Text for the user from code that runs for a provider request: what a
// backend's program wrote on its stderr, a wrapped provider's "your session
// expires in 5 minutes".
//
// Cargo shows a provider's stderr to the user. In a provider process,
// TellUser therefore writes to stderr. A program that runs provider code on
// someone else's behalf (credcached runs backends for a shim) installs a
// UserTextCapture on the thread that runs it and passes the text on to the
// user by its own means.
//
// Thread-safety: a capture belongs to the thread that made it; TellUser may
// be called from any thread, and goes to that thread's capture, if any.
#ifndef CREDCACHE_LIB_USER_TEXT_H_
#define CREDCACHE_LIB_USER_TEXT_H_

#include <functional>

#include "absl/strings/string_view.h"

namespace cargo_credential {

// Passes `text` on to the user: to this thread's capture when there is one,
// else to stderr.
void TellUser(absl::string_view text);

// While alive, TellUser on this thread calls `sink` instead of writing to
// stderr. Captures nest; the innermost wins.
class UserTextCapture {
 public:
  explicit UserTextCapture(std::function<void(absl::string_view)> sink);
  UserTextCapture(const UserTextCapture&) = delete;
  UserTextCapture& operator=(const UserTextCapture&) = delete;
  ~UserTextCapture();

 private:
  friend void TellUser(absl::string_view text);
  std::function<void(absl::string_view)> sink_;
  UserTextCapture* const outer_;
};

}  // namespace cargo_credential

#endif  // CREDCACHE_LIB_USER_TEXT_H_
