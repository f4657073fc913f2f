// CargoSandbox: the real cargo with a private CARGO_HOME and HOME, so a test
// sees nothing of the user's configuration or credentials and leaves nothing
// behind.
//
// Thread-safety: one thread.
#ifndef CREDCACHE_TESTS_SUPPORT_CARGO_SANDBOX_H_
#define CREDCACHE_TESTS_SUPPORT_CARGO_SANDBOX_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cargo_credential/subprocess.h"

namespace credcache_testing {

class CargoSandbox {
 public:
  // Fails the test when no cargo is found.
  CargoSandbox();

  const std::string& cargo_home() const { return cargo_home_; }
  const std::string& root() const { return root_; }

  // Adds to the environment every later Cargo() call runs with.
  void SetEnv(std::vector<std::pair<std::string, std::string>> env);

  // Writes $CARGO_HOME/config.toml.
  void WriteConfig(const std::string& toml);

  // Creates a library crate `name` under root() with the given dependency
  // lines for [dependencies], publishable to `registry`; returns its path.
  std::string NewCrate(const std::string& name, const std::string& registry,
                       const std::string& dependencies = "");

  // How Cargo() runs `cargo <args>` in `cwd`: its program, environment and
  // directory, for a test that runs it another way (on a terminal, say).
  cargo_credential::SubprocessOptions Options(const std::vector<std::string>& args,
                                              const std::string& cwd) const;

  // Runs `cargo <args>` in `cwd` with `input` on stdin.
  absl::StatusOr<cargo_credential::SubprocessResult> Cargo(const std::vector<std::string>& args,
                                                           const std::string& cwd,
                                                           const std::string& input = "");

 private:
  std::string cargo_;
  std::string root_;
  std::string cargo_home_;
  std::string home_;
  std::vector<std::pair<std::string, std::string>> extra_env_;
};

}  // namespace credcache_testing

#endif  // CREDCACHE_TESTS_SUPPORT_CARGO_SANDBOX_H_
