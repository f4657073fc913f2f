// What the shim and the daemon agree on beyond the messages of
// proto/credcache.proto: HTTP/2-level conventions of their gRPC channel.
#ifndef CREDCACHE_COMMON_WIRE_H_
#define CREDCACHE_COMMON_WIRE_H_

namespace credcache {

// A response header (gRPC initial metadata) the daemon sends ahead of the
// answer when a Perform has waited half a second on one backend (or on
// another request's call to it): "NAME TIMEOUT_MS", that backend and its
// timeout. The shim tells the user what a slow answer waits on.
inline constexpr char kWaitingHeader[] = "credcache-waiting";

// A request header with the client's BuildVersion() (common/version.h). The
// daemon refuses a Perform from another version with FAILED_PRECONDITION and
// two trailers: its own version, and who started it (kStartedBy*), so that the
// shim can replace a daemon it started and name the fix for any other.
inline constexpr char kVersionHeader[] = "credcache-version";
inline constexpr char kStartedByHeader[] = "credcache-started-by";
inline constexpr char kStartedByShim[] = "shim";        // On demand; exits when idle.
inline constexpr char kStartedBySystemd[] = "systemd";  // Socket activation.
inline constexpr char kStartedByHand[] = "hand";        // Anything else.

// How often a client may PING the daemon while a call is quiet; the daemon
// allows this and more (gRPC's default would answer the third such PING
// with GOAWAY).
inline constexpr int kPingIntervalMs = 1000;

// The most registries one Check call routes; the daemon refuses a request
// naming more, so doctor sends at most this many.
inline constexpr int kMaxCheckRegistries = 1000;

}  // namespace credcache

#endif  // CREDCACHE_COMMON_WIRE_H_
