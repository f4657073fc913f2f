// `cargo-credential-credcache doctor` end to end, on a private daemon: a
// working chain has no problem; each broken link is found and comes with
// what to do; --json says the same as one object. Issue 13 asked for it.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::SubprocessResult;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUrl[] = "sparse+http://127.0.0.1:9/index/";

class DoctorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cargo_home_ = env_.root() + "/cargo-home";
    work_ = env_.root() + "/work";
    mkdir(cargo_home_.c_str(), 0700);
    mkdir(work_.c_str(), 0700);
    token_file_ = env_.root() + "/tokens.toml";
  }

  // cargo's config: `myreg` at kUrl, and credcache (this build's shim, by
  // path) asked for every registry unless `asks` is false.
  void WriteCargoConfig(bool asks = true, const std::string& provider = DaemonEnv::ShimPath()) {
    std::string config = absl::StrCat("[registries.myreg]\nindex = \"", kUrl, "\"\n");
    if (asks) {
      absl::StrAppend(&config, "[registry]\nglobal-credential-providers = [\"", provider, "\"]\n");
    }
    WriteFile(cargo_home_ + "/config.toml", config, 0644);
  }

  void WriteFileBackendConfig(const std::string& extra = "") {
    env_.WriteConfig(absl::StrCat("[[backend]]\nname = \"store\"\nkind = \"file\"\npath = \"",
                                  token_file_, "\"\n", extra));
  }

  SubprocessResult Doctor(std::vector<std::string> args = {},
                          std::vector<std::pair<std::string, std::string>> extra_env = {}) {
    std::vector<std::string> argv = {"doctor", "--cargo-home", cargo_home_};
    argv.insert(argv.end(), args.begin(), args.end());
    return env_.Shim(argv, "", std::move(extra_env));
  }

  // Doctor run in the working directory `cwd`, where cargo would look
  // for `.cargo/config.toml` first.
  SubprocessResult DoctorIn(const std::string& cwd, std::vector<std::string> args = {}) {
    std::vector<std::string> argv = {"doctor", "--cargo-home", cargo_home_};
    argv.insert(argv.end(), args.begin(), args.end());
    return env_.Shim(argv, "", {}, cwd);
  }

  DaemonEnv env_;
  std::string cargo_home_;
  std::string work_;
  std::string token_file_;
};

TEST_F(DoctorTest, AWorkingChainHasNoProblem) {
  WriteCargoConfig();
  WriteFileBackendConfig();
  WriteFile(token_file_, "", 0600);
  const SubprocessResult result = Doctor();
  EXPECT_EQ(result.exit_code, 0) << result.stdout_text << result.stderr_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("no problems found"));
  EXPECT_THAT(result.stdout_text,
              HasSubstr(absl::StrCat("asks credcache for myreg (", cargo_home_, "/config.toml)")));
  EXPECT_THAT(result.stdout_text, HasSubstr("this program"));
  EXPECT_THAT(result.stdout_text, HasSubstr(absl::StrCat("myreg (", kUrl, ") -> store")));
  EXPECT_THAT(result.stdout_text, HasSubstr("private to the daemon's account"));
  EXPECT_THAT(result.stdout_text, HasSubstr(env_.config_path()));
  EXPECT_THAT(result.stdout_text, HasSubstr("credcached.log"));
}

TEST_F(DoctorTest, CargoNotAskingCredcacheIsAProblemWithTheLinesToAdd) {
  WriteCargoConfig(/*asks=*/false);
  WriteFileBackendConfig();
  const SubprocessResult result = Doctor();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.stdout_text, HasSubstr("PROBLEM cargo"));
  EXPECT_THAT(result.stdout_text, HasSubstr("cargo does not ask credcache for any registry"));
  EXPECT_THAT(result.stdout_text, HasSubstr("global-credential-providers"));
}

TEST_F(DoctorTest, ATokenFileOthersCanReadIsAProblem) {
  WriteCargoConfig();
  WriteFileBackendConfig();
  WriteFile(token_file_, "", 0644);
  const SubprocessResult result = Doctor();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.stdout_text, HasSubstr("readable or writable by others (mode 0644)"));
  EXPECT_THAT(result.stdout_text, HasSubstr(absl::StrCat("chmod 600 ", token_file_)));
}

TEST_F(DoctorTest, AMalformedTokenFileIsAProblemWithoutItsContent) {
  WriteCargoConfig();
  WriteFileBackendConfig();
  const std::string secret = RandomToken();
  WriteFile(token_file_, absl::StrCat("[\"", kUrl, "\"]\ntoken = \"", secret, "\"\n[[["), 0600);
  const SubprocessResult result = Doctor();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.stdout_text, HasSubstr("PROBLEM backend   `store` (file)"));
  EXPECT_THAT(result.stdout_text + result.stderr_text, Not(HasSubstr(secret)));
}

TEST_F(DoctorTest, AProgramNotOnPathAndARegistryNoBackendServesAreProblems) {
  WriteCargoConfig();
  env_.WriteConfig(
      "[[backend]]\nname = \"sso\"\nkind = \"command\"\n"
      "index_urls = [\"sparse+https://elsewhere.example/*\"]\n"
      "command = [\"credcache-no-such-program\", \"{index_url}\"]\n");
  const SubprocessResult result = Doctor();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.stdout_text, HasSubstr("`credcache-no-such-program`, which is not on PATH"));
  EXPECT_THAT(result.stdout_text,
              HasSubstr(absl::StrCat("myreg (", kUrl, "): no backend serves it")));
  EXPECT_THAT(result.stdout_text, HasSubstr("index_urls"));
}

// The shim cargo finds on PATH is another one, of another version.
TEST_F(DoctorTest, AnotherShimOnPathIsAProblem) {
  const std::string bin = env_.root() + "/old-bin";
  mkdir(bin.c_str(), 0755);
  WriteFile(bin + "/cargo-credential-credcache",
            "#!/bin/sh\necho 'cargo-credential-credcache 0.0.1 (wire old)'\n", 0755);
  WriteCargoConfig(/*asks=*/true, "cargo-credential-credcache");
  WriteFileBackendConfig();
  const SubprocessResult result = Doctor({}, {{"PATH", absl::StrCat(bin, ":", getenv("PATH"))}});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.stdout_text, HasSubstr(absl::StrCat("cargo runs ", bin,
                                                         "/cargo-credential-credcache, which says "
                                                         "`cargo-credential-credcache 0.0.1")));
}

TEST_F(DoctorTest, JsonIsOneObjectWithEachCheck) {
  WriteCargoConfig(/*asks=*/false);
  WriteFileBackendConfig();
  const SubprocessResult result = Doctor({"--json"});
  EXPECT_EQ(result.exit_code, 1);
  const nlohmann::json json = nlohmann::json::parse(result.stdout_text, nullptr, false);
  ASSERT_TRUE(json.is_object()) << result.stdout_text;
  EXPECT_EQ(json["ok"], false);
  bool problem_with_fix = false;
  bool backend_ok = false;
  for (const nlohmann::json& check : json["checks"]) {
    if (check["status"] == "problem" && check["area"] == "cargo") {
      problem_with_fix = check.contains("fix");
    }
    if (check["status"] == "ok" && check["area"] == "backend") backend_ok = true;
  }
  EXPECT_TRUE(problem_with_fix) << result.stdout_text;
  EXPECT_TRUE(backend_ok) << result.stdout_text;
}

// A daemon that cannot start is a problem, not a hang.
TEST_F(DoctorTest, ADaemonThatCannotStartIsAProblem) {
  WriteCargoConfig();
  env_.WriteConfig("[[backend]]\nname = \"x\"\nkind = \"no-such-kind\"\n");
  const SubprocessResult result = Doctor();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.stdout_text, HasSubstr("PROBLEM daemon"));
}

// Attack: doctor judged each config file alone, nearest first, so a
// project's `.cargo/config.toml` giving myreg its own provider
// (cargo:token) was passed over for $CARGO_HOME's global list: doctor said
// "asks credcache for myreg" while cargo (1.95, checked) never asks it.
TEST_F(DoctorTest, ANearerConfigsOwnProviderDecidesAsInCargo) {
  WriteCargoConfig();
  WriteFileBackendConfig();
  mkdir((work_ + "/.cargo").c_str(), 0700);
  WriteFile(work_ + "/.cargo/config.toml",
            "[registries.myreg]\ncredential-provider = \"cargo:token\"\n", 0644);
  const SubprocessResult result = DoctorIn(work_);
  EXPECT_THAT(result.stdout_text, Not(HasSubstr("asks credcache for myreg")));
  EXPECT_THAT(result.stdout_text,
              HasSubstr(absl::StrCat("not credcache, for myreg (its own credential-provider, in ",
                                     work_, "/.cargo/config.toml)")));
  EXPECT_THAT(result.stdout_text, HasSubstr("asks credcache for crates-io"));
}

// Attack: a config cargo reads that is a FIFO made doctor wait forever for
// a writer; one that is not TOML was skipped in silence, though cargo
// refuses to run with either. Both are problems now, and --json stays one
// object.
TEST_F(DoctorTest, AConfigCargoCannotReadIsAProblemNotAHang) {
  WriteCargoConfig();
  WriteFileBackendConfig();
  const std::string nested = work_ + "/crate";
  for (const std::string& dir : {work_ + "/.cargo", nested, nested + "/.cargo"}) {
    mkdir(dir.c_str(), 0700);
  }
  ASSERT_EQ(mkfifo((nested + "/.cargo/config.toml").c_str(), 0600), 0);
  WriteFile(work_ + "/.cargo/config.toml", "[registries.x\nindex = ", 0644);
  const SubprocessResult result = DoctorIn(nested);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.stdout_text,
              HasSubstr(absl::StrCat(
                  nested, "/.cargo/config.toml cannot be read (it is not a regular file)")));
  EXPECT_THAT(result.stdout_text, HasSubstr(absl::StrCat(work_, "/.cargo/config.toml:")));
  EXPECT_THAT(result.stdout_text, HasSubstr("not valid TOML: cargo refuses to run with it"));
  const SubprocessResult json = DoctorIn(nested, {"--json"});
  const nlohmann::json parsed = nlohmann::json::parse(json.stdout_text, nullptr, false);
  EXPECT_TRUE(parsed.is_object()) << json.stdout_text;
}

}  // namespace
}  // namespace credcache_testing
