#include "shim/command_line.h"

#include <stdio.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credcache {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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
                       {"put", {}, "puts", "", {"--dir"}, Record("put")}}) {}

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
  EXPECT_EQ(ran_, "") << "nothing ran";
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
