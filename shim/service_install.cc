#include "shim/service_install.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cargo_credential/line_io.h"
#include "cargo_credential/subprocess.h"
#include "common/accounts.h"
#include "common/paths.h"
#include "daemon/systemd/units.h"
#include "lib/files.h"
#include "lib/programs.h"
#include "shim/connect.h"

namespace credcache {
namespace {

constexpr char kDefaultBindir[] = "%h/.local/bin";

// The team units' names, and the socket credcached-team.socket listens on.
constexpr char kTeamSocketName[] = "credcached-team.socket";
constexpr char kTeamServiceName[] = "credcached-team.service";
constexpr char kTeamSocket[] = "/run/credcache/team.sock";

std::string Bindir(const ServiceInstallOptions& options) {
  if (!options.bindir.empty()) return options.bindir;
  return options.team ? "/usr/local/bin" : HomeDirectory() + "/.local/bin";
}

std::string Unitdir(const ServiceInstallOptions& options) {
  if (!options.unitdir.empty()) return options.unitdir;
  return options.team ? "/etc/systemd/system" : ConfigHome() + "/systemd/user";
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

// The record of a user install: what uninstall removes.
std::string ManifestPath() { return DefaultDataDirectory() + "/installed"; }

// `dir` and all it holds, symbolic links removed as links (never
// followed), on `dir`'s file system only (what is mounted inside is not
// ours to empty). NotFound when there is no `dir`.
absl::Status RemoveTree(const std::string& dir) {
  struct stat info;
  if (lstat(dir.c_str(), &info) != 0) return absl::NotFoundError(dir);
  if (S_ISLNK(info.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir,
                     " is a symbolic link, which --purge does not follow: remove it, and "
                     "what it points to if that is credcache's too, by hand"));
  }
  if (!S_ISDIR(info.st_mode)) return absl::FailedPreconditionError(dir + " is not a directory");
  const int walked = nftw(
      dir.c_str(),
      [](const char* path, const struct stat*, int, struct FTW*) { return remove(path); }, 16,
      FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  if (walked != 0) {
    return absl::InternalError(absl::StrCat("cannot remove all of ", dir, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

// Runs systemctl for the user's manager (`user`) or the system's.
bool Systemctl(bool user, const std::vector<std::string>& args, std::string* error) {
  cargo_credential::SubprocessOptions options;
  options.argv = {"systemctl"};
  if (user) options.argv.push_back("--user");
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

// Whether systemd is the system's manager, as sd_booted(3) tells: without
// it, systemctl can only fail, so it is not run.
bool SystemdRuns() {
  struct stat info;
  return lstat("/run/systemd/system", &info) == 0 && S_ISDIR(info.st_mode);
}

// A user or group name that User=, SocketUser= and useradd all take as it
// is, and that cannot end a unit's line early: letters, digits, '_', '.',
// '-', not first '-'.
bool PlainName(const std::string& name) {
  if (name.empty() || name[0] == '-') return false;
  for (const char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

// A path that stays on its one line of a unit file (SystemdQuoted takes
// care of the rest).
bool OneLine(const std::string& path) {
  for (const char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// Refuses (2) a team install whose names or paths cannot go into a unit,
// or whose account or group does not exist, with the commands that make
// them; 0 when all is well. Writes nothing either way.
int CheckTeamOptions(const ServiceInstallOptions& options) {
  for (const std::string* name : {&options.account, &options.group}) {
    if (!PlainName(*name)) {
      fprintf(stderr,
              "install-service: `%s` cannot be a unit's account or group: use letters, digits, "
              "'_', '.' and '-'\n",
              name->c_str());
      return 2;
    }
  }
  for (const std::string* path : {&options.bindir, &options.unitdir, &options.config}) {
    if (!OneLine(*path)) {
      fprintf(stderr, "install-service: a path with a control character cannot go into a unit\n");
      return 2;
    }
  }
  // common/accounts asks the files and getent, never NSS in this static
  // program.
  const bool account = UserId(options.account).ok();
  const bool group = GroupId(options.group).ok();
  if (account && group) return 0;
  std::vector<std::string> missing;
  if (!account) missing.push_back(absl::StrCat("the account ", options.account));
  if (!group) missing.push_back(absl::StrCat("the group ", options.group));
  fprintf(stderr,
          "install-service: %s %s not exist, and install-service does not make accounts. "
          "As root, make %s with:\n",
          absl::StrJoin(missing, " and ").c_str(), missing.size() == 1 ? "does" : "do",
          missing.size() == 1 ? "it" : "them");
  if (!group) fprintf(stderr, "  groupadd %s\n", options.group.c_str());
  if (!account) {
    fprintf(stderr,
            "  useradd --system --no-create-home --shell /usr/sbin/nologin --groups %s %s\n",
            options.group.c_str(), options.account.c_str());
  }
  if (!group) {
    fprintf(stderr,
            "and add each developer to the group (they log in again after):\n"
            "  usermod --append --groups %s USER\n",
            options.group.c_str());
  }
  fprintf(stderr, "then run install-service --team again. Nothing was written.\n");
  return 2;
}

// The team config's smallest useful form: what a team daemon needs to
// start (daemon/team.h has every key).
std::string MinimalTeamConfig(const std::string& group) {
  return absl::StrCat(
      "[listen]\n"
      "socket = \"",
      kTeamSocket,
      "\"\n"
      "group = \"",
      group,
      "\"\n"
      "\n"
      "[[backend]]\n"
      "name = \"corp\"\n"
      "kind = \"file\"\n"
      "scope = \"shared\"\n"
      "\n"
      "[[rule]]\n"
      "registries = [\"sparse+https://cargo.corp.example/*\"]\n"
      "groups = [\"",
      group,
      "\"]\n"
      "operations = [\"read\"]\n");
}

// After a failed write: the default directories are root's.
void SuggestRootOrOtherDirectories() {
  if (geteuid() == 0) return;
  fprintf(stderr,
          "install-service: a team install writes system directories: run it as root, or give "
          "--unitdir and --bindir you can write, with --no-enable\n");
}

int InstallTeamService(ServiceInstallOptions options) {
  if (const int refused = CheckTeamOptions(options); refused != 0) return refused;
  // The daemon runs from / and ExecStart needs an absolute program.
  options.bindir = Absolute(Bindir(options));
  options.config = Absolute(options.config);
  const std::string unitdir = Unitdir(options);
  const std::string daemon = cargo_credential::FindOnPath(FindDaemonProgram());
  if (daemon.empty()) {
    fprintf(stderr, "install-service: cannot find credcached (next to this program or on PATH)\n");
    return 1;
  }
  const std::string shim_target = options.bindir + "/cargo-credential-credcache";
  const std::string daemon_target = options.bindir + "/credcached";
  const std::string socket_unit = unitdir + "/" + kTeamSocketName;
  const std::string service_unit = unitdir + "/" + kTeamServiceName;
  if (!Reported(cargo_credential::MakeDirectories(options.bindir, 0755)) ||
      !Reported(cargo_credential::MakeDirectories(unitdir, 0755)) ||
      !Reported(CopyProgram(cargo_credential::SelfPath(), shim_target)) ||
      !Reported(CopyProgram(daemon, daemon_target)) ||
      !Reported(cargo_credential::WriteFileAtomically(
          socket_unit, FillTeamUnit(absl::StripPrefix(kTeamSocketUnit, "\n"), options), 0644)) ||
      !Reported(cargo_credential::WriteFileAtomically(
          service_unit, FillTeamUnit(absl::StripPrefix(kTeamServiceUnit, "\n"), options), 0644))) {
    SuggestRootOrOtherDirectories();
    return 1;
  }
  printf(
      "installed %s\n          %s\n          %s\n          %s\n"
      "credcached runs as %s:%s with %s, on %s (0660 %s:%s)\n",
      shim_target.c_str(), daemon_target.c_str(), socket_unit.c_str(), service_unit.c_str(),
      options.account.c_str(), options.group.c_str(), options.config.c_str(), kTeamSocket,
      options.account.c_str(), options.group.c_str());
  struct stat config;
  if (stat(options.config.c_str(), &config) != 0) {
    printf(
        "\n%s does not exist yet: %s cannot start until it does. The smallest one, readable by "
        "%s and writable only by root (README's \"Team-shared cache\" has every key):\n\n%s\n"
        "Its file backend keeps the team's tokens in /var/lib/credcache/tokens.toml (the unit's\n"
        "StateDirectory). Check it with: %s --check-config --config %s\n",
        options.config.c_str(), kTeamServiceName, options.account.c_str(),
        MinimalTeamConfig(options.group).c_str(), daemon_target.c_str(), options.config.c_str());
  }
  if (options.enable) {
    const std::string commands =
        absl::StrCat("  systemctl daemon-reload\n  systemctl enable --now ", kTeamSocketName, "\n");
    std::string error;
    if (!SystemdRuns()) {
      // As for a user install: the files are in place, and enabling them is
      // one step the admin can take where systemd runs.
      fprintf(stderr,
              "install-service: systemd is not running here (no /run/systemd/system), so the "
              "units are installed but not enabled. Where it runs, enable them as root with:\n%s",
              commands.c_str());
    } else if (!Systemctl(false, {"daemon-reload"}, &error) ||
               !Systemctl(false, {"enable", "--now", kTeamSocketName}, &error)) {
      fprintf(stderr,
              "install-service: the units are installed but not enabled, since systemctl "
              "failed: %s\nEnable them as root with:\n%s",
              error.c_str(), commands.c_str());
    } else {
      printf("enabled %s: credcached starts on the first request\n", kTeamSocketName);
    }
  }
  printf(
      "\nNow, for each developer, in their shell profile:\n"
      "  export CREDCACHE_SOCKET=%s CREDCACHE_SOCKET_OWNER=%s\n"
      "and in ~/.cargo/config.toml:\n"
      "  [registry]\n"
      "  global-credential-providers = [\"%s\"]\n",
      kTeamSocket, options.account.c_str(), shim_target.c_str());
  return 0;
}

int UninstallTeamService(const ServiceInstallOptions& options) {
  const std::string unitdir = Unitdir(options);
  const bool systemctl = options.enable && SystemdRuns();
  if (systemctl) {
    std::string error;
    if (!Systemctl(false, {"disable", "--now", kTeamSocketName, kTeamServiceName}, &error)) {
      fprintf(stderr, "uninstall-service: systemctl failed (%s); removing the units anyway\n",
              error.c_str());
    }
  } else if (options.enable) {
    fprintf(stderr, "uninstall-service: systemd is not running here; removing the units\n");
  }
  int removed = 0;
  for (const char* unit : {kTeamSocketName, kTeamServiceName}) {
    if (unlink((unitdir + "/" + unit).c_str()) == 0) ++removed;
  }
  if (systemctl) {
    std::string ignored;
    Systemctl(false, {"daemon-reload"}, &ignored);
  }
  printf("removed %d unit file(s) from %s; the programs in %s and the config stay\n", removed,
         unitdir.c_str(), Bindir(options).c_str());
  return 0;
}

}  // namespace

std::string FillTeamUnit(absl::string_view unit, const ServiceInstallOptions& options) {
  // One pass (StrReplaceAll never rescans what it put in), so a value that
  // contains a placeholder's text stays as it is. @BINDIR@ is only ever
  // followed by /credcached: the program is quoted whole.
  return absl::StrReplaceAll(
      unit, {{"@ACCOUNT@", options.account},
             {"@GROUP@", options.group},
             {"@BINDIR@/credcached", SystemdQuoted(Bindir(options) + "/credcached")},
             {"@CONFIG@", SystemdQuoted(options.config)}});
}

int InstallService(const ServiceInstallOptions& options) {
  if (options.team) return InstallTeamService(options);
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
  std::vector<std::string> written = {shim_target, daemon_target, unitdir + "/credcached.socket",
                                      unitdir + "/credcached.service"};
  for (const auto& [path, text] : options.documents) {
    const std::string dir = path.substr(0, path.rfind('/'));
    if (!Reported(cargo_credential::MakeDirectories(dir, 0755)) ||
        !Reported(cargo_credential::WriteFileAtomically(path, text, 0644))) {
      return 1;
    }
    printf("          %s\n", path.c_str());
    written.push_back(path);
  }
  // Added to what an earlier install (another --bindir or --prefix) listed,
  // so that uninstalling removes both.
  std::ifstream earlier(ManifestPath());
  for (std::string line; std::getline(earlier, line);) {
    if (!line.empty() && std::find(written.begin(), written.end(), line) == written.end()) {
      written.push_back(line);
    }
  }
  if (!Reported(cargo_credential::MakeDirectories(DefaultDataDirectory(), 0700)) ||
      !Reported(cargo_credential::WriteFileAtomically(
          ManifestPath(), absl::StrCat(absl::StrJoin(written, "\n"), "\n"), 0600))) {
    return 1;
  }
  if (options.enable) {
    std::string error;
    if (!Systemctl(true, {"daemon-reload"}, &error) ||
        !Systemctl(true, {"enable", "--now", "credcached.socket"}, &error)) {
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

UserServiceState InspectUserService() {
  UserServiceState state;
  state.unitdir = Unitdir(ServiceInstallOptions());
  struct stat info;
  state.installed = stat((state.unitdir + "/credcached.socket").c_str(), &info) == 0;
  state.systemd = SystemdRuns();
  if (state.installed && state.systemd) {
    state.enabled = Systemctl(true, {"is-enabled", "--quiet", "credcached.socket"}, &state.said);
  }
  return state;
}

std::vector<std::string> ManifestPaths(absl::string_view text,
                                       const std::vector<std::string>& names) {
  std::vector<std::string> paths;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    const std::string path(line);
    const size_t slash = path.rfind('/');
    if (path.empty() || path[0] != '/' || absl::StrContains(path, "/../") ||
        absl::StrContains(path, "/./")) {
      continue;
    }
    if (std::find(names.begin(), names.end(), path.substr(slash + 1)) == names.end()) continue;
    paths.push_back(path);
  }
  return paths;
}

int UninstallService(const ServiceInstallOptions& options) {
  if (options.team) return UninstallTeamService(options);
  const std::string unitdir = Unitdir(options);
  if (options.enable) {
    std::string error;
    if (!Systemctl(true, {"disable", "--now", "credcached.socket", "credcached.service"}, &error)) {
      fprintf(stderr,
              "uninstall-service: systemctl --user failed (%s); removing the units anyway\n",
              error.c_str());
    }
  }
  // What the install wrote, as its manifest says; without one (an install
  // by an older version), the units, documents and programs where the
  // options say they are.
  std::vector<std::string> names = {"cargo-credential-credcache", "credcached", "credcached.socket",
                                    "credcached.service"};
  for (const auto& [path, text] : options.documents) {
    names.push_back(path.substr(path.rfind('/') + 1));
  }
  std::ifstream manifest(ManifestPath());
  std::stringstream listed;
  listed << manifest.rdbuf();
  std::vector<std::string> paths = ManifestPaths(listed.str(), names);
  if (!manifest) {
    const std::string bindir = Bindir(options);
    paths = {unitdir + "/credcached.socket", unitdir + "/credcached.service",
             bindir + "/cargo-credential-credcache", bindir + "/credcached"};
    for (const auto& [path, text] : options.documents) paths.push_back(path);
  }
  int units = 0;
  for (const std::string& path : paths) {
    if (unlink(path.c_str()) != 0) continue;
    if (absl::EndsWith(path, ".socket") || absl::EndsWith(path, ".service")) ++units;
    printf("removed %s\n", path.c_str());
  }
  unlink(ManifestPath().c_str());
  if (options.enable) {
    std::string ignored;
    Systemctl(true, {"daemon-reload"}, &ignored);
  }
  printf("removed %d unit file(s)\n", units);
  if (!options.purge) {
    printf(
        "the config, the token file and the logs stay (in %s/credcache, %s and %s); "
        "`uninstall-service --purge` removes them too\n",
        ConfigHome().c_str(), DefaultDataDirectory().c_str(), DefaultStateDirectory().c_str());
    return 0;
  }
  int failed = 0;
  for (const std::string& dir :
       {ConfigHome() + "/credcache", DefaultDataDirectory(), DefaultStateDirectory()}) {
    absl::Status removed = RemoveTree(dir);
    if (removed.ok()) {
      printf("removed %s\n", dir.c_str());
    } else if (!absl::IsNotFound(removed)) {
      fprintf(stderr, "uninstall-service: %s\n", std::string(removed.message()).c_str());
      ++failed;
    }
  }
  printf(
      "tokens in the keyring stay (cargo's own libsecret provider shares them); "
      "`secret-tool search --all xdg:schema org.rust-lang.cargo.registry` lists them\n");
  return failed == 0 ? 0 : 1;
}

}  // namespace credcache
