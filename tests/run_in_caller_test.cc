// Backends that run in the caller (`run_in = "caller"`), with the real cargo
// on real pseudo-terminals, as a user meets them: an SSO-style command that
// prompts on the terminal, many cargo processes missing at once, a prompt
// interrupted with Ctrl-C, an env backend that sees each cargo's own
// environment, and a wrapped provider that logs in and out where cargo runs.
#include <signal.h>
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/cargo_sandbox.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/registry_server.h"
#include "tests/support/terminal.h"
#include "tests/support/test_env.h"

namespace credcache_testing {
namespace {

using cargo_credential::SubprocessResult;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPrompt[] = "SSO code for myreg: ";

class RunInCallerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = RandomToken();
    absl::StatusOr<std::unique_ptr<RegistryServer>> registry = RegistryServer::Start(token_);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    // To start with, a backend in the daemon that knows the token (the
    // config's path goes into cargo's environment with the first one).
    const std::string token_file = env_.root() + "/registry-token";
    WriteFile(token_file, token_);
    env_.WriteConfig(
        absl::StrCat("[[backend]]\nname = \"setup\"\nkind = \"command\"\nindex_urls = [\"*\"]\n",
                     "command = [\"cat\", \"", token_file, "\"]\n"));
    bar_ = SetUpCargo(cargo_);
  }

  // cargo runs the shim for every registry; returns the path of crate bar,
  // which depends on foo from the registry.
  std::string SetUpCargo(CargoSandbox& cargo) {
    cargo.SetEnv(env_.Environment());
    cargo.SetEnv({{"CARGO_TERM_PROGRESS_WHEN", "never"}});
    cargo.WriteConfig(absl::StrCat("[registries.myreg]\nindex = \"", registry_->index_url(),
                                   "\"\n\n[registry]\nglobal-credential-providers = [\"",
                                   DaemonEnv::ShimPath(), "\"]\n\n[net]\nretry = 0\n"));
    return cargo.NewCrate("bar", "myreg", "foo = { version = \"0.1\", registry = \"myreg\" }\n");
  }

  SubprocessResult Cargo(const std::vector<std::string>& args, const std::string& cwd,
                         std::vector<std::pair<std::string, std::string>> env = {}) {
    cargo_credential::SubprocessOptions options = cargo_.Options(args, cwd);
    options.set_env.insert(options.set_env.end(), env.begin(), env.end());
    absl::StatusOr<SubprocessResult> result =
        cargo_credential::RunSubprocess(options, "", absl::Seconds(120));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : SubprocessResult{-1, "", ""};
  }
  std::unique_ptr<Terminal> OnTerminal(const CargoSandbox& cargo,
                                       const std::vector<std::string>& args,
                                       const std::string& cwd) {
    absl::StatusOr<std::unique_ptr<Terminal>> started = Terminal::Start(cargo.Options(args, cwd));
    EXPECT_TRUE(started.ok()) << started.status();
    return started.ok() ? *std::move(started) : nullptr;
  }

  // Starts `count` cargo processes at once, each with a CARGO_HOME of its
  // own (so none waits on another's package-cache lock) and on a terminal
  // of its own, each locking crate bar's dependencies; fewer when one
  // could not start.
  std::vector<std::unique_ptr<Terminal>> LockOnTerminals(int count) {
    std::vector<std::unique_ptr<Terminal>> terminals;
    for (int i = 0; i < count; ++i) {
      sandboxes_.push_back(std::make_unique<CargoSandbox>());
      const std::string crate = SetUpCargo(*sandboxes_.back());
      std::unique_ptr<Terminal> terminal =
          OnTerminal(*sandboxes_.back(), {"generate-lockfile"}, crate);
      if (terminal == nullptr) break;
      terminals.push_back(std::move(terminal));
    }
    return terminals;
  }

  // Publishes foo 0.1.0 through the first config's backend, then configures
  // `backends` instead, with an empty cache.
  void PublishFooThenUse(const std::string& backends) {
    const std::string foo = cargo_.NewCrate("foo", "myreg");
    SubprocessResult published =
        Cargo({"publish", "--registry", "myreg", "--no-verify", "--allow-dirty"}, foo);
    ASSERT_EQ(published.exit_code, 0) << published.stderr_text;
    env_.WriteConfig(backends);
    ASSERT_EQ(env_.Shim({"reload"}).exit_code, 0);
    ASSERT_EQ(env_.Shim({"flush"}).exit_code, 0);
  }

  // A `command` backend run in the caller that asks for its token on the
  // terminal, as an SSO or password-manager command does, and counts its
  // runs.
  std::string PromptingBackend() {
    const std::string script = env_.root() + "/sso.sh";
    WriteFile(script, absl::StrCat("#!/bin/sh\necho run >> ", Runs(),
                                   "\nprintf 'SSO code for %s: ' \"$CARGO_REGISTRY_NAME_OPT\" "
                                   "> /dev/tty\nIFS= read -r code < /dev/tty\necho \"$code\"\n"));
    chmod(script.c_str(), 0700);
    return absl::StrCat("[[backend]]\nname = \"sso\"\nkind = \"command\"\nrun_in = \"caller\"\n",
                        "index_urls = [\"*\"]\ntimeout = \"90s\"\ncommand = [\"", script, "\"]\n");
  }
  std::string Runs() const { return env_.root() + "/runs"; }

  DaemonEnv env_;
  CargoSandbox cargo_;
  std::unique_ptr<RegistryServer> registry_;
  std::string token_;
  std::string bar_;
  std::vector<std::unique_ptr<CargoSandbox>> sandboxes_;
};

TEST_F(RunInCallerTest, APromptOnTheTerminalIsAnsweredOnceAndTheNextCargoIsNotAsked) {
  PublishFooThenUse(PromptingBackend());
  std::unique_ptr<Terminal> first = OnTerminal(cargo_, {"generate-lockfile"}, bar_);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->WaitFor(kPrompt, absl::Seconds(60))) << first->Screen();
  first->Type(token_ + "\n");
  EXPECT_EQ(first->Wait(absl::Seconds(60)), 0) << first->Screen();

  std::unique_ptr<Terminal> second = OnTerminal(cargo_, {"generate-lockfile"}, bar_);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->Wait(absl::Seconds(60)), 0) << second->Screen();
  EXPECT_THAT(second->Screen(), Not(HasSubstr("SSO code")));
  EXPECT_EQ(CountLines(Runs()), 1);
  // Cached by the daemon, under the backend's name; the token itself is in
  // neither the daemon's log nor anything the admin commands print.
  EXPECT_THAT(env_.Shim({"list"}).stdout_text, HasSubstr("sso"));
  const std::string log = ReadFile(env_.log());
  EXPECT_THAT(log, HasSubstr("backend `sso` runs in the caller"));
  EXPECT_THAT(log, Not(HasSubstr(token_)));
  EXPECT_THAT(env_.AdminOutput(), Not(HasSubstr(token_)));
  for (const LoggedRequest& request : registry_->Requests()) {
    EXPECT_NE(request.auth, "wrong") << request.method << " " << request.path;
  }
}

TEST_F(RunInCallerTest, TwentyCargoProcessesMissingAtOnceMakeOnePrompt) {
  PublishFooThenUse(PromptingBackend());
  // All twenty ask for the token at once.
  constexpr int kCargos = 20;
  std::vector<std::unique_ptr<Terminal>> terminals = LockOnTerminals(kCargos);
  ASSERT_EQ(terminals.size(), static_cast<size_t>(kCargos));
  int prompted = -1;
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  while (prompted < 0 && absl::Now() < deadline) {
    for (int i = 0; i < kCargos && prompted < 0; ++i) {
      if (terminals[i]->WaitFor(kPrompt, absl::Milliseconds(20))) prompted = i;
    }
  }
  ASSERT_GE(prompted, 0) << "no cargo prompted";
  // Give the others time to reach the daemon and wait on the same run.
  absl::SleepFor(absl::Seconds(2));
  terminals[prompted]->Type(token_ + "\n");
  int prompts = 0;
  for (int i = 0; i < kCargos; ++i) {
    EXPECT_EQ(terminals[i]->Wait(absl::Seconds(90)), 0) << i << ":\n" << terminals[i]->Screen();
    if (absl::StrContains(terminals[i]->Screen(), "SSO code")) ++prompts;
  }
  EXPECT_EQ(prompts, 1);
  EXPECT_EQ(CountLines(Runs()), 1);
  // Most of them waited on that one run (rather than finding its answer
  // cached), and heard what they waited on.
  const nlohmann::json stats = nlohmann::json::parse(env_.Shim({"stats", "--json"}).stdout_text);
  EXPECT_GE(stats["coalesced"].get<int>(), kCargos / 2) << stats.dump();
  int told = 0;
  for (int i = 0; i < kCargos; ++i) {
    if (absl::StrContains(terminals[i]->Screen(), "waiting for backend `sso`")) ++told;
  }
  EXPECT_GE(told, kCargos / 2);
}

TEST_F(RunInCallerTest, CtrlCAtThePromptHandsItToTheNextWaitingCargo) {
  PublishFooThenUse(PromptingBackend());
  constexpr int kCargos = 3;
  std::vector<std::unique_ptr<Terminal>> terminals = LockOnTerminals(kCargos);
  ASSERT_EQ(terminals.size(), static_cast<size_t>(kCargos));
  auto first_prompt = [&terminals](int skip) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline) {
      for (int i = 0; i < kCargos; ++i) {
        if (i != skip && terminals[i]->WaitFor(kPrompt, absl::Milliseconds(20))) return i;
      }
    }
    return -1;
  };
  const int interrupted = first_prompt(-1);
  ASSERT_GE(interrupted, 0);
  absl::SleepFor(absl::Seconds(1));  // The others wait on the same run.
  terminals[interrupted]->Type("\x03");
  std::optional<int> code = terminals[interrupted]->Wait(absl::Seconds(30));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 128 + SIGINT) << "cargo stops as Ctrl-C stops it";

  const int next = first_prompt(interrupted);
  ASSERT_GE(next, 0) << "nobody prompted after the first was interrupted";
  terminals[next]->Type(token_ + "\n");
  for (int i = 0; i < kCargos; ++i) {
    if (i == interrupted) continue;
    EXPECT_EQ(terminals[i]->Wait(absl::Seconds(60)), 0) << i << ":\n" << terminals[i]->Screen();
    if (i != next) {
      EXPECT_THAT(terminals[i]->Screen(), Not(HasSubstr("SSO code")));
    }
  }
  EXPECT_EQ(CountLines(Runs()), 2);
}

// A command in the caller that hangs ends at its timeout, with an error that
// says so, whoever waits on it.
TEST_F(RunInCallerTest, AHangingCommandInTheCallerEndsAtItsTimeout) {
  env_.WriteConfig(
      "[[backend]]\nname = \"hang\"\nkind = \"command\"\nrun_in = \"caller\"\n"
      "index_urls = [\"*\"]\ntimeout = \"2s\"\ncommand = [\"sleep\", \"60\"]\n");
  const absl::Time start = absl::Now();
  SubprocessResult result = env_.Shim({"--cargo-plugin"}, GetRequestLine("sparse+http://h/"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_THAT(AnswerLine(result), HasSubstr("did not finish within"));
  EXPECT_THAT(AnswerLine(result), HasSubstr("credcache backend `hang` failed"));
}

TEST_F(RunInCallerTest, AnEnvBackendInTheCallerSeesThatCargosEnvironment) {
  const std::string config =
      "[[backend]]\nname = \"shell\"\nkind = \"env\"\nrun_in = \"caller\"\n"
      "index_urls = [\"*\"]\nvariable = \"MY_SSO_TOKEN\"\n";
  // The daemon starts from a cargo without the variable.
  PublishFooThenUse(config);
  SubprocessResult none = Cargo({"generate-lockfile"}, bar_);
  EXPECT_NE(none.exit_code, 0);
  EXPECT_THAT(none.stderr_text, HasSubstr("no token found"));

  SubprocessResult set = Cargo({"generate-lockfile"}, bar_, {{"MY_SSO_TOKEN", token_}});
  EXPECT_EQ(set.exit_code, 0) << set.stderr_text;
  // Changed in the shell: the next cargo sends the new value, not a copy.
  SubprocessResult changed = Cargo({"generate-lockfile"}, bar_, {{"MY_SSO_TOKEN", "stale"}});
  EXPECT_NE(changed.exit_code, 0);
  SubprocessResult unset = Cargo({"generate-lockfile"}, bar_);
  EXPECT_NE(unset.exit_code, 0);
  EXPECT_THAT(unset.stderr_text, HasSubstr("no token found"));
  EXPECT_THAT(env_.Shim({"list"}).stdout_text, Not(HasSubstr("shell")));
}

TEST_F(RunInCallerTest, AWrappedProviderLogsInAndOutWhereCargoRuns) {
  // The provider keeps tokens under $XDG_DATA_HOME: cargo's, not the
  // daemon's, since it runs in the caller.
  const std::string callers_data = MakeTempDir("caller-data");
  env_.WriteConfig(absl::StrCat("[[backend]]\nname = \"wrapped\"\nkind = \"cargo-provider\"\n",
                                "run_in = \"caller\"\nprovider = \"",
                                Runfile("examples/cargo-credential-example-file"), "\"\n"));
  const std::vector<std::pair<std::string, std::string>> in_caller = {
      {"XDG_DATA_HOME", callers_data}};
  // A daemon started by hand, with an XDG_DATA_HOME of its own.
  ASSERT_EQ(env_.Daemon({"--socket", env_.socket(), "--config", env_.config_path()}).exit_code, 0);

  cargo_credential::SubprocessOptions login =
      cargo_.Options({"login", "--registry", "myreg"}, cargo_.root());
  login.set_env.insert(login.set_env.end(), in_caller.begin(), in_caller.end());
  absl::StatusOr<SubprocessResult> logged_in =
      cargo_credential::RunSubprocess(login, token_ + "\n", absl::Seconds(60));
  ASSERT_TRUE(logged_in.ok());
  EXPECT_EQ(logged_in->exit_code, 0) << logged_in->stderr_text;
  const std::string tokens = callers_data + "/cargo-credential-example-file/tokens";
  EXPECT_THAT(ReadFile(tokens), HasSubstr(token_));

  const std::string foo = cargo_.NewCrate("foo", "myreg");
  SubprocessResult published =
      Cargo({"publish", "--registry", "myreg", "--no-verify", "--allow-dirty"}, foo, in_caller);
  EXPECT_EQ(published.exit_code, 0) << published.stderr_text;

  SubprocessResult logged_out = Cargo({"logout", "--registry", "myreg"}, cargo_.root(), in_caller);
  EXPECT_EQ(logged_out.exit_code, 0) << logged_out.stderr_text;
  EXPECT_THAT(ReadFile(tokens), Not(HasSubstr(token_)));
  SubprocessResult after = Cargo({"generate-lockfile"}, bar_, in_caller);
  EXPECT_NE(after.exit_code, 0);
  // The login's token went to the shim and back, never into the log.
  const std::string log = ReadFile(env_.log());
  EXPECT_THAT(log, HasSubstr("backend `wrapped` runs in the caller"));
  EXPECT_THAT(log, Not(HasSubstr(token_)));
}

}  // namespace
}  // namespace credcache_testing
