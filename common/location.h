// "FILE:LINE:COLUMN", the one spelling of a place in a file that every
// config and token-file error starts with (compilers' convention, so that
// editors and terminals can jump to it).
//
// Thread-safety: a pure function.
#ifndef CREDCACHE_COMMON_LOCATION_H_
#define CREDCACHE_COMMON_LOCATION_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace credcache {

// `at` is anything with `line` and `column` (toml::source_position); a
// template so that this header needs no TOML library (the shim builds its
// own copy of toml++).
template <typename Position>
std::string Location(absl::string_view source, const Position& at) {
  return absl::StrCat(source, ":", at.line, ":", at.column);
}

}  // namespace credcache

#endif  // CREDCACHE_COMMON_LOCATION_H_
