#include "daemon/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/paths.h"
#include "daemon/log.h"
#include "lib/files.h"
#include "lib/line_io.h"
#include "nlohmann/json.hpp"
#include "sodium.h"
#include "systemd/sd-journal.h"

namespace credcache {
namespace {

std::string ToJson(const AuditRecord& record, int64_t left_out) {
  nlohmann::json json = {
      {"time", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", record.time, absl::UTCTimeZone())},
      {"uid", record.uid},
      {"user", record.user},
      {"groups", record.groups},
      {"pid", record.pid},
      {"registry", record.registry},
      {"operation", record.operation},
      {"scope", record.scope},
      {"rule", record.rule},
      {"decision", record.allowed ? "allow" : "deny"},
      {"outcome", record.outcome},
      {"backend", record.backend},
      {"latency_ms", absl::ToDoubleMilliseconds(record.latency)},
  };
  if (!record.fingerprint.empty()) json["token_hmac"] = record.fingerprint;
  if (!record.error.empty()) json["error"] = record.error;
  if (left_out > 0) json["denials_left_out"] = left_out;
  // A registry URL is the client's text: bytes that are not UTF-8 are
  // replaced, never allowed to break the line.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string DefaultAuditFile() {
  if (const char* logs = getenv("LOGS_DIRECTORY"); logs != nullptr && *logs == '/') {
    // systemd may list several, separated by ':'; the first is ours.
    return absl::StrCat(std::string(logs).substr(0, std::string(logs).find(':')), "/audit.log");
  }
  if (const char* state = getenv("XDG_STATE_HOME"); state != nullptr && *state == '/') {
    return absl::StrCat(state, "/credcache/audit.log");
  }
  return absl::StrCat(HomeDirectory(), "/.local/state/credcache/audit.log");
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const AuditSettings& settings,
                                                         bool journal) {
  if (sodium_init() < 0) return absl::InternalError("libsodium did not initialise");
  std::unique_ptr<AuditLog> log(new AuditLog());
  randombytes_buf(log->key_.data(), log->key_.size());
  log->settings_ = settings;
  log->journal_ = journal;
  if (journal) {
    log->sink_ = "journal";
    return log;
  }
  log->sink_ = settings.file.empty() ? DefaultAuditFile() : settings.file;
  const std::string dir = cargo_credential::DirectoryOf(log->sink_);
  if (absl::Status made = cargo_credential::MakeDirectories(dir, 0700); !made.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot make the audit file's directory ", dir, ": ", made.message()));
  }
  cargo_credential::ScopedFd fd(
      open(log->sink_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  struct stat info;
  if (!fd.valid() || fstat(fd.get(), &info) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open the audit file ", log->sink_, ": ", strerror(errno)));
  }
  absl::MutexLock lock(&log->mutex_);
  log->file_ = std::move(fd);
  log->file_size_ = info.st_size;
  return log;
}

AuditLog::~AuditLog() { sodium_memzero(key_.data(), key_.size()); }

std::string AuditLog::Fingerprint(const cargo_credential::Secret& token) const {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key_.data(), key_.size());
  crypto_auth_hmacsha256_update(
      &state, reinterpret_cast<const unsigned char*>(token.Expose().data()), token.Expose().size());
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof(state));
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(mac), 8));
}

void AuditLog::Record(AuditRecord record) {
  absl::MutexLock lock(&mutex_);
  int64_t left_out = 0;
  if (!record.allowed) {
    Denials& denials = denials_[record.uid];
    if (record.time - denials.window >= absl::Minutes(1)) {
      left_out = denials.left_out;
      denials = {record.time, 0, 0};
    }
    if (denials.recorded >= kDenialsPerMinute) {
      ++denials.left_out;
      return;
    }
    ++denials.recorded;
  }
  const std::string line = ToJson(record, left_out);
  recent_.push_back(line);
  while (recent_.size() > kAuditMemory) recent_.pop_front();
  if (journal_) {
    WriteJournal(record, line);
  } else {
    WriteFileLocked(line);
  }
}

void AuditLog::WriteFileLocked(const std::string& line) {
  const std::string text = line + "\n";
  if (file_size_ > 0 && file_size_ + static_cast<int64_t>(text.size()) > settings_.max_size) {
    // audit.log.(keep-1) .. audit.log.1 move up one; the oldest goes.
    for (int i = settings_.keep - 1; i >= 1; --i) {
      rename(absl::StrCat(sink_, ".", i).c_str(), absl::StrCat(sink_, ".", i + 1).c_str());
    }
    if (settings_.keep > 0) {
      rename(sink_.c_str(), absl::StrCat(sink_, ".1").c_str());
    } else {
      unlink(sink_.c_str());
    }
    file_.reset(open(sink_.c_str(),
                     O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_TRUNC, 0600));
    file_size_ = 0;
    if (!file_.valid())
      Log(absl::StrCat("cannot reopen the audit file ", sink_, ": ", strerror(errno)));
  }
  if (!file_.valid()) return;
  if (!cargo_credential::WriteAll(file_.get(), text).ok()) {
    Log(absl::StrCat("cannot write the audit file ", sink_, ": ", strerror(errno)));
    return;
  }
  file_size_ += static_cast<int64_t>(text.size());
}

void AuditLog::WriteJournal(const AuditRecord& record, const std::string& line) const {
  const std::vector<std::string> fields = {
      absl::StrCat("MESSAGE=", line),
      absl::StrCat("PRIORITY=", record.allowed ? LOG_INFO : LOG_NOTICE),
      "SYSLOG_IDENTIFIER=credcached-audit",
      absl::StrCat("CREDCACHE_UID=", record.uid),
      absl::StrCat("CREDCACHE_USER=", record.user),
      absl::StrCat("CREDCACHE_GROUPS=", absl::StrJoin(record.groups, ",")),
      absl::StrCat("CREDCACHE_PID=", record.pid),
      absl::StrCat("CREDCACHE_REGISTRY=", record.registry),
      absl::StrCat("CREDCACHE_OPERATION=", record.operation),
      absl::StrCat("CREDCACHE_SCOPE=", record.scope),
      absl::StrCat("CREDCACHE_RULE=", record.rule),
      absl::StrCat("CREDCACHE_DECISION=", record.allowed ? "allow" : "deny"),
      absl::StrCat("CREDCACHE_OUTCOME=", record.outcome),
      absl::StrCat("CREDCACHE_BACKEND=", record.backend),
      absl::StrCat("CREDCACHE_LATENCY_MS=", absl::ToDoubleMilliseconds(record.latency)),
      absl::StrCat("CREDCACHE_TOKEN_HMAC=", record.fingerprint),
  };
  std::vector<struct iovec> vectors;
  for (const std::string& field : fields) {
    vectors.push_back({const_cast<char*>(field.data()), field.size()});
  }
  sd_journal_sendv(vectors.data(), static_cast<int>(vectors.size()));
}

std::vector<std::string> AuditLog::Recent(size_t count) const {
  absl::MutexLock lock(&mutex_);
  const size_t skip = recent_.size() > count ? recent_.size() - count : 0;
  return std::vector<std::string>(recent_.begin() + static_cast<ptrdiff_t>(skip), recent_.end());
}

}  // namespace credcache
