// Finding programs: this process's own executable, and a name on $PATH as
// posix_spawnp and the shell would find it. The one place either is done
// (the shim finds its daemon beside itself; install-service copies both).
//
// Thread-safety: reads the environment and /proc; safe from any thread
// that does not change them.
#ifndef CREDCACHE_LIB_PROGRAMS_H_
#define CREDCACHE_LIB_PROGRAMS_H_

#include <string>

namespace cargo_credential {

// The absolute path of the running executable (/proc/self/exe), or "" when
// it cannot be read.
std::string SelfPath();

// `program` when it holds a slash; else the first executable `program` in a
// directory of $PATH; "" when there is none.
std::string FindOnPath(const std::string& program);

}  // namespace cargo_credential

#endif  // CREDCACHE_LIB_PROGRAMS_H_
