// The installed cargo_credential library, used as a project outside this
// workspace would use it: `bazel run //lib/package:install` into a fresh
// prefix, then a provider (examples/cmake_project) built against it with
// CMake (shared and static) and with pkg-config and plain g++, and the real
// cargo logging in, fetching and logging out through each.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cargo_credential/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/cargo_sandbox.h"
#include "tests/support/registry_server.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::SubprocessOptions;
using cargo_credential::SubprocessResult;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

// Runs `argv` in `cwd` and expects exit 0; returns its stdout.
std::string RunOk(const std::vector<std::string>& argv, const std::string& cwd = "",
                  std::vector<std::pair<std::string, std::string>> env = {}) {
  SubprocessOptions options;
  options.argv = argv;
  options.cwd = cwd;
  options.set_env = std::move(env);
  absl::StatusOr<SubprocessResult> result =
      cargo_credential::RunSubprocess(options, "", absl::Seconds(300));
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return "";
  EXPECT_EQ(result->exit_code, 0) << absl::StrJoin(argv, " ") << ":\n"
                                  << result->stdout_text << result->stderr_text;
  return result->stdout_text;
}

// `pkg-config --cflags --libs cargo_credential` for the tree at `prefix`, one
// argument each, as a shell's $(...) would give them to g++.
std::vector<std::string> PkgConfigFlags(const std::string& prefix) {
  std::vector<std::string> flags =
      absl::StrSplit(RunOk({"pkg-config", "--cflags", "--libs", "cargo_credential"}, "",
                           {{"PKG_CONFIG_PATH", prefix + "/lib/pkgconfig"}}),
                     absl::ByAnyChar(" \n"), absl::SkipWhitespace());
  return flags;
}

bool IsFile(const std::string& path) {
  struct stat info;
  return lstat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

std::string LinkTarget(const std::string& path) {
  char target[4096];
  ssize_t n = readlink(path.c_str(), target, sizeof(target));
  return n < 0 ? "" : std::string(target, n);
}

// The version the build was made with, from the installed header.
std::string InstalledVersion(const std::string& prefix) {
  for (absl::string_view line :
       absl::StrSplit(ReadFile(prefix + "/include/cargo_credential/version.h"), '\n')) {
    if (absl::ConsumePrefix(&line, "#define CARGO_CREDENTIAL_VERSION_STRING \"")) {
      return std::string(absl::StripSuffix(line, "\""));
    }
  }
  return "";
}

class LibPackageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Canonical, as pkg-config and ldd print it.
    char* canonical = realpath(MakeTempDir("prefix").c_str(), nullptr);
    prefix_ = new std::string(canonical);
    free(canonical);
    // Run as `bazel run` would, finding this build's files in the runfiles.
    RunOk({Runfile("lib/package/install"), "--prefix", *prefix_}, "",
          {{"RUNFILES_DIR", getenv("TEST_SRCDIR")}});
  }
  static void TearDownTestSuite() { delete prefix_; }

  // Logs in, fetches and logs out with the real cargo through the provider
  // at `program`, against a registry that refuses any request without the
  // token.
  void UseWithCargo(const std::string& program) {
    const std::string token = RandomToken();
    absl::StatusOr<std::unique_ptr<RegistryServer>> registry = RegistryServer::Start(token);
    ASSERT_TRUE(registry.ok()) << registry.status();
    CargoSandbox cargo;
    const std::string tokens = MakeTempDir("tokens");
    ASSERT_EQ(chmod(tokens.c_str(), 0700), 0);
    cargo.WriteConfig(absl::StrCat("[registries.myreg]\nindex = \"", (*registry)->index_url(),
                                   "\"\ncredential-provider = [\"", program, "\", \"", tokens,
                                   "\"]\n\n[net]\nretry = 0\n"));
    const std::string foo = cargo.NewCrate("foo", "myreg");
    const std::string bar =
        cargo.NewCrate("bar", "myreg", "foo = { version = \"0.1\", registry = \"myreg\" }\n");
    auto ok = [&](const std::vector<std::string>& args, const std::string& cwd,
                  const std::string& input = "") {
      absl::StatusOr<SubprocessResult> result = cargo.Cargo(args, cwd, input);
      EXPECT_TRUE(result.ok()) << result.status();
      if (!result.ok()) return SubprocessResult{};
      EXPECT_EQ(result->exit_code, 0) << "cargo " << args[0] << ":\n" << result->stderr_text;
      EXPECT_THAT(result->stderr_text, Not(HasSubstr(token.substr(7))));
      return *result;
    };

    ok({"login", "--registry", "myreg"}, foo, token + "\n");
    ok({"publish", "--registry", "myreg", "--no-verify", "--allow-dirty"}, foo);
    ok({"fetch"}, bar);
    EXPECT_THAT(ReadFile(bar + "/Cargo.lock"), HasSubstr("name = \"foo\""));
    ok({"logout", "--registry", "myreg"}, foo);

    // Logged out, the provider has nothing, and cargo says so.
    absl::StatusOr<SubprocessResult> after = cargo.Cargo({"generate-lockfile"}, bar);
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_NE(after->exit_code, 0);
    EXPECT_THAT(after->stderr_text, HasSubstr("no token found for `myreg`"));

    int authorised = 0;
    for (const LoggedRequest& request : (*registry)->Requests()) {
      EXPECT_NE(request.auth, "wrong") << request.method << " " << request.path;
      if (request.auth == "ok") ++authorised;
    }
    EXPECT_GE(authorised, 3);
  }

  // A copy of examples/cmake_project, as a project of its own would be.
  static std::string CopyProject() {
    const std::string source = MakeTempDir("project");
    for (const char* file : {"CMakeLists.txt", "token_dir_provider.cc"}) {
      WriteFile(absl::StrCat(source, "/", file),
                ReadFile(Runfile(absl::StrCat("examples/cmake_project/", file))), 0644);
    }
    return source;
  }

  static std::string* prefix_;
};

std::string* LibPackageTest::prefix_ = nullptr;

TEST_F(LibPackageTest, InstallsHeadersLibrariesAndPackageFiles) {
  const std::string& prefix = *prefix_;
  const std::string version = InstalledVersion(prefix);
  ASSERT_FALSE(version.empty());
  const std::vector<std::string> parts = absl::StrSplit(version, '.');
  ASSERT_EQ(parts.size(), 3u);
  const std::string soversion = parts[0] == "0" ? absl::StrCat(parts[0], ".", parts[1]) : parts[0];

  EXPECT_TRUE(IsFile(prefix + "/lib/libcargo_credential.a"));
  EXPECT_TRUE(IsFile(prefix + "/lib/libcargo_credential.so." + version));
  EXPECT_EQ(LinkTarget(prefix + "/lib/libcargo_credential.so." + soversion),
            "libcargo_credential.so." + version);
  EXPECT_EQ(LinkTarget(prefix + "/lib/libcargo_credential.so"),
            "libcargo_credential.so." + soversion);
  EXPECT_THAT(RunOk({"objdump", "-p", prefix + "/lib/libcargo_credential.so." + version}),
              HasSubstr("SONAME               libcargo_credential.so." + soversion));
  EXPECT_TRUE(IsFile(prefix + "/lib/cmake/cargo_credential/cargo_credentialConfig.cmake"));
  EXPECT_TRUE(IsFile(prefix + "/lib/cmake/cargo_credential/cargo_credentialConfigVersion.cmake"));

  // Only the public headers.
  std::vector<std::string> headers =
      absl::StrSplit(RunOk({"ls", prefix + "/include/cargo_credential"}), '\n', absl::SkipEmpty());
  EXPECT_THAT(headers,
              UnorderedElementsAreArray({"console.h", "credential.h", "error.h", "line_io.h",
                                         "protocol.h", "provider.h", "provider_client.h",
                                         "secret.h", "subprocess.h", "version.h"}));

  // pkg-config knows it, its version and its dependencies.
  const std::vector<std::pair<std::string, std::string>> env = {
      {"PKG_CONFIG_PATH", prefix + "/lib/pkgconfig"}};
  EXPECT_EQ(RunOk({"pkg-config", "--modversion", "cargo_credential"}, "", env), version + "\n");
  const std::string requires =
      RunOk({"pkg-config", "--print-requires", "cargo_credential"}, "", env);
  EXPECT_THAT(requires, HasSubstr("absl_status"));
  EXPECT_THAT(RunOk({"pkg-config", "--print-requires-private", "cargo_credential"}, "", env),
              HasSubstr("nlohmann_json"));
  const std::string flags =
      RunOk({"pkg-config", "--cflags", "--libs", "cargo_credential"}, "", env);
  EXPECT_THAT(flags, HasSubstr("-I" + prefix + "/lib/pkgconfig/../../include"));
  EXPECT_THAT(flags, HasSubstr("-lcargo_credential"));

  // The shared library exports cargo_credential's symbols and nothing else.
  const std::string symbols = RunOk(
      {"nm", "-D", "--defined-only", "-C", prefix + "/lib/libcargo_credential.so." + version});
  EXPECT_THAT(symbols, HasSubstr("cargo_credential::RunProvider("));
  for (absl::string_view line : absl::StrSplit(symbols, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StrContains(line, "cargo_credential::")) << line;
  }
}

// Each header compiles by itself with nothing but the installed tree (and
// the system's abseil) on the include path: none needs an internal one.
TEST_F(LibPackageTest, EachPublicHeaderStandsAlone) {
  const std::string dir = MakeTempDir("headers");
  for (absl::string_view header : absl::StrSplit(
           RunOk({"ls", *prefix_ + "/include/cargo_credential"}), '\n', absl::SkipEmpty())) {
    const std::string source = absl::StrCat(dir, "/", header, ".cc");
    WriteFile(source, absl::StrCat("#include \"cargo_credential/", header, "\"\n"), 0644);
    RunOk({"g++", "-std=c++17", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-I",
           *prefix_ + "/include", source});
  }
}

TEST_F(LibPackageTest, CMakeProjectBuildsAProviderCargoUses) {
  const std::string source = CopyProject();
  const std::string build = MakeTempDir("build");
  RunOk({"cmake", "-S", source, "-B", build, "-DCMAKE_PREFIX_PATH=" + *prefix_,
         "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Werror"});
  RunOk({"cmake", "--build", build});

  const std::string shared = build + "/cargo-credential-token-dir";
  const std::string fixed = build + "/cargo-credential-token-dir-static";
  EXPECT_THAT(RunOk({"ldd", shared}), HasSubstr(*prefix_ + "/lib/libcargo_credential.so.0"));
  EXPECT_THAT(RunOk({"ldd", fixed}), Not(HasSubstr("libcargo_credential")));
  UseWithCargo(shared);
  UseWithCargo(fixed);

  // The package asks for a compatible version: an older minor release
  // would not do before 1.0.
  const std::string version = InstalledVersion(*prefix_);
  const std::string wrong = MakeTempDir("wrong");
  WriteFile(wrong + "/CMakeLists.txt",
            "cmake_minimum_required(VERSION 3.16)\nproject(p LANGUAGES CXX)\n"
            "find_package(cargo_credential 99.0 REQUIRED)\n",
            0644);
  SubprocessOptions options;
  options.argv = {"cmake", "-S", wrong, "-B", wrong + "/build", "-DCMAKE_PREFIX_PATH=" + *prefix_};
  absl::StatusOr<SubprocessResult> refused =
      cargo_credential::RunSubprocess(options, "", absl::Seconds(120));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_NE(refused->exit_code, 0);
  EXPECT_THAT(refused->stderr_text, HasSubstr(version));
}

// pkg-config and plain g++, from a copy of the installed tree moved
// elsewhere: the package files find it where it now is.
TEST_F(LibPackageTest, PkgConfigAndGxxBuildAProviderCargoUses) {
  char* canonical = realpath(MakeTempDir("moved").c_str(), nullptr);
  const std::string moved = std::string(canonical) + "/prefix";
  free(canonical);
  RunOk({"cp", "-a", *prefix_, moved});
  const std::vector<std::string> flags = PkgConfigFlags(moved);
  const std::string source = CopyProject();
  const std::string program = source + "/cargo-credential-token-dir";
  std::vector<std::string> argv = {
      "g++",     "-std=c++17", "-Wall", "-Wextra",
      "-Werror", "-o",         program, source + "/token_dir_provider.cc"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back("-Wl,-rpath," + moved + "/lib");
  RunOk(argv);
  EXPECT_THAT(RunOk({"ldd", program}), HasSubstr(moved + "/lib/libcargo_credential.so.0"));
  UseWithCargo(program);
}

// Every C++ program README's "Writing your own credential provider" shows
// compiles and links against the installed library, warnings as errors.
TEST_F(LibPackageTest, ReadmeProvidersBuildAgainstTheInstalledLibrary) {
  const std::string readme = ReadFile(Runfile("README.md"));
  const size_t start = readme.find("\n## Writing your own credential provider\n");
  ASSERT_NE(start, std::string::npos);
  const size_t end = readme.find("\n## ", start + 1);
  const std::string part = readme.substr(start, end - start);
  const std::vector<std::string> flags = PkgConfigFlags(*prefix_);
  const std::string dir = MakeTempDir("readme");
  int programs = 0;
  for (size_t at = part.find("```cpp\n"); at != std::string::npos;
       at = part.find("```cpp\n", at + 1)) {
    const size_t code = at + 7;
    const std::string source = absl::StrCat(dir, "/provider", programs, ".cc");
    WriteFile(source, part.substr(code, part.find("```", code) - code), 0644);
    std::vector<std::string> argv = {"g++",
                                     "-std=c++17",
                                     "-Wall",
                                     "-Wextra",
                                     "-Wno-unused-parameter",
                                     "-Werror",
                                     "-o",
                                     absl::StrCat(dir, "/provider", programs),
                                     source};
    argv.insert(argv.end(), flags.begin(), flags.end());
    RunOk(argv);
    ++programs;
  }
  EXPECT_EQ(programs, 4) << "README's providers: ten lines, terminal, expiring, in front";
}

}  // namespace
}  // namespace credcache_testing
