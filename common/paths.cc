#include "common/paths.h"

#include <stdlib.h>
#include <unistd.h>

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/accounts.h"

namespace credcache {
namespace {

// An absolute value of `name`, or empty: XDG says relative values are
// invalid and must be ignored.
std::string AbsoluteEnv(const char* name) {
  const char* value = getenv(name);
  if (value == nullptr || value[0] != '/') return "";
  return value;
}

}  // namespace

std::string HomeDirectory() {
  std::string home = AbsoluteEnv("HOME");
  if (!home.empty()) return home;
  // Not getpwuid(): the shim is linked statically, and NSS in a static
  // program loads the system's modules built for another libc
  // (common/accounts.h reads the database without it, for both programs).
  absl::StatusOr<std::string> entry = HomeDirectoryOf(getuid());
  return entry.ok() ? *std::move(entry) : "/";
}

std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  absl::string_view rest = path;
  while (absl::ConsumePrefix(&rest, "./")) {
  }
  return absl::StrCat(cwd, cwd[1] == '\0' ? "" : "/", rest);
}

std::string DefaultSocketPath() {
  const char* explicit_path = getenv("CREDCACHE_SOCKET");
  if (explicit_path != nullptr && explicit_path[0] != '\0') return Absolute(explicit_path);
  const std::string runtime = AbsoluteEnv("XDG_RUNTIME_DIR");
  if (!runtime.empty()) return absl::StrCat(runtime, "/credcache/credcache.sock");
  return absl::StrCat("/tmp/credcache-", getuid(), "/credcache.sock");
}

std::string DefaultConfigPath() {
  const char* explicit_path = getenv("CREDCACHE_CONFIG");
  if (explicit_path != nullptr && explicit_path[0] != '\0') return Absolute(explicit_path);
  return absl::StrCat(ConfigHome(), "/credcache/config.toml");
}

std::string ConfigHome() {
  const std::string config = AbsoluteEnv("XDG_CONFIG_HOME");
  return config.empty() ? absl::StrCat(HomeDirectory(), "/.config") : config;
}

std::string DefaultDataDirectory() {
  const std::string data = AbsoluteEnv("XDG_DATA_HOME");
  if (!data.empty()) return absl::StrCat(data, "/credcache");
  return absl::StrCat(HomeDirectory(), "/.local/share/credcache");
}

std::string DefaultStateDirectory() {
  const std::string state = AbsoluteEnv("XDG_STATE_HOME");
  if (!state.empty()) return absl::StrCat(state, "/credcache");
  return absl::StrCat(HomeDirectory(), "/.local/state/credcache");
}

}  // namespace credcache
