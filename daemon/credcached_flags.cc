#include "daemon/credcached_flags.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/help_text.h"

namespace credcache {

const std::vector<CredcachedFlag>& CredcachedFlags() {
  static const auto* const kFlags = new std::vector<CredcachedFlag>{
      {"--config", "PATH",
       "config file (default: $CREDCACHE_CONFIG, else\n"
       "$XDG_CONFIG_HOME/credcache/config.toml; when that is\n"
       "missing, the embedded default: one private token file)"},
      {"--socket", "PATH",
       "socket (default: $CREDCACHE_SOCKET, else\n"
       "$XDG_RUNTIME_DIR/credcache/credcache.sock, else\n"
       "/tmp/credcache-UID/credcache.sock)"},
      {"--foreground", "", "stay attached, logging to stderr (for systemd and\ndebugging)"},
      {"--idle-exit", "DURATION",
       "exit after this long without requests: 15m, 90s, 1h30m,\n"
       "or a number of seconds; 0 (the default) never"},
      {"--log-level", "LEVEL",
       "error, warning, info or debug (default: $CREDCACHE_LOG,\nelse info)"},
      {"--check-config", "", "check the config and exit (0 if good)"},
      {"--print-default-config", "",
       "print the embedded default config (with the keyring\n"
       "when a Secret Service answers, else the token file)"},
      {"--version", "", "the version"},
      {"--help", "", "this text"},
  };
  return *kFlags;
}

const std::string& CredcachedIntro() {
  static const auto* const kIntro = new std::string(
      "The credcache daemon: caches Cargo registry tokens in memory and serves them to\n"
      "cargo-credential-credcache over a private Unix socket.");
  return *kIntro;
}

const std::vector<std::pair<std::string, std::string>>& CredcachedNotes() {
  static const auto* const kNotes = new std::vector<std::pair<std::string, std::string>>{
      {"Log",
       "Detached (started by hand without --foreground, or on demand by\n"
       "cargo-credential-credcache), in $XDG_STATE_HOME/credcache/credcached.log (else\n"
       "~/.local/state/credcache/credcached.log), rotated at 1 MiB, keeping\n"
       "credcached.log.1 to .3; with --foreground, on stderr; under systemd, in the\n"
       "journal (journalctl --user -u credcached), with each line's priority."},
      {"Signals",
       "SIGTERM/SIGINT finish in-flight requests and exit; SIGHUP reloads the config.\n"
       "Started by systemd socket activation it serves the socket it is given, and\n"
       "reports readiness with sd_notify (credcached.socket, credcached.service)."},
      {"Exit status",
       "0: stopped as asked, or the config is good (--check-config); 1: could not start\n"
       "or serve (another daemon serves this socket, say); 2: a bad command line;\n"
       "3: the config was refused."},
  };
  return *kNotes;
}

std::string CredcachedUsage() {
  std::string text = absl::StrCat("usage: credcached [options]\n\n", CredcachedIntro(), "\n\n");
  for (const CredcachedFlag& flag : CredcachedFlags()) {
    text +=
        HelpRow(flag.value_name.empty() ? flag.name : absl::StrCat(flag.name, " ", flag.value_name),
                flag.help);
  }
  for (const auto& [title, body] : CredcachedNotes())
    absl::StrAppend(&text, "\n", title, ": ", body, "\n");
  return text;
}

}  // namespace credcache
