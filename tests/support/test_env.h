// Helpers for the end-to-end tests: files the build put beside a test, fresh
// temporary directories, and the real cargo.
//
// Thread-safety: call from the test's main thread.
#ifndef CREDCACHE_TESTS_SUPPORT_TEST_ENV_H_
#define CREDCACHE_TESTS_SUPPORT_TEST_ENV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace credcache_testing {

// The absolute path of `path` (relative to the workspace root) among the
// test's runfiles, e.g. "examples/cargo-credential-example-file".
std::string Runfile(const std::string& path);

// A new, empty directory named `prefix` and six random characters, under
// `base` (the test's temporary directory unless given; "/tmp" where a
// socket path must stay short). The one home for temporary directories in
// tests.
std::string MakeTempDir(const std::string& prefix = "tmp", const std::string& base = "");

// Writes `contents` to `path`, replacing it, and gives it `mode`.
void WriteFile(const std::string& path, const std::string& contents, int mode = 0600);

// How many lines the file at `path` has (0 when it does not exist).
int CountLines(const std::string& path);
// The whole file, or an empty string when it cannot be read.
std::string ReadFile(const std::string& path);

// A token with a space in it and random bytes, e.g. "Bearer 3f9a...".
std::string RandomToken();

// The real cargo: $CREDCACHE_TEST_CARGO, else the first `cargo` on PATH. The
// test fails (never skips) when there is none: README's test command
// installs one.
absl::StatusOr<std::string> FindCargo();

}  // namespace credcache_testing

#endif  // CREDCACHE_TESTS_SUPPORT_TEST_ENV_H_
