// What the shim and the daemon agree on beyond the messages of
// proto/credcache.proto: HTTP/2-level conventions of their gRPC channel.
#ifndef CREDCACHE_COMMON_WIRE_H_
#define CREDCACHE_COMMON_WIRE_H_

namespace credcache {

// A response header (gRPC initial metadata) the daemon sends at once when a
// Perform must wait on a backend: "NAME TIMEOUT_MS", the first backend it
// will ask and that backend's timeout. The shim tells the user what a slow
// answer waits on; the header also shows the daemon alive.
inline constexpr char kWaitingHeader[] = "credcache-waiting";

// How often a client may PING the daemon while a call is quiet; the daemon
// allows this and more (gRPC's default would answer the third such PING
// with GOAWAY).
inline constexpr int kPingIntervalMs = 1000;

}  // namespace credcache

#endif  // CREDCACHE_COMMON_WIRE_H_
