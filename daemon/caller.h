// Callers: the shims waiting on a request, each able to run a backend
// configured with `run_in = "caller"` where its cargo runs, with the user's
// terminal, environment and working directory.
//
// When a request's chain reaches such a backend, the Broker hands a
// CallerJob to one of the callers waiting on it (the asker itself, or any
// request coalesced onto its call): Take() ends that caller's call with the
// job, its shim runs the backend and reports the answer in a new call
// (Broker::Report), which is then answered with the request's answer. If
// the shim's process exits before it reports, the job goes to the next
// waiting caller; nobody waits past the backend's timeout.
//
// Ownership: a Caller belongs to the code answering its call (the gRPC
// service, or a test), which keeps it alive while the Broker may use it.
// Thread-safety: Take() may be called from another request's thread.
#ifndef CREDCACHE_DAEMON_CALLER_H_
#define CREDCACHE_DAEMON_CALLER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cargo_credential/protocol.h"

namespace credcache {

// One run of a backend in a caller.
struct CallerJob {
  std::string lease;  // Random and unguessable: names the run in the report.
  std::string backend;
  std::string kind;
  std::string config;  // The backend's [[backend]] table as TOML.
  // The variables no program a backend runs may see (backends/secret_env),
  // as the daemon knows them: the shim knows only its own backend's.
  std::vector<std::string> secret_variables;
  absl::Time deadline;
  cargo_credential::RegistryInfo registry;
  cargo_credential::Action action;
  std::vector<std::string> args;

  // An explicit copy: a login's action holds its token.
  CallerJob Clone() const {
    CallerJob copy{lease,    backend,  kind,           config, secret_variables,
                   deadline, registry, action.Clone(), args};
    return copy;
  }
};

// What watches a caller's process once it has a job.
class CallerProcess {
 public:
  virtual ~CallerProcess() = default;
  // The process, as the kernel names it; 0 when unknown.
  virtual pid_t pid() const = 0;
  // Whether it has exited, so will never report.
  virtual bool Exited() const = 0;
};

class Caller {
 public:
  virtual ~Caller() = default;
  // Ends this caller's call with `job`, for its shim to run. Returns what
  // watches its process, or null when it cannot take the job (its call has
  // ended, or the kernel did not say who it is, or cannot see it exit).
  // Called at most once per job and caller, under the flight's lock: it
  // must not block.
  virtual std::unique_ptr<CallerProcess> Take(const CallerJob& job) = 0;
};

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_CALLER_H_
