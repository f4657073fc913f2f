#include "examples/expiring_credential.h"

#include <stdint.h>
#include <stdio.h>

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cargo_credential/error.h"
#include "cargo_credential/subprocess.h"

namespace credcache_examples {
namespace {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::CacheControl;
using cargo_credential::CredentialResponse;
using cargo_credential::RegistryInfo;
using cargo_credential::Secret;

// How much of a failing command's stderr reaches the user: its end, where
// the reason usually is.
constexpr size_t kStderrLines = 10;
constexpr size_t kStderrBytes = 2048;

struct Settings {
  absl::Duration timeout = absl::Seconds(60);
  absl::Duration margin = absl::Seconds(60);
  std::vector<std::string> command;
};

absl::StatusOr<Settings> ParseArgs(const std::vector<std::string>& args) {
  Settings settings;
  size_t i = 0;
  // Each option takes its value with it: two arguments at a time.
  while (i < args.size()) {
    const std::string& arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg != "--timeout" && arg != "--margin") break;
    absl::Duration value;
    if (i + 1 >= args.size() || !absl::ParseDuration(args[i + 1], &value) ||
        value < absl::ZeroDuration()) {
      return cargo_credential::OtherError(
          absl::StrCat("`", arg, "` needs a duration such as 30s or 5m"));
    }
    (arg == "--timeout" ? settings.timeout : settings.margin) = value;
    i += 2;
  }
  settings.command.assign(args.begin() + i, args.end());
  if (settings.command.empty()) {
    return cargo_credential::OtherError(
        "no command given",
        {"name the command that prints a token after the provider, e.g. credential-provider = "
         "[\"cargo-credential-example-expiring\", \"mint-token\", \"{index_url}\"]"});
  }
  if (settings.timeout == absl::ZeroDuration()) {
    return cargo_credential::OtherError("`--timeout` must be more than 0s");
  }
  return settings;
}

// The end of `text`, at most kStderrLines lines and kStderrBytes bytes, one
// string per line, with control characters shown as '?' so that a hostile
// or binary stderr cannot rewrite the user's terminal.
std::vector<std::string> TailLines(absl::string_view text) {
  if (text.size() > kStderrBytes) text = text.substr(text.size() - kStderrBytes);
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    std::string shown(absl::StripTrailingAsciiWhitespace(line));
    for (char& c : shown) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) c = '?';
    }
    lines.push_back(std::move(shown));
  }
  if (lines.size() > kStderrLines) lines.erase(lines.begin(), lines.end() - kStderrLines);
  return lines;
}

// Runs the command for `registry` and returns what it printed.
absl::StatusOr<MintedToken> Mint(const Settings& settings, const RegistryInfo& registry,
                                 absl::Time now) {
  cargo_credential::SubprocessOptions options;
  for (const std::string& arg : settings.command) {
    options.argv.push_back(absl::StrReplaceAll(arg, {{"{index_url}", registry.index_url}}));
  }
  options.set_env.push_back({"CARGO_REGISTRY_INDEX_URL", registry.index_url});
  if (registry.name.has_value()) {
    options.set_env.push_back({"CARGO_REGISTRY_NAME_OPT", *registry.name});
  }
  options.unset_env = {"CARGO_REGISTRY_TOKEN", "CARGO_REGISTRIES_*_TOKEN"};
  // Its own group, so that a timeout also ends what it started (a shell's
  // children); stdin is empty, as a prompt could not be answered anyway.
  options.new_process_group = true;
  const std::string& program = settings.command[0];

  absl::StatusOr<cargo_credential::SubprocessResult> ran =
      cargo_credential::RunSubprocess(options, "", settings.timeout);
  if (!ran.ok()) {
    return cargo_credential::Annotate(ran.status(),
                                      absl::StrCat("could not get a token from `", program, "`"));
  }
  // The output is the token's only copy outside Secrets: wiped on every path.
  struct Wipe {
    std::string& text;
    ~Wipe() { cargo_credential::WipeString(text); }
  } wipe{ran->stdout_text};

  if (ran->exit_code != 0) {
    std::vector<std::string> causes = TailLines(ran->stderr_text);
    if (causes.empty()) causes.push_back("it wrote nothing on stderr");
    return cargo_credential::OtherError(
        absl::StrCat("`", program, "` failed with exit status ", ran->exit_code, "; no token"),
        std::move(causes));
  }
  // What the command says for the user (a warning, a session about to end)
  // is shown as cargo shows a provider's own stderr.
  fwrite(ran->stderr_text.data(), 1, ran->stderr_text.size(), stderr);
  if (ran->stdout_truncated) {
    return cargo_credential::OtherError(
        absl::StrCat("`", program, "` printed more than ", cargo_credential::kMaxCollected,
                     " bytes; a token and an expiry were expected"));
  }
  absl::StatusOr<MintedToken> minted = ParseMintedToken(ran->stdout_text, now);
  if (!minted.ok()) {
    return cargo_credential::Annotate(minted.status(),
                                      absl::StrCat("`", program, "` printed no usable token"));
  }
  return minted;
}

}  // namespace

absl::StatusOr<MintedToken> ParseMintedToken(absl::string_view output, absl::Time now) {
  MintedToken minted;
  bool have_token = false;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (!have_token) {
      if (line.empty()) {
        return cargo_credential::OtherError("the first line, the token, is empty");
      }
      minted.token = Secret(line);
      have_token = true;
      continue;
    }
    if (line.empty()) continue;
    int64_t seconds = 0;
    const bool relative = absl::ConsumePrefix(&line, "expires_in=");
    if (!relative && !absl::ConsumePrefix(&line, "expires_at=")) {
      return cargo_credential::OtherError(
          absl::StrCat("line ", number,
                       " is neither `expires_in=SECONDS` nor `expires_at=UNIX_SECONDS` (not "
                       "shown: it may be secret)"));
    }
    if (minted.expires.has_value()) {
      return cargo_credential::OtherError(
          absl::StrCat("line ", number, " gives a second expiry; give one"));
    }
    if (!absl::SimpleAtoi(line, &seconds) || (relative && seconds <= 0)) {
      return cargo_credential::OtherError(absl::StrCat(
          "line ", number, ": ", relative ? "expires_in" : "expires_at",
          relative ? " needs a whole number of seconds above 0" : " needs Unix seconds"));
    }
    minted.expires = relative ? now + absl::Seconds(seconds) : absl::FromUnixSeconds(seconds);
  }
  if (!have_token) return cargo_credential::OtherError("it printed nothing");
  absl::Status sendable = cargo_credential::CheckToken(minted.token);
  if (!sendable.ok()) {
    return cargo_credential::Annotate(sendable, "the first line is not a token cargo can send");
  }
  if (minted.expires.has_value() && *minted.expires <= now) {
    return cargo_credential::OtherError(absl::StrCat("the token expired already (at ",
                                                     absl::ToUnixSeconds(*minted.expires), ", now ",
                                                     absl::ToUnixSeconds(now), ")"));
  }
  return minted;
}

absl::StatusOr<CredentialResponse> ExpiringCredential::Perform(
    const RegistryInfo& registry, const Action& action, const std::vector<std::string>& args) {
  absl::StatusOr<Settings> settings = ParseArgs(args);
  if (!settings.ok()) return settings.status();
  const std::string& program = settings->command[0];
  switch (action.kind) {
    case ActionKind::kGet: {
      // Every operation, known or not, gets the same token: the command
      // mints one per registry.
      const absl::Time now = now_();
      absl::StatusOr<MintedToken> minted = Mint(*settings, registry, now);
      if (!minted.ok()) return minted.status();
      CacheControl cache = CacheControl::Session();
      if (minted->expires.has_value()) {
        // Never earlier than now: a token inside the margin is still good
        // for the request at hand, and cargo keeps none that close to
        // their end.
        cache = CacheControl::Expires(
            absl::ToUnixSeconds(std::max(now, *minted->expires - settings->margin)));
      }
      return CredentialResponse::Get(std::move(minted->token), cache,
                                     /*operation_independent=*/true);
    }
    case ActionKind::kLogin:
      fprintf(stderr,
              "cargo-credential-example-expiring stores no token: each one comes from `%s` "
              "when cargo needs it. Log in to that command's own service if it fails; the "
              "token given to `cargo login` is not kept.\n",
              program.c_str());
      return cargo_credential::OperationNotSupportedError();
    case ActionKind::kLogout:
      fprintf(stderr,
              "cargo-credential-example-expiring stores no token to erase; revoke tokens "
              "where `%s` gets them.\n",
              program.c_str());
      return cargo_credential::NotFoundError();
    case ActionKind::kUnknown:
      break;
  }
  return cargo_credential::OperationNotSupportedError();
}

}  // namespace credcache_examples
