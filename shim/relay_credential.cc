#include "shim/relay_credential.h"

#include <utility>

#include "lib/console.h"
#include "lib/error.h"
#include "proto/convert.h"
#include "proto/messages.h"
#include "shim/daemon_client.h"

namespace credcache {
namespace {

// The daemon bounds each backend call by its own timeout; this bounds the
// whole exchange, so even a wedged daemon cannot hang cargo.
constexpr absl::Duration kCallDeadline = absl::Minutes(5);

}  // namespace

RelayCredential::RelayCredential(ConnectOptions options) : options_(std::move(options)) {}

absl::StatusOr<cargo_credential::CredentialResponse> RelayCredential::Perform(
    const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
    const std::vector<std::string>& args) {
  v1::PerformRequest request = EncodeRequest(registry, action, args);
  if (action.kind == cargo_credential::ActionKind::kLogin && !action.login.token.has_value()) {
    absl::StatusOr<cargo_credential::Secret> token =
        cargo_credential::ReadToken(action.login, registry);
    if (!token.ok()) return token.status();
    request.set_token(token->Expose());
  }

  v1::PerformResponse response;
  absl::Status status = CallDaemon(options_, "Perform", request, &response, kCallDeadline);
  cargo_credential::WipeString(*request.mutable_token());
  if (!status.ok()) return cargo_credential::OtherError(std::string(status.message()));
  return DecodeResult(&response);
}

}  // namespace credcache
