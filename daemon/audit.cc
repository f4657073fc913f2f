#include "daemon/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cargo_credential/line_io.h"
#include "common/paths.h"
#include "daemon/log.h"
#include "lib/files.h"
#include "lib/utf8.h"
#include "sodium.h"
#include "systemd/sd-journal.h"

namespace credcache {
namespace {

// Appends `text` as a JSON string. Bytes that are not UTF-8 (a registry
// URL is the client's text) are replaced, and control characters escaped:
// a record is always one line, whatever a client sends.
void AppendJsonString(std::string& out, absl::string_view text) {
  std::string repaired;
  if (!cargo_credential::IsUtf8(text)) {
    repaired = cargo_credential::ToUtf8Lossy(text);
    text = repaired;
  }
  out.push_back('"');
  for (const char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte == 0x7F) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", byte));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void AppendField(std::string& out, absl::string_view key, absl::string_view value) {
  absl::StrAppend(&out, out.size() > 1 ? "," : "", "\"", key, "\":");
  AppendJsonString(out, value);
}

// `time` as RFC 3339 UTC with milliseconds; gmtime_r is several times
// cheaper than a general formatter, and this runs for every request.
std::string Timestamp(absl::Time time) {
  const int64_t millis = absl::ToUnixMillis(time);
  const time_t seconds = static_cast<time_t>(millis / 1000);
  struct tm parts;
  gmtime_r(&seconds, &parts);
  char text[64];
  snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
           parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
           static_cast<int>(millis % 1000));
  return text;
}

// The record as one JSON object, written by hand: a record is made for
// every request, cache hits included, so it must cost next to nothing.
std::string ToJson(const AuditRecord& record, int64_t left_out) {
  std::string out = "{";
  AppendField(out, "time", Timestamp(record.time));
  absl::StrAppend(&out, ",\"uid\":", record.uid);
  AppendField(out, "user", record.user);
  absl::StrAppend(&out, ",\"groups\":[", absl::StrJoin(record.groups, ","),
                  "],\"pid\":", record.pid);
  AppendField(out, "registry", record.registry);
  AppendField(out, "operation", record.operation);
  AppendField(out, "scope", record.scope);
  AppendField(out, "rule", record.rule);
  AppendField(out, "decision", record.allowed ? "allow" : "deny");
  AppendField(out, "outcome", record.outcome);
  AppendField(out, "backend", record.backend);
  const int64_t micros = std::max<int64_t>(absl::ToInt64Microseconds(record.latency), 0);
  absl::StrAppend(&out, ",\"latency_ms\":", micros / 1000, ".",
                  absl::Dec(micros % 1000, absl::kZeroPad3));
  if (!record.fingerprint.empty()) AppendField(out, "token_hmac", record.fingerprint);
  if (!record.error.empty()) AppendField(out, "error", record.error);
  if (left_out > 0) absl::StrAppend(&out, ",\"denials_left_out\":", left_out);
  out.push_back('}');
  return out;
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
  // The key's part of every HMAC, done once: a fingerprint is taken for
  // every token handed out.
  crypto_auth_hmacsha256_init(&log->keyed_, log->key_.data(), log->key_.size());
  log->settings_ = settings;
  log->journal_ = journal;
  if (journal) {
    log->sink_ = "journal";
    AuditLog* raw = log.get();
    log->writer_ = std::thread([raw] { raw->WriteQueued(); });
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
  // An existing file is made private too: it names every user's requests.
  if (!fd.valid() || fstat(fd.get(), &info) != 0 || fchmod(fd.get(), 0600) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open the audit file ", log->sink_, ": ", strerror(errno)));
  }
  log->file_ = std::move(fd);
  log->file_size_ = info.st_size;
  AuditLog* raw = log.get();
  log->writer_ = std::thread([raw] { raw->WriteQueued(); });
  return log;
}

AuditLog::~AuditLog() {
  {
    absl::MutexLock lock(&mutex_);
    closing_ = true;
  }
  if (writer_.joinable()) writer_.join();
  sodium_memzero(key_.data(), key_.size());
  sodium_memzero(&keyed_, sizeof(keyed_));
}

std::string AuditLog::Fingerprint(const cargo_credential::Secret& token) const {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state = keyed_;
  crypto_auth_hmacsha256_update(
      &state, reinterpret_cast<const unsigned char*>(token.Expose().data()), token.Expose().size());
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof(state));
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(mac), 8));
}

void AuditLog::Record(AuditRecord record) {
  int64_t left_out = 0;
  if (!record.allowed) {
    absl::MutexLock lock(&mutex_);
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
  // Formatted here, outside any lock; only the queueing is shared.
  Queued queued;
  queued.line = ToJson(record, left_out);
  if (journal_) queued.fields = JournalFields(record, queued.line);
  absl::MutexLock lock(&mutex_);
  recent_.push_back(queued.line);
  while (recent_.size() > kAuditMemory) recent_.pop_front();
  if (queue_.size() >= kAuditQueueMax) return;  // Healthy() says so.
  queue_.push_back(std::move(queued));
  ++queued_;
}

bool AuditLog::Healthy() const {
  absl::MutexLock lock(&mutex_);
  return !write_failed_ && queue_.size() < kAuditQueueMax;
}

void AuditLog::Flush() {
  absl::MutexLock lock(&mutex_);
  const uint64_t target = queued_;
  flush_wanted_ = true;
  auto written = [this, target]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return written_ >= target; };
  mutex_.Await(absl::Condition(&written));
}

void AuditLog::WriteQueued() {
  while (true) {
    std::vector<Queued> batch;
    bool closing;
    {
      // Wakes every kAuditBatch, not at every record: under load a wake-up
      // per request would cost more than the records themselves.
      absl::MutexLock lock(&mutex_);
      auto hurry = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return closing_ || flush_wanted_; };
      mutex_.AwaitWithTimeout(absl::Condition(&hurry), kAuditBatch);
      flush_wanted_ = false;
      batch.swap(queue_);
      closing = closing_;
    }
    // One write for the batch, but never past the size limit: a file is
    // rotated between lines.
    std::string text;
    bool journal_failed = false;
    for (Queued& queued : batch) {
      if (journal_) {
        std::vector<struct iovec> vectors;
        for (const std::string& field : queued.fields) {
          vectors.push_back({const_cast<char*>(field.data()), field.size()});
        }
        const int sent = sd_journal_sendv(vectors.data(), static_cast<int>(vectors.size()));
        if (sent < 0 && !journal_failed) {
          Log(LogLevel::kError, absl::StrCat("cannot send audit records to the journal: ",
                                             strerror(-sent), "; refusing requests until it can"));
        }
        journal_failed = journal_failed || sent < 0;
        continue;
      }
      if (file_size_ + static_cast<int64_t>(text.size() + queued.line.size() + 1) >
          settings_.max_size) {
        WriteFile(text);
        text.clear();
      }
      absl::StrAppend(&text, queued.line, "\n");
    }
    WriteFile(text);
    {
      absl::MutexLock lock(&mutex_);
      if (journal_ && !batch.empty()) write_failed_ = journal_failed;
      written_ += batch.size();
      if (closing && queue_.empty()) return;
    }
  }
}

void AuditLog::WriteFile(const std::string& text) {
  if (text.empty()) return;
  if (file_size_ > 0 && file_size_ + static_cast<int64_t>(text.size()) > settings_.max_size) {
    // audit.log.(keep-1) .. audit.log.1 move up one; the oldest goes.
    for (int i = settings_.keep - 1; i >= 1; --i) {
      rename(absl::StrCat(sink_, ".", i).c_str(), absl::StrCat(sink_, ".", i + 1).c_str());
    }
    rename(sink_.c_str(), absl::StrCat(sink_, ".1").c_str());
    file_.reset(open(sink_.c_str(),
                     O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_TRUNC, 0600));
    file_size_ = 0;
    if (!file_.valid()) {
      Log(LogLevel::kError,
          absl::StrCat("cannot reopen the audit file ", sink_, ": ", strerror(errno)));
    }
  }
  const bool written = file_.valid() && cargo_credential::WriteAll(file_.get(), text).ok();
  if (!written) {
    Log(LogLevel::kError, absl::StrCat("cannot write the audit file ", sink_, ": ", strerror(errno),
                                       "; refusing requests until it can"));
  } else {
    file_size_ += static_cast<int64_t>(text.size());
  }
  absl::MutexLock lock(&mutex_);
  write_failed_ = !written;
}

std::vector<std::string> AuditLog::JournalFields(const AuditRecord& record,
                                                 const std::string& line) {
  return {
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
}

std::vector<std::string> AuditLog::Recent(size_t count) const {
  absl::MutexLock lock(&mutex_);
  const size_t skip = recent_.size() > count ? recent_.size() - count : 0;
  return std::vector<std::string>(recent_.begin() + static_cast<ptrdiff_t>(skip), recent_.end());
}

}  // namespace credcache
