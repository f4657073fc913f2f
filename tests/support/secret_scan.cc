#include "tests/support/secret_scan.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "tests/support/test_env.h"

namespace credcache_testing {

int CountInMemory(int pid, const std::string& needle, std::string* where) {
  std::ifstream maps(absl::StrCat("/proc/", pid, "/maps"));
  std::ifstream mem(absl::StrCat("/proc/", pid, "/mem"), std::ios::binary);
  if (!maps || !mem) return -1;
  int found = 0;
  bool read_any = false;
  std::string line;
  while (std::getline(maps, line)) {
    std::vector<std::string> fields =
        absl::StrSplit(line, absl::ByAnyChar(" -"), absl::SkipEmpty());
    if (fields.size() < 3 || fields[2][0] != 'r') continue;
    // The kernel's own pages cannot be read through mem.
    if (absl::StrContains(line, "[vvar]") || absl::StrContains(line, "[vsyscall]")) continue;
    const uint64_t start = std::stoull(fields[0], nullptr, 16);
    const uint64_t end = std::stoull(fields[1], nullptr, 16);
    // Read in pieces that overlap by the needle's length, so a copy that
    // straddles two pieces is still found once.
    constexpr uint64_t kPiece = uint64_t{1} << 20;
    for (uint64_t from = start; from < end; from += kPiece) {
      const uint64_t to = std::min(end, from + kPiece + needle.size());
      std::string region(to - from, '\0');
      mem.clear();
      mem.seekg(static_cast<std::streamoff>(from));
      mem.read(region.data(), static_cast<std::streamsize>(region.size()));
      if (mem.gcount() <= 0) break;
      read_any = true;
      region.resize(static_cast<size_t>(mem.gcount()));
      for (size_t at = region.find(needle); at != std::string::npos;
           at = region.find(needle, at + 1)) {
        if (at >= kPiece) break;  // The next piece's to count.
        ++found;
        const size_t before = at >= 64 ? at - 64 : 0;
        std::string context = region.substr(before, at + needle.size() + 32 - before);
        for (char& c : context) {
          if (c < 0x20 || c > 0x7e) c = '.';
        }
        absl::StrAppend(where, line, "\n  at +", from - start + at, ": ",
                        absl::StrReplaceAll(context, {{needle, "<TOKEN>"}}), "\n");
      }
    }
  }
  return read_any ? found : -1;
}

std::vector<std::string> FilesHolding(const std::string& dir, const std::string& needle) {
  std::vector<std::string> out;
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) return out;
  while (struct dirent* entry = readdir(handle)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = absl::StrCat(dir, "/", name);
    struct stat info;
    if (lstat(path.c_str(), &info) != 0) continue;
    if (S_ISDIR(info.st_mode)) {
      for (std::string& inner : FilesHolding(path, needle)) out.push_back(std::move(inner));
    } else if (S_ISREG(info.st_mode) && absl::StrContains(ReadFile(path), needle)) {
      out.push_back(path);
    }
  }
  closedir(handle);
  return out;
}

std::vector<std::string> ArgvHolding(const std::string& needle) {
  std::vector<std::string> out;
  DIR* proc = opendir("/proc");
  while (struct dirent* entry = readdir(proc)) {
    std::string cmdline = ReadFile(absl::StrCat("/proc/", entry->d_name, "/cmdline"));
    if (absl::StrContains(cmdline, needle)) out.push_back(entry->d_name);
  }
  closedir(proc);
  return out;
}

}  // namespace credcache_testing
