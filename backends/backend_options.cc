#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/backend.h"
#include "common/location.h"

namespace credcache {

absl::StatusOr<absl::Duration> ParseDurationNode(const toml::node& node) {
  absl::Duration duration;
  if (const auto* seconds = node.as_integer()) {
    duration = absl::Seconds(seconds->get());
  } else if (const auto* text = node.as_string()) {
    if (!absl::ParseDuration(text->get(), &duration)) {
      return absl::InvalidArgumentError("must be a duration such as \"90s\", \"15m\" or \"1h30m\"");
    }
  } else {
    return absl::InvalidArgumentError(
        "must be a duration such as \"90s\", \"15m\" or \"1h30m\", or seconds");
  }
  if (duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("must be longer than zero");
  }
  // "inf" parses, and so do seconds past any clock's range; neither is a
  // setting anyone means, and both once broke the arithmetic of deadlines.
  if (duration > kMaxDuration) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be at most ", absl::FormatDuration(kMaxDuration), " (30 days)"));
  }
  return duration;
}

BackendOptions::BackendOptions(const toml::table& table, std::string source,
                               std::string backend_name, absl::Duration timeout, bool in_caller)
    : table_(table),
      source_(std::move(source)),
      backend_name_(std::move(backend_name)),
      timeout_(timeout),
      in_caller_(in_caller) {}

const toml::node* BackendOptions::Find(absl::string_view key) const {
  return table_.get(std::string_view(key.data(), key.size()));
}

absl::Status BackendOptions::Error(absl::string_view key, absl::string_view message) const {
  const toml::node* node = Find(key);
  const std::string where = Location(
      source_, (node != nullptr ? *node : static_cast<const toml::node&>(table_)).source().begin);
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": backend `", backend_name_, "`: `", key, "` ", message));
}

absl::StatusOr<std::string> BackendOptions::String(absl::string_view key) const {
  absl::StatusOr<std::optional<std::string>> value = OptionalString(key);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Error(key, "is required");
  return **value;
}

absl::StatusOr<std::optional<std::string>> BackendOptions::OptionalString(
    absl::string_view key) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return std::optional<std::string>();
  const auto* text = node->as_string();
  if (text == nullptr) return Error(key, "must be a string");
  return std::optional<std::string>(text->get());
}

absl::StatusOr<std::vector<std::string>> BackendOptions::StringList(absl::string_view key) const {
  std::vector<std::string> out;
  const toml::node* node = Find(key);
  if (node == nullptr) return out;
  const toml::array* array = node->as_array();
  if (array == nullptr) return Error(key, "must be a list of strings");
  for (const toml::node& item : *array) {
    const auto* text = item.as_string();
    if (text == nullptr) return Error(key, "must be a list of strings");
    out.push_back(text->get());
  }
  return out;
}

absl::StatusOr<std::optional<absl::Duration>> BackendOptions::Duration(
    absl::string_view key) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return std::optional<absl::Duration>();
  absl::StatusOr<absl::Duration> duration = ParseDurationNode(*node);
  if (!duration.ok()) return Error(key, duration.status().message());
  return std::optional<absl::Duration>(*duration);
}

absl::StatusOr<std::optional<bool>> BackendOptions::Bool(absl::string_view key) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return std::optional<bool>();
  const auto* flag = node->as_boolean();
  if (flag == nullptr) return Error(key, "must be true or false");
  return std::optional<bool>(flag->get());
}

}  // namespace credcache
