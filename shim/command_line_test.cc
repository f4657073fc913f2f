#include "shim/command_line.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace credcache {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class CommandLineTest : public ::testing::Test {
 protected:
  CommandLineTest()
      : command_line_("tool", "1.0", "What it does:\n", "The end.\n",
                      {{"--json", "", "JSON out"},
                       {"--dir", "DIR", "a directory"},
                       {"--force", "", "do it"},
                       {"--owner", "NAME", "whose, when forced", "--force"}},
                      {{"show", {}, "shows things", "", {"--json"}, Record("show")},
                       {"drop",
                        {"NAME"},
                        "drops one thing",
                        "NAME is a thing's name.",
                        {"--json", "--force", "--owner"},
                        Record("drop")},
                       {"put", {}, "puts", "", {"--dir"}, Record("put")}},
                      "--json") {}

  std::function<int(const Invocation&)> Record(const std::string& name) {
    return [this, name](const Invocation& invocation) {
      ran_ = name;
      seen_ = invocation;
      return 7;
    };
  }

  // Runs the table on `args`; keeps what went to stdout and stderr.
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "tool");
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    const int code = command_line_.Run(static_cast<int>(argv.size()), argv.data());
    out_ = ::testing::internal::GetCapturedStdout();
    err_ = ::testing::internal::GetCapturedStderr();
    return code;
  }

  CommandLine command_line_;
  std::string ran_;
  Invocation seen_;
  std::string out_;
  std::string err_;
};

TEST_F(CommandLineTest, UsageComesFromTheTable) {
  const std::string usage = command_line_.Usage();
  EXPECT_THAT(usage, HasSubstr("usage: tool COMMAND [ARGUMENTS] [OPTIONS]"));
  EXPECT_THAT(usage, HasSubstr("  show              shows things\n"));
  EXPECT_THAT(usage, HasSubstr("  drop NAME         drops one thing\n"));
  EXPECT_THAT(usage, HasSubstr("[--force]"));
  EXPECT_THAT(usage, HasSubstr("[--dir DIR]"));
  EXPECT_THAT(usage, HasSubstr("  --json            JSON out\n"));
  EXPECT_THAT(usage, HasSubstr("  --help, -h        "));
  EXPECT_THAT(usage, HasSubstr("  --version, -V     the version (also `version`)\n"));
  EXPECT_THAT(usage, HasSubstr("--name=VALUE"));
  EXPECT_THAT(usage, HasSubstr("The end."));
}

TEST_F(CommandLineTest, DispatchesWithArgumentsAndOptions) {
  EXPECT_EQ(Run({"--json", "drop", "x", "--force"}), 7);
  EXPECT_EQ(ran_, "drop");
  EXPECT_EQ(seen_.arguments, std::vector<std::string>{"x"});
  EXPECT_TRUE(seen_.Has("--json"));
  EXPECT_TRUE(seen_.Has("--force"));
  EXPECT_EQ(Run({"put", "--dir", "/d"}), 7);
  EXPECT_EQ(seen_.Value("--dir"), "/d");
  EXPECT_EQ(seen_.Value("--nope", "fallback"), "fallback");
}

TEST_F(CommandLineTest, EachCommandHasItsOwnHelp) {
  EXPECT_EQ(Run({"drop", "--help"}), 0);
  EXPECT_THAT(out_, HasSubstr("usage: tool drop NAME [--json] [--force]"));
  EXPECT_THAT(out_, HasSubstr("NAME is a thing's name."));
  EXPECT_THAT(out_, HasSubstr("--force"));
  EXPECT_THAT(out_, Not(HasSubstr("--dir")));
  EXPECT_EQ(ran_, "");
  EXPECT_EQ(Run({"help"}), 0);
  EXPECT_THAT(out_, HasSubstr("What it does:"));
  EXPECT_EQ(Run({"--version"}), 0);
  EXPECT_EQ(out_, "tool 1.0\n");
}

TEST_F(CommandLineTest, WhatDoesNotFitTheTableIsRefusedWithTheReason) {
  EXPECT_EQ(Run({}), 2);
  EXPECT_THAT(err_, HasSubstr("no command given"));
  EXPECT_EQ(Run({"bogus"}), 2);
  EXPECT_THAT(err_, HasSubstr("`bogus` is not a command"));
  EXPECT_EQ(Run({"drop"}), 2);
  EXPECT_THAT(err_, HasSubstr("`drop` takes 1 argument(s): NAME"));
  EXPECT_THAT(err_, HasSubstr("usage: tool drop NAME")) << "the command's own help follows";
  EXPECT_EQ(Run({"show", "extra"}), 2);
  EXPECT_THAT(err_, HasSubstr("`show` takes no arguments"));
  EXPECT_EQ(Run({"show", "--force"}), 2);
  EXPECT_THAT(err_, HasSubstr("`--force` is not an option of `show`"));
  EXPECT_EQ(Run({"put", "--json"}), 2) << "an option is a command's own, not everyone's";
  EXPECT_THAT(err_, HasSubstr("`--json` is not an option of `put`"));
  EXPECT_EQ(Run({"put", "--dir"}), 2);
  EXPECT_THAT(err_, HasSubstr("`--dir` needs a value (DIR)"));
  EXPECT_EQ(Run({"show", "--what"}), 2);
  EXPECT_THAT(err_, HasSubstr("unknown option `--what`"));
  EXPECT_EQ(out_, "") << "without --json, stdout stays empty";
  EXPECT_EQ(ran_, "") << "nothing ran";
}

// issue 13: options meant for another command were taken and ignored.
TEST_F(CommandLineTest, ACommandTakesOnlyItsOwnOptionsWhereverTheyStand) {
  EXPECT_EQ(Run({"--dir", "/d", "show"}), 2) << "before the command too";
  EXPECT_THAT(err_, HasSubstr("`--dir` is not an option of `show`"));
  EXPECT_THAT(err_, HasSubstr("usage: tool show [--json]"));
  EXPECT_EQ(Run({"drop", "x", "--dir=/d"}), 2) << "in the --name=VALUE form too";
  EXPECT_THAT(err_, HasSubstr("`--dir` is not an option of `drop`"));
  EXPECT_EQ(ran_, "");
}

TEST_F(CommandLineTest, AnOptionGivenTwiceIsRefused) {
  EXPECT_EQ(Run({"put", "--dir", "/a", "--dir", "/b"}), 2);
  EXPECT_THAT(err_, HasSubstr("`--dir` is given twice"));
  EXPECT_EQ(Run({"show", "--json", "--json"}), 2);
  EXPECT_EQ(ran_, "");
}

// issue 13: `--socket=/x` was an unknown option.
TEST_F(CommandLineTest, AValueMayFollowAnEqualsSign) {
  EXPECT_EQ(Run({"put", "--dir=/d"}), 7);
  EXPECT_EQ(seen_.Value("--dir"), "/d");
  EXPECT_EQ(Run({"put", "--dir=a=b"}), 7) << "the first = splits";
  EXPECT_EQ(seen_.Value("--dir"), "a=b");
  EXPECT_EQ(Run({"put", "--dir=--odd"}), 7) << "the way to a value that starts with --";
  EXPECT_EQ(seen_.Value("--dir"), "--odd");
  EXPECT_EQ(Run({"drop", "x", "--force", "--owner=me"}), 7);
  EXPECT_EQ(seen_.Value("--owner"), "me");
  ran_.clear();
  EXPECT_EQ(Run({"put", "--dir="}), 2);
  EXPECT_THAT(err_, HasSubstr("`--dir` needs a value (DIR)"));
  EXPECT_EQ(Run({"show", "--json=yes"}), 2) << "a switch takes no value";
  EXPECT_THAT(err_, HasSubstr("`--json` is a switch: it takes no value"));
  EXPECT_EQ(Run({"drop", "x", "--force="}), 2);
  EXPECT_THAT(err_, HasSubstr("`--force` is a switch"));
  EXPECT_EQ(ran_, "");
}

TEST_F(CommandLineTest, TheNextOptionIsNotTakenForAValue) {
  EXPECT_EQ(Run({"put", "--dir", "--json"}), 2);
  EXPECT_THAT(err_, HasSubstr("`--dir` needs a value (DIR), not the option `--json`"));
  EXPECT_THAT(err_, HasSubstr("`--dir=--json` if that is the value"));
  EXPECT_EQ(Run({"put", "--dir", "-"}), 7) << "a lone dash is a value";
  EXPECT_EQ(seen_.Value("--dir"), "-");
}

// issue 13: `COMMAND --help` printed the global help.
TEST_F(CommandLineTest, HelpAfterOrBeforeACommandIsThatCommandsOwn) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"drop", "--help"},
                                             {"drop", "-h"},
                                             {"--help", "drop"},
                                             {"help", "drop"},
                                             {"drop", "x", "--owner", "me", "--help"}}) {
    EXPECT_EQ(Run(args), 0) << args[0] << " " << args[1];
    EXPECT_THAT(out_, StartsWith("usage: tool drop NAME [--json] [--force] [--owner NAME]\n"));
    EXPECT_THAT(out_, HasSubstr("drops one thing"));
    EXPECT_THAT(out_, HasSubstr("options:\n  --json            JSON out\n"));
    EXPECT_THAT(out_, HasSubstr("  --help, -h        this text\n"));
    EXPECT_THAT(out_, Not(HasSubstr("What it does:"))) << "not the global usage";
    EXPECT_THAT(out_, Not(HasSubstr("--dir")));
  }
  EXPECT_EQ(Run({"put", "-h"}), 0);
  EXPECT_THAT(out_, HasSubstr("usage: tool put [--dir DIR]"));
  EXPECT_EQ(ran_, "");
  // `help` is a word of its own only in the command's place: after one it
  // is an argument, so a registry named "help" can be forgotten.
  EXPECT_EQ(Run({"drop", "help"}), 7);
  EXPECT_EQ(seen_.arguments, std::vector<std::string>{"help"});
}

// issue 13: `-V` and `version` were refused.
TEST_F(CommandLineTest, TheVersionHasThreeSpellings) {
  for (const char* spelling : {"--version", "-V", "version"}) {
    EXPECT_EQ(Run({spelling}), 0) << spelling;
    EXPECT_EQ(out_, "tool 1.0\n") << spelling;
  }
  EXPECT_EQ(Run({"show", "-V"}), 0);
  EXPECT_EQ(out_, "tool 1.0\n");
  EXPECT_EQ(Run({"version", "--json"}), 0);
  EXPECT_EQ(nlohmann::json::parse(out_),
            nlohmann::json({{"ok", true}, {"program", "tool"}, {"version", "1.0"}}));
  EXPECT_EQ(Run({"version", "--dir", "/d"}), 2) << "`version` takes no other option";
  EXPECT_THAT(err_, HasSubstr("`--dir` is not an option of `version`"));
  EXPECT_EQ(Run({"version", "show"}), 2);
  EXPECT_THAT(err_, HasSubstr("`version` takes no arguments"));
  EXPECT_EQ(ran_, "");
}

// issue 13: --json promised one JSON object on stdout, also for a command
// line that is refused.
TEST_F(CommandLineTest, WithTheJsonOptionARefusalIsAlsoOneJsonObject) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--json", "show", "--force"}, {"show", "--bogus", "--json"}, {"--json", "bogus"}}) {
    EXPECT_EQ(Run(args), 2);
    nlohmann::json json;
    ASSERT_NO_THROW(json = nlohmann::json::parse(out_)) << out_;
    EXPECT_EQ(json["ok"], false);
    EXPECT_FALSE(json["error"].get<std::string>().empty());
    EXPECT_THAT(json["hint"].get<std::string>(), HasSubstr("--help"));
    EXPECT_THAT(err_, HasSubstr(json["error"].get<std::string>())) << "and the text on stderr";
  }
  EXPECT_EQ(Run({"--json", "show", "--force"}), 2);
  EXPECT_EQ(nlohmann::json::parse(out_)["error"], "`--force` is not an option of `show`");
  EXPECT_EQ(nlohmann::json::parse(out_)["hint"],
            "`tool show --help` shows its arguments and options");
  EXPECT_EQ(ran_, "");
}

// issue 13: CREDCACHE_NO_SPAWN=true was taken as "off".
TEST(SwitchFromEnvironmentTest, TakesTheUsualSpellingsAndRefusesOthers) {
  constexpr char kVariable[] = "CREDCACHE_TEST_SWITCH";
  unsetenv(kVariable);
  EXPECT_EQ(SwitchFromEnvironment(kVariable, false).value(), false);
  EXPECT_EQ(SwitchFromEnvironment(kVariable, true).value(), true);
  setenv(kVariable, "", 1);
  EXPECT_EQ(SwitchFromEnvironment(kVariable, true).value(), true) << "empty is unset";
  for (const char* yes : {"1", "true", "TRUE", "yes", "Yes", "on", "ON"}) {
    setenv(kVariable, yes, 1);
    EXPECT_EQ(SwitchFromEnvironment(kVariable, false).value(), true) << yes;
  }
  for (const char* no : {"0", "false", "False", "no", "NO", "off", "Off"}) {
    setenv(kVariable, no, 1);
    EXPECT_EQ(SwitchFromEnvironment(kVariable, true).value(), false) << no;
  }
  for (const char* neither : {"2", "y", "enable", " 1", "true "}) {
    setenv(kVariable, neither, 1);
    absl::StatusOr<bool> parsed = SwitchFromEnvironment(kVariable, false);
    ASSERT_FALSE(parsed.ok()) << neither;
    EXPECT_THAT(std::string(parsed.status().message()),
                HasSubstr(absl::StrCat("CREDCACHE_TEST_SWITCH=", neither, ": takes 1, true")));
  }
  unsetenv(kVariable);
}

TEST_F(CommandLineTest, AnOptionThatNeedsAnotherIsRefusedWithoutIt) {
  EXPECT_EQ(Run({"drop", "x", "--owner", "me"}), 2);
  EXPECT_THAT(err_, HasSubstr("`--owner` goes with `--force`"));
  EXPECT_THAT(err_, HasSubstr("usage: tool drop NAME"));
  EXPECT_EQ(ran_, "");
  EXPECT_EQ(Run({"--owner", "me", "drop", "x", "--force"}), 7);
  EXPECT_EQ(seen_.Value("--owner"), "me");
}

}  // namespace
}  // namespace credcache
