#include "shim/doctor.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cargo_credential/subprocess.h"
#include "common/version.h"
#include "common/wire.h"
#include "lib/programs.h"
#include "nlohmann/json.hpp"
#include "proto/messages.h"
#include "shim/cargo_config.h"
#include "shim/cargo_url.h"
#include "shim/command_line.h"
#include "shim/daemon_client.h"
#include "shim/service_install.h"

namespace credcache {
namespace {

constexpr char kProgram[] = "cargo-credential-credcache";

enum class Verdict { kOk, kProblem, kNote };

struct Finding {
  std::string area;
  Verdict verdict;
  std::string detail;
  std::string fix;
};

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kProblem:
      return "problem";
    case Verdict::kNote:
      return "note";
  }
  return "note";
}

class Report {
 public:
  void Ok(std::string area, std::string detail) {
    findings_.push_back({std::move(area), Verdict::kOk, std::move(detail), ""});
  }
  void Problem(std::string area, std::string detail, std::string fix) {
    findings_.push_back({std::move(area), Verdict::kProblem, std::move(detail), std::move(fix)});
  }
  void Note(std::string area, std::string detail, std::string fix = "") {
    findings_.push_back({std::move(area), Verdict::kNote, std::move(detail), std::move(fix)});
  }

  bool any_problem() const {
    for (const Finding& finding : findings_) {
      if (finding.verdict == Verdict::kProblem) return true;
    }
    return false;
  }

  // Returns the exit code.
  int Print(bool json) const {
    if (json) {
      nlohmann::ordered_json checks = nlohmann::ordered_json::array();
      for (const Finding& finding : findings_) {
        nlohmann::ordered_json check = {{"area", finding.area},
                                        {"status", VerdictName(finding.verdict)},
                                        {"detail", finding.detail}};
        if (!finding.fix.empty()) check["fix"] = finding.fix;
        checks.push_back(std::move(check));
      }
      PrintJson({{"ok", !any_problem()}, {"checks", checks}});
    } else {
      int problems = 0;
      for (const Finding& finding : findings_) {
        const char* mark = finding.verdict == Verdict::kOk        ? "ok     "
                           : finding.verdict == Verdict::kProblem ? "PROBLEM"
                                                                  : "note   ";
        printf("%s %-9s %s\n", mark, finding.area.c_str(), finding.detail.c_str());
        if (!finding.fix.empty()) {
          printf("%*s-> %s\n", 18, "",
                 absl::StrReplaceAll(finding.fix, {{"\n", "\n                     "}}).c_str());
        }
        if (finding.verdict == Verdict::kProblem) ++problems;
      }
      printf(problems == 0 ? "\nno problems found\n" : "\n%d problem(s) found\n", problems);
    }
    return any_problem() ? 1 : 0;
  }

 private:
  std::vector<Finding> findings_;
};

std::string WorkingDirectory() {
  // Allocated: a working directory deeper than any fixed buffer is still
  // where cargo looks first.
  char* cwd = getcwd(nullptr, 0);
  if (cwd == nullptr) return "/";
  std::string path = cwd;
  free(cwd);
  return path;
}

// How cargo's configuration sends registries to credcache. Returns the
// registries cargo asks credcache for; `programs` gets the names or paths
// of the credcache shims cargo would run for them.
std::vector<CargoRegistry> CheckCargo(const std::string& cargo_home,
                                      std::vector<std::string>* programs, Report* report) {
  const std::vector<CargoConfigFile> files = ReadCargoConfigs(WorkingDirectory(), cargo_home);
  std::vector<std::string> read;
  for (const CargoConfigFile& file : files) {
    read.push_back(file.path);
    // cargo stops at a file it cannot read or parse, whatever the command.
    if (!file.error.empty()) {
      report->Problem("cargo",
                      absl::StrCat(file.path, " cannot be read (", file.error,
                                   "): cargo refuses to run with it"),
                      "make it a readable TOML file, or remove it");
    } else if (absl::StatusOr<toml::table> parsed = ParseCargoToml(file.text, file.path);
               !parsed.ok()) {
      report->Problem("cargo",
                      absl::StrCat(parsed.status().message(), ": cargo refuses to run with it"),
                      "correct it, or remove it");
    }
  }
  const CargoSettings settings(files);
  std::vector<CargoRegistry> asked;
  std::vector<std::string> not_asked;
  for (const CargoRegistry& registry : settings.Registries()) {
    const CargoProviderChoice choice = settings.ProviderFor(registry.name);
    if (choice.asks_credcache &&
        std::find(programs->begin(), programs->end(), choice.program) == programs->end()) {
      programs->push_back(choice.program);
    }
    if (choice.asks_credcache) {
      report->Ok("cargo",
                 absl::StrCat("asks credcache for ", registry.name, " (", choice.decided_by, ")"));
      asked.push_back(registry);
    } else if (!choice.decided_by.empty()) {
      // Its own provider, which cargo asks instead of the global ones.
      not_asked.push_back(absl::StrCat(registry.name, " (its own credential-provider, in ",
                                       choice.decided_by, ")"));
    } else {
      not_asked.push_back(registry.name);
    }
  }
  if (asked.empty()) {
    report->Problem(
        "cargo",
        absl::StrCat("cargo does not ask credcache for any registry (config files read: ",
                     read.empty() ? "none" : absl::StrJoin(read, ", "), ")"),
        absl::StrCat("put in ", cargo_home,
                     "/config.toml:\n[registry]\nglobal-credential-providers = "
                     "[\"cargo-credential-credcache\"]"));
  } else if (!not_asked.empty()) {
    report->Note("cargo", absl::StrCat("cargo asks its other providers, not credcache, for ",
                                       absl::StrJoin(not_asked, ", ")));
  }
  return asked;
}

// Whether the cargo-credential-credcache cargo runs (`named`, as cargo's
// config names it: found on PATH, or a path) is this one, or at least of
// this version.
void CheckShim(const std::string& named, Report* report) {
  const bool path = named.find('/') != std::string::npos;
  const std::string found =
      path ? (access(named.c_str(), X_OK) == 0 ? named : "") : cargo_credential::FindOnPath(named);
  if (found.empty()) {
    report->Problem("shim",
                    path ? absl::StrCat(named, ", which cargo's config names, is not an executable")
                         : absl::StrCat(named, " is not on PATH, where cargo looks for it"),
                    absl::StrCat("`", kProgram,
                                 " install-service` puts it in ~/.local/bin: have that on PATH, "
                                 "or name the program's full path in cargo's config"));
    return;
  }
  struct stat theirs;
  struct stat ours;
  if (stat(found.c_str(), &theirs) == 0 && stat(cargo_credential::SelfPath().c_str(), &ours) == 0 &&
      theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino) {
    report->Ok("shim", absl::StrCat("cargo runs ", found, " (this program, ", BuildVersion(), ")"));
    return;
  }
  cargo_credential::SubprocessOptions run;
  run.argv = {found, "--version"};
  absl::StatusOr<cargo_credential::SubprocessResult> said =
      cargo_credential::RunSubprocess(run, "", absl::Seconds(10));
  const std::string version = said.ok() && said->exit_code == 0
                                  ? std::string(absl::StripAsciiWhitespace(said->stdout_text))
                                  : "";
  if (absl::StrContains(version, BuildVersion())) {
    report->Ok("shim", absl::StrCat("cargo runs ", found, ", the same version as this one (",
                                    BuildVersion(), ")"));
  } else {
    report->Problem(
        "shim",
        absl::StrCat("cargo runs ", found, ", which says `", version.empty() ? "nothing" : version,
                     "`; this one is ", BuildVersion()),
        "install this version over it (install-service --bindir its directory), or "
        "remove the old one");
  }
}

// A file or directory that must not be writable (or, `secret`, readable)
// by others.
void CheckMode(const std::string& area, const std::string& path, bool secret, Report* report) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) return;
  const mode_t loose = secret ? 077 : 022;
  if (info.st_uid != getuid() && info.st_uid != 0) {
    report->Problem(area, absl::StrCat(path, " belongs to uid ", info.st_uid, ", not yours"),
                    absl::StrCat("chown ", getuid(), " ", path));
  } else if ((info.st_mode & loose) != 0) {
    report->Problem(area,
                    absl::StrFormat("%s is %s others (mode %04o)", path,
                                    secret ? "open to" : "writable by", info.st_mode & 0777),
                    absl::StrCat("chmod ", secret ? "go-rwx " : "go-w ", path));
  }
}

absl::Status Call(const ConnectOptions& daemon, absl::string_view method,
                  const google::protobuf::MessageLite& request,
                  google::protobuf::MessageLite* response) {
  return CallDaemon(daemon, method, request, response, absl::Seconds(30));
}

std::string StartedByFix(const std::string& started_by) {
  return started_by == kStartedByShim
             ? "`" + std::string(kProgram) + " stop`: cargo's next request starts this version"
         : started_by == kStartedBySystemd ? "systemctl --user restart credcached.service"
                                           : "stop it and start this version's credcached";
}

// The daemon: reachable, same version, private socket directory, config.
// Returns its status (unset when it cannot be reached).
std::optional<v1::StatusResponse> CheckDaemon(const ConnectOptions& connect, Report* report) {
  CheckMode("daemon", connect.socket_path.substr(0, connect.socket_path.rfind('/')), true, report);
  absl::StatusOr<int> socket = ConnectToDaemonSocket(connect);
  if (!socket.ok()) {
    report->Problem("daemon", std::string(socket.status().message()),
                    "see the daemon's log (`credcached --help` says where), or run `credcached` "
                    "by hand to see why it does not start");
    return std::nullopt;
  }
  close(*socket);
  v1::StatusResponse status;
  if (absl::Status called = Call(connect, "Status", v1::StatusRequest(), &status); !called.ok()) {
    report->Problem("daemon", absl::StrCat("it does not answer: ", called.message()),
                    "see the daemon's log");
    return std::nullopt;
  }
  if (status.version() == BuildVersion()) {
    report->Ok("daemon",
               absl::StrCat("credcached ", status.version(), " (pid ", status.pid(),
                            ", started by ", status.started_by(), ") on ", status.socket()));
  } else {
    report->Problem(
        "daemon",
        absl::StrCat("credcached is ", status.version(), "; this shim is ", BuildVersion()),
        StartedByFix(status.started_by()));
  }
  if (absl::StartsWith(status.config(), "/")) {
    report->Ok("config", status.config());
    CheckMode("config", status.config(), false, report);
  } else {
    report->Note("config", absl::StrCat(status.config(), ": no config file"));
  }
  if (!status.log().empty()) report->Note("log", status.log());
  if (status.has_etcd()) {
    if (status.etcd().up()) {
      report->Ok("etcd", absl::StrCat("joined ", absl::StrJoin(status.etcd().endpoints(), ",")));
    } else {
      report->Problem("etcd",
                      absl::StrCat("unreachable (", status.etcd().last_error(),
                                   "): each machine fetches for itself"),
                      "see the daemon's log, and `etcdctl endpoint health` with the same "
                      "endpoints and certificates");
    }
  }
  return status;
}

// Each backend, as the daemon finds it, and the backends each registry
// cargo sends to credcache would be served by.
void CheckBackendsAndRoutes(const ConnectOptions& connect,
                            const std::vector<CargoRegistry>& registries, Report* report) {
  v1::CheckRequest request;
  size_t unrouted = 0;
  for (const CargoRegistry& registry : registries) {
    // The daemon routes so many per call; more is a generated config, and
    // the first of them show how routing goes.
    if (request.registries_size() >= kMaxCheckRegistries) {
      ++unrouted;
      continue;
    }
    v1::RegistryRef* ref = request.add_registries();
    absl::StatusOr<std::string> url = CargoIndexUrl(registry.index);
    if (!url.ok()) {
      report->Problem(
          "registry",
          absl::StrCat(registry.name, " (", registry.source, "): ", url.status().message()),
          "correct its `index`");
      request.mutable_registries()->RemoveLast();
      continue;
    }
    ref->set_index_url(*url);
    ref->set_name(registry.name);
  }
  v1::CheckResponse response;
  if (absl::Status called = Call(connect, "Check", request, &response); !called.ok()) {
    if (absl::IsPermissionDenied(called)) {
      // Not a broken link: a team daemon's backends are its admins' to see.
      report->Note("backends", absl::StrCat("not checked: ", called.message()),
                   "ask the team daemon's admin to run doctor, or point doctor at your own "
                   "daemon (--socket)");
    } else {
      report->Problem("backends", absl::StrCat("the daemon did not check them: ", called.message()),
                      "see the daemon's log");
    }
    return;
  }
  for (const v1::BackendCheck& backend : response.backends()) {
    const std::string detail =
        absl::StrCat("`", backend.name(), "` (", backend.kind(), "): ", backend.detail());
    if (backend.ok()) {
      report->Ok("backend", detail);
    } else {
      report->Problem("backend", detail, backend.fix());
    }
  }
  for (const v1::RegistryRoute& route : response.routes()) {
    const std::string registry = absl::StrCat(route.name(), " (", route.index_url(), ")");
    if (route.backends().empty()) {
      report->Problem("registry", absl::StrCat(registry, ": no backend serves it"),
                      "give a backend this index URL in `index_urls` (or this name in `names`), "
                      "or one with neither, which serves every registry");
    } else {
      report->Ok("registry", absl::StrCat(registry, " -> ", absl::StrJoin(route.backends(), ", ")));
    }
  }
  if (unrouted > 0) {
    report->Note("registry", absl::StrCat(unrouted, " more registries, after the first ",
                                          kMaxCheckRegistries, ", were not checked"));
  }
}

void CheckSystemd(const v1::StatusResponse* status, Report* report) {
  const UserServiceState service = InspectUserService();
  if (!service.installed) {
    report->Note("systemd",
                 absl::StrCat("no user units in ", service.unitdir,
                              ": the shim starts credcached on demand, and it exits when idle"),
                 absl::StrCat("`", kProgram, " install-service` for a systemd user service"));
    return;
  }
  if (!service.systemd) {
    report->Note("systemd", absl::StrCat("units installed in ", service.unitdir,
                                         ", but systemd does not run here: the shim starts "
                                         "credcached on demand"));
    return;
  }
  if (service.enabled) {
    report->Ok("systemd", "credcached.socket is enabled");
  } else if (!service.said.empty()) {
    // systemctl said why it could not tell (no user manager to ask, as
    // over SSH without lingering): the shim starts credcached meanwhile.
    report->Note("systemd",
                 absl::StrCat("units installed in ", service.unitdir,
                              ", but systemctl --user cannot tell whether they are enabled (",
                              service.said, "): the shim starts credcached on demand"),
                 "in a session with a user manager: systemctl --user enable --now "
                 "credcached.socket");
  } else {
    report->Problem("systemd",
                    absl::StrCat("credcached.socket is installed but not enabled",
                                 service.said.empty() ? "" : absl::StrCat(" (", service.said, ")")),
                    "systemctl --user daemon-reload && systemctl --user enable --now "
                    "credcached.socket");
  }
  if (status != nullptr && status->started_by() == kStartedByShim && service.enabled) {
    report->Note("systemd", "the running daemon was started by a shim, not by systemd's socket",
                 absl::StrCat("`", kProgram, " stop`; systemd starts the next one"));
  }
}

}  // namespace

int RunDoctor(const DoctorOptions& options) {
  Report report;
  std::vector<std::string> programs;
  const std::vector<CargoRegistry> registries =
      CheckCargo(CargoHome(options.cargo_home), &programs, &report);
  for (const std::string& program : programs) CheckShim(program, &report);
  const std::optional<v1::StatusResponse> status = CheckDaemon(options.connect, &report);
  if (status.has_value()) CheckBackendsAndRoutes(options.connect, registries, &report);
  CheckSystemd(status.has_value() ? &*status : nullptr, &report);
  return report.Print(options.json);
}

}  // namespace credcache
