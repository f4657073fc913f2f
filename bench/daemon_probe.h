// What the load benchmarks need of a running credcached: a gRPC stub on its
// socket (the full client, with threads: load generators are not the shim),
// and the CPU and memory the process uses, read from /proc.
//
// Thread-safety: functions; each stub is the caller's.
#ifndef CREDCACHE_BENCH_DAEMON_PROBE_H_
#define CREDCACHE_BENCH_DAEMON_PROBE_H_

#include <memory>
#include <string>

#include "proto/credcache.grpc.pb.h"

namespace credcache_bench {

// A stub on its own connection to the daemon at `socket`; exits the
// benchmark when it cannot connect.
std::unique_ptr<credcache::v1::Credcache::Stub> Connect(const std::string& socket);

// Says this build's version on `context`, as the shim does on every call:
// the daemon answers no Perform without it (common/wire.h).
void SayVersion(grpc::ClientContext* context);

// CPU seconds (user + system) process `pid` has used.
double CpuSeconds(int pid);

// Its resident memory, in MiB.
double RssMiB(int pid);

}  // namespace credcache_bench

#endif  // CREDCACHE_BENCH_DAEMON_PROBE_H_
