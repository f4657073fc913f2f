// credcached's command line: flags, detaching, signals and exit codes; the
// work is in daemon.h. A function rather than main() so that a test can build
// a daemon that reports another version (tests/support/other_version_daemon.cc)
// and see how shims meet it.
//
// Thread-safety: call once, from main().
#ifndef CREDCACHE_DAEMON_CREDCACHED_MAIN_H_
#define CREDCACHE_DAEMON_CREDCACHED_MAIN_H_

#include <string>

namespace credcache {

// Runs credcached with `argv` as its command line, reporting `version`
// (BuildVersion() in common/version.h for the real one); returns the exit
// code (0 ok, 1 failed to start or serve, 2 usage, 3 config refused).
int CredcachedMain(int argc, char** argv, const std::string& version);

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_CREDCACHED_MAIN_H_
