#include "shim/service_install.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/paths.h"
#include "daemon/systemd/units.h"
#include "lib/files.h"
#include "lib/line_io.h"
#include "lib/programs.h"
#include "lib/subprocess.h"
#include "shim/connect.h"

namespace credcache {
namespace {

constexpr char kDefaultBindir[] = "%h/.local/bin";

std::string Bindir(const ServiceInstallOptions& options) {
  return options.bindir.empty() ? HomeDirectory() + "/.local/bin" : options.bindir;
}

std::string Unitdir(const ServiceInstallOptions& options) {
  if (!options.unitdir.empty()) return options.unitdir;
  return ConfigHome() + "/systemd/user";
}

// Whole or not at all (lib/files.h): a running program or a reading
// systemd never sees half a file.
absl::Status CopyProgram(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", from));
  std::stringstream bytes;
  bytes << in.rdbuf();
  return cargo_credential::WriteFileAtomically(to, bytes.str(), 0755);
}

// Prints `status` as install-service's failure; returns whether it was OK.
bool Reported(const absl::Status& status) {
  if (!status.ok()) fprintf(stderr, "install-service: %s\n", std::string(status.message()).c_str());
  return status.ok();
}

// `path` as one word of a unit's command line: quoted, with systemd's
// specifier (%), variable ($) and escape characters taken literally.
std::string SystemdQuoted(const std::string& path) {
  std::string out = "\"";
  for (const char c : path) {
    if (c == '%') {
      out += "%%";
    } else if (c == '$') {
      out += "$$";
    } else if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A unit file as shipped, with its ExecStart pointed at `bindir`.
std::string Unit(const char* text, const std::string& bindir, bool custom_bindir) {
  std::string unit(absl::StripPrefix(text, "\n"));
  if (custom_bindir) {
    unit = absl::StrReplaceAll(unit, {{absl::StrCat(kDefaultBindir, "/credcached"),
                                       SystemdQuoted(bindir + "/credcached")}});
  }
  return unit;
}

bool Systemctl(const std::vector<std::string>& args, std::string* error) {
  cargo_credential::SubprocessOptions options;
  options.argv = {"systemctl", "--user"};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  absl::StatusOr<cargo_credential::SubprocessResult> result =
      cargo_credential::RunSubprocess(options, "", absl::Seconds(30));
  if (!result.ok()) {
    *error = std::string(result.status().message());
    return false;
  }
  if (result->exit_code != 0) {
    *error = std::string(absl::StripAsciiWhitespace(result->stderr_text));
    return false;
  }
  return true;
}

}  // namespace

int InstallService(const ServiceInstallOptions& options) {
  const std::string bindir = Bindir(options);
  const std::string unitdir = Unitdir(options);
  const std::string daemon = cargo_credential::FindOnPath(FindDaemonProgram());
  if (daemon.empty()) {
    fprintf(stderr, "install-service: cannot find credcached (next to this program or on PATH)\n");
    return 1;
  }
  if (!Reported(cargo_credential::MakeDirectories(bindir, 0755)) ||
      !Reported(cargo_credential::MakeDirectories(unitdir, 0755))) {
    return 1;
  }
  const std::string shim_target = bindir + "/cargo-credential-credcache";
  const std::string daemon_target = bindir + "/credcached";
  if (!Reported(CopyProgram(cargo_credential::SelfPath(), shim_target)) ||
      !Reported(CopyProgram(daemon, daemon_target))) {
    return 1;
  }
  const bool custom = !options.bindir.empty();
  if (!Reported(cargo_credential::WriteFileAtomically(unitdir + "/credcached.socket",
                                                      Unit(kSocketUnit, bindir, custom), 0644)) ||
      !Reported(cargo_credential::WriteFileAtomically(unitdir + "/credcached.service",
                                                      Unit(kServiceUnit, bindir, custom), 0644))) {
    return 1;
  }
  printf(
      "installed %s\n          %s\n          %s/credcached.socket\n"
      "          %s/credcached.service\n",
      shim_target.c_str(), daemon_target.c_str(), unitdir.c_str(), unitdir.c_str());
  if (options.enable) {
    std::string error;
    if (!Systemctl({"daemon-reload"}, &error) ||
        !Systemctl({"enable", "--now", "credcached.socket"}, &error)) {
      // The install itself is done and usable: without a user manager the
      // shim starts credcached on demand, so this is a note, not a failure.
      fprintf(stderr,
              "install-service: the units are installed but not enabled, since systemctl "
              "--user failed: %s\n"
              "Until they are, the shim starts credcached itself when needed. Once a user "
              "manager runs, enable them with:\n"
              "  systemctl --user daemon-reload && systemctl --user enable --now "
              "credcached.socket\n",
              error.c_str());
    } else {
      printf("enabled credcached.socket: credcached starts on the first request\n");
    }
  }
  printf(
      "\nNow tell cargo, in ~/.cargo/config.toml:\n"
      "  [registry]\n"
      "  global-credential-providers = [\"%s\"]\n",
      shim_target.c_str());
  return 0;
}

int UninstallService(const ServiceInstallOptions& options) {
  const std::string unitdir = Unitdir(options);
  if (options.enable) {
    std::string error;
    if (!Systemctl({"disable", "--now", "credcached.socket", "credcached.service"}, &error)) {
      fprintf(stderr,
              "uninstall-service: systemctl --user failed (%s); removing the units anyway\n",
              error.c_str());
    }
  }
  int removed = 0;
  for (const char* unit : {"credcached.socket", "credcached.service"}) {
    if (unlink((unitdir + "/" + unit).c_str()) == 0) ++removed;
  }
  if (options.enable) {
    std::string ignored;
    Systemctl({"daemon-reload"}, &ignored);
  }
  printf("removed %d unit file(s) from %s; the programs in %s stay\n", removed, unitdir.c_str(),
         Bindir(options).c_str());
  return 0;
}

}  // namespace credcache
