// AuditLog: a team daemon's record of every access decision, with no
// secret in it.
//
// One record per decision (a request admitted or refused): when, who (uid
// and name, groups and pid, as the kernel said), what (registry, operation),
// what decided (the rule), how it was served (hit, miss, coalesced, or the
// error), by which backend and scope, how long it took, and, for a token
// handed out, its fingerprint: an HMAC-SHA256 of the token under a key this
// daemon draws at start and never writes anywhere (as Vault's audit devices
// do), so that two records can be matched to one token without revealing
// it, and no record outlives the daemon's key as a way to test a guess.
//
// Records go to the systemd journal when the daemon runs as a systemd
// service (structured fields, CREDCACHE_*), else to a file of JSON lines,
// 0600, rotated by size. The most recent ones are also kept in memory for
// `cargo-credential-credcache audit`. A request never waits on the disk or
// the journal: Record() formats the line on the caller's thread and queues
// it; a writer thread of the log's own writes what is queued, in batches,
// and the destructor writes the rest before it returns. Denials are rate-limited per uid: a
// caller refused again and again gets a few records a minute, and the next
// one says how many were left out.
//
// Thread-safety: all methods are thread-safe.
#ifndef CREDCACHE_DAEMON_AUDIT_H_
#define CREDCACHE_DAEMON_AUDIT_H_

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cargo_credential/secret.h"
#include "daemon/team.h"
#include "lib/files.h"
#include "sodium.h"

namespace credcache {

struct AuditRecord {
  absl::Time time;
  uid_t uid = 0;
  std::string user;
  std::vector<gid_t> groups;
  pid_t pid = 0;
  std::string registry;
  std::string operation;  // read, publish, ..., login, logout.
  std::string scope;      // shared, personal, or empty when none applied.
  std::string rule;       // AccessDecision::rule.
  bool allowed = false;
  std::string outcome;  // hit, miss, coalesced, error, denied.
  std::string backend;
  absl::Duration latency;
  std::string fingerprint;  // Of the token handed out, if one was.
  std::string error;        // The answer's error message (never holds a token).
};

// How many records `audit` can show; older ones are in the journal or file.
inline constexpr size_t kAuditMemory = 1000;
// How long a record may wait in memory before the writer thread writes it.
inline constexpr absl::Duration kAuditBatch = absl::Milliseconds(20);
// The most records that may wait for the writer (a stalled disk or journal).
inline constexpr size_t kAuditQueueMax = 100000;
// Denials recorded per uid per minute before they are only counted.
inline constexpr int kDenialsPerMinute = 5;

class AuditLog {
 public:
  // Opens the sink: the journal when `journal` (a systemd service), else
  // the file `settings.file` (or DefaultAuditFile()), made 0600 in a
  // directory made 0700 when missing. Fails when the file cannot be opened:
  // a team daemon that cannot audit does not serve.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const AuditSettings& settings,
                                                        bool journal);
  ~AuditLog();

  // The keyed fingerprint of `token`: 16 hex digits.
  std::string Fingerprint(const cargo_credential::Secret& token) const;

  // Queues `record` for writing (unless it is a denial over the rate
  // limit); it shows in Recent() at once.
  void Record(AuditRecord record);
  // Waits until every record queued so far is written (for tests).
  void Flush();

  // The most recent records, oldest first, as JSON lines; at most `count`.
  std::vector<std::string> Recent(size_t count) const;

  // Whether records are being written: false while the writer cannot keep
  // up (kAuditQueueMax records wait) or its last write failed. A team
  // daemon refuses requests then, rather than serve unaudited.
  bool Healthy() const;

  // Where records go, for `status`: "journal" or the file's path.
  const std::string& sink() const { return sink_; }

 private:
  // A record on its way out: its JSON line, and for the journal its fields.
  struct Queued {
    std::string line;
    std::vector<std::string> fields;
  };

  AuditLog() = default;
  // The writer thread: writes what Record() queues until the log dies.
  void WriteQueued();
  // Appends `text` (whole lines) to the file, rotating it first when it
  // would grow past the size limit. Writer thread only.
  void WriteFile(const std::string& text);
  static std::vector<std::string> JournalFields(const AuditRecord& record, const std::string& line);

  std::array<unsigned char, 32> key_{};
  crypto_auth_hmacsha256_state keyed_;  // HMAC state after the key.
  AuditSettings settings_;
  bool journal_ = false;
  std::string sink_;

  // The file and its size belong to the writer thread (and to Open()).
  cargo_credential::ScopedFd file_;
  int64_t file_size_ = 0;

  mutable absl::Mutex mutex_;
  std::deque<std::string> recent_ ABSL_GUARDED_BY(mutex_);
  std::vector<Queued> queue_ ABSL_GUARDED_BY(mutex_);
  uint64_t queued_ ABSL_GUARDED_BY(mutex_) = 0;   // Records ever queued.
  uint64_t written_ ABSL_GUARDED_BY(mutex_) = 0;  // ...and written.
  bool closing_ ABSL_GUARDED_BY(mutex_) = false;
  bool flush_wanted_ ABSL_GUARDED_BY(mutex_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread writer_;
  struct Denials {
    absl::Time window;
    int recorded = 0;
    int64_t left_out = 0;
  };
  std::map<uid_t, Denials> denials_ ABSL_GUARDED_BY(mutex_);
};

// The audit file when config names none: $LOGS_DIRECTORY/audit.log (set by
// systemd's LogsDirectory=), else $XDG_STATE_HOME/credcache/audit.log, else
// ~/.local/state/credcache/audit.log.
std::string DefaultAuditFile();

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_AUDIT_H_
