// cargo-credential-credcache: what cargo runs (with --cargo-plugin), and the
// admin command line (without). See relay_credential.h and admin.h.
#include <string.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cargo_credential/credential.h"
#include "cargo_credential/error.h"
#include "cargo_credential/provider.h"
#include "common/paths.h"
#include "lib/hardening.h"
#include "shim/admin.h"
#include "shim/relay_credential.h"

namespace {

// Answers every request with why the shim cannot run: a misspelt
// CREDCACHE_* variable is told to the user through cargo, as any failure
// of a request is, not taken for something else.
class Refusing : public cargo_credential::Credential {
 public:
  explicit Refusing(std::string why) : why_(std::move(why)) {}
  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo&, const cargo_credential::Action&,
      const std::vector<std::string>&) override {
    return cargo_credential::OtherError(why_);
  }

 private:
  const std::string why_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "--cargo-plugin") == 0) {
    constexpr char kDescription[] = "credcache's Cargo credential provider";
    absl::StatusOr<credcache::ConnectOptions> options =
        credcache::ConnectOptionsFromEnvironment(credcache::DefaultSocketPath());
    if (!options.ok()) {
      Refusing refusing(std::string(options.status().message()));
      return cargo_credential::RunProvider(refusing, argc, argv, kDescription);
    }
    credcache::RelayCredential relay(*std::move(options));
    return cargo_credential::RunProvider(relay, argc, argv, kDescription);
  }
  // Admin commands handle tokens too (import reads every one in
  // credentials.toml): no core dumps, no tracing, no SIGPIPE deaths.
  (void)cargo_credential::HardenProcess();
  return credcache::RunAdmin(argc, argv);
}
