// UTF-8 checks for text that crosses a boundary requiring it: JSON strings
// (cargo's protocol), TOML strings (the token file), protobuf `string`
// fields (the daemon's error messages), HTTP header values (tokens).
//
// Well-formed means what RFC 3629 means: no overlong forms, no surrogates,
// no code points past U+10FFFF, no truncated sequences.
//
// Thread-safety: pure functions.
#ifndef CREDCACHE_LIB_UTF8_H_
#define CREDCACHE_LIB_UTF8_H_

#include <string>

#include "absl/strings/string_view.h"

namespace cargo_credential {

// Whether `text` is well-formed UTF-8.
bool IsUtf8(absl::string_view text);

// `text` with each byte that is not part of a well-formed sequence replaced
// by U+FFFD, for messages that must be shown whatever a program printed.
// Never use it on a token: a token is refused, not altered.
std::string ToUtf8Lossy(absl::string_view text);

}  // namespace cargo_credential

#endif  // CREDCACHE_LIB_UTF8_H_
