// Fuzzes what the shim reads of cargo's own files and settings: an index
// URL spelt as cargo spells it (CargoIndexUrl, a URL parser of its own),
// and a config.toml read for its registries and providers. Any bytes get
// an answer or an error, never a crash; an index that is accepted is
// accepted again unchanged (cargo's spelling is a fixed point), and a
// sparse one keeps its trailing slash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "shim/cargo_config.h"
#include "shim/cargo_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::string> url = credcache::CargoIndexUrl(text);
  if (url.ok()) {
    absl::StatusOr<std::string> again = credcache::CargoIndexUrl(*url);
    if (!again.ok() || *again != *url) abort();
    if (absl::StartsWith(*url, "sparse+") && !absl::EndsWith(*url, "/")) abort();
  }
  credcache::CargoAsksCredcache(text, "crates-io");
  credcache::CargoAsksCredcache(text, "myreg");
  credcache::CargoRegistries({{"/fuzz/config.toml", text, ""}});
  // Merged with itself, as a nearer file over a farther one.
  credcache::CargoSettings({{"/p/.cargo/config.toml", text, ""}, {"/home/config.toml", text, ""}})
      .ProviderFor("myreg");
  return 0;
}
