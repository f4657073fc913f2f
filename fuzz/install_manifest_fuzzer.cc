// Fuzzes the install manifest uninstall-service reads (ManifestPaths): any
// bytes give only absolute paths, without `.` or `..` segments, whose last
// part is one of the names an install writes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "shim/service_install.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> names = {"credcached", "cargo-credential-credcache",
                                          "credcached.socket"};
  for (const std::string& path :
       credcache::ManifestPaths(std::string(reinterpret_cast<const char*>(data), size), names)) {
    if (path.empty() || path[0] != '/' || absl::StrContains(path, "/../") ||
        absl::StrContains(path, "/./") || absl::StrContains(path, "\n")) {
      abort();
    }
    const std::string last = path.substr(path.rfind('/') + 1);
    if (last != names[0] && last != names[1] && last != names[2]) abort();
  }
  return 0;
}
