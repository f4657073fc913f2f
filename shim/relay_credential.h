// RelayCredential: the shim's Credential. Each request cargo sends goes to
// credcached over gRPC (through grpc_lite.h, which starts nothing a single
// call does not need), and the daemon's answer comes back unchanged.
//
// A login without a token is the one thing done here rather than in the
// daemon: only the shim runs on the user's terminal. It relays the login
// without a token first; only when the daemon answers that a backend for
// the registry will store one (NeedToken) does it ask there
// (lib/console.h) and send the login again with it. The daemon never
// prompts, and nobody is asked for a secret where no backend would keep it. While an
// answer waits on a slow backend, it says which on stderr, and what the
// backends said for the user (their programs' stderr) it writes there too
// (cargo shows a provider's stderr to the user).
//
// A backend configured with `run_in = "caller"` runs here, when the daemon
// answers with a RunInCaller job: made from its config
// (backends/caller_kinds.h), it runs with cargo's terminal, environment and
// working directory, and its answer goes back to the daemon in a report,
// which is answered with the request's answer (cached and shared there).
//
// Thread-safety: one request at a time, as the provider loop calls it.
#ifndef CREDCACHE_SHIM_RELAY_CREDENTIAL_H_
#define CREDCACHE_SHIM_RELAY_CREDENTIAL_H_

#include <memory>
#include <string>
#include <vector>

#include "cargo_credential/credential.h"
#include "shim/connect.h"

namespace credcache {

class RelayCredential : public cargo_credential::Credential {
 public:
  explicit RelayCredential(ConnectOptions options);

  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override;

 private:
  const ConnectOptions options_;
};

}  // namespace credcache

#endif  // CREDCACHE_SHIM_RELAY_CREDENTIAL_H_
