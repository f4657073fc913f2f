#include "shim/command_line.h"

#include <stdio.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace credcache {

std::string Invocation::Value(const std::string& option, const std::string& fallback) const {
  const auto it = options.find(option);
  return it == options.end() ? fallback : it->second;
}

CommandLine::CommandLine(std::string program, std::string version, std::string intro,
                         std::string outro, std::vector<Option> options,
                         std::vector<Command> commands)
    : program_(std::move(program)),
      version_(std::move(version)),
      intro_(std::move(intro)),
      outro_(std::move(outro)),
      options_(std::move(options)),
      commands_(std::move(commands)) {}

const Option* CommandLine::FindOption(const std::string& name) const {
  for (const Option& option : options_) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

const Command* CommandLine::FindCommand(const std::string& name) const {
  for (const Command& command : commands_) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

bool CommandLine::Takes(const Command& command, const std::string& option) const {
  return std::find(command.options.begin(), command.options.end(), option) != command.options.end();
}

namespace {

std::string Spelled(const Option& option) {
  return option.value_name.empty() ? option.name
                                   : absl::StrCat(option.name, " ", option.value_name);
}

// "  NAME<padding>TEXT\n", TEXT's lines after the first indented to match.
std::string Row(const std::string& name, const std::string& text) {
  constexpr size_t kColumn = 20;
  std::string row = absl::StrCat("  ", name);
  row.append(row.size() < kColumn ? kColumn - row.size() : 1, ' ');
  for (const char c : text) {
    row += c;
    if (c == '\n') row.append(kColumn, ' ');
  }
  return row + "\n";
}

}  // namespace

std::string CommandLine::Synopsis(const Command& command) const {
  std::string line = absl::StrCat(program_, " ", command.name);
  for (const std::string& argument : command.arguments) absl::StrAppend(&line, " ", argument);
  for (const std::string& name : command.options) {
    if (const Option* option = FindOption(name))
      absl::StrAppend(&line, " [", Spelled(*option), "]");
  }
  return line;
}

std::string CommandLine::Usage() const {
  std::string text =
      absl::StrCat("usage: ", program_, " COMMAND [ARGUMENTS] [OPTIONS]\n\n", intro_, "\n");
  for (const Command& command : commands_) {
    std::string name = command.name;
    for (const std::string& argument : command.arguments) absl::StrAppend(&name, " ", argument);
    std::string summary = command.summary;
    std::vector<std::string> own;
    for (const std::string& option_name : command.options) {
      if (const Option* option = FindOption(option_name)) own.push_back(Spelled(*option));
    }
    if (!own.empty()) absl::StrAppend(&summary, "\n[", absl::StrJoin(own, "] ["), "]");
    text += Row(name, summary);
  }
  text += "\n";
  for (const Option& option : options_) text += Row(Spelled(option), option.help);
  text += Row("--help", "this text; `COMMAND --help` for one command");
  text += Row("--version", "the version");
  if (!outro_.empty()) absl::StrAppend(&text, "\n", outro_);
  return text;
}

std::string CommandLine::Help(const Command& command) const {
  std::string text = absl::StrCat("usage: ", Synopsis(command), "\n\n", command.summary, "\n");
  if (!command.help.empty()) absl::StrAppend(&text, "\n", command.help, "\n");
  std::string options;
  for (const std::string& name : command.options) {
    if (const Option* option = FindOption(name)) options += Row(Spelled(*option), option->help);
  }
  if (!options.empty()) absl::StrAppend(&text, "\noptions:\n", options);
  return text;
}

int CommandLine::Refuse(const std::string& why, const Command* command) const {
  fprintf(stderr, "%s: %s\n\n%s", program_.c_str(), why.c_str(),
          (command != nullptr ? Help(*command) : Usage()).c_str());
  return 2;
}

int CommandLine::Run(int argc, char** argv) const {
  const Command* command = nullptr;
  Invocation invocation;
  bool help = false;
  std::vector<std::string> unknown;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "help") {
      help = true;
    } else if (arg == "--version") {
      printf("%s %s\n", program_.c_str(), version_.c_str());
      return 0;
    } else if (!arg.empty() && arg[0] == '-') {
      const Option* option = FindOption(arg);
      if (option == nullptr) return Refuse(absl::StrCat("unknown option `", arg, "`"), command);
      std::string value;
      if (!option->value_name.empty()) {
        if (i + 1 >= argc) {
          return Refuse(absl::StrCat("`", arg, "` needs a value (", option->value_name, ")"),
                        command);
        }
        value = argv[++i];
      }
      invocation.options[arg] = value;
    } else if (command == nullptr) {
      command = FindCommand(arg);
      if (command == nullptr) return Refuse(absl::StrCat("`", arg, "` is not a command"), nullptr);
    } else {
      invocation.arguments.push_back(arg);
    }
  }
  if (help) {
    fputs((command != nullptr ? Help(*command) : Usage()).c_str(), stdout);
    return 0;
  }
  if (command == nullptr) return Refuse("no command given", nullptr);
  for (const auto& [name, value] : invocation.options) {
    if (!Takes(*command, name)) {
      return Refuse(absl::StrCat("`", name, "` is not an option of `", command->name, "`"),
                    command);
    }
    const Option* option = FindOption(name);
    if (!option->needs.empty() && !invocation.Has(option->needs)) {
      return Refuse(absl::StrCat("`", name, "` goes with `", option->needs, "`"), command);
    }
  }
  if (invocation.arguments.size() != command->arguments.size()) {
    return Refuse(command->arguments.empty()
                      ? absl::StrCat("`", command->name, "` takes no arguments")
                      : absl::StrCat("`", command->name, "` takes ", command->arguments.size(),
                                     " argument(s): ", absl::StrJoin(command->arguments, " ")),
                  command);
  }
  return command->handler(invocation);
}

}  // namespace credcache
