#include "shim/grpc_lite.h"

#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cargo_credential/line_io.h"
#include "cargo_credential/secret.h"
#include "common/wire.h"

namespace credcache {
namespace {

// The payload key that marks a transport failure with its CallFailure.
constexpr char kFailurePayload[] = "credcache.transport-failure";

absl::Status Failed(CallFailure failure, absl::Status status) {
  status.SetPayload(kFailurePayload, absl::Cord(std::to_string(static_cast<int>(failure))));
  return status;
}

// The state of one call, shared with nghttp2's callbacks.
struct Call {
  int fd = -1;
  std::string body;  // The gRPC-framed request.
  size_t body_sent = 0;
  std::string response;  // The gRPC-framed response.
  std::string http_status;
  std::string grpc_status;
  std::string grpc_message;
  std::string waiting;  // kWaitingHeader's value, if the daemon sent it.
  ReceivedMetadata metadata;
  bool closed = false;
  uint32_t close_error = 0;
  bool ping_acked = false;
  absl::Status io_error;
};

ssize_t Send(nghttp2_session*, const uint8_t* data, size_t length, int, void* user) {
  Call* call = static_cast<Call*>(user);
  const ssize_t n = send(call->fd, data, length, MSG_NOSIGNAL);
  if (n >= 0) return n;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return NGHTTP2_ERR_WOULDBLOCK;
  call->io_error = absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
  return NGHTTP2_ERR_CALLBACK_FAILURE;
}

ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length, uint32_t* flags,
                 nghttp2_data_source*, void* user) {
  Call* call = static_cast<Call*>(user);
  const size_t n = std::min(length, call->body.size() - call->body_sent);
  memcpy(buffer, call->body.data() + call->body_sent, n);
  call->body_sent += n;
  if (call->body_sent == call->body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

// The largest answer taken: far above any real one (a token is at most
// 1 MiB), far below what would hurt.
constexpr size_t kMaxResponse = size_t{8} << 20;

int OnData(nghttp2_session*, uint8_t, int32_t, const uint8_t* data, size_t length, void* user) {
  Call* call = static_cast<Call*>(user);
  if (call->response.size() + length > kMaxResponse) return NGHTTP2_ERR_CALLBACK_FAILURE;
  cargo_credential::AppendWiped(call->response,
                                absl::string_view(reinterpret_cast<const char*>(data), length));
  return 0;
}

int OnHeader(nghttp2_session*, const nghttp2_frame*, const uint8_t* name, size_t name_length,
             const uint8_t* value, size_t value_length, uint8_t, void* user) {
  Call* call = static_cast<Call*>(user);
  const absl::string_view key(reinterpret_cast<const char*>(name), name_length);
  const std::string text(reinterpret_cast<const char*>(value), value_length);
  if (key == ":status") call->http_status = text;
  if (key == "grpc-status") call->grpc_status = text;
  if (key == "grpc-message") call->grpc_message = text;
  if (key == kWaitingHeader) call->waiting = text;
  // Bounded: nghttp2 limits each header block, and a name is kept once.
  if (absl::StartsWith(key, "credcache-") && call->metadata.size() < 16) {
    call->metadata.emplace(std::string(key), text);
  }
  return 0;
}

int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  if (frame->hd.type == NGHTTP2_PING && (frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) {
    static_cast<Call*>(user)->ping_acked = true;
  }
  return 0;
}

int OnClose(nghttp2_session*, int32_t, uint32_t error, void* user) {
  Call* call = static_cast<Call*>(user);
  call->closed = true;
  call->close_error = error;
  return 0;
}

nghttp2_nv Header(const char* name, absl::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), strlen(name), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

// Frames a message as gRPC does: uncompressed flag, big-endian length.
std::string Frame(absl::string_view message) {
  std::string framed(5, '\0');
  const uint32_t length = static_cast<uint32_t>(message.size());
  framed[1] = static_cast<char>(length >> 24);
  framed[2] = static_cast<char>(length >> 16);
  framed[3] = static_cast<char>(length >> 8);
  framed[4] = static_cast<char>(length);
  framed.append(message.data(), message.size());
  return framed;
}

// Owns the nghttp2 session and its callbacks.
class Session {
 public:
  explicit Session(Call* call) {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_send_callback(callbacks, Send);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, OnData);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeader);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, OnClose);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, OnFrame);
    nghttp2_session_client_new(&session_, callbacks, call);
    nghttp2_session_callbacks_del(callbacks);
  }
  ~Session() { nghttp2_session_del(session_); }
  nghttp2_session* get() { return session_; }

 private:
  nghttp2_session* session_ = nullptr;
};

}  // namespace

CallFailure FailureOf(const absl::Status& status) {
  const absl::optional<absl::Cord> payload = status.GetPayload(kFailurePayload);
  int value = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &value)) {
    return CallFailure::kNone;
  }
  return static_cast<CallFailure>(value);
}

namespace {

// Parses kWaitingHeader's "NAME TIMEOUT_MS".
bool ParseWaiting(absl::string_view value, std::string* backend, absl::Duration* timeout) {
  const size_t space = value.rfind(' ');
  int64_t ms = 0;
  if (space == absl::string_view::npos || !absl::SimpleAtoi(value.substr(space + 1), &ms)) {
    return false;
  }
  *backend = std::string(value.substr(0, space));
  *timeout = absl::Milliseconds(ms);
  return true;
}

}  // namespace

absl::StatusOr<std::string> UnaryCall(int fd, absl::string_view method, absl::string_view request,
                                      const CallOptions& options, ReceivedMetadata* received) {
  Call call;
  call.fd = fd;
  absl::Cleanup deliver = [&call, received] {
    if (received != nullptr) *received = std::move(call.metadata);
  };
  call.body = Frame(request);
  Session session(&call);
  nghttp2_submit_settings(session.get(), NGHTTP2_FLAG_NONE, nullptr, 0);
  const nghttp2_nv headers[] = {
      Header(":method", "POST"),
      Header(":scheme", "http"),
      Header(":path", method),
      Header(":authority", "credcached"),
      Header("content-type", "application/grpc"),
      Header("te", "trailers"),
  };
  std::vector<nghttp2_nv> all(std::begin(headers), std::end(headers));
  for (const auto& [name, value] : options.metadata) all.push_back(Header(name.c_str(), value));
  nghttp2_data_provider body;
  body.read_callback = ReadBody;
  if (nghttp2_submit_request(session.get(), nullptr, all.data(), all.size(), &body, nullptr) < 0) {
    cargo_credential::WipeString(call.body);
    return absl::InternalError("cannot build the HTTP/2 request");
  }

  const absl::Time start = absl::Now();
  // A PING goes with the request, and again after each second of quiet.
  nghttp2_submit_ping(session.get(), NGHTTP2_FLAG_NONE, nullptr);
  absl::Time ping_sent = start;
  bool ping_outstanding = true;
  absl::Time last_heard = start;
  bool noticed = false;

  uint8_t buffer[16384];
  absl::Status failure;
  while (!call.closed) {
    if (nghttp2_session_send(session.get()) != 0) {
      failure =
          Failed(CallFailure::kConnectionLost,
                 call.io_error.ok() ? absl::UnavailableError("HTTP/2 send failed") : call.io_error);
      break;
    }
    // nghttp2 ends a session the peer broke (bytes no HTTP/2 server sends)
    // with a GOAWAY of its own, sent just above, and then wants nothing more.
    if (!nghttp2_session_want_read(session.get()) && !nghttp2_session_want_write(session.get())) {
      failure = Failed(CallFailure::kMalformed,
                       absl::UnavailableError("credcached does not speak HTTP/2"));
      break;
    }
    const absl::Time now = absl::Now();
    if (now >= options.deadline) {
      failure = Failed(CallFailure::kDeadline,
                       absl::DeadlineExceededError("credcached did not answer in time"));
      break;
    }
    if (ping_outstanding && now - ping_sent >= options.liveness) {
      failure = Failed(CallFailure::kNotAnswering,
                       absl::UnavailableError(
                           absl::StrCat("it holds the connection but has answered nothing for ",
                                        absl::FormatDuration(options.liveness))));
      break;
    }
    if (!ping_outstanding && now - last_heard >= absl::Milliseconds(kPingIntervalMs)) {
      nghttp2_submit_ping(session.get(), NGHTTP2_FLAG_NONE, nullptr);
      ping_sent = now;
      ping_outstanding = true;
      continue;  // Sent at the top of the loop.
    }
    std::string backend;
    absl::Duration backend_timeout;
    if (!noticed && options.on_waiting && now - start >= options.notice_after &&
        ParseWaiting(call.waiting, &backend, &backend_timeout)) {
      noticed = true;
      options.on_waiting(backend, backend_timeout);
    }

    // Wake for whichever comes first: the deadline, the PING's limit, the
    // next PING, the notice.
    absl::Time wake = options.deadline;
    wake = std::min(wake, ping_outstanding ? ping_sent + options.liveness
                                           : last_heard + absl::Milliseconds(kPingIntervalMs));
    // (Past the notice's time, the headers that make it are awaited like
    // any other bytes: no wake-up of its own, or this would spin.)
    if (!noticed && options.on_waiting && now < start + options.notice_after) {
      wake = std::min(wake, start + options.notice_after);
    }
    struct pollfd ready = {fd, POLLIN, 0};
    if (nghttp2_session_want_write(session.get())) ready.events |= POLLOUT;
    const int polled = poll(&ready, 1, std::max(1, cargo_credential::PollTimeout(wake)));
    if (polled < 0 && errno != EINTR) {
      failure = Failed(CallFailure::kConnectionLost,
                       absl::UnavailableError(absl::StrCat("poll: ", strerror(errno))));
      break;
    }
    if (polled <= 0 || (ready.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0) {
      failure = Failed(CallFailure::kConnectionLost,
                       absl::UnavailableError("credcached closed the connection"));
      break;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      failure = Failed(CallFailure::kConnectionLost,
                       absl::UnavailableError(absl::StrCat("recv: ", strerror(errno))));
      break;
    }
    last_heard = absl::Now();
    call.ping_acked = false;
    if (nghttp2_session_mem_recv(session.get(), buffer, static_cast<size_t>(n)) < 0) {
      failure = Failed(CallFailure::kMalformed,
                       absl::UnavailableError("credcached sent malformed HTTP/2"));
      break;
    }
    if (call.ping_acked) ping_outstanding = false;
  }
  cargo_credential::WipeString(call.body);
  explicit_bzero(buffer, sizeof(buffer));
  if (!failure.ok()) {
    cargo_credential::WipeString(call.response);
    return failure;
  }

  int grpc_code = -1;
  if (call.http_status != "200" || !absl::SimpleAtoi(call.grpc_status, &grpc_code)) {
    cargo_credential::WipeString(call.response);
    // A stream refused or reset by a daemon that is shutting down ends
    // without a status: nothing was done, so it counts as a lost connection.
    if (call.close_error != NGHTTP2_NO_ERROR || call.http_status.empty()) {
      return Failed(CallFailure::kConnectionLost,
                    absl::UnavailableError("credcached dropped the request unanswered"));
    }
    return Failed(CallFailure::kMalformed,
                  absl::UnavailableError(absl::StrCat("credcached answered HTTP ", call.http_status,
                                                      " without a gRPC status")));
  }
  if (grpc_code != 0) {
    cargo_credential::WipeString(call.response);
    if (grpc_code < 0 || grpc_code > 16) grpc_code = static_cast<int>(absl::StatusCode::kUnknown);
    const auto code = static_cast<absl::StatusCode>(grpc_code);
    // gRPC's own answer to a call that reached a server shutting down; the
    // daemon's handlers never answer so themselves. The call did not run.
    if (code == absl::StatusCode::kCancelled || code == absl::StatusCode::kUnavailable) {
      return Failed(CallFailure::kConnectionLost,
                    absl::UnavailableError(
                        absl::StrCat("credcached was stopping (", call.grpc_message, ")")));
    }
    return absl::Status(code, call.grpc_message);
  }
  const auto byte = [&call](int i) { return static_cast<uint8_t>(call.response[i]); };
  if (call.response.size() < 5 || byte(0) != 0 ||
      call.response.size() - 5 !=
          (uint32_t{byte(1)} << 24 | uint32_t{byte(2)} << 16 | uint32_t{byte(3)} << 8 | byte(4))) {
    cargo_credential::WipeString(call.response);
    return Failed(CallFailure::kMalformed,
                  absl::UnavailableError("credcached sent a malformed gRPC message"));
  }
  std::string message = call.response.substr(5);
  cargo_credential::WipeString(call.response);
  return message;
}

}  // namespace credcache
