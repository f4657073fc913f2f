/// @file
/// Secret: a string that must never be shown, such as a registry token.
///
/// A Secret owns its bytes. It never prints them: streaming it (and so gtest's
/// printer) shows "REDACTED". The only way to the value is Expose(), so every place that
/// needs the plaintext is easy to find. (abseil 20220623, Debian 12's, has no
/// AbslStringify, so absl::StrCat does not accept a Secret at all.) When a Secret is destroyed,
/// assigned over or moved from, the bytes it held are overwritten with zeros first.
///
/// Copies are explicit (Clone()), so a stray copy of a token is a choice in the
/// code, not an accident of pass-by-value.
///
/// Thread-safety: like std::string; const methods may be called concurrently.
///
/// A token assembled piece by piece without leaving copies behind, compared
/// without leaking where it differs, and logged without being shown:
///
/// @code
/// #include <iostream>
/// #include <string>
/// #include <utility>
///
/// #include "absl/strings/string_view.h"
/// #include "cargo_credential/secret.h"
///
/// bool CheckPresented(absl::string_view scheme, absl::string_view value,
///                     const cargo_credential::Secret& expected) {
///   std::string buffer;
///   cargo_credential::AppendWiped(buffer, scheme);
///   cargo_credential::AppendWiped(buffer, value);
///   cargo_credential::Secret presented(std::move(buffer));  // wipes what stays in `buffer`
///   std::cerr << "checking " << presented << "\n";          // "checking REDACTED"
///   return presented == expected;
/// }
/// @endcode
#ifndef CARGO_CREDENTIAL_SECRET_H_
#define CARGO_CREDENTIAL_SECRET_H_

#include <ostream>
#include <string>

#include "absl/strings/string_view.h"

namespace cargo_credential {

/// Overwrites every byte `value` owns, up to its capacity, and empties it.
/// The compiler may not elide the writes.
void WipeString(std::string& value);

/// Appends `data` to `buffer`. When the buffer must grow, the new one is
/// allocated here and the old one wiped before it is freed, so a buffer that
/// collects a secret piece by piece leaves no copies in freed memory.
void AppendWiped(std::string& buffer, absl::string_view data);

/// A string that must never be shown; see secret.h.
class Secret {
 public:
  /// An empty secret.
  Secret() = default;
  /// Takes the bytes of `value` and wipes what stays behind in it (a short
  /// string's inline buffer is copied, not moved, by std::string).
  explicit Secret(std::string&& value);
  /// Copies `value`; the caller stays responsible for wiping its own copy.
  explicit Secret(absl::string_view value);

  /// Takes the bytes of `other`, which is left empty.
  Secret(Secret&& other) noexcept;
  /// Wipes this secret's bytes, then takes those of `other`, which is left
  /// empty.
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;             ///< Copies are explicit: Clone().
  Secret& operator=(const Secret&) = delete;  ///< Copies are explicit: Clone().
  /// Wipes the bytes.
  ~Secret();

  /// An independent copy; both must be wiped, which both will be.
  Secret Clone() const { return Secret(absl::string_view(value_)); }

  /// The plaintext. The reference is valid until this Secret changes or dies.
  const std::string& Expose() const { return value_; }

  /// Whether the value is empty.
  bool empty() const { return value_.empty(); }
  /// The value's length in bytes.
  size_t size() const { return value_.size(); }

  /// Whether `a` and `b` hold the same bytes. Takes a time that depends on
  /// the lengths only, never on where the values differ, so comparing a
  /// presented token leaks no prefix through timing.
  friend bool operator==(const Secret& a, const Secret& b);
  /// The opposite of ==, in the same time.
  friend bool operator!=(const Secret& a, const Secret& b) { return !(a == b); }

  /// Writes "REDACTED", never the value.
  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "REDACTED"; }

 private:
  std::string value_;
};

}  // namespace cargo_credential

#endif  // CARGO_CREDENTIAL_SECRET_H_
