// cargo-credential-credcache: what cargo runs (with --cargo-plugin), and the
// admin command line (without). See relay_credential.h and admin.h.
#include <stdlib.h>
#include <string.h>

#include "absl/time/time.h"
#include "common/paths.h"
#include "lib/hardening.h"
#include "lib/provider.h"
#include "shim/admin.h"
#include "shim/relay_credential.h"

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "--cargo-plugin") == 0) {
    credcache::ConnectOptions options =
        credcache::ConnectOptionsFor(credcache::DefaultSocketPath());
    const char* no_spawn = getenv("CREDCACHE_NO_SPAWN");
    if (no_spawn != nullptr && strcmp(no_spawn, "1") == 0) options.spawn = false;
    // How long a daemon this shim starts stays without requests.
    absl::Duration idle;
    const char* idle_text = getenv("CREDCACHE_IDLE_EXIT");
    if (idle_text != nullptr && absl::ParseDuration(idle_text, &idle) &&
        idle > absl::ZeroDuration()) {
      options.idle_exit = idle;
    }
    credcache::RelayCredential relay(options);
    return cargo_credential::RunProvider(relay, argc, argv,
                                         "credcache's Cargo credential provider");
  }
  // Admin commands handle tokens too (import reads every one in
  // credentials.toml): no core dumps, no tracing, no SIGPIPE deaths.
  (void)cargo_credential::HardenProcess();
  return credcache::RunAdmin(argc, argv);
}
