#include "backends/etcd/team_key.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cargo_credential/error.h"
#include "cargo_credential/secret.h"
#include "lib/private_file.h"
#include "sodium.h"

namespace credcache {
namespace {

static_assert(kTeamKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
              "a team key is an XChaCha20-Poly1305 key");

// sodium_malloc needs the library initialised; sodium_init is thread-safe
// and idempotent, the static only spares the lock after the first call.
bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

absl::Status LineError(const std::string& source, int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ":", line, ": ", what));
}

// Decodes `base64` into `out` only when it is exactly kTeamKeyBytes bytes,
// padded, in the standard alphabet, with no stray bits in its last
// character (libsodium's decoder checks all of that, in constant time).
// `out` may hold part of a key when this fails: the caller wipes it.
bool DecodeKey(absl::string_view base64, unsigned char* out) {
  size_t decoded = 0;
  const char* end = nullptr;
  const int result =
      sodium_base642bin(out, kTeamKeyBytes, base64.data(), base64.size(), /*ignore=*/nullptr,
                        &decoded, &end, sodium_base64_VARIANT_ORIGINAL);
  return result == 0 && decoded == kTeamKeyBytes && end == base64.data() + base64.size();
}

// A key line that passed every check, its key still in the text.
struct KeyLine {
  std::string id;
  int line;
  absl::string_view base64;
};

// Wipes a string on every way out of a scope.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& value) : value_(value) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { cargo_credential::WipeString(value_); }

 private:
  std::string& value_;
};

}  // namespace

bool IsValidTeamKeyId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxTeamKeyIdBytes) return false;
  for (const char c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

void TeamKeys::GuardedFree::operator()(unsigned char* keys) const {
  // Wipes, unlocks and unmaps, whatever the protection.
  sodium_free(keys);
}

const unsigned char* TeamKeys::Find(absl::string_view id) const {
  // A file holds a few keys: a scan beats any index.
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (ids_[i] == id) return keys_.get() + i * kTeamKeyBytes;
  }
  return nullptr;
}

absl::StatusOr<TeamKeys> TeamKeys::Parse(absl::string_view text, const std::string& source) {
  if (!SodiumReady()) return absl::InternalError("libsodium did not initialise");
  if (text.size() > kMaxTeamKeyFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": larger than ", kMaxTeamKeyFileBytes,
                     " bytes; a team key file holds one short line per key"));
  }
  // First every line is checked, keys decoded into `scratch` and wiped
  // again; only then is guarded memory of the right size taken for them.
  // The errors so come in the file's order.
  std::vector<KeyLine> keys;
  unsigned char scratch[kTeamKeyBytes];
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    absl::ConsumeSuffix(&line, "\r");
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.empty() || fields[0][0] == '#') continue;
    // Only a well-formed id is ever quoted in an error, never another
    // field: that could be a key pasted alone, split, or put before its id.
    if (fields.size() != 2) {
      return LineError(
          source, number,
          absl::StrCat("expected `KEY_ID BASE64`, found ", fields.size(),
                       fields.size() == 1 ? " field" : " fields",
                       fields.size() > 2 ? " (a comment takes a line of its own)" : ""));
    }
    if (!IsValidTeamKeyId(fields[0])) {
      return LineError(source, number,
                       absl::StrCat("the key id must be 1 to ", kMaxTeamKeyIdBytes,
                                    " characters of A-Z a-z 0-9 . _ -"));
    }
    for (const KeyLine& earlier : keys) {
      if (earlier.id == fields[0]) {
        return LineError(source, number,
                         absl::StrCat("key id \"", fields[0], "\" is listed already on line ",
                                      earlier.line, "; each key needs an id of its own"));
      }
    }
    const bool decoded = DecodeKey(fields[1], scratch);
    sodium_memzero(scratch, sizeof(scratch));
    if (!decoded) {
      return LineError(source, number,
                       absl::StrCat("the key of \"", fields[0], "\" is not ", kTeamKeyBytes,
                                    " bytes in padded standard base64 (make one with: head -c ",
                                    kTeamKeyBytes, " /dev/urandom | base64)"));
    }
    keys.push_back({std::string(fields[0]), number, fields[1]});
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": no key; add a line `KEY_ID BASE64` (the first seals, all open)"));
  }

  TeamKeys result;
  result.keys_.reset(static_cast<unsigned char*>(sodium_malloc(keys.size() * kTeamKeyBytes)));
  if (result.keys_ == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat(source, ": no memory for ", keys.size(), " keys"));
  }
  result.ids_.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!DecodeKey(keys[i].base64, result.keys_.get() + i * kTeamKeyBytes)) {
      // Checked above; only a broken decoder gets here.
      return absl::InternalError(absl::StrCat(source, ":", keys[i].line, ": key did not decode"));
    }
    result.ids_.push_back(std::move(keys[i].id));
  }
  // A stray write through a bad pointer now faults instead of changing a key.
  sodium_mprotect_readonly(result.keys_.get());
  return result;
}

absl::StatusOr<TeamKeys> TeamKeys::Load(const std::string& path) {
  absl::StatusOr<std::optional<std::string>> read =
      cargo_credential::ReadPrivateFile(path, kMaxTeamKeyFileBytes);
  if (!read.ok()) {
    // lib's refusal, its fix (the cause) on the same line: this goes to a
    // log line or --check-config's one line, not to cargo's "Caused by".
    std::vector<std::string> said = {std::string(read.status().message())};
    for (const std::string& cause : cargo_credential::CausedBy(read.status()))
      said.push_back(cause);
    const std::string text = absl::StrJoin(said, "; ");
    if (absl::StartsWith(text, path + ": larger than")) {
      return absl::InvalidArgumentError(
          absl::StrCat(text, "; a team key file holds one short line per key"));
    }
    return absl::FailedPreconditionError(absl::StrCat("the team key file: ", text));
  }
  if (!read->has_value()) {
    return absl::NotFoundError(
        absl::StrCat("cannot open the team key file ", path, ": no such file"));
  }
  WipeOnExit wipe(**read);
  return Parse(**read, path);
}

}  // namespace credcache
