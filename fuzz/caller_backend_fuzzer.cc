// Fuzzes how the shim makes a backend the daemon asks it to run in the
// caller (backends/caller_kinds.h): the kind on the first line, the
// [[backend]] table's TOML after it. Any input gets a backend or an error,
// never a crash or an exception; making one runs nothing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "backends/caller_kinds.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string kind = input.substr(0, newline);
  const std::string config = newline == std::string::npos ? "" : input.substr(newline + 1);
  (void)credcache::MakeBackendInCaller(kind, config, "fuzz", absl::Seconds(1));
  return 0;
}
