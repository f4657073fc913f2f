#include "shim/relay_credential.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/caller_kinds.h"
#include "cargo_credential/console.h"
#include "cargo_credential/error.h"
#include "lib/user_text.h"
#include "proto/convert.h"
#include "proto/messages.h"
#include "shim/daemon_client.h"

namespace credcache {
namespace {

// The daemon bounds each backend call by its own timeout (at most an hour,
// config.cc); a stopped or wedged daemon is found within seconds by
// grpc_lite's liveness check. This is the last backstop.
constexpr absl::Duration kCallDeadline = absl::Minutes(65);

// A chain walks each backend once, so one request never needs more runs in
// the caller than a config has backends; this bounds a daemon gone wrong.
constexpr int kMaxRunsInCaller = 64;

// Runs the backend `job` names, here, and writes its answer into `report`.
void RunHere(const v1::RunInCaller& job, v1::CallerReport* report) {
  report->set_lease(job.lease());
  absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> backend = MakeBackendInCaller(
      job.kind(), job.config(), job.backend(), absl::Milliseconds(job.timeout_ms()),
      std::vector<std::string>(job.secret_variables().begin(), job.secret_variables().end()));
  if (!backend.ok()) {
    *report->mutable_result() =
        ResultToProto(cargo_credential::OtherError(backend.status().message()));
    return;
  }
  const cargo_credential::CredentialRequest request = FromProto(job.request());
  *report->mutable_result() =
      ResultToProto((*backend)->Perform(request.registry, request.action, request.args));
}

}  // namespace

RelayCredential::RelayCredential(ConnectOptions options) : options_(std::move(options)) {}

absl::StatusOr<cargo_credential::CredentialResponse> RelayCredential::Perform(
    const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
    const std::vector<std::string>& args) {
  v1::PerformRequest request;
  v1::CredentialRequest* relayed = request.mutable_request();
  relayed->set_v(cargo_credential::kProtocolVersion1);
  *relayed->mutable_registry() = ToProto(registry);
  *relayed->mutable_action() = ToProto(action);
  for (const std::string& arg : args) relayed->add_args(arg);

  v1::PerformResponse response;
  // Cargo shows a provider's stderr: say what a slow answer waits on.
  auto notice = [](absl::string_view backend, absl::Duration timeout) {
    cargo_credential::TellUser(absl::StrCat("credcache: waiting for backend `", backend,
                                            "` (up to ", absl::FormatDuration(timeout), ")...\n"));
  };
  absl::Status status = CallDaemon(options_, "Perform", request, &response, kCallDeadline, notice);
  // A login without a token: the daemon said a backend will store one, so
  // now, and only now, the user is asked for it.
  if (status.ok() && response.has_need_token()) {
    absl::StatusOr<cargo_credential::Secret> token =
        cargo_credential::ReadToken(action.login, registry);
    if (!token.ok()) return token.status();
    relayed->mutable_action()->mutable_login()->set_token(token->Expose());
    response.Clear();
    status = CallDaemon(options_, "Perform", request, &response, kCallDeadline, notice);
  }
  cargo_credential::WipeString(*relayed->mutable_action()->mutable_login()->mutable_token());
  for (int runs = 0; status.ok() && response.has_run_in_caller(); ++runs) {
    if (runs == kMaxRunsInCaller) {
      return cargo_credential::OtherError(absl::StrCat(
          "credcached asked this shim to run backends more than ", kMaxRunsInCaller, " times"));
    }
    v1::PerformRequest report;
    RunHere(response.run_in_caller(), report.mutable_report());
    // The job may hold a login's token; the report, a get's.
    cargo_credential::WipeString(*response.mutable_run_in_caller()
                                      ->mutable_request()
                                      ->mutable_action()
                                      ->mutable_login()
                                      ->mutable_token());
    response.Clear();
    status = CallDaemon(options_, "Perform", report, &response, kCallDeadline, notice);
    if (report.mutable_report()->mutable_result()->has_ok()) {
      cargo_credential::WipeString(
          *report.mutable_report()->mutable_result()->mutable_ok()->mutable_token());
    }
  }
  // What the daemon's backends said for the user: cargo shows our stderr.
  cargo_credential::TellUser(response.user_text());
  if (!status.ok()) return cargo_credential::OtherError(std::string(status.message()));
  if (response.has_need_token()) {
    return cargo_credential::OtherError("credcached asked for a login token twice");
  }
  return ResultFromProto(&response);
}

}  // namespace credcache
