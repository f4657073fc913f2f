// Fuzzes the reader of password and group database entries
// (common/accounts.h, FindEntry), which the static shim uses instead of NSS
// to find a user's home, name or id: lines from /etc/passwd, /etc/group or
// `getent`. The first byte picks the column, the first line is the key and
// the rest is the database. Any bytes get no entry or a whole one: enough
// fields, the key in its column, no field holding a ':' or a line break.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/accounts.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // One past passwd's seven fields, so that a column too far is tried too.
  const size_t column = data[0] % 8;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t line_end = rest.find('\n');
  const std::string key = rest.substr(0, line_end);
  const std::string text = line_end == std::string::npos ? "" : rest.substr(line_end + 1);
  for (const size_t min_fields : {size_t{4}, size_t{7}}) {
    const std::vector<std::string> fields = credcache::FindEntry(text, min_fields, column, key);
    if (fields.empty()) continue;
    if (column >= min_fields || fields.size() < min_fields || fields[column] != key) abort();
    for (const std::string& field : fields) {
      if (field.find_first_of(":\n") != std::string::npos) abort();
    }
  }
  return 0;
}
