#include "bench/daemon_probe.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/unix_socket.h"
#include "common/version.h"
#include "common/wire.h"
#include "grpcpp/create_channel_posix.h"
#include "tests/support/test_env.h"

namespace credcache_bench {

std::unique_ptr<credcache::v1::Credcache::Stub> Connect(const std::string& socket) {
  absl::StatusOr<int> fd = credcache::ConnectUnixSocket(socket);
  if (!fd.ok()) {
    fprintf(stderr, "bench: %s\n", std::string(fd.status().message()).c_str());
    exit(1);
  }
  fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) | O_NONBLOCK);
  return credcache::v1::Credcache::NewStub(grpc::CreateInsecureChannelFromFd("credcached", *fd));
}

void SayVersion(grpc::ClientContext* context) {
  context->AddMetadata(credcache::kVersionHeader, credcache::BuildVersion());
}

double CpuSeconds(int pid) {
  std::vector<std::string> fields =
      absl::StrSplit(credcache_testing::ReadFile(absl::StrCat("/proc/", pid, "/stat")), ' ');
  if (fields.size() < 15) return 0;
  double utime = 0, stime = 0;
  (void)absl::SimpleAtod(fields[13], &utime);
  (void)absl::SimpleAtod(fields[14], &stime);
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double RssMiB(int pid) {
  for (absl::string_view line :
       absl::StrSplit(credcache_testing::ReadFile(absl::StrCat("/proc/", pid, "/status")), '\n')) {
    if (absl::ConsumePrefix(&line, "VmRSS:")) {
      double kib = 0;
      (void)absl::SimpleAtod(absl::StripAsciiWhitespace(absl::StripSuffix(line, "kB")), &kib);
      return kib / 1024.0;
    }
  }
  return 0;
}

}  // namespace credcache_bench
