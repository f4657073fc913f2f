// CommandLine: a command line described once, as a table of commands and
// options, from which come the usage text, each command's --help, the
// checks of arguments and options, and the dispatch to the command's
// handler. The shim's admin commands (admin.cc) are such a table. Also
// here: what a JSON option prints, and yes/no environment variables, the
// other half of what a user tells the program.
//
// The grammar: PROGRAM [OPTION...] COMMAND [ARGUMENT | OPTION]..., options
// anywhere, `--name VALUE` or `--name=VALUE` for options that take a value
// (a switch given `=VALUE` is refused, as is an option given twice). A
// command takes only the options its row names. `--help` or `-h` anywhere
// prints the usage, or the command's own help when a command is named;
// `help` in the command's place does too (`help COMMAND`). `--version`, `-V`
// or `version` in the command's place print the version.
//
// With a JSON option named (`--json`) on the command line, what Run itself
// says on stdout is one JSON object: {"ok":false,"error":...,"hint":...}
// for a refused command line (the reason and the help still go to stderr),
// {"ok":true,"program":...,"version":...} for the version.
//
// Thread-safety: const after construction; Run from one thread.
#ifndef CREDCACHE_SHIM_COMMAND_LINE_H_
#define CREDCACHE_SHIM_COMMAND_LINE_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace credcache {

struct Option {
  std::string name;        // "--bindir".
  std::string value_name;  // "DIR"; empty for a flag.
  std::string help;        // One line.
  // An option this one means nothing without ("--team" for "--account"):
  // a command line with this one and not that one is refused. Empty: none.
  // (Initialized so rows without it are not "missing" one to -Wextra.)
  std::string needs = "";
};

// What a handler is given: the command's arguments, in order, and the
// options used (their values; "" for flags).
struct Invocation {
  std::vector<std::string> arguments;
  std::map<std::string, std::string> options;

  bool Has(const std::string& option) const { return options.count(option) > 0; }
  // The option's value, or `fallback` when it was not given.
  std::string Value(const std::string& option, const std::string& fallback = "") const;
};

struct Command {
  std::string name;
  std::vector<std::string> arguments;  // Names, e.g. {"REGISTRY"}: exactly these many.
  std::string summary;                 // One line, for the usage text.
  std::string help;                    // More, for `COMMAND --help`; may be empty.
  std::vector<std::string> options;    // Names of the options it takes; no other.
  // Returns the exit code.
  std::function<int(const Invocation&)> handler;
};

class CommandLine {
 public:
  // Every name a command lists must be among `options`. `intro` follows
  // the usage line; `outro` ends the usage text. `json_option`, when not
  // empty, is the option that asks for JSON (see above).
  CommandLine(std::string program, std::string version, std::string intro, std::string outro,
              std::vector<Option> options, std::vector<Command> commands,
              std::string json_option = "");

  // Parses argv[1..] and runs the command's handler. Returns its exit
  // code; 0 after --help or --version; 2, with the reason and the usage on
  // stderr, for a command line that does not fit the table.
  int Run(int argc, char** argv) const;

  // The whole usage text, and one command's help.
  std::string Usage() const;
  std::string Help(const Command& command) const;

  // The table itself, for what else is made from it (command_docs.h: the
  // man page and the shell completions).
  const std::string& program() const { return program_; }
  const std::string& version() const { return version_; }
  const std::string& intro() const { return intro_; }
  const std::string& outro() const { return outro_; }
  const std::vector<Option>& options() const { return options_; }
  const std::vector<Command>& commands() const { return commands_; }
  const Option* FindOption(const std::string& name) const;

 private:
  const Command* FindCommand(const std::string& name) const;
  bool Takes(const Command& command, const std::string& option) const;
  std::string Synopsis(const Command& command) const;
  // Why `invocation` does not fit `command`'s row; empty when it does.
  std::string Misfit(const Command& command, const Invocation& invocation) const;
  // Says why on stderr with the help, and as JSON when `json`; returns 2.
  int Refuse(const std::string& why, const Command* command, bool json) const;

  const std::string program_;
  const std::string version_;
  const std::string intro_;
  const std::string outro_;
  const std::vector<Option> options_;
  const std::vector<Command> commands_;
  const std::string json_option_;
  // `version` as a row of its own, so that its command line is checked
  // (and refused) as any command's is: it takes only the JSON option.
  const Command version_command_;
};

// Writes `object` as one line on stdout: what a JSON option promises.
// Bytes that are not UTF-8 (a path is the user's own bytes) are replaced:
// nlohmann would throw on them.
void PrintJson(const nlohmann::ordered_json& object);

// A yes/no environment variable (CREDCACHE_NO_SPAWN): 1, true, yes or on
// is true; 0, false, no or off is false, in any case; unset or empty is
// `fallback`. Anything else is an InvalidArgument naming the variable and
// what it takes: a misspelt switch must not be taken silently as "off".
absl::StatusOr<bool> SwitchFromEnvironment(const char* variable, bool fallback);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_COMMAND_LINE_H_
