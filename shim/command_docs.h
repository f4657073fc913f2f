// The man page and the bash, zsh and fish completions of a program whose
// command line is a CommandLine table (command_line.h), made from that
// table, so that they name exactly the commands and options the program
// takes and say what its --help says. install-service writes them where
// man and each shell look; `completions SHELL` prints one.
//
// Thread-safety: functions of their arguments only.
#ifndef CREDCACHE_SHIM_COMMAND_DOCS_H_
#define CREDCACHE_SHIM_COMMAND_DOCS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "shim/command_line.h"

namespace credcache {

// What a man page says that the table does not: its sections beyond
// NAME, SYNOPSIS, DESCRIPTION, COMMANDS and OPTIONS, in this order.
struct ManPageText {
  std::string summary;                                        // NAME's line: "PROGRAM - SUMMARY".
  std::vector<std::pair<std::string, std::string>> sections;  // Heading, plain text.
};

// The man page, section 1, as roff (man(7)).
std::string ManPage(const CommandLine& command_line, const ManPageText& text);

// The shells completions are made for, and one's script; empty for a shell
// not among them.
const std::vector<std::string>& CompletionShells();
std::string CompletionScript(const CommandLine& command_line, absl::string_view shell);

// Where a shell looks for a user's completion of `program`, under `home`
// and `data_home` ($XDG_DATA_HOME): bash-completion's and zsh's (which
// needs the directory on its fpath) under data_home, fish's under
// $XDG_CONFIG_HOME (`config_home`).
std::string CompletionPath(absl::string_view shell, const std::string& program,
                           const std::string& data_home, const std::string& config_home);

// Where a shell looks for completions installed for every user under
// `share` (PREFIX/share): bash-completion's, zsh's vendor and fish's vendor
// directories, as Debian's shells have them.
std::string SharedCompletionPath(absl::string_view shell, const std::string& program,
                                 const std::string& share);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_COMMAND_DOCS_H_
