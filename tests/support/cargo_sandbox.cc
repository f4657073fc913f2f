#include "tests/support/cargo_sandbox.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/test_env.h"

namespace credcache_testing {

CargoSandbox::CargoSandbox() {
  absl::StatusOr<std::string> cargo = FindCargo();
  if (!cargo.ok()) {
    ADD_FAILURE() << cargo.status();
  } else {
    cargo_ = *cargo;
  }
  root_ = MakeTempDir("cargo");
  cargo_home_ = root_ + "/cargo-home";
  home_ = root_ + "/home";
  mkdir(cargo_home_.c_str(), 0700);
  mkdir(home_.c_str(), 0700);
}

void CargoSandbox::SetEnv(std::vector<std::pair<std::string, std::string>> env) {
  extra_env_.insert(extra_env_.end(), env.begin(), env.end());
}

void CargoSandbox::WriteConfig(const std::string& toml) {
  WriteFile(cargo_home_ + "/config.toml", toml);
}

std::string CargoSandbox::NewCrate(const std::string& name, const std::string& registry,
                                   const std::string& dependencies) {
  const std::string dir = absl::StrCat(root_, "/", name);
  mkdir(dir.c_str(), 0755);
  mkdir((dir + "/src").c_str(), 0755);
  WriteFile(dir + "/Cargo.toml", absl::StrCat("[package]\nname = \"", name,
                                              "\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"
                                              "description = \"test crate\"\nlicense = \"MIT\"\n"
                                              "publish = [\"",
                                              registry, "\"]\n\n[dependencies]\n", dependencies));
  WriteFile(dir + "/src/lib.rs", "pub fn answer() -> u32 { 42 }\n");
  return dir;
}

absl::StatusOr<cargo_credential::SubprocessResult> CargoSandbox::Cargo(
    const std::vector<std::string>& args, const std::string& cwd, const std::string& input) {
  return cargo_credential::RunSubprocess(Options(args, cwd), input, absl::Seconds(120));
}

cargo_credential::SubprocessOptions CargoSandbox::Options(const std::vector<std::string>& args,
                                                          const std::string& cwd) const {
  cargo_credential::SubprocessOptions options;
  options.argv = {cargo_};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.cwd = cwd;
  // rustup's proxy finds its toolchains through RUSTUP_HOME, which is under
  // the real HOME; pin it before HOME moves.
  std::string rustup_home;
  if (const char* set = getenv("RUSTUP_HOME")) {
    rustup_home = set;
  } else if (const char* home = getenv("HOME")) {
    rustup_home = absl::StrCat(home, "/.rustup");
  }
  options.set_env = {{"CARGO_HOME", cargo_home_},
                     {"HOME", home_},
                     {"CARGO_TERM_COLOR", "never"},
                     {"CARGO_HTTP_MULTIPLEXING", "false"}};
  if (!rustup_home.empty()) options.set_env.push_back({"RUSTUP_HOME", rustup_home});
  options.set_env.insert(options.set_env.end(), extra_env_.begin(), extra_env_.end());
  // Nothing of the caller's may steer cargo: no offline mode, no tokens.
  options.unset_env = {"CARGO_NET_OFFLINE", "CARGO_REGISTRY_TOKEN",
                       "CARGO_REGISTRY_CREDENTIAL_PROVIDER",
                       "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS", "CARGO_TARGET_DIR"};
  return options;
}

}  // namespace credcache_testing
