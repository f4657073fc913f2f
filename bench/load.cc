#include "bench/load.h"

#include <stdio.h>
#include <stdlib.h>

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bench/daemon_probe.h"
#include "cargo_credential/protocol.h"
#include "proto/convert.h"

namespace credcache_bench {

using credcache::v1::Credcache;

credcache::v1::PerformRequest GetRequest(const std::string& index_url) {
  cargo_credential::CredentialRequest get;
  get.registry.index_url = index_url;
  credcache::v1::PerformRequest request;
  *request.mutable_request() = credcache::ToProto(get);
  return request;
}

Issue Gets(credcache::v1::PerformRequest request) {
  auto shared = std::make_shared<const credcache::v1::PerformRequest>(std::move(request));
  return [shared](Credcache::Stub* stub, grpc::ClientContext* context,
                  std::function<void(grpc::Status)> done) {
    auto response = std::make_shared<credcache::v1::PerformResponse>();
    SayVersion(context);
    stub->async()->Perform(
        context, shared.get(), response.get(), [response, done](grpc::Status status) {
          if (status.ok() && !response->has_ok()) {
            status = grpc::Status(
                grpc::StatusCode::CANCELLED,
                absl::StrCat("the daemon answered no token: ", response->error().message()));
          }
          done(status);
        });
  };
}

Issue StatsCalls() {
  auto request = std::make_shared<const credcache::v1::StatsRequest>();
  return [request](Credcache::Stub* stub, grpc::ClientContext* context,
                   std::function<void(grpc::Status)> done) {
    auto response = std::make_shared<credcache::v1::StatsResponse>();
    stub->async()->Stats(context, request.get(), response.get(),
                         [response, done](grpc::Status status) { done(status); });
  };
}

// One connection of the load, with one request outstanding at a time.
class Load::Client {
 public:
  Client(const std::string& socket, Issue issue) : stub_(Connect(socket)), issue_(issue) {}

  // Issues requests back to back until `end` (exactly one if `once`),
  // then counts itself out of `running`, the last notifying `done`.
  void Start(absl::Time end, bool once, std::atomic<int>* running, absl::Notification* done) {
    end_ = end;
    once_ = once;
    issued_ = false;
    running_ = running;
    done_ = done;
    latencies_.clear();
    failure_.clear();
    failures_ = 0;
    Next();
  }
  std::vector<absl::Duration>& latencies() { return latencies_; }
  const std::string& failure() const { return failure_; }
  int64_t failures() const { return failures_; }

 private:
  void Next() {
    if (once_ ? issued_ : absl::Now() >= end_) {
      if (--*running_ == 0) done_->Notify();
      return;
    }
    issued_ = true;
    context_ = std::make_unique<grpc::ClientContext>();
    started_ = absl::Now();
    issue_(stub_.get(), context_.get(), [this](grpc::Status status) {
      latencies_.push_back(absl::Now() - started_);
      if (!status.ok()) ++failures_;
      if (!status.ok() && failure_.empty()) {
        failure_ = absl::StrCat("gRPC status ", status.error_code(), ": ", status.error_message());
      }
      Next();
    });
  }

  std::unique_ptr<Credcache::Stub> stub_;
  Issue issue_;
  std::unique_ptr<grpc::ClientContext> context_;
  absl::Time started_, end_;
  bool once_ = false;
  bool issued_ = false;
  std::atomic<int>* running_ = nullptr;
  absl::Notification* done_ = nullptr;
  std::vector<absl::Duration> latencies_;
  std::string failure_;
  int64_t failures_ = 0;
};

Load::Load(const std::string& socket, int clients, Issue issue) {
  for (int i = 0; i < clients; ++i) clients_.push_back(std::make_unique<Client>(socket, issue));
}

Load::~Load() = default;

Load::Measured Load::Warm() {
  Measured warm = Drive(absl::InfiniteFuture(), /*once=*/true);
  warm.latencies.clear();
  return warm;
}

Load::Measured Load::Run(absl::Duration duration) {
  return Drive(absl::Now() + duration, /*once=*/false);
}

Load::Measured Load::Drive(absl::Time end, bool once) {
  std::atomic<int> running{static_cast<int>(clients_.size())};
  absl::Notification done;
  const absl::Time start = absl::Now();
  for (auto& client : clients_) client->Start(end, once, &running, &done);
  done.WaitForNotification();
  Measured measured;
  measured.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  for (auto& client : clients_) {
    if (measured.failure.empty()) measured.failure = client->failure();
    measured.failures += client->failures();
    measured.requests += static_cast<int64_t>(client->latencies().size());
    measured.latencies.insert(measured.latencies.end(), client->latencies().begin(),
                              client->latencies().end());
  }
  return measured;
}

LoadResult MeasureLoad(const std::string& socket, int pid, int clients, absl::Duration duration,
                       const Issue& issue) {
  Load load(socket, clients, issue);
  Load::Measured warm = load.Warm();
  const double cpu_before = CpuSeconds(pid);
  Load::Measured run = warm.failure.empty() ? load.Run(duration) : warm;
  const double cpu = CpuSeconds(pid) - cpu_before;
  if (!run.failure.empty()) {
    fprintf(stderr, "bench: a request failed under load: %s\n", run.failure.c_str());
    exit(1);
  }
  return {run.requests / run.seconds, Summarize(run.latencies), 100.0 * cpu / run.seconds};
}

}  // namespace credcache_bench
