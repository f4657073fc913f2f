#include "cargo_credential/secret.h"

#include <string.h>

#include <algorithm>
#include <utility>

namespace cargo_credential {

void WipeString(std::string& value) {
  // Growing to the capacity never reallocates, and makes every byte the
  // buffer holds part of the string, so all of it can be cleared.
  value.resize(value.capacity());
  explicit_bzero(value.data(), value.size());
  value.clear();
}

void AppendWiped(std::string& buffer, absl::string_view data) {
  if (buffer.size() + data.size() > buffer.capacity()) {
    std::string grown;
    grown.reserve(std::max(buffer.capacity() * 2, buffer.size() + data.size()));
    grown.append(buffer);
    WipeString(buffer);
    buffer.swap(grown);  // `grown` now holds the wiped, empty old buffer.
  }
  buffer.append(data.data(), data.size());
}

Secret::Secret(std::string&& value) : value_(value) { WipeString(value); }

Secret::Secret(absl::string_view value) : value_(value) {}

Secret::Secret(Secret&& other) noexcept : value_(other.value_) { WipeString(other.value_); }

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
