// CredcacheBackend: another credcached, reached on its socket: a user's own
// daemon puts the team daemon behind its cache this way.
//
//   [[backend]]
//   name = "team"
//   kind = "credcache"
//   socket = "/run/credcache/team.sock"
//   owner = "credcache"        # the account that runs that daemon; required
//   index_urls = ["sparse+https://cargo.corp.example/*"]
//
// Each request is relayed as it came (get, login, logout), on a connection
// of its own, to a daemon that must run as exactly `owner` (the kernel's
// word, SO_PEERCRED, checked before anything is sent), and whose socket's
// directory belongs to `owner` or root and nobody else can write. The
// other daemon decides by its own rules on who this daemon's user is: the
// kernel tells it this process's uid, which is the user's.
//
// Its answers keep their cache kind and expiry, so this daemon caches a
// team token no longer than the team daemon allows. A backend the other
// daemon would run in the caller cannot run through here: point cargo's
// shim straight at that socket (CREDCACHE_SOCKET and CREDCACHE_SOCKET_OWNER)
// for such a registry.
//
// Thread-safety: Perform() may be called concurrently.
#ifndef CREDCACHE_BACKENDS_CREDCACHE_BACKEND_H_
#define CREDCACHE_BACKENDS_CREDCACHE_BACKEND_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/backend.h"
#include "cargo_credential/credential.h"

namespace credcache {

class CredcacheBackend : public cargo_credential::Credential {
 public:
  // `owner` is the account's name, for messages; `owner_uid` its uid.
  CredcacheBackend(std::string socket, std::string owner, uid_t owner_uid, absl::Duration timeout);

  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override;

 private:
  // A connection to the other daemon, checked to be `owner_`'s.
  absl::StatusOr<int> Connect() const;

  const std::string socket_;
  const std::string owner_;
  const uid_t owner_uid_;
  const absl::Duration timeout_;
};

absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> MakeCredcacheBackend(
    const BackendOptions& options);

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_CREDCACHE_BACKEND_H_
