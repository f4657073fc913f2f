// install-service / uninstall-service: credcache as a systemd service, for
// one user or, with --team, for a whole team.
//
// The user service: installing copies this program and credcached into a
// bin directory (~/.local/bin by default), writes credcached.socket and
// credcached.service (daemon/systemd/, embedded at build time) into the
// user's unit directory ($XDG_CONFIG_HOME/systemd/user), and, unless told
// not to, reloads the user manager and enables the socket, so credcached
// starts on the first cargo request after every login.
//
// A team daemon (`team`): the same two programs (in /usr/local/bin by
// default) and the system units credcached-team.socket and
// credcached-team.service (in /etc/systemd/system), with the service
// account, the team's group, the bin directory and the config filled in
// (FillTeamUnit); then `systemctl daemon-reload` and `systemctl enable --now
// credcached-team.socket`. The account and the group must exist already
// (as `getent` finds them): otherwise nothing is written and the commands
// that make them are printed (this never makes accounts). A config that
// does not exist yet is reported with a minimal one to write, and the units
// are installed anyway. Root is needed only for the default directories
// and for systemctl.
//
// Either way, when systemd is not running or systemctl fails, the installed
// files stay, the systemctl commands to run later are printed, and the exit
// code is 0: the install itself is done.
//
// A user install records what it wrote (programs, units, man page,
// completions) in a manifest, $XDG_DATA_HOME/credcache/installed; the user
// uninstall removes exactly those (wherever --bindir put them), and with
// `purge` also what credcache made while in use: the config, the token file
// and the logs (credcache's folders under $XDG_CONFIG_HOME, $XDG_DATA_HOME
// and $XDG_STATE_HOME), stopping a running daemon first. Tokens in the
// keyring stay: cargo's own libsecret provider shares them. Uninstalling a
// team daemon disables and removes its units; its programs and config stay.
//
// Thread-safety: call from main() (it runs programs: getent, systemctl).
#ifndef CREDCACHE_SHIM_SERVICE_INSTALL_H_
#define CREDCACHE_SHIM_SERVICE_INSTALL_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace credcache {

struct ServiceInstallOptions {
  bool team = false;    // A team daemon's system units, not the user's.
  std::string bindir;   // Empty: ~/.local/bin; a team's, /usr/local/bin.
  std::string unitdir;  // Empty: $XDG_CONFIG_HOME/systemd/user; a team's, /etc/systemd/system.
  bool enable = true;   // Run systemctl (--user, unless a team's).
  bool purge = false;   // Uninstalling: also the config, tokens and logs.
  // A team's only: who runs credcached, the group whose members may use
  // it (the socket's and the service's group), and its config.
  std::string account = "credcache";
  std::string group = "cargo-team";
  std::string config = "/etc/credcache/team.toml";
  // The user service's only: files to install beside the programs, as
  // absolute path and text (the man page and the shell completions, which
  // the caller makes from its command table); uninstalling removes them.
  std::vector<std::pair<std::string, std::string>> documents;
};

// Each returns the exit code (2: the options cannot be used, nothing was
// written) and prints what it did and, on failure, what to run by hand.
int InstallService(const ServiceInstallOptions& options);
int UninstallService(const ServiceInstallOptions& options);

// The user service as `doctor` finds it: whether its units are in the
// user's unit directory, and, when systemd runs, whether the socket is
// enabled (`systemctl --user is-enabled`) and what systemctl said.
struct UserServiceState {
  std::string unitdir;
  bool installed = false;
  bool systemd = false;  // systemd is the system's manager.
  bool enabled = false;
  std::string said;  // systemctl's answer or complaint, one line.
};
UserServiceState InspectUserService();

// The absolute paths a manifest's text lists, one per line; lines that are
// not absolute paths of the names an install writes (`names`) are left
// out, so that a damaged manifest cannot make uninstall remove anything
// else.
std::vector<std::string> ManifestPaths(absl::string_view text,
                                       const std::vector<std::string>& names);

// A shipped team unit (daemon/systemd/credcached-team.*) as installed: each
// @ACCOUNT@, @GROUP@, @BINDIR@ and @CONFIG@ replaced by the options' value
// (an empty bindir by its default), the paths quoted for systemd. Text in
// the values is never taken for a placeholder.
std::string FillTeamUnit(absl::string_view unit, const ServiceInstallOptions& options);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_SERVICE_INSTALL_H_
