// RegistryServer: tests/registry/registry.py, a local sparse registry that
// requires a token on every request, run for the length of one test.
//
// Ownership: owns the server process; the destructor closes its stdin, which
// makes it exit, and kills it if it does not.
//
// Thread-safety: one thread.
#ifndef CREDCACHE_TESTS_SUPPORT_REGISTRY_SERVER_H_
#define CREDCACHE_TESTS_SUPPORT_REGISTRY_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cargo_credential/subprocess.h"

namespace credcache_testing {

// One request as the server logged it.
struct LoggedRequest {
  std::string method;
  std::string path;
  std::string auth;  // "ok", "missing" or "wrong".
  int status = 0;
};

class RegistryServer {
 public:
  // Starts the server expecting `token` (passed in its environment, never
  // on its command line) and waits until it listens.
  static absl::StatusOr<std::unique_ptr<RegistryServer>> Start(const std::string& token);
  ~RegistryServer();

  int port() const { return port_; }
  // "sparse+http://127.0.0.1:PORT/index/", as cargo spells it.
  std::string index_url() const;
  // Every request so far, in order.
  std::vector<LoggedRequest> Requests() const;

 private:
  RegistryServer() = default;

  std::unique_ptr<cargo_credential::Subprocess> process_;
  std::string log_path_;
  int port_ = 0;
};

}  // namespace credcache_testing

#endif  // CREDCACHE_TESTS_SUPPORT_REGISTRY_SERVER_H_
