// Fuzzes both directions of Cargo's protocol: what a provider reads from
// cargo (ParseRequest) and what cargo's side reads from a provider
// (ParseHello, ParseResult). Whatever parses must serialise to a line that
// parses back to the same thing: one line, no crash, no exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "cargo_credential/protocol.h"

namespace {

void Check(bool ok) {
  if (!ok) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cargo_credential;  // NOLINT: a fuzzer's one function.
  const absl::string_view line(reinterpret_cast<const char*>(data), size);

  if (absl::StatusOr<CredentialRequest> request = ParseRequest(line); request.ok()) {
    const std::string again = SerializeRequest(*request);
    Check(again.find('\n') == std::string::npos);
    absl::StatusOr<CredentialRequest> reparsed = ParseRequest(again);
    Check(reparsed.ok());
    Check(SerializeRequest(*reparsed) == again);
  }
  if (absl::StatusOr<CredentialHello> hello = ParseHello(line); hello.ok()) {
    Check(ParseHello(SerializeHello(*hello)).ok());
  }
  if (absl::StatusOr<ProviderAnswer> answer = ParseResult(line); answer.ok()) {
    const std::string again = SerializeResult(answer->result);
    Check(again.find('\n') == std::string::npos);
    Check(ParseResult(again).ok());
  }
  return 0;
}
