// cargo-credential-example-expiring: a Cargo credential provider for
// short-lived tokens printed by a command, answered with their expiry so
// that cargo reuses each while it is good. See expiring_credential.h.
#include "cargo_credential/provider.h"
#include "examples/expiring_credential.h"

int main(int argc, char** argv) {
  credcache_examples::ExpiringCredential credential;
  return cargo_credential::RunProvider(
      credential, argc, argv, "an example provider serving expiring tokens printed by a command");
}
