#include "shim/relay_credential.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/console.h"
#include "lib/error.h"
#include "proto/convert.h"

namespace credcache {
namespace {

// The daemon bounds each backend call by its own timeout; this bounds the
// whole exchange, so even a wedged daemon cannot hang cargo.
constexpr std::chrono::seconds kCallDeadline(300);

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

  if (stub_ == nullptr) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ConnectToDaemon(options_);
    if (!channel.ok()) {
      return cargo_credential::OtherError(std::string(channel.status().message()));
    }
    stub_ = v1::Credcache::NewStub(*channel);
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  v1::PerformResponse response;
  const grpc::Status status = stub_->Perform(&context, request, &response);
  cargo_credential::WipeString(*request.mutable_token());
  if (!status.ok()) {
    return cargo_credential::OtherError(
        absl::StrCat("credcached on ", options_.socket_path, " did not answer"),
        {status.error_message()});
  }
  return DecodeResult(&response);
}

}  // namespace credcache
