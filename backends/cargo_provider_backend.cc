#include "backends/cargo_provider_backend.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/secret_env.h"
#include "cargo_credential/error.h"
#include "cargo_credential/protocol.h"
#include "cargo_credential/provider_client.h"

namespace credcache {
namespace {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::Credential;
using cargo_credential::CredentialResponse;
using cargo_credential::RegistryInfo;

}  // namespace

CargoProviderBackend::CargoProviderBackend(std::string provider, std::vector<std::string> args,
                                           absl::Duration timeout, bool in_caller)
    : provider_(std::move(provider)),
      args_(std::move(args)),
      timeout_(timeout),
      in_caller_(in_caller) {}

absl::StatusOr<CredentialResponse> CargoProviderBackend::Perform(
    const RegistryInfo& registry, const Action& action, const std::vector<std::string>& args) {
  if (action.kind == ActionKind::kUnknown) {
    return cargo_credential::OperationNotSupportedError();
  }
  cargo_credential::CredentialRequest request;
  request.registry = registry;
  request.action = action.Clone();
  request.args = args_;
  request.args.insert(request.args.end(), args.begin(), args.end());

  cargo_credential::ProviderCommand command;
  command.program = provider_;
  command.timeout = timeout_;
  command.unset_env = SecretVariables();
  // In the daemon: a group of its own, killed whole, and its stderr kept
  // for the user, who is at the shim, not in our log. In the caller: as
  // cargo itself runs a provider.
  command.own_process_group = !in_caller_;
  command.stderr_to_tell_user = !in_caller_;
  absl::StatusOr<cargo_credential::ProviderAnswer> answer =
      cargo_credential::CallProvider(command, request);
  if (!answer.ok()) return cargo_credential::OtherError(answer.status().message());
  absl::StatusOr<CredentialResponse>& result = answer->result;
  if (result.ok() && result->kind != cargo_credential::ResponseKindFor(action.kind)) {
    return cargo_credential::OtherError(absl::StrCat("credential provider `", provider_,
                                                     "` answered a `",
                                                     cargo_credential::ActionKindName(action.kind),
                                                     "` request with a response of another kind"));
  }
  return std::move(result);
}

absl::StatusOr<std::unique_ptr<Credential>> MakeCargoProviderBackend(
    const BackendOptions& options) {
  // `provider = "prog"` with `args`, or cargo's own form, a list of the
  // program and its arguments (`credential-provider = ["prog", "--x"]`).
  std::string provider;
  std::vector<std::string> args;
  absl::StatusOr<std::vector<std::string>> listed = options.StringList("provider");
  if (listed.ok() && !listed->empty()) {
    provider = listed->front();
    args.assign(listed->begin() + 1, listed->end());
  } else {
    absl::StatusOr<std::string> named = options.String("provider");
    if (!named.ok() && listed.ok()) return named.status();  // Absent, or [].
    if (!named.ok()) {
      return options.Error("provider",
                           "must be a program, or a list of the program and its arguments as "
                           "in cargo's config (\"prog\" or [\"prog\", \"--arg\"])");
    }
    provider = *std::move(named);
  }
  if (provider.empty()) return options.Error("provider", "must name a program");
  if (absl::StartsWith(provider, "cargo:")) {
    // cargo:token, cargo:libsecret, cargo:wincred, cargo:macos-keychain.
    return options.Error(
        "provider", absl::StrCat("names `", provider,
                                 "`, one of cargo's built-in providers: they run inside cargo, "
                                 "and no other program can run them. For the keyring cargo's "
                                 "`cargo:libsecret` uses, use `kind = \"libsecret\"` (the same "
                                 "entries); for cargo's credentials.toml, `cargo-credential-"
                                 "credcache import`"));
  }
  absl::StatusOr<std::vector<std::string>> more = options.StringList("args");
  if (!more.ok()) return more.status();
  if (!listed.ok() || listed->empty()) {
    args = *std::move(more);
  } else if (!more->empty()) {
    return options.Error("args", "goes with `provider = \"prog\"`; the list form holds its own");
  }
  return std::make_unique<CargoProviderBackend>(std::move(provider), std::move(args),
                                                options.timeout(), options.in_caller());
}

}  // namespace credcache
