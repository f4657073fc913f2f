#include "shim/command_docs.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace credcache {
namespace {

// Text as roff shows it: a backslash is `\e`, a hyphen in words `\-`, and
// a line that would start with a control character is guarded.
std::string Roff(absl::string_view text) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::string escaped = absl::StrReplaceAll(line, {{"\\", "\\e"}, {"-", "\\-"}});
    if (!escaped.empty() && (escaped[0] == '.' || escaped[0] == '\'')) escaped.insert(0, "\\&");
    absl::StrAppend(&out, escaped, "\n");
  }
  return out;
}

// The help text's lines joined into one (completions show one line).
std::string OneLine(absl::string_view text) {
  return std::string(absl::StripAsciiWhitespace(absl::StrReplaceAll(text, {{"\n", " "}})));
}

std::string Spelled(const Option& option) {
  return option.value_name.empty() ? option.name
                                   : absl::StrCat(option.name, " ", option.value_name);
}

// A shell word in single quotes.
std::string Quoted(absl::string_view text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "'\\''"}}), "'");
}

// What an option's value is, for completing it: "file", "dir" or "" (a
// word no shell can guess: a name, a number).
std::string ValueKind(const Option& option) {
  if (option.value_name == "PATH") return "file";
  if (option.value_name == "DIR") return "dir";
  return "";
}

std::string Bash(const CommandLine& table) {
  const std::string function =
      absl::StrCat("_", absl::StrReplaceAll(table.program(), {{"-", "_"}}));
  std::vector<std::string> files, dirs, others, commands = {"help", "version"};
  for (const Option& option : table.options()) {
    const std::string kind = ValueKind(option);
    if (option.value_name.empty()) continue;
    (kind == "file" ? files : kind == "dir" ? dirs : others).push_back(option.name);
  }
  for (const Command& command : table.commands()) commands.push_back(command.name);
  std::string script = absl::StrCat(
      "# bash completion for ", table.program(), " ", table.version(),
      "; made from its command table.\n", function, "() {\n",
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n",
      "  local command=\"\" i\n", "  for ((i = 1; i < COMP_CWORD; i++)); do\n",
      "    case \"${COMP_WORDS[i]}\" in\n");
  std::vector<std::string> valued = files;
  valued.insert(valued.end(), dirs.begin(), dirs.end());
  valued.insert(valued.end(), others.begin(), others.end());
  if (!valued.empty())
    absl::StrAppend(&script, "      ", absl::StrJoin(valued, "|"), ") ((i++)) ;;\n");
  absl::StrAppend(&script, "      -*) ;;\n", "      *) command=\"${COMP_WORDS[i]}\"; break ;;\n",
                  "    esac\n", "  done\n", "  case \"$prev\" in\n");
  if (!files.empty()) {
    absl::StrAppend(&script, "    ", absl::StrJoin(files, "|"),
                    ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n");
  }
  if (!dirs.empty()) {
    absl::StrAppend(&script, "    ", absl::StrJoin(dirs, "|"),
                    ") COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n");
  }
  if (!others.empty())
    absl::StrAppend(&script, "    ", absl::StrJoin(others, "|"), ") return ;;\n");
  absl::StrAppend(
      &script, "  esac\n", "  case \"$command\" in\n", "    \"\") COMPREPLY=($(compgen -W ",
      Quoted(absl::StrJoin(commands, " ") + " --help --version"), " -- \"$cur\")) ;;\n");
  for (const Command& command : table.commands()) {
    std::vector<std::string> words = command.options;
    words.push_back("--help");
    absl::StrAppend(&script, "    ", command.name, ") COMPREPLY=($(compgen -W ",
                    Quoted(absl::StrJoin(words, " ")), " -- \"$cur\")) ;;\n");
  }
  absl::StrAppend(&script, "    help) COMPREPLY=($(compgen -W ",
                  Quoted(absl::StrJoin(commands.begin() + 2, commands.end(), " ")),
                  " -- \"$cur\")) ;;\n", "  esac\n", "}\n", "complete -F ", function, " ",
                  table.program(), "\n");
  return script;
}

// One _arguments spec for an option: --name[help]:VALUE:action.
std::string ZshSpec(const Option& option) {
  std::string help = absl::StrReplaceAll(OneLine(option.help),
                                         {{"[", "\\["}, {"]", "\\]"}, {":", "\\:"}, {"'", ""}});
  std::string spec =
      absl::StrCat(option.name, option.value_name.empty() ? "" : "=", "[", help, "]");
  if (!option.value_name.empty()) {
    const std::string kind = ValueKind(option);
    absl::StrAppend(&spec, ":", absl::AsciiStrToLower(option.value_name), ":",
                    kind == "file"  ? "_files"
                    : kind == "dir" ? "_files -/"
                                    : " ");
  }
  return Quoted(spec);
}

std::string Zsh(const CommandLine& table) {
  const std::string function = absl::StrCat("_", table.program());
  std::string script =
      absl::StrCat("#compdef ", table.program(), "\n# zsh completion for ", table.program(), " ",
                   table.version(), "; made from its command table.\n", function, "() {\n",
                   "  local -a commands\n", "  commands=(\n");
  for (const Command& command : table.commands()) {
    absl::StrAppend(
        &script, "    ",
        Quoted(absl::StrCat(command.name, ":",
                            absl::StrReplaceAll(OneLine(command.summary), {{":", "\\:"}}))),
        "\n");
  }
  absl::StrAppend(&script, "    'help:the usage, or one command'\"'\"'s help'\n",
                  "    'version:the version of this program'\n", "  )\n",
                  "  if (( CURRENT == 2 )); then\n", "    _describe -t commands command commands\n",
                  "    return\n", "  fi\n", "  local command=$words[2]\n", "  shift words\n",
                  "  (( CURRENT-- ))\n", "  case $command in\n");
  for (const Command& command : table.commands()) {
    absl::StrAppend(&script, "    ", command.name, ") _arguments -s");
    for (const std::string& name : command.options) {
      if (const Option* option = table.FindOption(name)) {
        absl::StrAppend(&script, " \\\n        ", ZshSpec(*option));
      }
    }
    absl::StrAppend(&script, " \\\n        '--help[this command'\"'\"'s help]' ;;\n");
  }
  absl::StrAppend(&script, "    help) _describe -t commands command commands ;;\n", "  esac\n",
                  "}\n", function, " \"$@\"\n");
  return script;
}

std::string Fish(const CommandLine& table) {
  const std::string complete = absl::StrCat("complete -c ", table.program());
  std::vector<std::string> names = {"help", "version"};
  for (const Command& command : table.commands()) names.push_back(command.name);
  std::string script = absl::StrCat("# fish completion for ", table.program(), " ", table.version(),
                                    "; made from its command table.\n", complete, " -f\n");
  const std::string first =
      absl::StrCat("not __fish_seen_subcommand_from ", absl::StrJoin(names, " "));
  for (const Command& command : table.commands()) {
    absl::StrAppend(&script, complete, " -n ", Quoted(first), " -a ", command.name, " -d ",
                    Quoted(OneLine(command.summary)), "\n");
  }
  absl::StrAppend(&script, complete, " -n ", Quoted(first),
                  " -a help -d 'the usage, or one command'\\''s help'\n", complete, " -n ",
                  Quoted(first), " -a version -d 'the version of this program'\n", complete, " -n ",
                  Quoted("__fish_seen_subcommand_from help"), " -a ",
                  Quoted(absl::StrJoin(names.begin() + 2, names.end(), " ")), "\n");
  for (const Command& command : table.commands()) {
    const std::string when = Quoted(absl::StrCat("__fish_seen_subcommand_from ", command.name));
    for (const std::string& name : command.options) {
      const Option* option = table.FindOption(name);
      if (option == nullptr) continue;
      const std::string kind = ValueKind(*option);
      absl::StrAppend(&script, complete, " -n ", when, " -l ", option->name.substr(2),
                      option->value_name.empty() ? ""
                      : kind == "file"           ? " -r -F"
                      : kind == "dir"            ? " -r -a '(__fish_complete_directories)'"
                                                 : " -r",
                      " -d ", Quoted(OneLine(option->help)), "\n");
    }
  }
  return script;
}

}  // namespace

std::string ManPage(const CommandLine& table, const ManPageText& text) {
  std::string page = absl::StrCat(
      ".\\\" Made from ", table.program(), "'s command table; do not edit.\n", ".TH ",
      absl::AsciiStrToUpper(table.program()), " 1 \"\" \"credcache ", table.version(),
      "\" \"User Commands\"\n", ".SH NAME\n",
      Roff(absl::StrCat(table.program(), " - ", text.summary)), ".SH SYNOPSIS\n", ".B ",
      Roff(table.program()), table.commands().empty() ? "" : ".I COMMAND\n[\\fIARGUMENTS\\fR]\n",
      "[\\fIOPTIONS\\fR]\n", ".SH DESCRIPTION\n", Roff(table.intro()),
      table.commands().empty() ? "" : ".SH COMMANDS\n");
  for (const Command& command : table.commands()) {
    std::string heading = command.name;
    for (const std::string& argument : command.arguments) absl::StrAppend(&heading, " ", argument);
    absl::StrAppend(&page, ".TP\n.B ", Roff(heading), Roff(command.summary));
    if (!command.help.empty()) absl::StrAppend(&page, ".IP\n", Roff(command.help));
    std::vector<std::string> own;
    for (const std::string& name : command.options) {
      if (const Option* option = table.FindOption(name)) own.push_back(Spelled(*option));
    }
    if (!own.empty()) absl::StrAppend(&page, ".IP\nOptions: ", Roff(absl::StrJoin(own, ", ")));
  }
  absl::StrAppend(&page, ".SH OPTIONS\n");
  for (const Option& option : table.options()) {
    absl::StrAppend(&page, ".TP\n.B ", Roff(Spelled(option)), Roff(option.help));
  }
  // A CommandLine answers these itself; a program with no commands lists
  // its own among its options.
  if (!table.commands().empty()) {
    absl::StrAppend(&page, ".TP\n.B \\-\\-help, \\-h\n", "The usage; with a command, its help.\n",
                    ".TP\n.B \\-\\-version, \\-V\n", "The version (also \\fBversion\\fR).\n");
  }
  if (!table.outro().empty())
    absl::StrAppend(&page, ".SH CARGO\n", ".nf\n", Roff(table.outro()), ".fi\n");
  for (const auto& [heading, body] : text.sections) {
    absl::StrAppend(&page, ".SH ", absl::AsciiStrToUpper(heading), "\n", Roff(body));
  }
  return page;
}

const std::vector<std::string>& CompletionShells() {
  static const std::vector<std::string>* const kShells =
      new std::vector<std::string>{"bash", "zsh", "fish"};
  return *kShells;
}

std::string CompletionScript(const CommandLine& table, absl::string_view shell) {
  if (shell == "bash") return Bash(table);
  if (shell == "zsh") return Zsh(table);
  if (shell == "fish") return Fish(table);
  return "";
}

std::string CompletionPath(absl::string_view shell, const std::string& program,
                           const std::string& data_home, const std::string& config_home) {
  if (shell == "bash") return absl::StrCat(data_home, "/bash-completion/completions/", program);
  if (shell == "zsh") return absl::StrCat(data_home, "/zsh/site-functions/_", program);
  if (shell == "fish") return absl::StrCat(config_home, "/fish/completions/", program, ".fish");
  return "";
}

std::string SharedCompletionPath(absl::string_view shell, const std::string& program,
                                 const std::string& share) {
  if (shell == "bash") return absl::StrCat(share, "/bash-completion/completions/", program);
  if (shell == "zsh") return absl::StrCat(share, "/zsh/vendor-completions/_", program);
  if (shell == "fish") return absl::StrCat(share, "/fish/vendor_completions.d/", program, ".fish");
  return "";
}

}  // namespace credcache
