#include "examples/prompt_credential.h"

#include <stdio.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cargo_credential/console.h"
#include "cargo_credential/error.h"
#include "cargo_credential/provider_client.h"

namespace credcache_examples {
namespace {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::CredentialResponse;
using cargo_credential::OperationKind;
using cargo_credential::RegistryInfo;
using cargo_credential::ResponseKind;
using cargo_credential::Secret;

std::string RegistryName(const RegistryInfo& registry) {
  return registry.name.value_or(registry.index_url);
}

// What the token would be used for, as the question and the refusal say it:
// "publish foo 0.1.0".
std::string Purpose(const cargo_credential::Operation& operation) {
  switch (operation.kind) {
    case OperationKind::kPublish:
      return absl::StrCat("publish ", operation.name, " ", operation.vers);
    case OperationKind::kYank:
      return absl::StrCat("yank ", operation.name, " ", operation.vers);
    case OperationKind::kUnyank:
      return absl::StrCat("unyank ", operation.name, " ", operation.vers);
    case OperationKind::kOwners:
      return absl::StrCat("list or change the owners of ", operation.name);
    case OperationKind::kRead:
      return "read the index";
    case OperationKind::kUnknown:
      break;
  }
  // A newer cargo's operation: it may change the registry, so it is asked
  // about like one.
  return "do an operation this provider does not know";
}

bool IsYes(absl::string_view answer) {
  const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(answer));
  return lower == "y" || lower == "yes";
}

// Runs the inner provider named by args[0] for `action`, with the rest of
// `args` as its arguments, and checks that it answered the action's kind.
absl::StatusOr<CredentialResponse> CallInner(const std::vector<std::string>& args,
                                             const RegistryInfo& registry, Action action,
                                             absl::Duration timeout) {
  cargo_credential::ProviderCommand command;
  command.program = args[0];
  command.timeout = timeout;
  cargo_credential::CredentialRequest request;
  request.registry = registry;
  request.action = std::move(action);
  request.args.assign(args.begin() + 1, args.end());
  // Fails (naming the provider) when the exchange itself fails; the inner
  // provider's own errors come back in `result` with their kind, which is
  // passed on as it is (a not-found stays a not-found for cargo).
  absl::StatusOr<cargo_credential::ProviderAnswer> answer =
      cargo_credential::CallProvider(command, request);
  if (!answer.ok()) return answer.status();
  if (!answer->result.ok()) return answer->result.status();
  const ResponseKind expected = cargo_credential::ResponseKindFor(request.action.kind);
  if (answer->result->kind != expected) {
    return cargo_credential::OtherError(
        absl::StrCat("the inner provider `", command.program, "` answered a ",
                     cargo_credential::ActionKindName(request.action.kind),
                     " request with another kind of response"),
        {"it is not following cargo's credential provider protocol"});
  }
  return *std::move(answer->result);
}

}  // namespace

PromptConsole PromptConsole::Terminal() {
  PromptConsole console;
  console.ask = [](absl::string_view question) -> absl::StatusOr<std::string> {
    // Inside Perform, stdout is the terminal (or /dev/null, where ReadLine
    // then fails): the question goes where the answer comes from, never
    // into cargo's pipe.
    fwrite(question.data(), 1, question.size(), stdout);
    fflush(stdout);
    return cargo_credential::ReadLine();
  };
  console.read_token = [](const cargo_credential::LoginOptions& login,
                          const RegistryInfo& registry) {
    return cargo_credential::ReadToken(login, registry);
  };
  return console;
}

absl::StatusOr<CredentialResponse> PromptCredential::Perform(const RegistryInfo& registry,
                                                             const Action& action,
                                                             const std::vector<std::string>& args) {
  if (args.empty()) {
    return cargo_credential::OtherError(
        "no inner provider given",
        {"name the provider that stores the tokens after this one, e.g. credential-provider = "
         "[\"cargo-credential-example-prompt\", \"/path/to/cargo-credential-example-file\"]"});
  }
  switch (action.kind) {
    case ActionKind::kGet: {
      if (action.operation.kind != OperationKind::kRead) {
        const std::string purpose = Purpose(action.operation);
        absl::StatusOr<std::string> answer = console_.ask(absl::StrCat(
            "Use your token for ", RegistryName(registry), " to ", purpose, "? [y/N] "));
        if (!answer.ok()) {
          return cargo_credential::OtherError(
              absl::StrCat("refused to use the token for `", RegistryName(registry), "` to ",
                           purpose, ": no one could be asked"),
              {std::string(answer.status().message()),
               "this provider confirms every change to the registry on a terminal; run cargo "
               "from one"});
        }
        if (!IsYes(*answer)) {
          return cargo_credential::OtherError(
              absl::StrCat("refused to use the token for `", RegistryName(registry), "` to ",
                           purpose, ": not confirmed (answer `y` to go ahead)"));
        }
      }
      absl::StatusOr<CredentialResponse> got =
          CallInner(args, registry, action.Clone(), inner_timeout_);
      if (!got.ok()) return got.status();
      // Never operation-independent, whatever the inner provider said:
      // cargo would otherwise reuse a read token to publish, and nobody
      // would be asked.
      got->operation_independent = false;
      return got;
    }
    case ActionKind::kLogin: {
      absl::StatusOr<Secret> token = console_.read_token(action.login, registry);
      if (!token.ok()) return token.status();
      absl::Status sendable = cargo_credential::CheckToken(*token);
      if (!sendable.ok()) return sendable;
      Action login = action.Clone();
      login.login.token = *std::move(token);
      // Acknowledged only when the inner provider acknowledged: its error,
      // whatever its kind, is the answer.
      absl::StatusOr<CredentialResponse> stored =
          CallInner(args, registry, std::move(login), inner_timeout_);
      if (!stored.ok()) return stored.status();
      return CredentialResponse::Login();
    }
    case ActionKind::kLogout:
      return CallInner(args, registry, action.Clone(), inner_timeout_);
    case ActionKind::kUnknown:
      // An action this library does not know cannot be written to the
      // inner provider either.
      break;
  }
  return cargo_credential::OperationNotSupportedError();
}

}  // namespace credcache_examples
