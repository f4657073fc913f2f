// TeamKeys: the team key file, the keys that seal the tokens a team's
// daemons share through etcd (see sealed_value.h).
//
// The file is text. Blank lines and lines starting with `#` are ignored;
// every other line is `KEY_ID BASE64`: KEY_ID is 1 to 32 characters of
// [A-Za-z0-9._-], BASE64 (standard alphabet, padded) is a 32-byte key. The
// first key listed seals; every key listed opens. Rotation is therefore: add
// the new key first and keep the old one below it until every value sealed
// with it has expired or been rewritten, then remove the old one. (This is
// the order Kubernetes' EncryptionConfiguration uses for its providers.)
//
// Ownership: a TeamKeys owns its keys, held in libsodium's guarded memory
// (locked out of swap where the limits allow, fenced by guard pages,
// read-only once parsed) and wiped when the TeamKeys is destroyed. It is
// movable, never copyable, so no stray copy of a key outlives its owner; a
// moved-from TeamKeys may only be destroyed or assigned to.
//
// Errors name the place ("FILE:LINE: what is wrong") and never quote a
// key, nor any text that might be one.
//
// Thread-safety: immutable once made; const methods may be called from any
// thread at once.
#ifndef CREDCACHE_BACKENDS_ETCD_TEAM_KEY_H_
#define CREDCACHE_BACKENDS_ETCD_TEAM_KEY_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace credcache {

// The length of a team key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES
// (team_key.cc checks the two agree).
inline constexpr size_t kTeamKeyBytes = 32;
// The longest key id: it travels in every sealed value.
inline constexpr size_t kMaxTeamKeyIdBytes = 32;
// The largest key file read: room for a thousand keys, and a bound on
// what a wrong path (a log, say) can make the daemon read.
inline constexpr size_t kMaxTeamKeyFileBytes = size_t{64} << 10;

// Whether `id` is a well-formed key id: 1 to kMaxTeamKeyIdBytes characters
// of [A-Za-z0-9._-]. Used for the file and for the id in a sealed value.
bool IsValidTeamKeyId(absl::string_view id);

class TeamKeys {
 public:
  // Parses the text of a key file. `source` names it in errors (a path, or
  // anything a test likes). Fails with InvalidArgument, "SOURCE:LINE: ...",
  // on a line that is not `KEY_ID BASE64`, an id that is malformed or
  // repeats one above it, a key that is not base64 of exactly
  // kTeamKeyBytes bytes, text longer than kMaxTeamKeyFileBytes, or a file
  // with no key at all ("SOURCE: ..."). Reads nothing but `text`.
  static absl::StatusOr<TeamKeys> Parse(absl::string_view text, const std::string& source);

  // Reads the key file at `path` and parses it. Refuses, before reading a
  // byte, a symbolic link, anything that is not a regular file, a file not
  // owned by this process's effective uid, or one that group or others may
  // read or write (FailedPrecondition, with the `chmod 600 PATH` that fixes
  // the mode); and a file larger than kMaxTeamKeyFileBytes. An open or read
  // that fails gives the errno's status, naming `path`. Parse's errors
  // name `path`.
  static absl::StatusOr<TeamKeys> Load(const std::string& path);

  TeamKeys(TeamKeys&&) noexcept = default;
  TeamKeys& operator=(TeamKeys&&) noexcept = default;
  TeamKeys(const TeamKeys&) = delete;
  TeamKeys& operator=(const TeamKeys&) = delete;
  ~TeamKeys() = default;  // The guarded memory's deleter wipes it.

  // The id of the key that seals: the first one in the file.
  const std::string& sealing_id() const { return ids_.front(); }
  // The sealing key's kTeamKeyBytes bytes, valid while this TeamKeys lives.
  const unsigned char* sealing_key() const { return keys_.get(); }

  // The kTeamKeyBytes bytes of the key named `id`, valid while this
  // TeamKeys lives; nullptr when the file lists no key by that name.
  const unsigned char* Find(absl::string_view id) const;

  // Every key id, in the file's order (the sealing one first). Ids are not
  // secret: they travel in the clear in every sealed value.
  const std::vector<std::string>& ids() const { return ids_; }

 private:
  struct GuardedFree {
    void operator()(unsigned char* keys) const;
  };

  TeamKeys() = default;

  std::vector<std::string> ids_;
  // ids_.size() keys of kTeamKeyBytes each, in the same order, from
  // sodium_malloc.
  std::unique_ptr<unsigned char, GuardedFree> keys_;
};

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_ETCD_TEAM_KEY_H_
