#include "shim/command_line.h"

#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/help_text.h"

namespace credcache {

std::string Invocation::Value(const std::string& option, const std::string& fallback) const {
  const auto it = options.find(option);
  return it == options.end() ? fallback : it->second;
}

CommandLine::CommandLine(std::string program, std::string version, std::string intro,
                         std::string outro, std::vector<Option> options,
                         std::vector<Command> commands, std::string json_option)
    : program_(std::move(program)),
      version_(std::move(version)),
      intro_(std::move(intro)),
      outro_(std::move(outro)),
      options_(std::move(options)),
      commands_(std::move(commands)),
      json_option_(std::move(json_option)),
      version_command_{"version",
                       {},
                       "the version of this program",
                       "",
                       json_option_.empty() ? std::vector<std::string>{}
                                            : std::vector<std::string>{json_option_},
                       nullptr} {}

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

constexpr char kHelpText[] = "this text; `COMMAND --help` for one command";

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
    text += HelpRow(name, summary);
  }
  text += "\n";
  for (const Option& option : options_) text += HelpRow(Spelled(option), option.help);
  text += HelpRow("--help, -h", kHelpText);
  text += HelpRow("--version, -V", "the version (also `version`)");
  text += "\nAn option's value may also be given as --name=VALUE.\n";
  if (!outro_.empty()) absl::StrAppend(&text, "\n", outro_);
  return text;
}

std::string CommandLine::Help(const Command& command) const {
  std::string text = absl::StrCat("usage: ", Synopsis(command), "\n\n", command.summary, "\n");
  if (!command.help.empty()) absl::StrAppend(&text, "\n", command.help, "\n");
  std::string options;
  for (const std::string& name : command.options) {
    if (const Option* option = FindOption(name)) options += HelpRow(Spelled(*option), option->help);
  }
  options += HelpRow("--help, -h", "this text");
  absl::StrAppend(&text, "\noptions:\n", options);
  return text;
}

int CommandLine::Refuse(const std::string& why, const Command* command, bool json) const {
  fprintf(stderr, "%s: %s\n\n%s", program_.c_str(), why.c_str(),
          (command != nullptr ? Help(*command) : Usage()).c_str());
  if (json) {
    PrintJson({{"ok", false},
               {"error", why},
               {"hint", command != nullptr
                            ? absl::StrCat("`", program_, " ", command->name, " --help` shows its ",
                                           "arguments and options")
                            : absl::StrCat("`", program_, " --help` lists the commands")}});
  }
  return 2;
}

std::string CommandLine::Misfit(const Command& command, const Invocation& invocation) const {
  for (const auto& [name, value] : invocation.options) {
    if (!Takes(command, name))
      return absl::StrCat("`", name, "` is not an option of `", command.name, "`");
    const Option* option = FindOption(name);
    if (!option->needs.empty() && !invocation.Has(option->needs)) {
      return absl::StrCat("`", name, "` goes with `", option->needs, "`");
    }
  }
  if (invocation.arguments.size() != command.arguments.size()) {
    return command.arguments.empty()
               ? absl::StrCat("`", command.name, "` takes no arguments")
               : absl::StrCat("`", command.name, "` takes ", command.arguments.size(),
                              " argument(s): ", absl::StrJoin(command.arguments, " "));
  }
  return "";
}

int CommandLine::Run(int argc, char** argv) const {
  // Looked for first, so that a refusal of any part of the line, even one
  // before the JSON option, answers a script in JSON.
  bool json = false;
  for (int i = 1; i < argc && !json_option_.empty(); ++i) json = json || argv[i] == json_option_;
  const Command* command = nullptr;
  Invocation invocation;
  bool help = false;
  bool version = false;
  bool version_word = false;  // `version` in the command's place: what follows is its.
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help = true;
    } else if (arg == "--version" || arg == "-V") {
      version = true;
    } else if (!arg.empty() && arg[0] == '-') {
      const size_t equals = arg.find('=');
      const std::string name = arg.substr(0, equals);
      const Option* option = FindOption(name);
      if (option == nullptr) {
        return Refuse(absl::StrCat("unknown option `", name, "`"), command, json);
      }
      // The first or the last of two would be a guess at what was meant.
      if (invocation.Has(name)) {
        return Refuse(absl::StrCat("`", name, "` is given twice"), command, json);
      }
      std::string value;
      if (option->value_name.empty()) {
        if (equals != std::string::npos) {
          return Refuse(absl::StrCat("`", name, "` is a switch: it takes no value"), command, json);
        }
      } else if (equals != std::string::npos) {
        value = arg.substr(equals + 1);
      } else if (i + 1 < argc && absl::StartsWith(argv[i + 1], "--")) {
        // Taken as the value, the next option would be used as a path or
        // a name without a word said, and be missed as the option it is.
        return Refuse(
            absl::StrCat("`", name, "` needs a value (", option->value_name, "), not the option `",
                         argv[i + 1], "` (`", name, "=", argv[i + 1], "` if that is the value)"),
            command, json);
      } else if (i + 1 < argc) {
        value = argv[++i];
      }
      if (!option->value_name.empty() && value.empty()) {
        return Refuse(absl::StrCat("`", name, "` needs a value (", option->value_name, ")"),
                      command, json);
      }
      invocation.options[name] = value;
    } else if (command == nullptr && !version_word && arg == "help") {
      help = true;
    } else if (command == nullptr && !version_word && arg == "version") {
      version = version_word = true;
    } else if (command == nullptr && !version_word) {
      command = FindCommand(arg);
      if (command == nullptr) {
        return Refuse(absl::StrCat("`", arg, "` is not a command"), nullptr, json);
      }
    } else {
      invocation.arguments.push_back(arg);
    }
  }
  if (help) {
    fputs((command != nullptr ? Help(*command) : Usage()).c_str(), stdout);
    return 0;
  }
  if (version) {
    // `version` is checked as a command of its own: `version --socket X`
    // is a mistake. After a command, --version (as --help) asks only that.
    if (const std::string why = Misfit(version_command_, invocation);
        command == nullptr && !why.empty()) {
      return Refuse(why, &version_command_, json);
    }
    if (json) {
      PrintJson({{"ok", true}, {"program", program_}, {"version", version_}});
    } else {
      printf("%s %s\n", program_.c_str(), version_.c_str());
    }
    return 0;
  }
  if (command == nullptr) return Refuse("no command given", nullptr, json);
  if (const std::string why = Misfit(*command, invocation); !why.empty()) {
    return Refuse(why, command, json);
  }
  return command->handler(invocation);
}

void PrintJson(const nlohmann::ordered_json& object) {
  printf("%s\n",
         object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
}

absl::StatusOr<bool> SwitchFromEnvironment(const char* variable, bool fallback) {
  const char* set = getenv(variable);
  if (set == nullptr || set[0] == '\0') return fallback;
  const std::string value = absl::AsciiStrToLower(set);
  for (const char* yes : {"1", "true", "yes", "on"}) {
    if (value == yes) return true;
  }
  for (const char* no : {"0", "false", "no", "off"}) {
    if (value == no) return false;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(variable, "=", set, ": takes 1, true, yes or on, or 0, false, no or off"));
}

}  // namespace credcache
