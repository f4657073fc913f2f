// Sealed values: one cached token as it is stored in the team's etcd,
// encrypted and authenticated with the team key (team_key.h) before it
// leaves the machine.
//
// A value is XChaCha20-Poly1305 (libsodium's IETF construction) with a
// random 24-byte nonce of its own, so values never share a nonce however
// many daemons seal with one key. The associated data binds the value to
// the format, the key id, the etcd key it is stored under and the registry
// it is for: a value copied to another etcd key, or relabelled for another
// registry or key id, fails to open instead of answering for it.
//
// The wire format (version 1), all of it untrusted when read back:
//   u8 version (1) | u8 key-id length | key id | 24-byte nonce |
//   ciphertext of the payload | 16-byte tag
// The associated data is, each part as a u32 big-endian length and bytes:
//   "credcache-sealed-v1" | key id | etcd key | index URL
// The payload (plaintext) is, integers big-endian:
//   i64 expires_unix_ms | u64 generation | u8 session (0 or 1) |
//   u32 writer length | writer | u32 token length | token
//
// Ownership: Seal and Open borrow the keys for the call; a SealedPayload
// owns its token (a Secret). Every plaintext buffer is wiped before the
// call returns.
//
// Thread-safety: Seal and Open are safe from any thread at once.
#ifndef CREDCACHE_BACKENDS_ETCD_SEALED_VALUE_H_
#define CREDCACHE_BACKENDS_ETCD_SEALED_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backends/etcd/team_key.h"
#include "cargo_credential/secret.h"

namespace credcache {

// The one version of the format Open reads and Seal writes.
inline constexpr uint8_t kSealedVersion = 1;
// The longest `writer` a payload may carry.
inline constexpr size_t kMaxSealedWriterBytes = 255;

// What one sealed value says. Open checks its shape only: whether it has
// expired, or is older than what the caller has, is the caller's to judge.
struct SealedPayload {
  // Non-empty, at most cargo_credential::kMaxTokenBytes.
  cargo_credential::Secret token;
  // When the token stops being served, in Unix milliseconds.
  int64_t expires_unix_ms = 0;
  // Orders writes to one etcd key: a reader keeps the highest it has seen.
  uint64_t generation = 0;
  // Which daemon sealed it, e.g. "host:pid", for diagnostics; at most
  // kMaxSealedWriterBytes of any bytes (print it escaped).
  std::string writer;
  // true: cached for the session (cache kind "session"); false: cached
  // until cargo's "expires" answer.
  bool session = false;
};

// Seals `payload` with `keys`' sealing key, for storage under `etcd_key`
// as the token of the registry `index_url`. Each call draws a new nonce,
// so sealing one payload twice gives two different values. Fails with
// InvalidArgument, quoting nothing of the token, when the token is empty
// or longer than cargo_credential::kMaxTokenBytes or the writer longer
// than kMaxSealedWriterBytes.
absl::StatusOr<std::string> Seal(const TeamKeys& keys, absl::string_view etcd_key,
                                 absl::string_view index_url, const SealedPayload& payload);

// Opens `sealed`, read from `etcd_key` for the registry `index_url`, with
// whichever of `keys` it names. Any bytes may come in, and any failure is
// DataLoss, saying what is wrong and never quoting the value: another
// version, bytes missing or left over, a malformed or unlisted key id (a
// key rotated out), a tag that does not verify (the value was changed, or
// sealed for another etcd key, registry or key of that id), or a payload
// that is malformed or has an empty token. Expiry and generation are not
// judged here.
absl::StatusOr<SealedPayload> Open(const TeamKeys& keys, absl::string_view etcd_key,
                                   absl::string_view index_url, absl::string_view sealed);

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_ETCD_SEALED_VALUE_H_
