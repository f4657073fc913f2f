// Helpers for the backends' unit tests: options parsed from a snippet of
// config; with it come the shared builders of requests (tests/support/builders.h),
// temporary files, and files the build put beside a test.
//
// Thread-safety: call from the test's main thread.
#ifndef CREDCACHE_BACKENDS_TEST_SUPPORT_H_
#define CREDCACHE_BACKENDS_TEST_SUPPORT_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "backends/backend.h"
#include "cargo_credential/protocol.h"
#include "tests/support/builders.h"  // Registry, Get, Login, Logout.
#include "tests/support/test_env.h"  // Runfile, MakeTempDir, WriteFile.
#include "toml++/toml.h"

namespace credcache_testing {

// The config file name TestConfig reports in errors.
inline constexpr char kConfigFile[] = "credcache.toml";

// One [[backend]] table parsed from `body` (its keys, one per line), as the
// daemon would read it from kConfigFile. The header is line 1, so the
// body's first line is line 2. A snippet that is not TOML fails the test.
class TestConfig {
 public:
  explicit TestConfig(std::string_view body);
  TestConfig(const TestConfig&) = delete;
  TestConfig& operator=(const TestConfig&) = delete;

  // Options for backend "test", valid while this object lives.
  credcache::BackendOptions Options(absl::Duration timeout = absl::Seconds(10)) const;

 private:
  toml::table document_;
  const toml::table* backend_ = nullptr;
  toml::table empty_;
};

// The status's message and its cause chain, "message / cause / cause", as
// a std::string that gmock prints readably.
std::string Describe(const absl::Status& status);

}  // namespace credcache_testing

#endif  // CREDCACHE_BACKENDS_TEST_SUPPORT_H_
