// credcached's command line described once, as data: its options and what
// its help says around them. credcached's --help is made from it
// (CredcachedUsage), and so is its man page (the shim's `install-service`
// and `manual credcached`, through shim/command_docs), so the two cannot
// disagree. Parsing stays in credcached_main.cc, which takes exactly these.
//
// Thread-safety: immutable data; functions of it only.
#ifndef CREDCACHE_DAEMON_CREDCACHED_FLAGS_H_
#define CREDCACHE_DAEMON_CREDCACHED_FLAGS_H_

#include <string>
#include <vector>

namespace credcache {

struct CredcachedFlag {
  std::string name;        // "--config".
  std::string value_name;  // "PATH"; empty for a switch.
  std::string help;
};

// Every option credcached takes, in the order --help lists them; the
// internal --ready-fd (a shim's readiness pipe) is left out.
const std::vector<CredcachedFlag>& CredcachedFlags();

// What the help says before the options (what credcached is), and after
// them, as titled paragraphs: where the log goes, signals, systemd, exit
// codes. The man page makes each a section.
const std::string& CredcachedIntro();
const std::vector<std::pair<std::string, std::string>>& CredcachedNotes();

// The whole --help text.
std::string CredcachedUsage();

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_CREDCACHED_FLAGS_H_
