#include "lib/secret.h"

#include <string.h>

#include <utility>

namespace cargo_credential {

void WipeString(std::string& value) {
  // Growing to the capacity never reallocates, and makes every byte the
  // buffer holds part of the string, so all of it can be cleared.
  value.resize(value.capacity());
  explicit_bzero(value.data(), value.size());
  value.clear();
}

Secret::Secret(std::string&& value) : value_(value) { WipeString(value); }

Secret::Secret(absl::string_view value) : value_(value) {}

Secret::Secret(Secret&& other) noexcept : value_(other.value_) {
  WipeString(other.value_);
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    WipeString(value_);
    value_ = other.value_;
    WipeString(other.value_);
  }
  return *this;
}

Secret::~Secret() { WipeString(value_); }

bool operator==(const Secret& a, const Secret& b) {
  const std::string& x = a.value_;
  const std::string& y = b.value_;
  if (x.size() != y.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    diff |= static_cast<unsigned char>(x[i] ^ y[i]);
  }
  return diff == 0;
}

}  // namespace cargo_credential
