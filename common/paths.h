// Where credcache keeps things: the daemon's socket, its config, its data.
//
// The shim and the daemon must agree on these without talking, so both take
// them from here. Each honours an explicit environment variable first, then
// the XDG base directories, then a fallback that works on a bare machine.
//
// Thread-safety: reads the environment; call before starting threads that
// change it (none do).
#ifndef CREDCACHE_COMMON_PATHS_H_
#define CREDCACHE_COMMON_PATHS_H_

#include <string>

namespace credcache {

// `path` made absolute against the working directory (a daemon changes its
// own, so a relative path would mean another place to it); unchanged when
// absolute or empty.
std::string Absolute(const std::string& path);

// $CREDCACHE_SOCKET (made absolute), else $XDG_RUNTIME_DIR/credcache/credcache.sock, else
// /tmp/credcache-<uid>/credcache.sock.
std::string DefaultSocketPath();

// $CREDCACHE_CONFIG (made absolute), else $XDG_CONFIG_HOME/credcache/config.toml, else
// ~/.config/credcache/config.toml.
std::string DefaultConfigPath();

// $XDG_CONFIG_HOME when absolute, else ~/.config.
std::string ConfigHome();

// $XDG_DATA_HOME/credcache, else ~/.local/share/credcache.
std::string DefaultDataDirectory();

// $XDG_STATE_HOME/credcache, else ~/.local/state/credcache: the daemon's log.
std::string DefaultStateDirectory();

// $HOME when absolute, else the password database's home for this uid
// (common/accounts.h: never through NSS in this process, which the static
// shim must not load), else "/".
std::string HomeDirectory();

}  // namespace credcache

#endif  // CREDCACHE_COMMON_PATHS_H_
