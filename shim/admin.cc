#include "shim/admin.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cargo_credential/error.h"
#include "common/duration.h"
#include "common/paths.h"
#include "common/version.h"
#include "common/wire.h"
#include "daemon/credcached_flags.h"
#include "nlohmann/json.hpp"
#include "proto/convert.h"
#include "proto/messages.h"
#include "shim/command_docs.h"
#include "shim/command_line.h"
#include "shim/connect.h"
#include "shim/daemon_client.h"
#include "shim/doctor.h"
#include "shim/import.h"
#include "shim/service_install.h"

namespace credcache {
namespace {

std::string Ago(int64_t seconds) {
  return seconds <= 0 ? "0s" : absl::FormatDuration(absl::Seconds(seconds));
}

constexpr char kProgram[] = "cargo-credential-credcache";

// What the man page says beyond the command table.
ManPageText ShimManText() {
  return {"the Cargo credential provider of credcache, and its admin command line",
          {{"Environment",
            "CREDCACHE_SOCKET: the daemon's socket. CREDCACHE_CONFIG: the daemon's config.\n"
            "CREDCACHE_NO_SPAWN=1: never start a daemon. CREDCACHE_IDLE_EXIT: how long a\n"
            "daemon this program starts stays idle before it exits (default 15m).\n"
            "CREDCACHE_SOCKET_OWNER: the account that runs a team daemon."},
           {"Files",
            "$XDG_CONFIG_HOME/credcache/config.toml: the daemon's config.\n"
            "$XDG_DATA_HOME/credcache/tokens.toml: the file backend's tokens (mode 0600).\n"
            "$XDG_STATE_HOME/credcache/credcached.log: the daemon's log, when not under systemd.\n"
            "$XDG_RUNTIME_DIR/credcache/credcache.sock: the daemon's socket."},
           {"Exit status",
            "0 on success; 1 when the command failed (doctor: a problem was found); 2 for a\n"
            "command line that does not fit."},
           {"See also", "credcached(1), cargo(1); README.md of credcache."}}};
}

// --json output: one object per command, success or failure, "ok" first,
// numbers as numbers, cache kinds by their protocol names. Written out by
// hand because the shim links protobuf's lite runtime, which has no JSON
// printer.

// How a command that did its work ends: `fields` after "ok": true with
// --json, else `text` for people. Returns 0.
int Succeed(const Invocation& invocation, const nlohmann::ordered_json& fields,
            const std::function<void()>& text) {
  if (!invocation.Has("--json")) {
    text();
    return 0;
  }
  nlohmann::ordered_json out = {{"ok", true}};
  for (const auto& [key, value] : fields.items()) out[key] = value;
  PrintJson(out);
  return 0;
}

// How a command that failed ends: `error` and `hint` on stderr, and with
// --json also {"ok": false, `fields`..., "error", "hint"} on stdout, so a
// script reads every outcome the same way. Returns `code`.
int Fail(const Invocation& invocation, int code, const std::string& error,
         const std::string& hint = "",
         const nlohmann::ordered_json& fields = nlohmann::ordered_json::object()) {
  fprintf(stderr, "%s: %s\n", kProgram, error.c_str());
  if (!hint.empty()) fprintf(stderr, "hint: %s\n", hint.c_str());
  if (invocation.Has("--json")) {
    nlohmann::ordered_json out = {{"ok", false}};
    for (const auto& [key, value] : fields.items()) out[key] = value;
    out["error"] = error;
    if (!hint.empty()) out["hint"] = hint;
    PrintJson(out);
  }
  return code;
}

nlohmann::ordered_json ToJson(const v1::StatusResponse& status) {
  nlohmann::ordered_json json = {{"running", true},
                                 {"version", status.version()},
                                 {"pid", status.pid()},
                                 {"uptime_seconds", status.uptime_seconds()},
                                 {"socket", status.socket()},
                                 {"config", status.config()},
                                 {"on_demand", status.on_demand()},
                                 {"started_by", status.started_by()},
                                 {"shim_version", BuildVersion()},
                                 {"socket_activated", status.socket_activated()},
                                 {"idle_exit_seconds", status.idle_exit_seconds()},
                                 {"idle_seconds", status.idle_seconds()},
                                 {"log", status.log()},
                                 {"team", status.team()}};
  if (status.team()) {
    json["audit"] = status.audit();
    json["rules"] = status.rules();
  }
  if (status.has_etcd()) {
    const v1::EtcdTierInfo& etcd = status.etcd();
    json["etcd"] = {
        {"endpoints", std::vector<std::string>(etcd.endpoints().begin(), etcd.endpoints().end())},
        {"prefix", etcd.prefix()},
        {"up", etcd.up()},
        {"leader", etcd.leader()},
        {"watch_revision", etcd.watch_revision()},
        {"last_error", etcd.last_error()},
        {"last_error_age_seconds", etcd.last_error_age_seconds()}};
  }
  nlohmann::ordered_json backends = nlohmann::ordered_json::array();
  for (const v1::BackendInfo& backend : status.backends()) {
    backends.push_back(
        {{"name", backend.name()},
         {"kind", backend.kind()},
         {"index_urls",
          std::vector<std::string>(backend.index_urls().begin(), backend.index_urls().end())},
         {"names", std::vector<std::string>(backend.names().begin(), backend.names().end())},
         {"ttl_seconds", backend.ttl_seconds()},
         {"timeout_ms", backend.timeout_ms()},
         {"store", backend.store()}});
  }
  json["backends"] = backends;
  return json;
}

nlohmann::ordered_json ToJson(const v1::ListResponse& list) {
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const v1::CacheEntry& entry : list.entries()) {
    entries.push_back(
        {{"index_url", entry.index_url()},
         {"name", entry.name()},
         {"backend", entry.backend()},
         {"args", std::vector<std::string>(entry.args().begin(), entry.args().end())},
         {"operation", entry.operation()},
         {"cache", std::string(cargo_credential::CacheKindName(FromProto(entry.cache())))},
         {"seconds_left", entry.seconds_left()},
         {"hits", entry.hits()},
         {"owner_uid", entry.personal() ? nlohmann::ordered_json(entry.owner_uid())
                                        : nlohmann::ordered_json()}});
  }
  return {{"entries", entries}};
}

nlohmann::ordered_json ToJson(const v1::StatsResponse& stats) {
  nlohmann::ordered_json json = {{"requests", stats.requests()},
                                 {"hits", stats.hits()},
                                 {"misses", stats.misses()},
                                 {"coalesced", stats.coalesced()},
                                 {"errors", stats.errors()},
                                 {"cached_entries", stats.cached_entries()},
                                 {"since_seconds", stats.since_seconds()}};
  nlohmann::ordered_json backends = nlohmann::ordered_json::array();
  for (const v1::BackendStats& backend : stats.backends()) {
    backends.push_back({{"name", backend.name()},
                        {"calls", backend.calls()},
                        {"errors", backend.errors()},
                        {"timeouts", backend.timeouts()},
                        {"mean_ms", backend.mean_ms()},
                        {"max_ms", backend.max_ms()}});
  }
  json["backends"] = backends;
  if (stats.has_etcd()) {
    const v1::EtcdTierCounts& etcd = stats.etcd();
    json["etcd"] = {{"hits", etcd.hits()},
                    {"claims", etcd.claims()},
                    {"waits", etcd.waits()},
                    {"evictions", etcd.evictions()},
                    {"open_failures", etcd.open_failures()},
                    {"local", etcd.local()}};
  }
  return json;
}

void PrintStatus(const v1::StatusResponse& status) {
  printf("credcached %s is running (pid %lld), up %s, %s\n", status.version().c_str(),
         static_cast<long long>(status.pid()), Ago(status.uptime_seconds()).c_str(),
         status.socket_activated() ? "started by systemd's socket"
         : status.on_demand()      ? "started on demand by cargo's request"
                                   : "started by hand");
  if (status.version() != BuildVersion()) {
    const char* fix = status.started_by() == kStartedByShim ? "the next request replaces it"
                      : status.started_by() == kStartedBySystemd
                          ? "restart it: systemctl --user restart credcached.service"
                          : "stop it and start this version's credcached";
    printf("warning: this shim is %s; %s\n", BuildVersion().c_str(), fix);
  }
  printf("socket:  %s\nconfig:  %s\nlog:     %s\n", status.socket().c_str(),
         status.config().c_str(), status.log().empty() ? "-" : status.log().c_str());
  if (status.idle_exit_seconds() > 0) {
    printf("exits:   after %s with no request (idle %s before this one)\n",
           Ago(status.idle_exit_seconds()).c_str(), Ago(status.idle_seconds()).c_str());
  } else {
    printf("exits:   when stopped (no idle exit)\n");
  }
  if (status.team()) {
    printf("team:    %lld access rule(s); audit to %s\n", static_cast<long long>(status.rules()),
           status.audit().c_str());
  }
  if (status.has_etcd()) {
    const v1::EtcdTierInfo& etcd = status.etcd();
    printf("etcd:    %s, prefix %s: %s\n", absl::StrJoin(etcd.endpoints(), ",").c_str(),
           etcd.prefix().c_str(),
           etcd.up() ? absl::StrCat("joined, leader ", etcd.leader().empty() ? "?" : etcd.leader(),
                                    ", watching at revision ", etcd.watch_revision())
                           .c_str()
                     : "unreachable: serving from this machine alone");
    if (!etcd.last_error().empty()) {
      printf("         last error %s ago: %s\n", Ago(etcd.last_error_age_seconds()).c_str(),
             etcd.last_error().c_str());
    }
  }
  printf("backends, tried in this order:\n");
  for (const v1::BackendInfo& backend : status.backends()) {
    std::vector<std::string> serves;
    for (const std::string& glob : backend.index_urls()) serves.push_back(glob);
    for (const std::string& glob : backend.names()) serves.push_back("name " + glob);
    printf("  %-16s %-15s %s; timeout %s%s\n", backend.name().c_str(), backend.kind().c_str(),
           serves.empty() ? "every registry" : absl::StrJoin(serves, ", ").c_str(),
           absl::FormatDuration(absl::Milliseconds(backend.timeout_ms())).c_str(),
           backend.ttl_seconds() > 0 ? absl::StrCat(", ttl ", Ago(backend.ttl_seconds())).c_str()
                                     : "");
    if (!backend.store().empty()) printf("  %-16s %s\n", "", backend.store().c_str());
  }
}

// The cache as a table whose columns are as wide as what they hold. A
// registry longer than kRegistryColumn (index URLs can be any length) gets
// a line of its own, its row's other columns on the next line, so that the
// columns of every row stay aligned.
void PrintList(const v1::ListResponse& list) {
  if (list.entries().empty()) {
    printf("no cached tokens\n");
    return;
  }
  constexpr size_t kRegistryColumn = 48;
  std::vector<std::vector<std::string>> rows = {
      {"REGISTRY", "NAME", "BACKEND", "CACHE", "LEFT", "HITS"}};
  for (const v1::CacheEntry& entry : list.entries()) {
    std::string registry = entry.index_url();
    if (!entry.args().empty())
      absl::StrAppend(&registry, " [", absl::StrJoin(entry.args(), " "), "]");
    if (!entry.operation().empty()) absl::StrAppend(&registry, " (", entry.operation(), ")");
    if (entry.personal()) absl::StrAppend(&registry, " {uid ", entry.owner_uid(), "}");
    rows.push_back({registry, entry.name().empty() ? "-" : entry.name(), entry.backend(),
                    std::string(cargo_credential::CacheKindName(FromProto(entry.cache()))),
                    Ago(entry.seconds_left()), absl::StrCat(entry.hits())});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const std::vector<std::string>& row : rows) {
    for (size_t column = 0; column < row.size(); ++column) {
      if (column == 0 && row[0].size() > kRegistryColumn) continue;
      widths[column] = std::max(widths[column], row[column].size());
    }
  }
  for (const std::vector<std::string>& row : rows) {
    std::string line;
    if (row[0].size() > widths[0]) {
      printf("%s\n", row[0].c_str());
      line.assign(widths[0], ' ');
    } else {
      line = row[0] + std::string(widths[0] - row[0].size(), ' ');
    }
    for (size_t column = 1; column < row.size(); ++column) {
      absl::StrAppend(&line, "  ", row[column]);
      if (column + 1 < row.size()) line.append(widths[column] - row[column].size(), ' ');
    }
    printf("%s\n", line.c_str());
  }
}

void PrintStats(const v1::StatsResponse& stats, bool reset) {
  const int64_t gets = stats.hits() + stats.misses();
  printf("counted over:    %s%s\n", Ago(stats.since_seconds()).c_str(),
         reset ? " (now reset to zero)" : "");
  printf("requests:        %lld\n", static_cast<long long>(stats.requests()));
  printf("cache hits:      %lld of %lld gets (%.0f%%)\n", static_cast<long long>(stats.hits()),
         static_cast<long long>(gets), gets == 0 ? 0.0 : 100.0 * stats.hits() / gets);
  printf("coalesced:       %lld (waited for another request's backend call)\n",
         static_cast<long long>(stats.coalesced()));
  printf("errors:          %lld\n", static_cast<long long>(stats.errors()));
  printf("cached entries:  %lld\n", static_cast<long long>(stats.cached_entries()));
  if (stats.has_etcd()) {
    const v1::EtcdTierCounts& etcd = stats.etcd();
    printf(
        "etcd tier:       %lld hits, %lld claims, %lld waits, %lld evictions, "
        "%lld values refused, %lld served locally\n",
        static_cast<long long>(etcd.hits()), static_cast<long long>(etcd.claims()),
        static_cast<long long>(etcd.waits()), static_cast<long long>(etcd.evictions()),
        static_cast<long long>(etcd.open_failures()), static_cast<long long>(etcd.local()));
  }
  if (stats.backends().empty()) return;
  printf("%-16s %8s %8s %8s %10s %10s\n", "BACKEND", "CALLS", "ERRORS", "TIMEOUTS", "MEAN ms",
         "MAX ms");
  for (const v1::BackendStats& backend : stats.backends()) {
    printf("%-16s %8lld %8lld %8lld %10.1f %10.1f\n", backend.name().c_str(),
           static_cast<long long>(backend.calls()), static_cast<long long>(backend.errors()),
           static_cast<long long>(backend.timeouts()), backend.mean_ms(), backend.max_ms());
  }
}

// Runs one admin call with a short deadline.
absl::Status Call(const ConnectOptions& daemon, absl::string_view method,
                  const google::protobuf::MessageLite& request,
                  google::protobuf::MessageLite* response) {
  return CallDaemon(daemon, method, request, response, absl::Seconds(30));
}

// A failed call, said as Fail says it. `refused`, when set, says what the
// daemon's own InvalidArgument answer means for this call (transport
// failures come with other codes).
int FailedCall(const Invocation& invocation, const absl::Status& status,
               absl::string_view refused = "") {
  const std::string said = !refused.empty() && absl::IsInvalidArgument(status)
                               ? absl::StrCat(refused, ": ", status.message())
                               : std::string(status.message());
  return Fail(invocation, 1, said, absl::StrJoin(cargo_credential::CausedBy(status), "; "));
}

// A command that talks to the running daemon: `run` is called with the
// daemon's address once one is known to answer there. None starts one.
std::function<int(const Invocation&)> WithDaemon(
    const std::string& command, std::function<int(const Invocation&, const ConnectOptions&)> run) {
  return [command, run](const Invocation& invocation) {
    ConnectOptions options =
        ConnectOptionsFor(Absolute(invocation.Value("--socket", DefaultSocketPath())));
    options.spawn = false;  // Managing a daemon never starts one.
    absl::StatusOr<int> probe = ConnectToDaemonSocket(options);
    if (probe.ok()) {
      close(*probe);
      return run(invocation, options);
    }
    // Only "nothing runs" is "not running": a loose socket directory or
    // another user's daemon is a different truth, said as it is.
    const bool none = absl::IsNotFound(probe.status());
    nlohmann::ordered_json fields = {{"running", false}, {"socket", options.socket_path}};
    const std::string nothing = absl::StrCat("no credcached is running on ", options.socket_path);
    if (command == "stop" && none) {
      fields["stopping"] = false;  // Nothing to stop is what `stop` wants.
      return Succeed(invocation, fields,
                     [&nothing] { fprintf(stderr, "%s: %s\n", kProgram, nothing.c_str()); });
    }
    if (!none) return Fail(invocation, 1, std::string(probe.status().message()), "", fields);
    return Fail(invocation, 1, nothing,
                "cargo's next request through credcache starts one (or systemd's socket does, "
                "after install-service)",
                fields);
  };
}

int Status(const Invocation& invocation, const ConnectOptions& daemon) {
  v1::StatusResponse response;
  if (absl::Status called = Call(daemon, "Status", v1::StatusRequest(), &response); !called.ok()) {
    return FailedCall(invocation, called);
  }
  return Succeed(invocation, ToJson(response), [&response] { PrintStatus(response); });
}

int List(const Invocation& invocation, const ConnectOptions& daemon) {
  v1::ListResponse response;
  if (absl::Status called = Call(daemon, "List", v1::ListRequest(), &response); !called.ok()) {
    return FailedCall(invocation, called);
  }
  return Succeed(invocation, ToJson(response), [&response] { PrintList(response); });
}

// Whether the daemon shares its tokens through etcd, where forgetting an
// index URL reaches every machine even when this one had nothing cached.
bool HasEtcdTier(const ConnectOptions& daemon) {
  v1::StatusResponse status;
  return Call(daemon, "Status", v1::StatusRequest(), &status).ok() && status.has_etcd();
}

int Forget(const Invocation& invocation, const ConnectOptions& daemon) {
  const std::string& registry = invocation.arguments[0];
  v1::ForgetRequest request;
  request.set_registry(registry);
  v1::ForgetResponse response;
  if (absl::Status called = Call(daemon, "Forget", request, &response); !called.ok()) {
    return FailedCall(invocation, called);
  }
  const int64_t removed = response.removed();
  if (removed > 0) {
    return Succeed(invocation, {{"removed", removed}}, [&] {
      printf("forgot %lld cached token(s) for %s\n", static_cast<long long>(removed),
             registry.c_str());
    });
  }
  if (absl::StrContains(registry, "://") && HasEtcdTier(daemon)) {
    return Succeed(invocation, {{"removed", 0}, {"etcd", true}}, [&] {
      printf("nothing was cached here for %s; the etcd tier forgets it on every machine\n",
             registry.c_str());
    });
  }
  // A misspelt registry forgets nothing: that must not pass for success.
  return Fail(invocation, 1, absl::StrCat("nothing was cached for ", registry),
              absl::StrCat("`", kProgram,
                           " list` shows what is cached, by index URL and name; forget takes "
                           "either, as cargo spells them"),
              {{"removed", 0}});
}

int Flush(const Invocation& invocation, const ConnectOptions& daemon) {
  v1::FlushResponse response;
  if (absl::Status called = Call(daemon, "Flush", v1::FlushRequest(), &response); !called.ok()) {
    return FailedCall(invocation, called);
  }
  return Succeed(invocation, {{"removed", response.removed()}}, [&response] {
    printf("flushed %lld cached token(s)\n", static_cast<long long>(response.removed()));
  });
}

int Stats(const Invocation& invocation, const ConnectOptions& daemon) {
  v1::StatsRequest request;
  const bool reset = invocation.Has("--reset");
  request.set_reset(reset);
  v1::StatsResponse response;
  if (absl::Status called = Call(daemon, "Stats", request, &response); !called.ok()) {
    return FailedCall(invocation, called);
  }
  nlohmann::ordered_json json = ToJson(response);
  if (reset) json["reset"] = true;
  return Succeed(invocation, json, [&response, reset] { PrintStats(response, reset); });
}

int Doctor(const Invocation& invocation) {
  absl::StatusOr<ConnectOptions> connect =
      ConnectOptionsFromEnvironment(Absolute(invocation.Value("--socket", DefaultSocketPath())));
  if (!connect.ok()) return Fail(invocation, 1, std::string(connect.status().message()));
  DoctorOptions options;
  options.connect = *std::move(connect);
  options.cargo_home = invocation.Value("--cargo-home");
  options.json = invocation.Has("--json");
  return RunDoctor(options);
}

int Reload(const Invocation& invocation, const ConnectOptions& daemon) {
  v1::ReloadResponse response;
  if (absl::Status called = Call(daemon, "Reload", v1::ReloadRequest(), &response); !called.ok()) {
    return FailedCall(invocation, called,
                      "credcached refused the new config (the old one keeps serving)");
  }
  return Succeed(invocation, {{"config", response.config()}},
                 [&response] { printf("reloaded %s\n", response.config().c_str()); });
}

int Stop(const Invocation& invocation, const ConnectOptions& daemon) {
  v1::StopResponse response;
  if (absl::Status called = Call(daemon, "Stop", v1::StopRequest(), &response); !called.ok()) {
    return FailedCall(invocation, called);
  }
  // The daemon hands its socket over before it drains: once it has, a new
  // one may start, which is what a script that stops wants next.
  WaitForHandOver(daemon.socket_path, absl::Now() + absl::Seconds(5));
  return Succeed(invocation, {{"stopping", true}}, [] { printf("credcached is stopping\n"); });
}

int Audit(const Invocation& invocation, const ConnectOptions& daemon) {
  v1::AuditRequest request;
  const std::string count = invocation.Value("--count", "50");
  int64_t wanted = 0;
  if (!absl::SimpleAtoi(count, &wanted) || wanted <= 0) {
    return Fail(invocation, 2,
                absl::StrCat("--count must be a positive number, not `", count, "`"));
  }
  request.set_count(wanted);
  v1::AuditResponse response;
  if (absl::Status called = Call(daemon, "Audit", request, &response); !called.ok()) {
    return FailedCall(invocation, called);
  }
  nlohmann::ordered_json records = nlohmann::ordered_json::array();
  for (const std::string& record : response.records()) {
    records.push_back(nlohmann::ordered_json::parse(record, nullptr, /*allow_exceptions=*/false));
  }
  return Succeed(invocation, {{"records", records}}, [&records] {
    if (records.empty()) printf("no audit records yet\n");
    for (const nlohmann::ordered_json& record : records) {
      if (!record.is_object()) continue;
      auto text = [&record](const char* key) {
        return record.contains(key) && record[key].is_string() ? record[key].get<std::string>()
                                                               : std::string("-");
      };
      printf(
          "%s %s(%lld) %s %s %s by %s: %s%s%s\n", text("time").c_str(), text("user").c_str(),
          static_cast<long long>(record.value("uid", -1)), text("decision").c_str(),
          text("operation").c_str(), text("registry").c_str(), text("rule").c_str(),
          text("outcome").c_str(),
          record.contains("backend") && !text("backend").empty()
              ? absl::StrCat(" from ", text("backend")).c_str()
              : "",
          record.contains("token_hmac") ? absl::StrCat(" token ", text("token_hmac")).c_str() : "");
    }
  });
}

// All that `fd` holds, from its start.
std::string ReadBack(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t got = 0;
  lseek(fd, 0, SEEK_SET);
  while ((got = read(fd, buffer, sizeof(buffer))) > 0) text.append(buffer, got);
  return text;
}

// install-service and uninstall-service (service_install.cc) print for
// people as they go, and run systemctl. With --json, what they print is
// caught (in memory: it holds no secret, but needs no file either), then
// all of it goes to stderr, and stdout gets one object saying how it
// ended: what they printed as "output", their complaints as "error" (or
// "warnings" when they still succeeded).
int WithJsonSummary(const Invocation& invocation, const std::function<int()>& run) {
  if (!invocation.Has("--json")) return run();
  const int out = memfd_create("credcache-stdout", MFD_CLOEXEC);
  const int err = memfd_create("credcache-stderr", MFD_CLOEXEC);
  const int saved_out = dup(STDOUT_FILENO);
  const int saved_err = dup(STDERR_FILENO);
  if (out < 0 || err < 0 || saved_out < 0 || saved_err < 0) {
    for (const int fd : {out, err, saved_out, saved_err}) {
      if (fd >= 0) close(fd);
    }
    return Fail(invocation, 1, absl::StrCat("cannot catch what it prints: ", strerror(errno)));
  }
  fflush(stdout);
  fflush(stderr);
  dup2(out, STDOUT_FILENO);
  dup2(err, STDERR_FILENO);
  const int code = run();
  fflush(stdout);
  fflush(stderr);
  dup2(saved_out, STDOUT_FILENO);
  dup2(saved_err, STDERR_FILENO);
  close(saved_out);
  close(saved_err);
  const std::string printed = ReadBack(out);
  const std::string complained = ReadBack(err);
  close(out);
  close(err);
  fputs(printed.c_str(), stderr);
  fputs(complained.c_str(), stderr);
  const std::string said(absl::StripTrailingAsciiWhitespace(complained));
  nlohmann::ordered_json json = {{"ok", code == 0}};
  if (code != 0) {
    json["exit_code"] = code;
    json["error"] = said.empty() ? absl::StrCat("failed with exit code ", code) : said;
  } else if (!said.empty()) {
    json["warnings"] = said;
  }
  json["output"] = printed;
  PrintJson(json);
  return code;
}

const CommandLine& AdminCommandLine();

// The man page and the completions install-service puts where man and the
// shells look: under $XDG_DATA_HOME (the parent of credcache's own data
// directory) and, for fish, $XDG_CONFIG_HOME; or, with a `prefix`, under
// PREFIX/share, where they serve every user.
// credcached's command line, as a table with no commands, for its man page
// (its --help is made from the same flags: daemon/credcached_flags.h).
const CommandLine& CredcachedCommandLine() {
  static const CommandLine* const kCommandLine = [] {
    std::vector<Option> options;
    for (const CredcachedFlag& flag : CredcachedFlags()) {
      options.push_back({flag.name, flag.value_name, flag.help});
    }
    return new CommandLine("credcached", BuildVersion(), CredcachedIntro(), "", options, {});
  }();
  return *kCommandLine;
}

ManPageText CredcachedManText() {
  ManPageText text{"the credcache daemon, which caches Cargo registry tokens", CredcachedNotes()};
  text.sections.push_back(
      {"See also", "cargo-credential-credcache(1), which cargo runs and which starts it."});
  return text;
}

// The man page of `program`, or empty for a program that is not one of ours.
std::string ManPageOf(const std::string& program) {
  if (program == kProgram) return ManPage(AdminCommandLine(), ShimManText());
  if (program == "credcached") return ManPage(CredcachedCommandLine(), CredcachedManText());
  return "";
}

std::vector<std::pair<std::string, std::string>> Documents(const std::string& prefix) {
  const std::string data_directory = DefaultDataDirectory();
  const std::string share =
      prefix.empty() ? data_directory.substr(0, data_directory.rfind('/')) : prefix + "/share";
  std::vector<std::pair<std::string, std::string>> documents = {
      {absl::StrCat(share, "/man/man1/", kProgram, ".1"), ManPageOf(kProgram)},
      {absl::StrCat(share, "/man/man1/credcached.1"), ManPageOf("credcached")}};
  for (const std::string& shell : CompletionShells()) {
    documents.push_back({prefix.empty() ? CompletionPath(shell, kProgram, share, ConfigHome())
                                        : SharedCompletionPath(shell, kProgram, share),
                         CompletionScript(AdminCommandLine(), shell)});
  }
  return documents;
}

int Completions(const Invocation& invocation) {
  const std::string& shell = invocation.arguments[0];
  const std::string script = CompletionScript(AdminCommandLine(), shell);
  if (script.empty()) {
    return Fail(invocation, 2,
                absl::StrCat("no completions for `", shell, "`; there are for ",
                             absl::StrJoin(CompletionShells(), ", ")));
  }
  fputs(script.c_str(), stdout);
  return 0;
}

int Manual(const Invocation& invocation) {
  const std::string page = ManPageOf(invocation.arguments[0]);
  if (page.empty()) {
    return Fail(invocation, 2,
                absl::StrCat("no man page for `", invocation.arguments[0], "`; there are for ",
                             kProgram, " and credcached"));
  }
  fputs(page.c_str(), stdout);
  return 0;
}

// Before a purge: the running daemon (on the default socket) is stopped and
// waited for, so that it cannot write its log or token file again once they
// are removed. Nothing running is fine.
void StopBeforePurge() {
  ConnectOptions daemon = ConnectOptionsFor(DefaultSocketPath());
  daemon.spawn = false;
  v1::StatusResponse status;
  if (!Call(daemon, "Status", v1::StatusRequest(), &status).ok()) return;
  v1::StopResponse stopped;
  if (!Call(daemon, "Stop", v1::StopRequest(), &stopped).ok()) return;
  const pid_t pid = static_cast<pid_t>(status.pid());
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (kill(pid, 0) == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  printf("stopped credcached (pid %d)\n", static_cast<int>(pid));
}

ServiceInstallOptions ServiceOptions(const Invocation& invocation) {
  ServiceInstallOptions options;
  options.purge = invocation.Has("--purge");
  // Absolute: the units' ExecStart, cargo's config and the manifest name
  // these paths, and each is read from another directory than this one.
  const std::string prefix = Absolute(invocation.Value("--prefix"));
  if (!invocation.Has("--team")) options.documents = Documents(prefix);
  options.team = invocation.Has("--team");
  options.bindir = Absolute(invocation.Value("--bindir", prefix.empty() ? "" : prefix + "/bin"));
  options.unitdir =
      Absolute(invocation.Value("--unitdir", prefix.empty() ? "" : prefix + "/lib/systemd/user"));
  options.enable = !invocation.Has("--no-enable");
  options.account = invocation.Value("--account", options.account);
  options.group = invocation.Value("--group", options.group);
  options.config = Absolute(invocation.Value("--config", options.config));
  return options;
}

int Import(const Invocation& invocation) {
  // import starts a daemon when none runs, so the variables that say how a
  // shim starts one apply to it as to cargo's requests.
  absl::StatusOr<ConnectOptions> connect =
      ConnectOptionsFromEnvironment(Absolute(invocation.Value("--socket", DefaultSocketPath())));
  if (!connect.ok()) return Fail(invocation, 1, std::string(connect.status().message()));
  ImportOptions options;
  options.connect = *std::move(connect);
  options.json = invocation.Has("--json");
  options.backend = invocation.Value("--backend", options.backend);
  options.cargo_home = invocation.Value("--cargo-home", options.cargo_home);
  options.remove = invocation.Has("--remove");
  return RunImport(options);
}

// What every command on the running daemon takes.
const std::vector<std::string>& DaemonOptions() {
  static const std::vector<std::string>* const kOptions =
      new std::vector<std::string>{"--socket", "--json"};
  return *kOptions;
}

const CommandLine& AdminCommandLine() {
  const std::vector<std::string>& kDaemonOptions = DaemonOptions();
  static const CommandLine* const kCommandLine = new CommandLine(
      kProgram, BuildVersion(),
      "Cargo runs this program with --cargo-plugin to get registry tokens from\n"
      "credcached. Run by you, it manages the daemon:\n",
      "To use it with cargo, put in ~/.cargo/config.toml:\n"
      "  [registry]\n"
      "  global-credential-providers = [\"cargo-credential-credcache\"]\n",
      {
          {"--socket", "PATH",
           "the daemon's socket (default: $CREDCACHE_SOCKET, else\n"
           "$XDG_RUNTIME_DIR/credcache/credcache.sock)"},
          {"--json", "",
           "one JSON object on stdout, success or failure: \"ok\",\n"
           "and \"error\" and \"hint\" when it failed (for scripts)"},
          {"--bindir", "DIR",
           "where the programs go (default: ~/.local/bin;\nwith --team, /usr/local/bin)"},
          {"--unitdir", "DIR",
           "where the units go (default: ~/.config/systemd/user;\n"
           "with --team, /etc/systemd/system)"},
          {"--no-enable", "", "leave systemctl alone"},
          {"--prefix", "DIR",
           "install for every user under DIR: DIR/bin, DIR/lib/systemd/user,\n"
           "DIR/share/man and the shells' vendor completion folders"},
          {"--team", "", "a team daemon: system units, run by a service account"},
          {"--account", "NAME", "the account that runs a team daemon (default: credcache)",
           "--team"},
          {"--group", "NAME", "the team's group, which may use its socket\n(default: cargo-team)",
           "--team"},
          {"--config", "PATH", "a team daemon's config (default: /etc/credcache/team.toml)",
           "--team"},
          {"--backend", "NAME",
           "the backend that takes the tokens (default: the registry's chain)"},
          {"--cargo-home", "DIR", "cargo's home (default: $CARGO_HOME, else ~/.cargo)"},
          {"--remove", "", "delete each token from credentials.toml once credcache holds it"},
          {"--count", "N", "how many of the most recent records (default: 50)"},
          {"--reset", "", "then start the counts again from zero"},
          {"--purge", "", "also remove the config, the token file and the logs"},
      },
      {
          {"status",
           {},
           "is the daemon up; its version, uptime, socket, config, backends",
           "",
           kDaemonOptions,
           WithDaemon("status", Status)},
          {"list",
           {},
           "cached tokens: registry, backend, time left (never the token)",
           "",
           kDaemonOptions,
           WithDaemon("list", List)},
          {"forget",
           {"REGISTRY"},
           "drop the cached tokens of one registry",
           "REGISTRY is an index URL (as cargo has it, e.g. sparse+https://host/index/)\n"
           "or a registry name. Exits 1 when nothing was cached for it (`list` shows\n"
           "what is), unless an etcd tier forgets the URL on every machine.",
           kDaemonOptions,
           WithDaemon("forget", Forget)},
          {"flush", {}, "drop every cached token", "", kDaemonOptions, WithDaemon("flush", Flush)},
          {"stats",
           {},
           "requests, cache hits and misses, backend calls, errors, latency",
           "Counted since the daemon started, or since the last `stats --reset`, which\n"
           "answers the counts and starts them again from zero in one step.",
           {"--socket", "--json", "--reset"},
           WithDaemon("stats", Stats)},
          {"doctor",
           {},
           "check the whole chain, cargo to backends, and say what to fix",
           "Checks: which of cargo's config files (from this directory up, then\n"
           "$CARGO_HOME) send registries to credcache; that the cargo-credential-credcache\n"
           "on PATH is this one; the daemon (started if none runs, as cargo would), its\n"
           "version, socket directory, config and log; each backend as the daemon finds it\n"
           "(program on PATH, token file private, keyring unlocked; no token is fetched);\n"
           "which backends would serve each registry cargo knows; the systemd user units.\n"
           "Exits 1 when it finds a problem; each comes with what to do.",
           {"--socket", "--cargo-home", "--json"},
           Doctor},
          {"reload",
           {},
           "re-read the config (a bad one is refused; the old one keeps serving)",
           "",
           kDaemonOptions,
           WithDaemon("reload", Reload)},
          {"stop",
           {},
           "finish in-flight requests and stop the daemon",
           "",
           kDaemonOptions,
           WithDaemon("stop", Stop)},
          {"audit",
           {},
           "a team daemon's recent access decisions (for its admins)",
           "One record per request: who (uid, groups, pid), registry, operation, the\n"
           "rule that decided, allow or deny, how it was served, and a keyed\n"
           "fingerprint of the token handed out (never the token). The daemon keeps the\n"
           "last 1000; its journal or audit file keeps them all.",
           {"--socket", "--json", "--count"},
           WithDaemon("audit", Audit)},
          {"install-service",
           {},
           "install the programs and the systemd user units, and\nenable credcached.socket",
           "Copies this program and credcached into the bin directory and writes\n"
           "credcached.socket and credcached.service into systemd's user unit directory.\n"
           "\n"
           "With --team, as root: a team daemon, run by the service account for the\n"
           "group's members. The programs go to /usr/local/bin, and\n"
           "credcached-team.socket (/run/credcache/team.sock, 0660 account:group) and\n"
           "credcached-team.service to /etc/systemd/system; then the socket is enabled.\n"
           "The account and the group must exist (the commands that make them are\n"
           "printed otherwise, and nothing is written). A missing config is reported,\n"
           "with the smallest one to write.\n"
           "\n"
           "With --json, what it prints goes to stderr, and stdout gets one object: \"ok\",\n"
           "\"output\", and \"error\" when it failed.",
           {"--bindir", "--unitdir", "--prefix", "--no-enable", "--team", "--account", "--group",
            "--config", "--json"},
           [](const Invocation& invocation) {
             if (invocation.Has("--prefix") && invocation.Has("--team")) {
               return Fail(invocation, 2,
                           "--prefix is for the user service; a team daemon's programs go to "
                           "--bindir and its units to /etc/systemd/system");
             }
             return WithJsonSummary(invocation,
                                    [&] { return InstallService(ServiceOptions(invocation)); });
           }},
          {"uninstall-service",
           {},
           "disable and remove what install-service installed",
           "Removes the programs, the units, the man page and the completions, wherever\n"
           "install-service put them (it keeps a list). The config, the token file and\n"
           "the logs stay, unless --purge: then the running daemon is stopped and they go\n"
           "too. Tokens in the keyring always stay (cargo's libsecret provider shares\n"
           "them).\n"
           "\n"
           "With --team, the team daemon's system units (the programs and its config\n"
           "stay).",
           {"--bindir", "--unitdir", "--no-enable", "--team", "--purge", "--json"},
           [](const Invocation& invocation) {
             if (invocation.Has("--purge") && invocation.Has("--team")) {
               return Fail(invocation, 2,
                           "--purge is for the user service; a team daemon's config and audit "
                           "are its admins' to remove");
             }
             return WithJsonSummary(invocation, [&] {
               if (invocation.Has("--purge")) StopBeforePurge();
               return UninstallService(ServiceOptions(invocation));
             });
           }},
          {"completions",
           {"SHELL"},
           "print the completion script for bash, zsh or fish",
           "install-service installs all three. By hand, for bash:\n"
           "  source <(cargo-credential-credcache completions bash)",
           {},
           Completions},
          {"manual",
           {"PROGRAM"},
           "print the man page (roff) of cargo-credential-credcache or\ncredcached; "
           "install-service installs both",
           "",
           {},
           Manual},
          {"import",
           {},
           "move the tokens of cargo's credentials.toml into credcache",
           "Each token is logged in to a credcache backend through the daemon (started\n"
           "if need be), under its registry's index URL as cargo spells it; with --remove\n"
           "it is then deleted from credentials.toml. A failure several registries share\n"
           "is said once. The lines that tell cargo to ask credcache are printed unless\n"
           "its config.toml already does.",
           {"--socket", "--backend", "--cargo-home", "--remove", "--json"},
           Import},
      },
      "--json");
  return *kCommandLine;
}

}  // namespace

int RunAdmin(int argc, char** argv) { return AdminCommandLine().Run(argc, argv); }

absl::StatusOr<ConnectOptions> ConnectOptionsFromEnvironment(const std::string& socket_path) {
  ConnectOptions options = ConnectOptionsFor(socket_path);
  absl::StatusOr<bool> no_spawn = SwitchFromEnvironment("CREDCACHE_NO_SPAWN", false);
  if (!no_spawn.ok()) return no_spawn.status();
  if (*no_spawn) options.spawn = false;
  if (const char* idle = getenv("CREDCACHE_IDLE_EXIT"); idle != nullptr && idle[0] != '\0') {
    // Ignored, a typo would leave every daemon at the default, unseen.
    absl::StatusOr<absl::Duration> parsed = ParseIdleExit(idle);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("CREDCACHE_IDLE_EXIT=", idle, ": ", parsed.status().message()));
    }
    options.idle_exit = *parsed;
  }
  return options;
}

}  // namespace credcache
