#include "cargo_credential/error.h"

#include <optional>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_split.h"

namespace cargo_credential {
namespace {

// Payload keys. A status without kKindPayload is an `other` error.
constexpr char kKindPayload[] = "cargo-credential/kind";
constexpr char kCausedByPayload[] = "cargo-credential/caused-by";
// Cause entries are joined by NUL: messages may hold any other character.
constexpr char kCauseSeparator = '\0';

void SetCausedBy(absl::Status& status, const std::vector<std::string>& chain) {
  if (chain.empty()) {
    status.ErasePayload(kCausedByPayload);
    return;
  }
  std::string joined;
  for (size_t i = 0; i < chain.size(); ++i) {
    if (i > 0) joined.push_back(kCauseSeparator);
    joined += chain[i];
  }
  status.SetPayload(kCausedByPayload, absl::Cord(std::move(joined)));
}

}  // namespace

absl::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUrlNotSupported:
      return "url-not-supported";
    case ErrorKind::kNotFound:
      return "not-found";
    case ErrorKind::kOperationNotSupported:
      return "operation-not-supported";
    case ErrorKind::kOther:
      return "other";
    case ErrorKind::kUnknown:
      return "unknown";
  }
  return "other";
}

ErrorKind ParseErrorKind(absl::string_view name) {
  if (name == "url-not-supported") return ErrorKind::kUrlNotSupported;
  if (name == "not-found") return ErrorKind::kNotFound;
  if (name == "operation-not-supported") {
    return ErrorKind::kOperationNotSupported;
  }
  if (name == "other") return ErrorKind::kOther;
  return ErrorKind::kUnknown;
}

absl::Status ProtocolError(ErrorKind kind, absl::string_view message,
                           std::vector<std::string> caused_by) {
  absl::StatusCode code = absl::StatusCode::kUnknown;
  switch (kind) {
    case ErrorKind::kUrlNotSupported:
      code = absl::StatusCode::kFailedPrecondition;
      break;
    case ErrorKind::kNotFound:
      code = absl::StatusCode::kNotFound;
      break;
    case ErrorKind::kOperationNotSupported:
      code = absl::StatusCode::kUnimplemented;
      break;
    case ErrorKind::kOther:
    case ErrorKind::kUnknown:
      break;
  }
  absl::Status status(code, message);
  status.SetPayload(kKindPayload, absl::Cord(ErrorKindName(kind)));
  SetCausedBy(status, caused_by);
  return status;
}

absl::Status UrlNotSupportedError(absl::string_view message) {
  return ProtocolError(ErrorKind::kUrlNotSupported, message);
}

absl::Status NotFoundError(absl::string_view message) {
  return ProtocolError(ErrorKind::kNotFound, message);
}

absl::Status OperationNotSupportedError(absl::string_view message) {
  return ProtocolError(ErrorKind::kOperationNotSupported, message);
}

absl::Status OtherError(absl::string_view message, std::vector<std::string> caused_by) {
  return ProtocolError(ErrorKind::kOther, message, std::move(caused_by));
}

ErrorKind KindOf(const absl::Status& status) {
  absl::optional<absl::Cord> kind = status.GetPayload(kKindPayload);
  if (!kind.has_value()) return ErrorKind::kOther;
  std::string name(*kind);
  // kUnknown is stored under its own name, which ParseErrorKind maps back.
  return ParseErrorKind(name);
}

std::vector<std::string> CausedBy(const absl::Status& status) {
  absl::optional<absl::Cord> chain = status.GetPayload(kCausedByPayload);
  if (!chain.has_value()) return {};
  return absl::StrSplit(std::string(*chain), kCauseSeparator);
}

absl::Status Annotate(const absl::Status& status, absl::string_view outer) {
  if (status.ok()) return status;
  std::vector<std::string> chain = CausedBy(status);
  absl::string_view inner = status.message();
  if (inner.empty()) inner = DefaultMessage(KindOf(status));
  chain.insert(chain.begin(), std::string(inner));
  absl::Status annotated(status.code(), outer);
  status.ForEachPayload([&annotated](absl::string_view key, const absl::Cord& value) {
    annotated.SetPayload(key, value);
  });
  SetCausedBy(annotated, chain);
  return annotated;
}

absl::string_view DefaultMessage(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUrlNotSupported:
      return "registry not supported";
    case ErrorKind::kNotFound:
      return "credential not found";
    case ErrorKind::kOperationNotSupported:
      return "requested operation not supported";
    case ErrorKind::kOther:
      return "credential action failed";
    case ErrorKind::kUnknown:
      return "unknown error kind; try updating Cargo?";
  }
  return "credential action failed";
}

}  // namespace cargo_credential
