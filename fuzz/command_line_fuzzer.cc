// Fuzzes shim/command_line: the input is a command line, one argument per
// line, run against a table shaped like the admin one (commands with and
// without arguments, options with and without values, global and not, one
// that needs another). Whatever it is given, Run returns an exit code (the
// handler's, 0, or 2) without a crash and without calling a handler with
// arguments or options the table does not allow.
#include <stdio.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "shim/command_line.h"

namespace {

const credcache::CommandLine& Table() {
  static const credcache::CommandLine* const kTable = [] {
    auto check = [](size_t arguments) {
      return [arguments](const credcache::Invocation& invocation) {
        if (invocation.arguments.size() != arguments) abort();
        if (invocation.Has("--as") && !invocation.Has("--force")) abort();
        return 0;
      };
    };
    return new credcache::CommandLine(
        "tool", "1", "intro\n", "outro\n",
        {{"--socket", "PATH", "socket"},
         {"--json", "", "json"},
         {"--dir", "DIR", "dir"},
         {"--force", "", "force"},
         {"--as", "NAME", "as", "--force"}},
        {{"status", {}, "s", "", {"--socket", "--json"}, check(0)},
         {"forget", {"REGISTRY"}, "f", "help", {"--socket", "--force"}, check(1)},
         {"put", {"A", "B"}, "p", "", {"--dir", "--force", "--as"}, check(2)}});
  }();
  return *kTable;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::vector<std::string> args = {"tool"};
  for (absl::string_view arg :
       absl::StrSplit(absl::string_view(reinterpret_cast<const char*>(data), size), '\n')) {
    args.emplace_back(arg);
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // Usage and errors go to stdout and stderr: keep them out of the way.
  FILE* out = freopen("/dev/null", "w", stdout);
  FILE* err = freopen("/dev/null", "w", stderr);
  (void)out;
  (void)err;
  const int code = Table().Run(static_cast<int>(args.size()), argv.data());
  if (code != 0 && code != 2) abort();
  return 0;
}
