#include "tests/support/test_env.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "lib/programs.h"

namespace credcache_testing {

std::string Runfile(const std::string& path) {
  const char* root = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  if (root == nullptr) return path;  // Run by hand from the workspace root.
  return absl::StrCat(root, "/", workspace != nullptr ? workspace : "credcache", "/", path);
}

std::string MakeTempDir(const std::string& prefix, const std::string& base) {
  std::string dir = absl::StrCat(base.empty() ? ::testing::TempDir() : base, "/", prefix, "XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << dir << " failed";
  }
  return dir;
}

void WriteFile(const std::string& path, const std::string& contents, int mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << contents;
    if (!out) ADD_FAILURE() << "cannot write " << path;
  }
  if (chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) ADD_FAILURE() << "cannot chmod " << path;
}

int CountLines(const std::string& path) {
  std::ifstream in(path);
  int lines = 0;
  std::string line;
  while (std::getline(in, line)) ++lines;
  return lines;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string RandomToken() {
  std::random_device device;
  std::string hex;
  for (int i = 0; i < 4; ++i) absl::StrAppend(&hex, absl::Hex(device(), absl::kZeroPad8));
  return absl::StrCat("Bearer ", hex);
}

absl::StatusOr<std::string> FindCargo() {
  const char* configured = getenv("CREDCACHE_TEST_CARGO");
  if (configured != nullptr && configured[0] != '\0') return std::string(configured);
  std::string found = cargo_credential::FindOnPath("cargo");
  if (!found.empty()) return found;
  return absl::NotFoundError(
      "no cargo found: set CREDCACHE_TEST_CARGO or put cargo (>= 1.74) on PATH; "
      "./test.sh installs one");
}

}  // namespace credcache_testing
