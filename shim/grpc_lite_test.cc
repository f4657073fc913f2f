// shim/grpc_lite against a real gRPC server (the library credcached is built
// on) on one end of a socket pair, and against peers that are not one: every
// way a call can end, told apart as CallFailure says.
#include "shim/grpc_lite.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/wire.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/server_posix.h"
#include "gtest/gtest.h"
#include "proto/credcache.grpc.pb.h"

namespace credcache {
namespace {

// A daemon stand-in: Status answers, Reload refuses as a bad config does,
// Perform says it waits on backend `sso` and answers after `delay`.
class FakeDaemon final : public v1::Credcache::CallbackService {
 public:
  explicit FakeDaemon(absl::Duration delay) : delay_(delay) {}

  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* context, const v1::StatusRequest*,
                                   v1::StatusResponse* response) override {
    response->set_version("fake-1");
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* Reload(grpc::CallbackServerContext* context, const v1::ReloadRequest*,
                                   v1::ReloadResponse*) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "config.toml:3:11: bad"));
    return reactor;
  }

  grpc::ServerUnaryReactor* Perform(grpc::CallbackServerContext* context, const v1::PerformRequest*,
                                    v1::PerformResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    context->AddInitialMetadata(kWaitingHeader, "sso 5000");
    reactor->StartSendInitialMetadata();
    const absl::Duration delay = delay_;
    std::thread([reactor, response, delay] {
      absl::SleepFor(delay);
      response->mutable_ok()->set_token("Bearer t");
      reactor->Finish(grpc::Status::OK);
    }).detach();
    return reactor;
  }

 private:
  const absl::Duration delay_;
};

class GrpcLiteTest : public ::testing::Test {
 protected:
  // Serves a FakeDaemon on one end of a socket pair; returns the other.
  int Serve(absl::Duration delay = absl::ZeroDuration()) {
    service_ = std::make_unique<FakeDaemon>(delay);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
    server_ = builder.BuildAndStart();
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    grpc::AddInsecureChannelFromFd(server_.get(), fds[1]);
    return Client(fds[0]);
  }

  // A socket pair whose far end is ours to play with; returns the near end.
  int Pair(int* peer) {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    *peer = fds[1];
    return Client(fds[0]);
  }

  static int Client(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
  }

  static CallOptions Within(absl::Duration limit) {
    CallOptions options;
    options.deadline = absl::Now() + limit;
    return options;
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  }

  std::unique_ptr<FakeDaemon> service_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(GrpcLiteTest, AnAnswerComesBackWhole) {
  const int fd = Serve();
  absl::StatusOr<std::string> answer =
      UnaryCall(fd, "/credcache.v1.Credcache/Status", "", Within(absl::Seconds(10)));
  ASSERT_TRUE(answer.ok()) << answer.status();
  v1::StatusResponse status;
  ASSERT_TRUE(status.ParseFromString(*answer));
  EXPECT_EQ(status.version(), "fake-1");
  close(fd);
}

TEST_F(GrpcLiteTest, TheDaemonsOwnErrorStatusPassesThroughAsItsOwn) {
  const int fd = Serve();
  absl::StatusOr<std::string> answer =
      UnaryCall(fd, "/credcache.v1.Credcache/Reload", "", Within(absl::Seconds(10)));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(FailureOf(answer.status()), CallFailure::kNone);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(answer.status().message(), "config.toml:3:11: bad");
  close(fd);
}

TEST_F(GrpcLiteTest, ASlowAnswerIsWaitedForAndItsBackendNamed) {
  // Longer than the liveness limit: the server's transport answers PINGs.
  const int fd = Serve(absl::Milliseconds(1500));
  CallOptions options = Within(absl::Seconds(20));
  options.liveness = absl::Milliseconds(500);
  options.notice_after = absl::Milliseconds(200);
  std::string named;
  absl::Duration timeout;
  int notices = 0;
  options.on_waiting = [&](absl::string_view backend, absl::Duration limit) {
    named = std::string(backend);
    timeout = limit;
    ++notices;
  };
  absl::StatusOr<std::string> answer =
      UnaryCall(fd, "/credcache.v1.Credcache/Perform", "", options);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(notices, 1);
  EXPECT_EQ(named, "sso");
  EXPECT_EQ(timeout, absl::Seconds(5));
  close(fd);
}

TEST_F(GrpcLiteTest, TheDeadlineEndsACallThatIsStillAnswered) {
  const int fd = Serve(absl::Seconds(3));
  absl::StatusOr<std::string> answer =
      UnaryCall(fd, "/credcache.v1.Credcache/Perform", "", Within(absl::Milliseconds(300)));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(FailureOf(answer.status()), CallFailure::kDeadline);
  close(fd);
}

TEST_F(GrpcLiteTest, APeerThatHoldsTheConnectionButSaysNothingIsNotAnswering) {
  int peer = -1;
  const int fd = Pair(&peer);
  CallOptions options = Within(absl::Seconds(20));
  options.liveness = absl::Milliseconds(300);
  absl::StatusOr<std::string> answer = UnaryCall(fd, "/credcache.v1.Credcache/Status", "", options);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(FailureOf(answer.status()), CallFailure::kNotAnswering);
  close(fd);
  close(peer);
}

TEST_F(GrpcLiteTest, APeerThatStopsReadingIsNotAnsweringNotAHang) {
  // A request larger than the socket's buffers, to a peer that never reads.
  int peer = -1;
  const int fd = Pair(&peer);
  CallOptions options = Within(absl::Seconds(20));
  options.liveness = absl::Milliseconds(300);
  absl::StatusOr<std::string> answer =
      UnaryCall(fd, "/credcache.v1.Credcache/Perform", std::string(4 << 20, 'x'), options);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(FailureOf(answer.status()), CallFailure::kNotAnswering);
  close(fd);
  close(peer);
}

TEST_F(GrpcLiteTest, APeerThatHangsUpIsALostConnection) {
  int peer = -1;
  const int fd = Pair(&peer);
  close(peer);
  absl::StatusOr<std::string> answer =
      UnaryCall(fd, "/credcache.v1.Credcache/Status", "", Within(absl::Seconds(10)));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(FailureOf(answer.status()), CallFailure::kConnectionLost);
  close(fd);
}

TEST_F(GrpcLiteTest, APeerThatIsNotGrpcIsMalformed) {
  int peer = -1;
  const int fd = Pair(&peer);
  const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(write(peer, reply.data(), reply.size()), static_cast<ssize_t>(reply.size()));
  absl::StatusOr<std::string> answer =
      UnaryCall(fd, "/credcache.v1.Credcache/Status", "", Within(absl::Seconds(10)));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(FailureOf(answer.status()), CallFailure::kMalformed);
  close(fd);
  close(peer);
}

}  // namespace
}  // namespace credcache
