// FakeCaller: a shim waiting on a request, for the daemon's unit tests. It
// keeps the jobs it is handed, can refuse them, and its process can be made
// to exit.
//
// Thread-safety: all methods are thread-safe.
#ifndef CREDCACHE_DAEMON_FAKE_CALLER_H_
#define CREDCACHE_DAEMON_FAKE_CALLER_H_

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daemon/caller.h"

namespace credcache {

class FakeCaller : public Caller {
 public:
  explicit FakeCaller(pid_t pid, bool accepts = true) : pid_(pid), accepts_(accepts) {}

  std::unique_ptr<CallerProcess> Take(const CallerJob& job) override {
    absl::MutexLock lock(&mutex_);
    jobs_.push_back(job.Clone());
    if (!accepts_) return nullptr;
    return std::make_unique<Process>(pid_, exited_);
  }

  // The job handed to it, once it has one (within `timeout`).
  std::optional<CallerJob> AwaitJob(absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mutex_);
    auto has_job = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return !jobs_.empty(); };
    if (!mutex_.AwaitWithTimeout(absl::Condition(&has_job), timeout)) return std::nullopt;
    return jobs_.front().Clone();
  }
  int jobs() const {
    absl::MutexLock lock(&mutex_);
    return static_cast<int>(jobs_.size());
  }
  pid_t pid() const { return pid_; }
  // Its process exits: a job it holds goes to the next caller.
  void Exit() { *exited_ = true; }

 private:
  class Process : public CallerProcess {
   public:
    Process(pid_t pid, std::shared_ptr<std::atomic<bool>> exited) : pid_(pid), exited_(exited) {}
    pid_t pid() const override { return pid_; }
    bool Exited() const override { return *exited_; }

   private:
    const pid_t pid_;
    const std::shared_ptr<std::atomic<bool>> exited_;
  };

  const pid_t pid_;
  const bool accepts_;
  const std::shared_ptr<std::atomic<bool>> exited_ = std::make_shared<std::atomic<bool>>(false);
  mutable absl::Mutex mutex_;
  std::vector<CallerJob> jobs_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_FAKE_CALLER_H_
