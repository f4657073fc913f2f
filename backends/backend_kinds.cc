// The table of backend kinds (declared in backend.h). A new kind is one
// header, one factory, and one line here.
#include "backends/backend.h"
#include "backends/cargo_provider_backend.h"
#include "backends/command_backend.h"
#include "backends/env_backend.h"
#include "backends/file_backend.h"
#include "backends/libsecret_backend.h"

namespace credcache {

const std::vector<BackendKind>& BackendKinds() {
  // Never destroyed: the daemon may look kinds up until the very end.
  static const auto* const kinds = new std::vector<BackendKind>{
      {"file", {"path"}, MakeFileBackend},
      {"env", {"variable"}, MakeEnvBackend},
      {"command", {"command", "cache", "lifetime"}, MakeCommandBackend},
      {"cargo-provider", {"provider", "args"}, MakeCargoProviderBackend},
      {"libsecret", {}, MakeLibsecretBackend},
  };
  return *kinds;
}

const BackendKind* FindBackendKind(absl::string_view name) {
  for (const BackendKind& kind : BackendKinds()) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

}  // namespace credcache
