#include "shim/command_docs.h"

#include <stdlib.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cargo_credential/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/programs.h"

namespace credcache {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const CommandLine& Table() {
  static const CommandLine* const kTable = new CommandLine(
      "demo-tool", "1.2.3", "A demo.\n.A line that roff would take for a request.", "Outro.",
      {{"--socket", "PATH", "the socket"},
       {"--bindir", "DIR", "where it's put [really]"},
       {"--count", "N", "how many: a number"},
       {"--json", "", "JSON out"}},
      {{"status", {}, "is it up", "", {"--socket", "--json"}, nullptr},
       {"forget", {"REGISTRY"}, "drop one: a-b", "More on\nforget.", {"--socket"}, nullptr},
       {"install", {}, "install it", "", {"--bindir", "--count"}, nullptr}},
      "--json");
  return *kTable;
}

// What `shell` prints for `script` sourced, then `commands`.
cargo_credential::SubprocessResult RunShell(const std::string& shell, const std::string& script,
                                            const std::string& commands) {
  cargo_credential::SubprocessOptions options;
  options.argv = {shell, "-c", commands};
  absl::StatusOr<cargo_credential::SubprocessResult> result =
      cargo_credential::RunSubprocess(options, script, absl::Seconds(30));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : cargo_credential::SubprocessResult{-1, "", ""};
}

std::string TempFile(const std::string& text) {
  std::string path = std::string(getenv("TEST_TMPDIR")) + "/script_XXXXXX";
  const int fd = mkstemp(path.data());
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  return path;
}

TEST(CommandDocsTest, TheManPageNamesEveryCommandAndOptionAndRoffTakesIt) {
  const std::string page = ManPage(Table(), {"a demo", {{"Files", "~/x: a file"}}});
  EXPECT_THAT(page, HasSubstr(".TH DEMO-TOOL 1"));
  EXPECT_THAT(page, HasSubstr("demo\\-tool \\- a demo"));
  EXPECT_THAT(page, HasSubstr(".B forget REGISTRY"));
  EXPECT_THAT(page, HasSubstr("\\-\\-bindir DIR"));
  EXPECT_THAT(page, HasSubstr("\\&.A line")) << "a line starting with a dot is guarded";
  EXPECT_THAT(page, HasSubstr(".SH FILES"));
  // groff's own check: warnings of every kind (-ww), nothing printed (-z).
  cargo_credential::SubprocessOptions options;
  options.argv = {"groff", "-man", "-ww", "-z"};
  absl::StatusOr<cargo_credential::SubprocessResult> checked =
      cargo_credential::RunSubprocess(options, page, absl::Seconds(30));
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(checked->exit_code, 0);
  EXPECT_EQ(checked->stderr_text, "");
}

TEST(CommandDocsTest, BashCompletesCommandsThenEachCommandsOwnOptionsAndPaths) {
  const std::string script = TempFile(CompletionScript(Table(), "bash"));
  auto complete = [&](const std::string& words) {
    return RunShell(
               "bash", "",
               absl::StrCat("source ", script, "; COMP_WORDS=(", words,
                            "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _demo_tool; "
                            "[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\\n' \"${COMPREPLY[@]}\""))
        .stdout_text;
  };
  EXPECT_EQ(complete("demo-tool ''"),
            "help\nversion\nstatus\nforget\ninstall\n--help\n--version\n");
  EXPECT_EQ(complete("demo-tool st"), "status\n");
  EXPECT_EQ(complete("demo-tool status --"), "--socket\n--json\n--help\n");
  EXPECT_THAT(complete("demo-tool install --"), Not(HasSubstr("--socket")));
  // An option's value is not taken for the command.
  EXPECT_EQ(complete("demo-tool --socket status forget --"), "--socket\n--help\n");
  EXPECT_THAT(complete("demo-tool status --socket /"), HasSubstr("/tmp"));
  EXPECT_EQ(complete("demo-tool install --count ''"), "");
}

TEST(CommandDocsTest, ZshAndFishTakeTheirScripts) {
  for (const std::string shell : {"zsh", "fish"}) {
    if (cargo_credential::FindOnPath(shell).empty()) {
      ADD_FAILURE() << shell << " is not installed (tools/setup.sh installs it)";
      continue;
    }
    const std::string text = CompletionScript(Table(), shell);
    EXPECT_THAT(text, HasSubstr("forget"));
    const cargo_credential::SubprocessResult checked =
        RunShell(shell, "", absl::StrCat(shell, " -n ", TempFile(text)));
    EXPECT_EQ(checked.exit_code, 0) << shell << ": " << checked.stderr_text << "\n" << text;
  }
  // fish: the completions it offers, as it offers them.
  if (!cargo_credential::FindOnPath("fish").empty()) {
    const std::string script = TempFile(CompletionScript(Table(), "fish"));
    const std::string offered = RunShell("fish", "",
                                         absl::StrCat("source ", script,
                                                      "; complete -C 'demo-tool '; complete -C "
                                                      "'demo-tool status --'"))
                                    .stdout_text;
    EXPECT_THAT(offered, HasSubstr("forget\tdrop one: a-b"));
    EXPECT_THAT(offered, HasSubstr("--socket\tthe socket"));
    EXPECT_THAT(offered, Not(HasSubstr("--bindir")));
  }
  EXPECT_EQ(CompletionScript(Table(), "tcsh"), "");
}

}  // namespace
}  // namespace credcache
