#include "backends/env_backend.h"

#include <stdlib.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "backends/secret_env.h"
#include "cargo_credential/error.h"
#include "cargo_credential/secret.h"

namespace credcache {
namespace {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::CacheControl;
using cargo_credential::Credential;
using cargo_credential::CredentialResponse;
using cargo_credential::RegistryInfo;
using cargo_credential::Secret;

constexpr char kNamePlaceholder[] = "{NAME}";

}  // namespace

EnvBackend::EnvBackend(std::string variable_template, bool in_caller)
    : variable_template_(std::move(variable_template)), in_caller_(in_caller) {
  // The token must reach cargo through us alone, never a program we start.
  RegisterSecretVariable(absl::StrReplaceAll(variable_template_, {{kNamePlaceholder, "*"}}));
}

std::optional<std::string> EnvBackend::VariableFor(const std::optional<std::string>& name) const {
  if (!absl::StrContains(variable_template_, kNamePlaceholder)) return variable_template_;
  if (!name.has_value() || name->empty()) return std::nullopt;
  // Cargo's own spelling of a registry name in a variable name.
  const std::string spelled = absl::StrReplaceAll(absl::AsciiStrToUpper(*name), {{"-", "_"}});
  return absl::StrReplaceAll(variable_template_, {{kNamePlaceholder, spelled}});
}

absl::StatusOr<CredentialResponse> EnvBackend::Perform(const RegistryInfo& registry,
                                                       const Action& action,
                                                       const std::vector<std::string>& args) {
  switch (action.kind) {
    case ActionKind::kGet: {
      const std::optional<std::string> variable = VariableFor(registry.name);
      if (!variable.has_value()) return cargo_credential::NotFoundError();
      const char* value = getenv(variable->c_str());
      if (value == nullptr || value[0] == '\0') return cargo_credential::NotFoundError();
      // Read in the caller, it is the environment of this one cargo: the
      // next may have another value, or none.
      return CredentialResponse::Get(Secret(absl::string_view(value)),
                                     in_caller_ ? CacheControl::Never() : CacheControl::Session(),
                                     /*operation_independent=*/true);
    }
    case ActionKind::kLogin:
    case ActionKind::kLogout:
      return cargo_credential::OperationNotSupportedError("the env backend only reads tokens");
    case ActionKind::kUnknown:
      break;
  }
  return cargo_credential::OperationNotSupportedError();
}

absl::StatusOr<std::unique_ptr<Credential>> MakeEnvBackend(const BackendOptions& options) {
  absl::StatusOr<std::string> variable = options.String("variable");
  if (!variable.ok()) return variable.status();
  if (variable->empty() || absl::StrContains(*variable, "=")) {
    return options.Error("variable", "must be the name of an environment variable");
  }
  return std::make_unique<EnvBackend>(*std::move(variable), options.in_caller());
}

}  // namespace credcache
