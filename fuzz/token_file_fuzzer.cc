// Fuzzes the file backend's token-file parser: any bytes get tokens or an
// error that starts with the file's place. (That errors never quote a value
// is file_backend_test's to show: a fuzzer cannot tell values from keys,
// which are index URLs and are named.)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "backends/file_backend.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<credcache::TokenMap> tokens = credcache::ParseTokenFile("/fuzz/tokens.toml", text);
  if (!tokens.ok() && !absl::StartsWith(tokens.status().message(), "/fuzz/tokens.toml:")) abort();
  return 0;
}
