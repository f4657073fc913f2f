#include "daemon/router.h"

#include <unistd.h>

#include <memory>

#include "daemon/fake_backend.h"
#include "daemon/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/user_text.h"
#include "tests/support/builders.h"
#include "tests/support/test_env.h"

namespace credcache {
namespace {

using cargo_credential::Action;
using cargo_credential::ErrorKind;
using cargo_credential::KindOf;
using cargo_credential::RegistryInfo;
using credcache_testing::Get;
using credcache_testing::Login;
using credcache_testing::Registry;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

Backend Make(const std::string& name, std::shared_ptr<FakeBackend> fake,
             std::vector<std::string> urls = {}, std::vector<std::string> names = {}) {
  BackendSettings settings;
  settings.name = name;
  settings.kind = "fake";
  settings.index_urls = std::move(urls);
  settings.names = std::move(names);
  settings.timeout = absl::Milliseconds(300);
  return Backend{settings, std::move(fake)};
}

TEST(RouterTest, RoutesByUrlAndNameGlobs) {
  auto fake = std::make_shared<FakeBackend>();
  std::vector<Backend> backends;
  backends.push_back(Make("corp", fake, {"sparse+https://*.corp.example/*"}));
  backends.push_back(Make("named", fake, {}, {"team-*"}));
  backends.push_back(Make("all", fake));
  Stats stats;
  Router router(std::move(backends), &stats);

  auto names = [&](const RegistryInfo& registry) {
    std::vector<std::string> out;
    for (const Backend* backend : router.Route(registry)) out.push_back(backend->settings.name);
    return out;
  };
  EXPECT_THAT(names({"sparse+https://cargo.corp.example/index/", std::nullopt, {}}),
              ::testing::ElementsAre("corp", "all"));
  EXPECT_THAT(names({"sparse+https://other/index/", "team-a", {}}),
              ::testing::ElementsAre("named", "all"));
  EXPECT_THAT(names({"sparse+https://other/index/", std::nullopt, {}}),
              ::testing::ElementsAre("all"));
}

TEST(RouterTest, ChainFallsThroughLikeCargo) {
  auto empty = std::make_shared<FakeBackend>();
  auto unsupported = std::make_shared<FakeBackend>();
  unsupported->SetError(cargo_credential::UrlNotSupportedError());
  auto full = std::make_shared<FakeBackend>();
  full->SetToken("u", "t");
  std::vector<Backend> backends;
  backends.push_back(Make("unsupported", unsupported));
  backends.push_back(Make("empty", empty));
  backends.push_back(Make("full", full));
  Stats stats;
  Router router(std::move(backends), &stats);
  const RegistryInfo registry = Registry("u");
  Router::Answer answer = router.Call(router.Route(registry), registry, Action{}, {});
  ASSERT_TRUE(answer.result.ok()) << answer.result.status();
  EXPECT_EQ(answer.backend->settings.name, "full");
  EXPECT_EQ(answer.result->token.Expose(), "t");
}

TEST(RouterTest, EndOfChainAnswers) {
  Stats stats;
  const RegistryInfo registry = Registry("u");
  Router none({}, &stats);
  EXPECT_EQ(KindOf(none.Call({}, registry, Action{}, {}).result.status()),
            ErrorKind::kUrlNotSupported);

  std::vector<Backend> backends;
  backends.push_back(Make("empty", std::make_shared<FakeBackend>()));
  Router empty(std::move(backends), &stats);
  EXPECT_EQ(KindOf(empty.Call(empty.Route(registry), registry, Action{}, {}).result.status()),
            ErrorKind::kNotFound);
}

TEST(RouterTest, UnavailableBackendsFallThroughAndSayWhyWhenNoneServes) {
  auto keyring = std::make_shared<FakeBackend>();
  keyring->SetError(cargo_credential::UrlNotSupportedError("the Secret Service is not available"));
  auto file = std::make_shared<FakeBackend>();
  file->SetToken("u", "t");
  const RegistryInfo registry = Registry("u");
  Stats stats;
  {
    std::vector<Backend> backends;
    backends.push_back(Make("keyring", keyring));
    backends.push_back(Make("file", file));
    Router router(std::move(backends), &stats);
    EXPECT_TRUE(router.Call(router.Route(registry), registry, Action{}, {}).result.ok());
  }
  std::vector<Backend> only_keyring;
  only_keyring.push_back(Make("keyring", keyring));
  Router router(std::move(only_keyring), &stats);
  absl::Status status = router.Call(router.Route(registry), registry, Action{}, {}).result.status();
  EXPECT_EQ(KindOf(status), ErrorKind::kOther);
  EXPECT_THAT(std::string(status.message()), HasSubstr("no credcache backend for u is available"));
  EXPECT_THAT(cargo_credential::CausedBy(status),
              ::testing::ElementsAre("keyring: the Secret Service is not available"));
}

TEST(RouterTest, LoginSkipsReadOnlyBackends) {
  auto read_only = std::make_shared<FakeBackend>();
  read_only->SetReadOnly(true);
  auto writable = std::make_shared<FakeBackend>();
  std::vector<Backend> backends;
  backends.push_back(Make("env", read_only));
  backends.push_back(Make("file", writable));
  Stats stats;
  Router router(std::move(backends), &stats);
  const RegistryInfo registry = Registry("u");
  Router::Answer answer = router.Call(router.Route(registry), registry, Login("t"), {});
  ASSERT_TRUE(answer.result.ok()) << answer.result.status();
  EXPECT_TRUE(writable->Has("u"));

  std::vector<Backend> only_read;
  only_read.push_back(Make("env", read_only));
  Router read_router(std::move(only_read), &stats);
  EXPECT_EQ(
      KindOf(
          read_router.Call(read_router.Route(registry), registry, Login("t"), {}).result.status()),
      ErrorKind::kOperationNotSupported);
}

TEST(RouterTest, LogoutErasesEveryCopy) {
  auto keyring = std::make_shared<FakeBackend>();
  auto file = std::make_shared<FakeBackend>();
  keyring->SetToken("u", "new");
  file->SetToken("u", "old");  // Stored while the keyring was locked.
  std::vector<Backend> backends;
  backends.push_back(Make("keyring", keyring));
  backends.push_back(Make("file", file));
  Stats stats;
  Router router(std::move(backends), &stats);
  const RegistryInfo registry = Registry("u");
  const Action logout = credcache_testing::Logout();
  ASSERT_TRUE(router.Call(router.Route(registry), registry, logout, {}).result.ok());
  EXPECT_FALSE(keyring->Has("u"));
  EXPECT_FALSE(file->Has("u"));
  EXPECT_EQ(KindOf(router.Call(router.Route(registry), registry, logout, {}).result.status()),
            ErrorKind::kNotFound);
}

TEST(RouterTest, AHungBackendIsRefusedOnceTooManyCallsHang) {
  auto slow = std::make_shared<FakeBackend>();
  slow->SetToken("u", "t");
  slow->SetDelay(absl::Seconds(2));
  std::vector<Backend> backends;
  backends.push_back(Make("slow", slow));
  backends[0].settings.timeout = absl::Milliseconds(20);
  Stats stats;
  Router router(std::move(backends), &stats);
  const RegistryInfo registry = Registry("u");
  for (int i = 0; i < kMaxHungCalls; ++i) {
    EXPECT_THAT(
        std::string(
            router.Call(router.Route(registry), registry, Action{}, {}).result.status().message()),
        HasSubstr("did not answer"));
  }
  absl::Status refused =
      router.Call(router.Route(registry), registry, Action{}, {}).result.status();
  EXPECT_THAT(std::string(refused.message()), HasSubstr("`slow` is not answering"));
  EXPECT_EQ(slow->calls(), kMaxHungCalls);
}

TEST(RouterTest, OtherErrorsStopTheChainAndNameTheBackend) {
  auto broken = std::make_shared<FakeBackend>();
  broken->SetError(cargo_credential::OtherError("disk on fire"));
  auto full = std::make_shared<FakeBackend>();
  full->SetToken("u", "t");
  std::vector<Backend> backends;
  backends.push_back(Make("broken", broken));
  backends.push_back(Make("full", full));
  Stats stats;
  Router router(std::move(backends), &stats);
  const RegistryInfo registry = Registry("u");
  Router::Answer answer = router.Call(router.Route(registry), registry, Action{}, {});
  ASSERT_FALSE(answer.result.ok());
  EXPECT_THAT(std::string(answer.result.status().message()), HasSubstr("`broken` failed"));
  EXPECT_THAT(cargo_credential::CausedBy(answer.result.status()),
              ::testing::ElementsAre("disk on fire"));
  EXPECT_EQ(full->calls(), 0);
}

TEST(RouterTest, ATokenCargoCannotSendIsAnErrorNamingTheBackend) {
  for (const std::string& bad :
       {std::string("Bearer \xff\xfe"), std::string("a\r\nX-Evil: 1"), std::string("")}) {
    auto fake = std::make_shared<FakeBackend>();
    fake->SetToken("u", bad);
    auto next = std::make_shared<FakeBackend>();
    next->SetToken("u", "good");
    std::vector<Backend> backends;
    backends.push_back(Make("weird", fake));
    backends.push_back(Make("next", next));
    Stats stats;
    Router router(std::move(backends), &stats);
    const RegistryInfo registry = Registry("u");
    Router::Answer answer = router.Call(router.Route(registry), registry, Action{}, {});
    ASSERT_FALSE(answer.result.ok());
    EXPECT_EQ(KindOf(answer.result.status()), ErrorKind::kOther);
    EXPECT_THAT(std::string(answer.result.status().message()),
                HasSubstr("backend `weird` returned a token cargo cannot send"));
    EXPECT_EQ(next->calls(), 0);  // An error ends the walk, as any other would.
    EXPECT_EQ(stats.Snapshot().backends["weird"].errors, 1);
  }
}

TEST(RouterTest, AHangingBackendTimesOutWithItsName) {
  auto slow = std::make_shared<FakeBackend>();
  slow->SetToken("u", "t");
  slow->SetDelay(absl::Seconds(3));
  std::vector<Backend> backends;
  backends.push_back(Make("slow", slow));
  Stats stats;
  Router router(std::move(backends), &stats);
  const RegistryInfo registry = Registry("u");
  const absl::Time start = absl::Now();
  Router::Answer answer = router.Call(router.Route(registry), registry, Action{}, {});
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ASSERT_FALSE(answer.result.ok());
  EXPECT_THAT(std::string(answer.result.status().message()),
              HasSubstr("backend `slow` did not answer within 300ms"));
  EXPECT_EQ(stats.Snapshot().backends["slow"].timeouts, 1);
}

// Says something for the user, then has no token.
class TalkativeBackend : public cargo_credential::Credential {
 public:
  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const RegistryInfo&, const Action&, const std::vector<std::string>&) override {
    cargo_credential::TellUser("session expires soon\n");
    return cargo_credential::NotFoundError();
  }
};

TEST(RouterTest, WhatABackendSaysForTheUserGoesToTheWatcherNotToStderr) {
  BackendSettings settings;
  settings.name = "talkative";
  settings.timeout = absl::Seconds(5);
  std::vector<Backend> backends;
  backends.push_back(Backend{settings, std::make_shared<TalkativeBackend>()});
  Stats stats;
  Router router(std::move(backends), &stats);
  std::vector<std::pair<std::string, std::string>> said;
  CallWatch watch;
  watch.said = [&said](const std::string& backend, const std::string& text) {
    said.emplace_back(backend, text);
  };
  ::testing::internal::CaptureStderr();
  const RegistryInfo registry = Registry("u");
  Router::Answer answer = router.Call(router.Route(registry), registry, Get(), {}, watch);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "") << "the daemon's stderr is its log";
  EXPECT_EQ(KindOf(answer.result.status()), ErrorKind::kNotFound);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0].first, "talkative");
  EXPECT_EQ(said[0].second, "session expires soon\n");
}

// The daemon's log, at `level`, in a file of the test's own while it lives;
// then stderr, the level and the sink are as they were.
class LogCapture {
 public:
  explicit LogCapture(LogLevel level) : saved_stderr_(dup(STDERR_FILENO)) {
    path_ = credcache_testing::MakeTempDir("log") + "/credcached.log";
    EXPECT_TRUE(LogToFile(path_).ok());
    SetLogLevel(level);
  }
  ~LogCapture() {
    LogToStderr();
    SetLogLevel(LogLevel::kInfo);
    dup2(saved_stderr_, STDERR_FILENO);
    close(saved_stderr_);
  }
  std::string text() const { return credcache_testing::ReadFile(path_); }

 private:
  const int saved_stderr_;
  std::string path_;
};

TEST(RouterLogTest, EachBackendCallIsLoggedWithItsOutcomeAndLatencyNeverItsToken) {
  auto unsupported = std::make_shared<FakeBackend>();
  unsupported->SetError(cargo_credential::UrlNotSupportedError("the keyring is locked"));
  auto empty = std::make_shared<FakeBackend>();
  auto full = std::make_shared<FakeBackend>();
  full->SetToken("sparse+https://r.example/index/", "Bearer sentinel-0123456789");
  std::vector<Backend> backends;
  backends.push_back(Make("keyring", unsupported));
  backends.push_back(Make("empty", empty));
  backends.push_back(Make("full", full));
  Stats stats;
  Router router(std::move(backends), &stats);
  const RegistryInfo registry = Registry("sparse+https://r.example/index/");
  std::string at_debug;
  {
    LogCapture log(LogLevel::kDebug);
    ASSERT_TRUE(router.Call(router.Route(registry), registry, Get(), {}).result.ok());
    at_debug = log.text();
  }
  EXPECT_THAT(at_debug, ContainsRegex("debug: backend `keyring` get sparse\\+https://r.example/"
                                      "index/: declined \\(url-not-supported\\) in [0-9]+ms: "
                                      "the keyring is locked\n"));
  EXPECT_THAT(at_debug, ContainsRegex("debug: backend `empty` get sparse\\+https://r.example/"
                                      "index/: declined \\(not-found\\) in [0-9]+ms\n"));
  EXPECT_THAT(at_debug, ContainsRegex("info: backend `full` get sparse\\+https://r.example/"
                                      "index/: answered in [0-9]+ms\n"));
  EXPECT_THAT(at_debug, Not(HasSubstr("sentinel")));
  // At info, the default, a backend that declined is per-request detail.
  LogCapture log(LogLevel::kInfo);
  ASSERT_TRUE(router.Call(router.Route(registry), registry, Get(), {}).result.ok());
  EXPECT_THAT(log.text(), Not(HasSubstr("declined")));
  EXPECT_THAT(log.text(), HasSubstr("info: backend `full` get"));
}

TEST(RouterLogTest, AFailureIsAWarningCarryingItsCauseAsTheUserSeesIt) {
  auto sso = std::make_shared<FakeBackend>();
  // What the command backend makes of a program that exits 3 after
  // writing a line (with a terminal escape) on stderr.
  sso->SetError(
      cargo_credential::OtherError("command `/usr/bin/sso-token` failed with exit status 3",
                                   {"session expired, run \x1b[31msso-login"}));
  std::vector<Backend> backends;
  backends.push_back(Make("sso", sso));
  Stats stats;
  Router router(std::move(backends), &stats);
  const RegistryInfo registry = Registry("sparse+https://r.example/index/");
  LogCapture log(LogLevel::kInfo);
  Router::Answer answer = router.Call(router.Route(registry), registry, Get(), {});
  ASSERT_FALSE(answer.result.ok());
  // The user is shown the same: the message, then each cause.
  EXPECT_THAT(cargo_credential::CausedBy(answer.result.status()),
              ::testing::ElementsAre("command `/usr/bin/sso-token` failed with exit status 3",
                                     "session expired, run \x1b[31msso-login"));
  EXPECT_THAT(
      log.text(),
      ContainsRegex("warning: backend `sso` get sparse\\+https://r.example/index/: failed in "
                    "[0-9]+ms: command `/usr/bin/sso-token` failed with exit status 3: "
                    "session expired, run \\\\x1b\\[31msso-login\n"));
  EXPECT_THAT(log.text(), Not(HasSubstr("\x1b")));
}

TEST(RouterLogTest, ATimeoutIsAWarningNamingTheTimeout) {
  auto slow = std::make_shared<FakeBackend>();
  slow->SetDelay(absl::Seconds(2));
  std::vector<Backend> backends;
  backends.push_back(Make("slow", slow));
  Stats stats;
  Router router(std::move(backends), &stats);
  const RegistryInfo registry = Registry("u");
  LogCapture log(LogLevel::kInfo);
  ASSERT_FALSE(router.Call(router.Route(registry), registry, Get(), {}).result.ok());
  EXPECT_THAT(log.text(), ContainsRegex("warning: backend `slow` get u: failed in [0-9]+ms: "
                                        "credcache backend `slow` did not answer within 300ms"));
}

TEST(RouterLogTest, ALoginTokenABackendQuotesNeverReachesTheLog) {
  const std::string token = "Bearer quoted-secret-0123456789";
  auto store = std::make_shared<FakeBackend>();
  store->SetError(cargo_credential::OtherError(absl::StrCat("the store refused \"", token, "\""),
                                               {"only quoted-secret-0123456789 is bad"}));
  std::vector<Backend> backends;
  backends.push_back(Make("store", store));
  Stats stats;
  Router router(std::move(backends), &stats);
  const RegistryInfo registry = Registry("u");
  LogCapture log(LogLevel::kDebug);
  ASSERT_FALSE(router.Call(router.Route(registry), registry, Login(token), {}).result.ok());
  EXPECT_THAT(log.text(), HasSubstr("warning: backend `store` login u: failed in "));
  EXPECT_THAT(log.text(), HasSubstr("the store refused \"REDACTED\": only REDACTED is bad"));
  EXPECT_THAT(log.text(), Not(HasSubstr("quoted-secret")));
}

}  // namespace
}  // namespace credcache
