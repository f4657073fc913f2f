#include "daemon/router.h"

#include <fnmatch.h>

#include <algorithm>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "cargo_credential/error.h"
#include "cargo_credential/protocol.h"
#include "daemon/log.h"
#include "lib/user_text.h"

namespace credcache {

bool MatchesAnyGlob(const std::vector<std::string>& globs, const std::string& value) {
  for (const std::string& glob : globs) {
    if (fnmatch(glob.c_str(), value.c_str(), 0) == 0) return true;
  }
  return false;
}

namespace {

using cargo_credential::ErrorKind;

// What a backend thread and its waiter share. The thread keeps it alive, so
// a waiter that gave up leaves nothing dangling.
struct PendingCall {
  absl::Mutex mutex;
  bool done ABSL_GUARDED_BY(mutex) = false;
  bool abandoned ABSL_GUARDED_BY(mutex) = false;
  absl::StatusOr<cargo_credential::CredentialResponse> result ABSL_GUARDED_BY(mutex);
  // What the backend said for the user (lib/user_text.h), up to kMaxSaid.
  std::string said ABSL_GUARDED_BY(mutex);
  // The call's own copies of its inputs.
  cargo_credential::RegistryInfo registry;
  cargo_credential::Action action;
  std::vector<std::string> args;
};

// The most of a backend's text for the user that is kept per call.
constexpr size_t kMaxSaid = size_t{64} << 10;

// `line` with `token`, and each of its words long enough to be its secret
// part ("Bearer X" is X to a registry), written as REDACTED. An error is
// never meant to quote a token, but a wrapped provider's or a program's
// message is theirs to write: the log must not keep what they echoed.
std::string WithoutToken(std::string line, absl::string_view token) {
  if (token.empty()) return line;
  line = absl::StrReplaceAll(line, {{token, "REDACTED"}});
  for (absl::string_view word : absl::StrSplit(token, ' ', absl::SkipEmpty())) {
    if (word.size() >= 8) line = absl::StrReplaceAll(line, {{word, "REDACTED"}});
  }
  return line;
}

// One line per backend call: which backend, for which registry, how it
// went and how long it took. An answer is info, a backend that declined
// (the chain moves on) debug, and a failure a warning carrying its cause as
// the user is shown it: for a program, its exit status and the last line of
// its stderr. Never the token: an answer's is not looked at, and a login's
// is blanked wherever an error quoted it.
void LogOutcome(const Backend& backend, const cargo_credential::RegistryInfo& registry,
                const cargo_credential::Action& action,
                const absl::StatusOr<cargo_credential::CredentialResponse>& result,
                absl::Duration took) {
  LogLevel level = LogLevel::kInfo;
  std::string outcome = "answered";
  if (!result.ok()) {
    const ErrorKind kind = cargo_credential::KindOf(result.status());
    const bool declined = kind == ErrorKind::kNotFound || kind == ErrorKind::kUrlNotSupported ||
                          kind == ErrorKind::kOperationNotSupported;
    level = declined ? LogLevel::kDebug : LogLevel::kWarning;
    outcome = declined ? absl::StrCat("declined (", cargo_credential::ErrorKindName(kind), ")")
                       : "failed";
  }
  if (!LogEnabled(level)) return;
  std::string line = absl::StrCat(
      "backend `", backend.settings.name, "` ", cargo_credential::ActionKindName(action.kind), " ",
      registry.index_url, ": ", outcome, " in ", absl::ToInt64Milliseconds(took), "ms");
  if (!result.ok() && (level == LogLevel::kWarning || !result.status().message().empty())) {
    absl::StrAppend(&line, ": ", ErrorText(result.status()));
  }
  if (action.login.token.has_value()) line = WithoutToken(line, action.login.token->Expose());
  Log(level, line);
}

}  // namespace

Router::Router(std::vector<Backend> backends, Stats* stats)
    : backends_(std::move(backends)),
      has_personal_(std::any_of(backends_.begin(), backends_.end(),
                                [](const Backend& each) { return each.settings.personal; })),
      stats_(stats) {}

bool Router::Serves(const BackendSettings& backend,
                    const cargo_credential::RegistryInfo& registry) {
  if (backend.index_urls.empty() && backend.names.empty()) return true;
  if (MatchesAnyGlob(backend.index_urls, registry.index_url)) return true;
  return registry.name.has_value() && MatchesAnyGlob(backend.names, *registry.name);
}

absl::StatusOr<std::shared_ptr<cargo_credential::Credential>> PersonalStores::For(int64_t owner) {
  absl::MutexLock lock(&mutex_);
  std::shared_ptr<cargo_credential::Credential>& store = stores_[owner];
  if (store == nullptr) {
    absl::StatusOr<std::shared_ptr<cargo_credential::Credential>> made = make_();
    if (!made.ok()) {
      stores_.erase(owner);
      return made.status();
    }
    store = *std::move(made);
  }
  return store;
}

std::vector<const Backend*> Router::Route(const cargo_credential::RegistryInfo& registry) const {
  std::vector<const Backend*> chain;
  for (const Backend& backend : backends_) {
    if (Serves(backend.settings, registry)) chain.push_back(&backend);
  }
  return chain;
}

absl::StatusOr<cargo_credential::CredentialResponse> Router::CallOne(
    const Backend& backend, const cargo_credential::RegistryInfo& registry,
    const cargo_credential::Action& action, const std::vector<std::string>& args,
    const CallWatch& watch, bool* named) const {
  const absl::Time start = absl::Now();
  absl::StatusOr<cargo_credential::CredentialResponse> result;
  if (backend.settings.run_in_caller) {
    result = RunInCaller(backend, registry, action, args, watch, named);
  } else {
    std::string said;
    result = RunOne(backend, registry, action, args, watch.slow, watch.owner, named, &said);
    if (!said.empty() && watch.said) watch.said(backend.settings.name, said);
  }
  LogOutcome(backend, registry, action, result, absl::Now() - start);
  return result;
}

absl::StatusOr<cargo_credential::CredentialResponse> Router::RunOne(
    const Backend& backend, const cargo_credential::RegistryInfo& registry,
    const cargo_credential::Action& action, const std::vector<std::string>& args,
    const SlowNotice& notice, int64_t owner, bool* named, std::string* said) const {
  // `named`: the error returned already names the backend.
  *named = false;
  if (backend.hung->load() >= kMaxHungCalls) {
    *named = true;
    stats_->BackendCall(backend.settings.name, absl::ZeroDuration(), Stats::Outcome::kFailed);
    return cargo_credential::OtherError(
        absl::StrCat("credcache backend `", backend.settings.name, "` is not answering"),
        {absl::StrCat(kMaxHungCalls, " of its calls are still hung; check it, then `reload`")});
  }
  auto pending = std::make_shared<PendingCall>();
  pending->registry = registry;
  pending->action = action.Clone();
  pending->args = args;
  std::shared_ptr<cargo_credential::Credential> credential = backend.credential;
  if (backend.personal != nullptr) {
    absl::StatusOr<std::shared_ptr<cargo_credential::Credential>> own =
        backend.personal->For(owner);
    if (!own.ok()) return own.status();
    credential = *std::move(own);
  }
  std::shared_ptr<std::atomic<int>> hung = backend.hung;
  const absl::Time start = absl::Now();
  try {
    std::thread([pending, credential, hung]() {
      // What the backend tells the user is kept for the waiter to pass on.
      cargo_credential::UserTextCapture capture([&pending](absl::string_view text) {
        absl::MutexLock lock(&pending->mutex);
        if (pending->said.size() < kMaxSaid) {
          pending->said.append(text.data(), std::min(text.size(), kMaxSaid - pending->said.size()));
        }
      });
      absl::StatusOr<cargo_credential::CredentialResponse> result =
          credential->Perform(pending->registry, pending->action, pending->args);
      absl::MutexLock lock(&pending->mutex);
      pending->result = std::move(result);
      pending->done = true;
      if (pending->abandoned) --*hung;
    }).detach();
  } catch (const std::system_error& error) {
    return cargo_credential::OtherError("credcached cannot start another thread", {error.what()});
  }

  absl::MutexLock lock(&pending->mutex);
  const absl::Time deadline = start + backend.settings.timeout;
  bool done = pending->mutex.AwaitWithDeadline(absl::Condition(&pending->done),
                                               std::min(deadline, start + kSlowNotice));
  if (!done && notice) {
    pending->mutex.Unlock();  // Not held while someone else's code runs.
    notice(backend.settings.name, backend.settings.timeout);
    pending->mutex.Lock();
  }
  if (!done) done = pending->mutex.AwaitWithDeadline(absl::Condition(&pending->done), deadline);
  *said = pending->said;  // What it said so far, if it did not finish.
  const absl::Duration took = absl::Now() - start;
  if (!done) {
    *named = true;
    pending->abandoned = true;
    ++*hung;
    stats_->BackendCall(backend.settings.name, took, Stats::Outcome::kTimedOut);
    return cargo_credential::OtherError(
        absl::StrCat("credcache backend `", backend.settings.name, "` did not answer within ",
                     absl::FormatDuration(backend.settings.timeout)),
        {"the cache is unchanged; raise the backend's `timeout` if it is just slow"});
  }
  return Checked(backend, action, took, std::move(pending->result), named);
}

absl::StatusOr<cargo_credential::CredentialResponse> Router::RunInCaller(
    const Backend& backend, const cargo_credential::RegistryInfo& registry,
    const cargo_credential::Action& action, const std::vector<std::string>& args,
    const CallWatch& watch, bool* named) const {
  if (!watch.in_caller) {
    *named = true;
    stats_->BackendCall(backend.settings.name, absl::ZeroDuration(), Stats::Outcome::kFailed);
    return cargo_credential::OtherError(
        absl::StrCat("credcache backend `", backend.settings.name,
                     "` runs in the caller (run_in = \"caller\"), and this request has none"),
        {"only cargo's requests, through cargo-credential-credcache, can run it"});
  }
  // A login's token never goes out to a backend that could not keep it.
  if (action.kind != cargo_credential::ActionKind::kGet && !backend.settings.takes_logins) {
    return cargo_credential::OperationNotSupportedError(
        absl::StrCat("a `", backend.settings.kind, "` backend only reads tokens"));
  }
  // Whoever else waits on this call waits on a shim that may be prompting
  // its user: they hear so at once, not after kSlowNotice.
  if (watch.slow) watch.slow(backend.settings.name, backend.settings.timeout);
  const absl::Time start = absl::Now();
  absl::StatusOr<cargo_credential::CredentialResponse> result =
      watch.in_caller(backend, registry, action, args, start + backend.settings.timeout);
  // Its failures (the run's, or that no caller ran it) do not name it: the
  // chain's walk says which backend failed.
  *named = false;
  if (!result.ok() && absl::IsDeadlineExceeded(result.status())) {
    stats_->BackendCall(backend.settings.name, absl::Now() - start, Stats::Outcome::kTimedOut);
    return result;
  }
  return Checked(backend, action, absl::Now() - start, std::move(result), named);
}

absl::StatusOr<cargo_credential::CredentialResponse> Router::Checked(
    const Backend& backend, const cargo_credential::Action& action, absl::Duration took,
    absl::StatusOr<cargo_credential::CredentialResponse> result, bool* named) const {
  if (result.ok() && result->kind != cargo_credential::ResponseKindFor(action.kind)) {
    *named = true;
    stats_->BackendCall(backend.settings.name, took, Stats::Outcome::kFailed);
    return cargo_credential::OtherError(
        absl::StrCat("credcache backend `", backend.settings.name, "` answered a `",
                     cargo_credential::ActionKindName(action.kind),
                     "` request with a response of another kind"),
        {"nothing was cached"});
  }
  if (result.ok() && result->kind == cargo_credential::ResponseKind::kGet) {
    if (absl::Status fit = cargo_credential::CheckToken(result->token); !fit.ok()) {
      // Never cached, never passed on: cargo could not use it, and a token
      // with a line break would split the request it is sent in.
      *named = true;
      stats_->BackendCall(backend.settings.name, took, Stats::Outcome::kFailed);
      return cargo_credential::OtherError(
          absl::StrCat("credcache backend `", backend.settings.name,
                       "` returned a token cargo cannot send: ", fit.message()),
          {"nothing was cached; check what the backend stores or prints"});
    }
  }
  const ErrorKind kind =
      result.ok() ? ErrorKind::kOther : cargo_credential::KindOf(result.status());
  const bool failed =
      !result.ok() && kind != ErrorKind::kNotFound && kind != ErrorKind::kUrlNotSupported;
  stats_->BackendCall(backend.settings.name, took,
                      failed ? Stats::Outcome::kFailed : Stats::Outcome::kAnswered);
  return result;
}

Router::Answer Router::Logout(const std::vector<const Backend*>& chain,
                              const cargo_credential::RegistryInfo& registry,
                              const cargo_credential::Action& action,
                              const std::vector<std::string>& args, const CallWatch& watch) const {
  const Backend* erased = nullptr;
  absl::Status failure;
  bool not_found = false;
  bool not_supported = false;
  for (const Backend* backend : chain) {
    bool named = false;
    absl::StatusOr<cargo_credential::CredentialResponse> result =
        CallOne(*backend, registry, action, args, watch, &named);
    if (result.ok()) {
      erased = backend;
      continue;
    }
    const ErrorKind kind = cargo_credential::KindOf(result.status());
    not_found = not_found || kind == ErrorKind::kNotFound;
    not_supported = not_supported || kind == ErrorKind::kOperationNotSupported;
    if ((kind == ErrorKind::kOther || kind == ErrorKind::kUnknown) && failure.ok()) {
      failure = named ? result.status()
                      : cargo_credential::Annotate(
                            result.status(), absl::StrCat("credcache backend `",
                                                          backend->settings.name, "` failed"));
    }
  }
  // A copy that could not be erased must not look like a clean logout.
  if (!failure.ok()) return Answer{failure, erased};
  if (erased != nullptr) return Answer{cargo_credential::CredentialResponse::Logout(), erased};
  if (not_found) return Answer{cargo_credential::NotFoundError(), nullptr};
  if (not_supported) return Answer{cargo_credential::OperationNotSupportedError(), nullptr};
  return Answer{cargo_credential::UrlNotSupportedError(), nullptr};
}

Router::Answer Router::Call(const std::vector<const Backend*>& chain,
                            const cargo_credential::RegistryInfo& registry,
                            const cargo_credential::Action& action,
                            const std::vector<std::string>& args, const CallWatch& watch) const {
  // At most once per call, however many backends are slow.
  bool noticed = false;
  CallWatch once = watch;
  once.slow = [&watch, &noticed](const std::string& name, absl::Duration timeout) {
    if (noticed || !watch.slow) return;
    noticed = true;
    watch.slow(name, timeout);
  };
  if (action.kind == cargo_credential::ActionKind::kLogout) {
    return Logout(chain, registry, action, args, once);
  }
  bool not_found = false;
  bool not_supported = false;
  // Why backends that could not serve said so (a keyring that is locked or
  // absent), in case no other backend serves either.
  std::vector<std::string> declined;
  for (const Backend* backend : chain) {
    bool named = false;
    absl::StatusOr<cargo_credential::CredentialResponse> result =
        CallOne(*backend, registry, action, args, once, &named);
    if (result.ok()) return Answer{std::move(result), backend};
    switch (cargo_credential::KindOf(result.status())) {
      case ErrorKind::kUrlNotSupported:
        if (!result.status().message().empty()) {
          declined.push_back(absl::StrCat(backend->settings.name, ": ", result.status().message()));
        }
        continue;
      case ErrorKind::kNotFound:
        not_found = true;
        continue;
      case ErrorKind::kOperationNotSupported:
        not_supported = true;
        continue;
      case ErrorKind::kOther:
      case ErrorKind::kUnknown:
        break;
    }
    if (named) return Answer{std::move(result), backend};  // Names it already.
    return Answer{cargo_credential::Annotate(
                      result.status(),
                      absl::StrCat("credcache backend `", backend->settings.name, "` failed")),
                  backend};
  }
  if (not_found) return Answer{cargo_credential::NotFoundError(), nullptr};
  if (not_supported) return Answer{cargo_credential::OperationNotSupportedError(), nullptr};
  if (!declined.empty()) {
    // Every backend meant for this registry is out of service: say why,
    // rather than let cargo report that nothing handles the registry.
    return Answer{cargo_credential::OtherError(absl::StrCat("no credcache backend for ",
                                                            registry.index_url, " is available"),
                                               std::move(declined)),
                  nullptr};
  }
  return Answer{cargo_credential::UrlNotSupportedError(), nullptr};
}

}  // namespace credcache
