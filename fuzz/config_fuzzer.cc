// Fuzzes credcached's config parser: any text gets a config or an error
// that names its place, never a crash or an exception. Backends are made as
// the daemon makes them, so their option readers are fuzzed too; none of
// them touches the filesystem or runs anything until asked a request.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<credcache::Config> config = credcache::ParseConfig(text, "fuzz.toml");
  if (!config.ok() && !absl::StartsWith(config.status().message(), "fuzz.toml")) abort();
  return 0;
}
