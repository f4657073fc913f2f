// Fuzzes the team key file's parser (backends/etcd/team_key.h): any text
// gets keys or an error that starts with the file's name, and an error
// never quotes a field too long to be a key id, so never a key.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "backends/etcd/team_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<credcache::TeamKeys> keys = credcache::TeamKeys::Parse(text, "/fuzz/team.keys");
  if (!keys.ok()) {
    const absl::string_view message = keys.status().message();
    if (!absl::StartsWith(message, "/fuzz/team.keys:")) abort();
    // A key is 44 characters; no id is longer than 32.
    for (absl::string_view field : absl::StrSplit(text, absl::ByAnyChar(" \t\r\n"))) {
      if (field.size() > credcache::kMaxTeamKeyIdBytes && absl::StrContains(message, field)) {
        abort();
      }
    }
    return 0;
  }
  if (keys->ids().empty() || keys->ids().front() != keys->sealing_id()) abort();
  if (keys->Find(keys->sealing_id()) != keys->sealing_key()) abort();
  for (const std::string& id : keys->ids()) {
    if (!credcache::IsValidTeamKeyId(id) || keys->Find(id) == nullptr) abort();
  }
  return 0;
}
