// Looking for a secret where it must not be: in a process's memory, in
// files, in any process's command line. For tests that plant a sentinel
// token and then prove it is only in its store.
//
// Thread-safety: functions.
#ifndef CREDCACHE_TESTS_SUPPORT_SECRET_SCAN_H_
#define CREDCACHE_TESTS_SUPPORT_SECRET_SCAN_H_

#include <string>
#include <vector>

namespace credcache_testing {

// How many times `needle` occurs in the memory of process `pid` (its
// readable mappings), or -1 when it cannot be read (reading another
// process's memory needs root, or ptrace rights over it). `where` gets, for
// each copy, its mapping and the bytes around it (the needle itself
// masked), to tell who left it.
int CountInMemory(int pid, const std::string& needle, std::string* where);

// Every file under `dir` (recursively) whose contents hold `needle`.
std::vector<std::string> FilesHolding(const std::string& dir, const std::string& needle);

// The pid of every process whose command line holds `needle`.
std::vector<std::string> ArgvHolding(const std::string& needle);

}  // namespace credcache_testing

#endif  // CREDCACHE_TESTS_SUPPORT_SECRET_SCAN_H_
