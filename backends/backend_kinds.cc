// A new kind is one header, one factory, and one line here (or in
// caller_kinds.cc, for a kind that can run in the caller).
#include "backends/backend_kinds.h"

#include "absl/strings/str_cat.h"
#include "backends/backend.h"
#include "backends/caller_kinds.h"
#include "backends/credcache_backend.h"
#include "backends/file_backend.h"
#include "backends/libsecret_backend.h"
#include "backends/memory_backend.h"

namespace credcache {

const std::vector<BackendKind>& BackendKinds() {
  // Never destroyed: the daemon may look kinds up until the very end.
  static const auto* const kinds = [] {
    auto* all = new std::vector<BackendKind>{
        {"file", {"path"}, MakeFileBackend, nullptr, /*takes_logins=*/true}};
    all->back().store = FileStorePath;
    all->insert(all->end(), CallerKinds().begin(), CallerKinds().end());
    all->push_back({"libsecret", {}, MakeLibsecretBackend, nullptr, /*takes_logins=*/true});
    all->back().store = [](const BackendOptions&) {
      return std::string("Secret Service, collection `default`");
    };
    all->push_back({"memory", {}, MakeMemoryBackend, nullptr, /*takes_logins=*/true});
    all->back().store = [](const BackendOptions&) {
      return std::string("the daemon's memory (gone when it stops)");
    };
    all->push_back(
        {"credcache", {"socket", "owner"}, MakeCredcacheBackend, nullptr, /*takes_logins=*/true});
    all->back().store = [](const BackendOptions& options) {
      absl::StatusOr<std::string> socket = options.String("socket");
      return socket.ok() ? *socket : std::string();
    };
    return all;
  }();
  return *kinds;
}

const BackendKind* FindBackendKind(absl::string_view name) {
  for (const BackendKind& kind : BackendKinds()) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

}  // namespace credcache
