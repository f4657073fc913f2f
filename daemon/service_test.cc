// CredcacheService at its seam: a real gRPC server in this process, on one
// end of a socket pair, with fake backends behind a real Broker and Router,
// and a stock gRPC client on the other end.
#include "daemon/service.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "cargo_credential/error.h"
#include "common/wire.h"
#include "daemon/clock.h"
#include "daemon/fake_backend.h"
#include "daemon/router.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel_posix.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/server_posix.h"
#include "gtest/gtest.h"
#include "proto/convert.h"
#include "tests/support/builders.h"

namespace credcache {
namespace {

using credcache_testing::Get;
using credcache_testing::Login;
using credcache_testing::Registry;
using ::testing::HasSubstr;

constexpr char kUrl[] = "sparse+http://h/index/";
constexpr char kVersion[] = "1.2.3 (wire abc)";

class NoControl : public DaemonControl {
 public:
  absl::StatusOr<std::string> Reload() override { return std::string("test"); }
  void RequestStop() override {}
  std::string ConfigSource() const override { return "test"; }
};

BackendSettings Settings(const std::string& name) {
  BackendSettings settings;
  settings.name = name;
  settings.kind = "fake";
  settings.index_urls = {"*"};
  settings.timeout = absl::Seconds(5);
  return settings;
}

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() {
    first_->SetToken(kUrl, "Bearer first");
    first_->SetCache(cargo_credential::CacheControl::Session());
    second_->SetToken(kUrl, "Bearer second");
    std::vector<Backend> backends;
    backends.push_back(Backend{Settings("first"), first_});
    backends.push_back(Backend{Settings("second"), second_});
    broker_ = std::make_unique<Broker>(&clock_, &stats_, CachePolicy{},
                                       std::make_shared<Router>(std::move(backends), &stats_));
    DaemonIdentity identity;
    identity.version = kVersion;
    identity.socket = "/test.sock";
    identity.started_by = kStartedBySystemd;
    identity.started = absl::Now();
    service_ = std::make_unique<CredcacheService>(broker_.get(), &stats_, &control_, identity);

    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    grpc::AddInsecureChannelFromFd(server_.get(), fds[1]);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    stub_ = v1::Credcache::NewStub(grpc::CreateInsecureChannelFromFd("test", fds[0]));
  }

  ~ServiceTest() override {
    server_->Shutdown(std::chrono::system_clock::now());
    // Threads the service started for slow calls have finished: each
    // answered before its call returned.
  }

  // One Perform; `context` is kept for the metadata it received.
  grpc::Status Perform(const cargo_credential::Action& action, v1::PerformResponse* response,
                       const std::string& backend = "", const char* version = kVersion) {
    v1::PerformRequest request;
    v1::CredentialRequest* relayed = request.mutable_request();
    *relayed->mutable_registry() = ToProto(Registry(kUrl, "myreg"));
    *relayed->mutable_action() = ToProto(action);
    request.set_backend(backend);
    context_ = std::make_unique<grpc::ClientContext>();
    if (version != nullptr) context_->AddMetadata(kVersionHeader, version);
    return stub_->Perform(context_.get(), request, response);
  }

  std::string InitialHeader(const char* name) const {
    const auto& metadata = context_->GetServerInitialMetadata();
    const auto it = metadata.find(name);
    return it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
  }
  std::string Trailer(const char* name) const {
    const auto& metadata = context_->GetServerTrailingMetadata();
    const auto it = metadata.find(name);
    return it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
  }

  RealClock clock_;
  Stats stats_;
  NoControl control_;
  std::shared_ptr<FakeBackend> first_ = std::make_shared<FakeBackend>();
  std::shared_ptr<FakeBackend> second_ = std::make_shared<FakeBackend>();
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<CredcacheService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Credcache::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> context_;
};

TEST_F(ServiceTest, AColdGetGoesToTheBackendAndTheNextIsACacheHit) {
  v1::PerformResponse response;
  ASSERT_TRUE(Perform(Get(), &response).ok());
  ASSERT_TRUE(response.has_ok());
  EXPECT_EQ(response.ok().token(), "Bearer first");
  EXPECT_EQ(response.ok().cache().kind(), v1::CACHE_KIND_SESSION);

  ASSERT_TRUE(Perform(Get(), &response).ok());
  EXPECT_EQ(response.ok().token(), "Bearer first");
  EXPECT_EQ(first_->calls(), 1) << "the second get is answered from the cache";
  EXPECT_EQ(InitialHeader(kWaitingHeader), "") << "a hit never says it waits";
  // A call counts as in flight until the service's own bookkeeping after
  // the answer is done, which may be just after the client has it.
  for (int i = 0; i < 500 && service_->in_flight() != 0; ++i)
    absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(service_->in_flight(), 0);
}

TEST_F(ServiceTest, ASlowBackendIsNamedInTheHeadersAheadOfTheAnswer) {
  first_->SetDelay(kSlowNotice + absl::Milliseconds(300));
  v1::PerformResponse response;
  ASSERT_TRUE(Perform(Get(), &response).ok());
  EXPECT_EQ(response.ok().token(), "Bearer first");
  EXPECT_EQ(InitialHeader(kWaitingHeader), "first 5000");
}

TEST_F(ServiceTest, AFastBackendSendsNoWaitingHeader) {
  v1::PerformResponse response;
  ASSERT_TRUE(Perform(Get(), &response).ok());
  EXPECT_EQ(InitialHeader(kWaitingHeader), "");
}

TEST_F(ServiceTest, TheBackendFieldTargetsThatBackendAloneAndSkipsTheCache) {
  v1::PerformResponse response;
  ASSERT_TRUE(Perform(Get(), &response).ok());  // Caches first's token.
  ASSERT_TRUE(Perform(Get(), &response, "second").ok());
  EXPECT_EQ(response.ok().token(), "Bearer second");
  EXPECT_EQ(first_->calls(), 1);
  EXPECT_EQ(second_->calls(), 1);

  ASSERT_TRUE(Perform(Login("Bearer moved"), &response, "second").ok());
  EXPECT_EQ(response.ok().kind(), v1::RESPONSE_KIND_LOGIN);
  EXPECT_TRUE(second_->Has(kUrl));

  ASSERT_TRUE(Perform(Get(), &response, "nope").ok());
  ASSERT_TRUE(response.has_error());
  EXPECT_THAT(response.error().message(), HasSubstr("no backend named `nope`"));
}

TEST_F(ServiceTest, ALoginWithoutATokenAsksForOneOnlyWhereABackendTakesLogins) {
  v1::PerformResponse response;
  ASSERT_TRUE(Perform(Login(""), &response).ok());
  EXPECT_TRUE(response.has_need_token()) << "the fakes take logins: ask the user";
  EXPECT_EQ(first_->calls() + second_->calls(), 0) << "no backend saw a login without a token";

  ASSERT_TRUE(Perform(Login(""), &response, "nope").ok());
  EXPECT_THAT(response.error().message(), HasSubstr("no backend named `nope`"))
      << "no such backend: nothing to ask for, and said as PerformOn says it";
}

TEST_F(ServiceTest, ALoginWithoutATokenWhereNoBackendStoresOneAsksForNothing) {
  std::vector<Backend> readers;
  for (const char* name : {"env", "command"}) {
    Backend reader{Settings(name), std::make_shared<FakeBackend>()};
    reader.settings.takes_logins = false;
    reader.settings.index_urls = {kUrl};
    readers.push_back(std::move(reader));
  }
  broker_->SetRouter(CachePolicy{}, std::make_shared<Router>(std::move(readers), &stats_));
  v1::PerformResponse response;
  ASSERT_TRUE(Perform(Login(""), &response).ok());
  EXPECT_EQ(response.error().kind(), v1::ERROR_KIND_OPERATION_NOT_SUPPORTED);

  v1::PerformRequest request;
  *request.mutable_request()->mutable_registry() = ToProto(Registry("sparse+http://other/"));
  *request.mutable_request()->mutable_action() = ToProto(Login(""));
  grpc::ClientContext context;
  context.AddMetadata(kVersionHeader, kVersion);
  ASSERT_TRUE(stub_->Perform(&context, request, &response).ok());
  EXPECT_EQ(response.error().kind(), v1::ERROR_KIND_URL_NOT_SUPPORTED)
      << "a registry no backend serves: cargo's next provider gets its turn";
}

TEST_F(ServiceTest, BackendErrorsKeepTheirKindMessageAndCauses) {
  first_->SetError(cargo_credential::OtherError("sso is down", {"HTTP 503"}));
  v1::PerformResponse response;
  ASSERT_TRUE(Perform(Get(), &response).ok());
  ASSERT_TRUE(response.has_error());
  EXPECT_EQ(response.error().kind(), v1::ERROR_KIND_OTHER);
  EXPECT_EQ(response.error().message(), "credcache backend `first` failed");
  EXPECT_EQ(absl::StrJoin(response.error().caused_by(), " / "), "sso is down / HTTP 503");

  first_->SetError(cargo_credential::NotFoundError());
  second_->SetError(cargo_credential::NotFoundError());
  ASSERT_TRUE(Perform(Get(), &response).ok());
  EXPECT_EQ(response.error().kind(), v1::ERROR_KIND_NOT_FOUND);
}

TEST_F(ServiceTest, AClientOfAnotherVersionIsRefusedBeforeAnythingIsDone) {
  v1::PerformResponse response;
  const grpc::Status status = Perform(Login("Bearer x"), &response, "", "0.0.1 (wire other)");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("credcached is version 1.2.3 (wire abc)"));
  EXPECT_EQ(Trailer(kVersionHeader), kVersion);
  EXPECT_EQ(Trailer(kStartedByHeader), kStartedBySystemd);
  EXPECT_EQ(first_->calls() + second_->calls(), 0);

  // Nor is a client that does not say its version served.
  const grpc::Status silent = Perform(Get(), &response, "", nullptr);
  EXPECT_EQ(silent.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(silent.error_message(), HasSubstr("this client (none)"));
  EXPECT_EQ(first_->calls() + second_->calls(), 0);

  // The same version is, and the answer says the daemon's version too.
  ASSERT_TRUE(Perform(Get(), &response).ok());
  EXPECT_EQ(response.ok().token(), "Bearer first") << "the refused login stored nothing";
  EXPECT_EQ(Trailer(kVersionHeader), kVersion);
}

TEST_F(ServiceTest, StatusSaysWhoStartedTheDaemon) {
  grpc::ClientContext context;
  v1::StatusResponse status;
  ASSERT_TRUE(stub_->Status(&context, v1::StatusRequest(), &status).ok());
  EXPECT_EQ(status.version(), kVersion);
  EXPECT_EQ(status.started_by(), kStartedBySystemd);
  EXPECT_FALSE(status.on_demand());
  EXPECT_EQ(status.backends_size(), 2);
}

TEST_F(ServiceTest, ABackendThatRunsInTheCallerIsHandedToTheAskerAndItsReportAnswered) {
  Backend sso{Settings("sso"), first_};
  sso.settings.kind = "command";
  sso.settings.run_in_caller = true;
  sso.settings.fingerprint = "kind = \"command\"\n";
  std::vector<Backend> backends;
  backends.push_back(std::move(sso));
  broker_->SetRouter(CachePolicy{}, std::make_shared<Router>(std::move(backends), &stats_));

  // The asker's call ends with the job: who it is came from the kernel
  // (this process, on the other end of the socket pair).
  v1::PerformResponse response;
  ASSERT_TRUE(Perform(Get(), &response).ok());
  ASSERT_TRUE(response.has_run_in_caller()) << response.DebugString();
  const v1::RunInCaller& job = response.run_in_caller();
  EXPECT_EQ(job.backend(), "sso");
  EXPECT_EQ(job.kind(), "command");
  EXPECT_EQ(job.config(), "kind = \"command\"\n");
  EXPECT_EQ(job.request().registry().index_url(), kUrl);
  EXPECT_GT(job.timeout_ms(), 0);
  EXPECT_LE(job.timeout_ms(), 5000);
  // What no program it runs may see goes with it: the shim knows only its
  // own backend's variables.
  EXPECT_THAT(
      std::vector<std::string>(job.secret_variables().begin(), job.secret_variables().end()),
      ::testing::Contains("CARGO_REGISTRY_TOKEN"));

  // Its report is answered with the request's answer.
  v1::PerformRequest report;
  report.mutable_report()->set_lease(job.lease());
  *report.mutable_report()->mutable_result() =
      ResultToProto(cargo_credential::CredentialResponse::Get(
          cargo_credential::Secret(absl::string_view("Bearer ran")),
          cargo_credential::CacheControl::Session(), true));
  grpc::ClientContext context;
  context.AddMetadata(kVersionHeader, kVersion);
  v1::PerformResponse answer;
  ASSERT_TRUE(stub_->Perform(&context, report, &answer).ok());
  ASSERT_TRUE(answer.has_ok()) << answer.DebugString();
  EXPECT_EQ(answer.ok().token(), "Bearer ran");
  EXPECT_EQ(first_->calls(), 0) << "the daemon never runs it itself";

  // Cached: the next asker gets it at once, with no job.
  ASSERT_TRUE(Perform(Get(), &response).ok());
  EXPECT_EQ(response.ok().token(), "Bearer ran");

  // The same lease again is stale.
  grpc::ClientContext again;
  again.AddMetadata(kVersionHeader, kVersion);
  ASSERT_TRUE(stub_->Perform(&again, report, &answer).ok());
  EXPECT_THAT(answer.error().message(), HasSubstr("no longer waits"));
}

}  // namespace
}  // namespace credcache
