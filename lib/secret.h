// Secret: a string that must never be shown, such as a registry token.
//
// A Secret owns its bytes. It never prints them: streaming it (and so gtest's
// printer) shows "REDACTED". The only way to the value is Expose(), so every place that
// needs the plaintext is easy to find. (abseil 20220623, Debian 12's, has no
// AbslStringify, so absl::StrCat does not accept a Secret at all.) When a Secret is destroyed,
// assigned over or moved from, the bytes it held are overwritten with zeros first.
//
// Copies are explicit (Clone()), so a stray copy of a token is a choice in the
// code, not an accident of pass-by-value.
//
// Thread-safety: like std::string; const methods may be called concurrently.
#ifndef CARGO_CREDENTIAL_SECRET_H_
#define CARGO_CREDENTIAL_SECRET_H_

#include <ostream>
#include <string>

#include "absl/strings/string_view.h"

namespace cargo_credential {

// Overwrites every byte `value` owns, up to its capacity, and empties it.
// The compiler may not elide the writes.
void WipeString(std::string& value);

// Appends `data` to `buffer`. When the buffer must grow, the new one is
// allocated here and the old one wiped before it is freed, so a buffer that
// collects a secret piece by piece leaves no copies in freed memory.
void AppendWiped(std::string& buffer, absl::string_view data);

class Secret {
 public:
  Secret() = default;
  // Takes the bytes of `value` and wipes what stays behind in it (a short
  // string's inline buffer is copied, not moved, by std::string).
  explicit Secret(std::string&& value);
  // Copies `value`; the caller stays responsible for wiping its own copy.
  explicit Secret(absl::string_view value);

  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret();

  // An independent copy; both must be wiped, which both will be.
  Secret Clone() const { return Secret(absl::string_view(value_)); }

  // The plaintext. The reference is valid until this Secret changes or dies.
  const std::string& Expose() const { return value_; }

  bool empty() const { return value_.empty(); }
  size_t size() const { return value_.size(); }

  // Takes a time that depends on the lengths only, never on where the values
  // differ, so comparing a presented token leaks no prefix through timing.
  friend bool operator==(const Secret& a, const Secret& b);
  friend bool operator!=(const Secret& a, const Secret& b) { return !(a == b); }

  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "REDACTED"; }

 private:
  std::string value_;
};

}  // namespace cargo_credential

#endif  // CARGO_CREDENTIAL_SECRET_H_
