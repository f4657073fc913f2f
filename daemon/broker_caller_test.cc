// The Broker with backends that run in the caller (`run_in = "caller"`):
// one run however many ask, handed on when its shim exits, bounded by the
// backend's timeout, and its report answered with the request's answer.
#include <memory>
#include <thread>
#include <vector>

#include "cargo_credential/error.h"
#include "daemon/broker.h"
#include "daemon/fake_backend.h"
#include "daemon/fake_caller.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/builders.h"

namespace credcache {
namespace {

using cargo_credential::Action;
using cargo_credential::ActionKind;
using cargo_credential::CacheControl;
using cargo_credential::CredentialResponse;
using cargo_credential::RegistryInfo;
using cargo_credential::Secret;
using credcache_testing::Login;
using credcache_testing::Registry;
using ::testing::HasSubstr;

const RegistryInfo kRegistry = Registry("sparse+http://h/index/", "myreg");
constexpr char kConfig[] = "command = [\"sso-token\"]\nkind = \"command\"\nrun_in = \"caller\"\n";

absl::StatusOr<CredentialResponse> Token(const std::string& token) {
  return CredentialResponse::Get(Secret(absl::string_view(token)), CacheControl::Session(),
                                 /*operation_independent=*/true);
}

class BrokerCallerTest : public ::testing::Test {
 protected:
  explicit BrokerCallerTest(absl::Duration timeout = absl::Seconds(10)) {
    BackendSettings sso = InCaller("sso", "command", timeout);
    sso.fingerprint = kConfig;
    Use({sso});
  }

  // A backend of `kind` configured to run in the caller.
  static BackendSettings InCaller(const std::string& name, const std::string& kind,
                                  absl::Duration timeout = absl::Seconds(10)) {
    BackendSettings settings;
    settings.name = name;
    settings.kind = kind;
    settings.timeout = timeout;
    settings.run_in_caller = true;
    return settings;
  }
  // The broker routes every registry to `chain`, whose backends the daemon
  // itself must never call.
  void Use(const std::vector<BackendSettings>& chain) {
    std::vector<Backend> backends;
    for (const BackendSettings& settings : chain) {
      backends.push_back(Backend{settings, never_called_});
    }
    broker_.SetRouter(CachePolicy{}, std::make_shared<Router>(std::move(backends), &stats_));
  }

  // A request from `caller`'s shim, on a thread of its own, as the service
  // runs one.
  std::thread Ask(FakeCaller* caller, Action action = Action{},
                  absl::StatusOr<CredentialResponse>* result = nullptr) {
    return std::thread([this, caller, action = std::move(action), result]() {
      CallWatch watch;
      watch.caller = caller;
      absl::StatusOr<CredentialResponse> answer =
          broker_.PerformWatched(kRegistry, action, {}, watch);
      if (result != nullptr) *result = std::move(answer);
    });
  }
  absl::StatusOr<CredentialResponse> Report(const CallerJob& job, FakeCaller* reporter,
                                            absl::StatusOr<CredentialResponse> answer) {
    CallWatch watch;
    watch.caller = reporter;
    return broker_.Report(job.lease, std::move(answer), reporter->pid(), watch);
  }

  FakeClock clock_;
  Stats stats_;
  std::shared_ptr<FakeBackend> never_called_ = std::make_shared<FakeBackend>();
  Broker broker_{&clock_, &stats_, CachePolicy{},
                 std::make_shared<Router>(std::vector<Backend>{}, &stats_)};
};

TEST_F(BrokerCallerTest, TheAskersShimRunsItAndTheAnswerIsCached) {
  FakeCaller shim(101);
  std::thread asker = Ask(&shim);
  std::optional<CallerJob> job = shim.AwaitJob();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->backend, "sso");
  EXPECT_EQ(job->kind, "command");
  EXPECT_EQ(job->config, kConfig);
  EXPECT_EQ(job->registry.index_url, kRegistry.index_url);
  EXPECT_EQ(job->lease.size(), 32u);  // 16 random bytes, in hex.

  // The report is answered with the request's answer.
  FakeCaller reporter(101);
  absl::StatusOr<CredentialResponse> answer = Report(*job, &reporter, Token("Bearer sso"));
  asker.join();
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->token.Expose(), "Bearer sso");

  // Cached: the next get needs no caller.
  absl::StatusOr<CredentialResponse> again = broker_.Perform(kRegistry, Action{}, {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->token.Expose(), "Bearer sso");
  EXPECT_EQ(never_called_->calls(), 0);
  EXPECT_EQ(shim.jobs(), 1);
}

TEST_F(BrokerCallerTest, ManyAskersMakeOneRun) {
  constexpr int kAskers = 12;
  std::vector<std::unique_ptr<FakeCaller>> shims;
  std::vector<absl::StatusOr<CredentialResponse>> results(kAskers);
  std::vector<std::thread> askers;
  for (int i = 0; i < kAskers; ++i) shims.push_back(std::make_unique<FakeCaller>(200 + i));
  for (int i = 0; i < kAskers; ++i) askers.push_back(Ask(shims[i].get(), Action{}, &results[i]));
  // Whichever asker came first leads, and its shim runs it.
  int runner = -1;
  for (int tries = 0; runner < 0 && tries < 1000; ++tries) {
    for (int i = 0; i < kAskers && runner < 0; ++i) {
      if (shims[i]->jobs() > 0) runner = i;
    }
    if (runner < 0) absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_GE(runner, 0);
  std::optional<CallerJob> job = shims[runner]->AwaitJob();
  ASSERT_TRUE(job.has_value());
  // Let the others arrive and wait on the same call.
  absl::SleepFor(absl::Milliseconds(200));
  FakeCaller reporter(shims[runner]->pid());
  ASSERT_TRUE(Report(*job, &reporter, Token("Bearer one")).ok());
  for (std::thread& asker : askers) asker.join();
  int jobs = 0;
  for (int i = 0; i < kAskers; ++i) {
    jobs += shims[i]->jobs();
    if (i == runner) continue;  // Its call carried the job; its answer reaches no one.
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status();
    EXPECT_EQ(results[i]->token.Expose(), "Bearer one");
  }
  EXPECT_EQ(jobs, 1);
}

TEST_F(BrokerCallerTest, WhenTheRunningShimExitsTheNextWaiterRunsIt) {
  FakeCaller first(301), second(302);
  absl::StatusOr<CredentialResponse> second_result;
  std::thread a = Ask(&first);
  std::optional<CallerJob> job = first.AwaitJob();
  ASSERT_TRUE(job.has_value());
  std::thread b = Ask(&second, Action{}, &second_result);
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(second.jobs(), 0);  // Waits while the first runs it.

  first.Exit();  // Interrupted mid-prompt.
  std::optional<CallerJob> handed_on = second.AwaitJob();
  ASSERT_TRUE(handed_on.has_value());
  EXPECT_NE(handed_on->lease, job->lease) << "a lease of its own";

  // Nobody can report with the lease of the process that went away (a
  // child it left behind, say), nor with the new one from another process.
  FakeCaller orphan(999);
  absl::StatusOr<CredentialResponse> stale = Report(*job, &orphan, Token("Bearer fake"));
  EXPECT_FALSE(stale.ok());
  EXPECT_THAT(std::string(stale.status().message()), HasSubstr("no longer waits"));
  absl::StatusOr<CredentialResponse> refused = Report(*handed_on, &orphan, Token("Bearer fake"));
  EXPECT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("another process"));

  FakeCaller reporter(302);
  absl::StatusOr<CredentialResponse> answer = Report(*handed_on, &reporter, Token("Bearer two"));
  a.join();
  b.join();
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->token.Expose(), "Bearer two");
}

TEST_F(BrokerCallerTest, ACallerThatCannotTakeTheJobIsPassedOverAndStillAnswered) {
  FakeCaller refuses(401, /*accepts=*/false), takes(402), also_refuses(403, /*accepts=*/false);
  absl::StatusOr<CredentialResponse> first, third;
  std::thread a = Ask(&refuses, Action{}, &first);
  ASSERT_TRUE(refuses.AwaitJob().has_value());
  std::thread c = Ask(&also_refuses, Action{}, &third);
  ASSERT_TRUE(also_refuses.AwaitJob().has_value());
  std::thread b = Ask(&takes);
  std::optional<CallerJob> job = takes.AwaitJob();
  ASSERT_TRUE(job.has_value());
  FakeCaller reporter(402);
  EXPECT_TRUE(Report(*job, &reporter, Token("Bearer b")).ok());
  a.join();
  b.join();
  c.join();
  // They waited on as any asker does, and hear the answer.
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->token.Expose(), "Bearer b");
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->token.Expose(), "Bearer b");
  EXPECT_EQ(stats_.Snapshot().errors, 0) << "a job handed to a shim is no error";
}

TEST_F(BrokerCallerTest, AnAnswerOfAnotherKindIsRefused) {
  FakeCaller shim(451);
  std::thread asker = Ask(&shim);
  std::optional<CallerJob> job = shim.AwaitJob();
  ASSERT_TRUE(job.has_value());
  FakeCaller reporter(451);
  absl::StatusOr<CredentialResponse> answer = Report(*job, &reporter, CredentialResponse::Logout());
  asker.join();
  ASSERT_FALSE(answer.ok());
  EXPECT_THAT(std::string(answer.status().message()), HasSubstr("of another kind"));
  EXPECT_EQ(broker_.cache().Size(), 0u);
}

TEST_F(BrokerCallerTest, AStoppingDaemonEndsTheWaitForAReport) {
  FakeCaller shim(461), waiter(462);
  absl::StatusOr<CredentialResponse> waited;
  std::thread a = Ask(&shim);
  ASSERT_TRUE(shim.AwaitJob().has_value());
  std::thread b = Ask(&waiter, Action{}, &waited);
  absl::SleepFor(absl::Milliseconds(100));
  broker_.AbandonCallerRuns(cargo_credential::OtherError("credcached stopped"));
  a.join();
  b.join();
  ASSERT_FALSE(waited.ok());
  EXPECT_THAT(cargo_credential::CausedBy(waited.status()),
              ::testing::Contains("credcached stopped"));
}

TEST_F(BrokerCallerTest, WithoutACallerItFailsNamingTheBackend) {
  absl::StatusOr<CredentialResponse> result = broker_.Perform(kRegistry, Action{}, {});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("`sso` runs in the caller"));
}

TEST_F(BrokerCallerTest, AnUnknownLeaseChangesNothing) {
  FakeCaller reporter(1);
  CallerJob job;
  job.lease = "00112233445566778899aabbccddeeff";
  absl::StatusOr<CredentialResponse> answer = Report(job, &reporter, Token("Bearer x"));
  ASSERT_FALSE(answer.ok());
  EXPECT_THAT(std::string(answer.status().message()), HasSubstr("no longer waits"));
  EXPECT_EQ(broker_.cache().Size(), 0u);
}

TEST_F(BrokerCallerTest, ALoginRunsInTheAskersShimWithItsToken) {
  FakeCaller shim(501);
  absl::StatusOr<CredentialResponse> ignored;
  std::thread asker = Ask(&shim, Login("Bearer new"), &ignored);
  std::optional<CallerJob> job = shim.AwaitJob();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->action.kind, ActionKind::kLogin);
  ASSERT_TRUE(job->action.login.token.has_value());
  EXPECT_EQ(job->action.login.token->Expose(), "Bearer new");
  FakeCaller reporter(501);
  absl::StatusOr<CredentialResponse> answer = Report(*job, &reporter, CredentialResponse::Login());
  asker.join();
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->kind, cargo_credential::ResponseKind::kLogin);
}

TEST_F(BrokerCallerTest, ABackendThatAnswersEachCallerAloneIsNeverShared) {
  BackendSettings shell = InCaller("shell", "env");
  shell.shares_answers = false;
  Use({shell});

  // Two cargo processes at once, each with its own variable: each runs it.
  FakeCaller alice(471), bob(472);
  std::thread a = Ask(&alice);
  std::optional<CallerJob> alices = alice.AwaitJob();
  ASSERT_TRUE(alices.has_value());
  std::thread b = Ask(&bob);
  std::optional<CallerJob> bobs = bob.AwaitJob();
  ASSERT_TRUE(bobs.has_value()) << "bob waited on alice's run";
  FakeCaller alice_reports(471), bob_reports(472);
  absl::StatusOr<CredentialResponse> for_bob = Report(*bobs, &bob_reports, Token("Bearer bob"));
  absl::StatusOr<CredentialResponse> for_alice =
      Report(*alices, &alice_reports, Token("Bearer alice"));
  a.join();
  b.join();
  ASSERT_TRUE(for_bob.ok());
  EXPECT_EQ(for_bob->token.Expose(), "Bearer bob");
  ASSERT_TRUE(for_alice.ok());
  EXPECT_EQ(for_alice->token.Expose(), "Bearer alice");
}

TEST_F(BrokerCallerTest, TheShimThatReportedRunsTheChainsNextBackendToo) {
  // Two backends in the caller: the first has no token (not-found).
  Use({InCaller("first", "command"), InCaller("second", "command")});
  FakeCaller leader(481), waiter(482);
  std::thread a = Ask(&leader);
  std::optional<CallerJob> first = leader.AwaitJob();
  ASSERT_TRUE(first.has_value());
  std::thread b = Ask(&waiter);
  absl::SleepFor(absl::Milliseconds(100));  // It waits on the same call.
  FakeCaller reporter(481);
  absl::StatusOr<CredentialResponse> answer;
  std::thread report(
      [&]() { answer = Report(*first, &reporter, cargo_credential::NotFoundError()); });
  std::optional<CallerJob> second = reporter.AwaitJob();
  ASSERT_TRUE(second.has_value()) << "the second backend went to another terminal";
  EXPECT_EQ(second->backend, "second");
  EXPECT_EQ(waiter.jobs(), 0);
  FakeCaller second_reporter(481);
  absl::StatusOr<CredentialResponse> last = Report(*second, &second_reporter, Token("Bearer 2"));
  report.join();
  a.join();
  b.join();
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->token.Expose(), "Bearer 2");
}

TEST_F(BrokerCallerTest, ALoginNeverGoesToACallerBackendThatOnlyReadsTokens) {
  BackendSettings reader = InCaller("sso", "command");
  reader.takes_logins = false;
  Use({reader});
  FakeCaller shim(491);
  absl::StatusOr<CredentialResponse> result;
  std::thread asker = Ask(&shim, Login("Bearer secret"), &result);
  asker.join();
  EXPECT_EQ(shim.jobs(), 0) << "the token went out to a backend that cannot keep it";
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(cargo_credential::KindOf(result.status()),
            cargo_credential::ErrorKind::kOperationNotSupported);
}

class BrokerCallerTimeoutTest : public BrokerCallerTest {
 protected:
  BrokerCallerTimeoutTest() : BrokerCallerTest(absl::Milliseconds(400)) {}
};

TEST_F(BrokerCallerTimeoutTest, NobodyWaitsPastTheBackendsTimeout) {
  FakeCaller silent(601), waiting(602);
  absl::StatusOr<CredentialResponse> waited;
  const absl::Time start = absl::Now();
  std::thread a = Ask(&silent);
  std::optional<CallerJob> job = silent.AwaitJob();
  ASSERT_TRUE(job.has_value());
  std::thread b = Ask(&waiting, Action{}, &waited);
  a.join();
  b.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  ASSERT_FALSE(waited.ok());
  EXPECT_THAT(std::string(waited.status().message()), HasSubstr("`sso` failed"));
  EXPECT_EQ(cargo_credential::KindOf(waited.status()), cargo_credential::ErrorKind::kOther);
  EXPECT_EQ(broker_.cache().Size(), 0u);
  EXPECT_EQ(stats_.Snapshot().backends["sso"].timeouts, 1) << "counted as a timeout";
  // A report after the timeout is dropped.
  FakeCaller late(601);
  EXPECT_FALSE(Report(*job, &late, Token("Bearer late")).ok());
  EXPECT_EQ(broker_.cache().Size(), 0u);
}

}  // namespace
}  // namespace credcache
