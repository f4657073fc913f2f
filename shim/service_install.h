// install-service / uninstall-service: credcache as a systemd user service.
//
// Installing copies this program and credcached into a bin directory
// (~/.local/bin by default), writes credcached.socket and credcached.service
// (daemon/systemd/, embedded at build time) into the user's unit directory
// ($XDG_CONFIG_HOME/systemd/user), and, unless told not to, reloads the user
// manager and enables the socket, so credcached starts on the first cargo
// request after every login. Uninstalling disables and removes the units and
// leaves the binaries.
//
// Thread-safety: call from main().
#ifndef CREDCACHE_SHIM_SERVICE_INSTALL_H_
#define CREDCACHE_SHIM_SERVICE_INSTALL_H_

#include <string>

namespace credcache {

struct ServiceInstallOptions {
  std::string bindir;   // Empty: ~/.local/bin.
  std::string unitdir;  // Empty: $XDG_CONFIG_HOME/systemd/user.
  bool enable = true;   // Run systemctl --user.
};

// Each returns the exit code and prints what it did (and, on failure, what
// the user can run by hand).
int InstallService(const ServiceInstallOptions& options);
int UninstallService(const ServiceInstallOptions& options);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_SERVICE_INSTALL_H_
