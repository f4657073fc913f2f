#include "backends/command_backend.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "backends/secret_env.h"
#include "cargo_credential/error.h"
#include "cargo_credential/secret.h"
#include "cargo_credential/subprocess.h"
#include "lib/user_text.h"

namespace credcache {
namespace {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::CacheControl;
using cargo_credential::CacheKind;
using cargo_credential::Credential;
using cargo_credential::CredentialResponse;
using cargo_credential::OtherError;
using cargo_credential::RegistryInfo;
using cargo_credential::Secret;

// Enough of a stderr line to say what went wrong, short enough for a
// terminal.
constexpr size_t kMaxStderrLine = 300;

// The last non-blank line of a failed command's stderr, as a cause chain.
std::vector<std::string> LastLine(const std::string& stderr_text) {
  absl::string_view last;
  for (absl::string_view line : absl::StrSplit(stderr_text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) last = line;
  }
  if (last.empty()) return {};
  if (last.size() <= kMaxStderrLine) return {std::string(last)};
  // Cut on a UTF-8 character boundary, leaving room for the ellipsis.
  size_t cut = kMaxStderrLine - 3;
  while (cut > 0 && (static_cast<unsigned char>(last[cut]) & 0xC0) == 0x80) --cut;
  return {absl::StrCat(last.substr(0, cut), "...")};
}

}  // namespace

CommandBackend::CommandBackend(Config config) : config_(std::move(config)) {}

absl::StatusOr<CredentialResponse> CommandBackend::Perform(const RegistryInfo& registry,
                                                           const Action& action,
                                                           const std::vector<std::string>& args) {
  switch (action.kind) {
    case ActionKind::kGet:
      break;
    case ActionKind::kLogin:
    case ActionKind::kLogout:
      return cargo_credential::OperationNotSupportedError("the command backend only reads tokens");
    case ActionKind::kUnknown:
      return cargo_credential::OperationNotSupportedError();
  }

  cargo_credential::SubprocessOptions options;
  const std::string name = registry.name.value_or("");
  for (const std::string& part : config_.command) {
    if (part == kArgsPlaceholder) {
      // The provider arguments from cargo's config, one element each (in
      // argv, like cargo's own: they are settings, never secrets).
      options.argv.insert(options.argv.end(), args.begin(), args.end());
      continue;
    }
    options.argv.push_back(
        absl::StrReplaceAll(part, {{"{index_url}", registry.index_url}, {"{name}", name}}));
  }
  options.unset_env = SecretVariables();
  // In the daemon, a group of its own is killed whole on a timeout; in the
  // caller it must stay in cargo's group, the only one that may read the
  // terminal.
  options.new_process_group = !config_.in_caller;
  options.collect_stderr = !config_.in_caller;
  options.set_env.emplace_back("CARGO_REGISTRY_INDEX_URL", registry.index_url);
  if (registry.name.has_value()) {
    options.set_env.emplace_back("CARGO_REGISTRY_NAME_OPT", *registry.name);
  } else {
    // Not the daemon's own, if it has one: cargo leaves it unset here.
    options.unset_env.push_back("CARGO_REGISTRY_NAME_OPT");
  }
  const std::string who = absl::StrCat("command `", options.argv[0], "`");

  absl::StatusOr<cargo_credential::SubprocessResult> result =
      cargo_credential::RunSubprocess(options, "", config_.timeout);
  const absl::Time finished = absl::Now();
  if (!result.ok()) {
    if (absl::IsDeadlineExceeded(result.status())) {
      return OtherError(
          absl::StrCat(who, " did not finish within ", absl::FormatDuration(config_.timeout)));
    }
    return OtherError(absl::StrCat(who, " could not be run"),
                      {std::string(result.status().message())});
  }
  // Taken at once, so that the bytes are wiped on every path from here.
  const Secret output(std::move(result->stdout_text));
  // What it said on stderr is the user's to see, as cargo shows a
  // provider's (lib/user_text.h); a failure's last line is also its cause.
  cargo_credential::TellUser(result->stderr_text);
  if (result->exit_code != 0) {
    return OtherError(absl::StrCat(who, " failed with exit status ", result->exit_code),
                      LastLine(result->stderr_text));
  }
  if (result->stdout_truncated) {
    // What was kept is only the beginning: never pass it on as the token.
    return OtherError(
        absl::StrCat(who, " printed more than ", cargo_credential::kMaxCollected, " bytes"));
  }
  absl::string_view token = output.Expose();
  if (absl::EndsWith(token, "\n")) token.remove_suffix(1);
  if (absl::EndsWith(token, "\r")) token.remove_suffix(1);
  if (absl::StrContains(token, '\n')) {
    return OtherError(absl::StrCat(who, " printed more than one line"));
  }
  if (token.empty()) return OtherError(absl::StrCat(who, " printed no token"));

  CacheControl cache = CacheControl::Session();
  if (config_.cache == CacheKind::kNever) cache = CacheControl::Never();
  if (config_.cache == CacheKind::kExpires) {
    cache = CacheControl::Expires(absl::ToUnixSeconds(finished + config_.lifetime));
  }
  return CredentialResponse::Get(Secret(token), cache, /*operation_independent=*/true);
}

std::string UnknownPlaceholder(absl::string_view part) {
  // `{word}`: what a placeholder looks like; other braces (JSON, say) pass.
  for (size_t open = part.find('{'); open != absl::string_view::npos;
       open = part.find('{', open + 1)) {
    const size_t close = part.find('}', open);
    if (close == absl::string_view::npos) break;
    const absl::string_view word = part.substr(open + 1, close - open - 1);
    if (word.empty() || !std::all_of(word.begin(), word.end(), [](char c) {
          return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        })) {
      continue;
    }
    // ${VAR} is the shell's (a `sh -c` command); {args} inside a longer
    // argument stays as written, as documented.
    if (open > 0 && part[open - 1] == '$') continue;
    if (word == "index_url" || word == "name" || word == "args") continue;
    return std::string(part.substr(open, close - open + 1));
  }
  return "";
}

absl::StatusOr<std::unique_ptr<Credential>> MakeCommandBackend(const BackendOptions& options) {
  CommandBackend::Config config;
  config.timeout = options.timeout();
  config.in_caller = options.in_caller();

  absl::StatusOr<std::vector<std::string>> command = options.StringList("command");
  if (!command.ok()) return command.status();
  if (command->empty() || command->front().empty()) {
    return options.Error("command", "is required: the program to run, then its arguments");
  }
  for (const std::string& part : *command) {
    if (part == kArgsPlaceholder) continue;
    const std::string unknown = UnknownPlaceholder(part);
    if (!unknown.empty()) {
      return options.Error("command", absl::StrCat("has an unknown placeholder `", unknown,
                                                   "`; it knows {index_url}, {name} and, as a "
                                                   "whole argument, {args}"));
    }
  }
  config.command = *std::move(command);

  absl::StatusOr<std::optional<std::string>> cache = options.OptionalString("cache");
  if (!cache.ok()) return cache.status();
  const std::string cache_name = cache->value_or("session");
  if (cache_name == "session") {
    config.cache = CacheKind::kSession;
  } else if (cache_name == "never") {
    config.cache = CacheKind::kNever;
  } else if (cache_name == "expires") {
    config.cache = CacheKind::kExpires;
  } else {
    return options.Error("cache", "must be \"session\", \"never\" or \"expires\"");
  }

  absl::StatusOr<std::optional<absl::Duration>> lifetime = options.Duration("lifetime");
  if (!lifetime.ok()) return lifetime.status();
  const bool expires = config.cache == CacheKind::kExpires;
  if (expires && !lifetime->has_value()) {
    return options.Error("lifetime", "is required when `cache` is \"expires\"");
  }
  if (!expires && lifetime->has_value()) {
    return options.Error("lifetime", "is only allowed when `cache` is \"expires\"");
  }
  if (expires) config.lifetime = **lifetime;
  return std::make_unique<CommandBackend>(std::move(config));
}

}  // namespace credcache
