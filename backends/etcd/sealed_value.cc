#include "backends/etcd/sealed_value.h"

#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cargo_credential/protocol.h"
#include "sodium.h"

namespace credcache {
namespace {

using cargo_credential::Secret;

constexpr absl::string_view kFormatTag = "credcache-sealed-v1";
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
// expires, generation, session, and the two lengths.
constexpr size_t kFixedPayloadBytes = 8 + 8 + 1 + 4 + 4;
constexpr size_t kMaxPayloadBytes =
    kFixedPayloadBytes + kMaxSealedWriterBytes + cargo_credential::kMaxTokenBytes;

static_assert(kNonceBytes == 24, "XChaCha20 takes a 24-byte nonce");
static_assert(kMaxTeamKeyIdBytes <= 255, "a key id's length is one byte");

// randombytes and the choice of implementations want the library
// initialised (a TeamKeys's Parse has done it already; this does not rely
// on that).
bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

void PutU8(std::string& out, uint8_t value) { out.push_back(static_cast<char>(value)); }

void PutU32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) PutU8(out, static_cast<uint8_t>(value >> shift));
}

void PutU64(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) PutU8(out, static_cast<uint8_t>(value >> shift));
}

// A part whose length needs more than a u32 cannot be framed; none that
// etcd holds comes near.
bool Framable(absl::string_view part) {
  return part.size() <= std::numeric_limits<uint32_t>::max();
}

void PutFramed(std::string& out, absl::string_view part) {
  PutU32(out, static_cast<uint32_t>(part.size()));
  out.append(part.data(), part.size());
}

// Each part framed by its length, so that no two different lists of parts
// give the same bytes ("ab"+"c" is not "a"+"bc").
std::string AssociatedData(absl::string_view key_id, absl::string_view etcd_key,
                           absl::string_view index_url) {
  std::string data;
  data.reserve(4 * 4 + kFormatTag.size() + key_id.size() + etcd_key.size() + index_url.size());
  PutFramed(data, kFormatTag);
  PutFramed(data, key_id);
  PutFramed(data, etcd_key);
  PutFramed(data, index_url);
  return data;
}

const unsigned char* Bytes(absl::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// Reads big-endian fields off the front of untrusted bytes; every read
// says whether the bytes were there.
class Reader {
 public:
  explicit Reader(absl::string_view bytes) : rest_(bytes) {}

  bool Take(size_t count, absl::string_view* out) {
    if (rest_.size() < count) return false;
    *out = rest_.substr(0, count);
    rest_.remove_prefix(count);
    return true;
  }
  bool U8(uint8_t* out) { return Number(1, out); }
  bool U32(uint32_t* out) { return Number(4, out); }
  bool U64(uint64_t* out) { return Number(8, out); }

  size_t left() const { return rest_.size(); }
  absl::string_view rest() const { return rest_; }

 private:
  template <typename T>
  bool Number(size_t count, T* out) {
    absl::string_view bytes;
    if (!Take(count, &bytes)) return false;
    T value = 0;
    for (const char c : bytes) value = static_cast<T>((value << 8) | static_cast<unsigned char>(c));
    *out = value;
    return true;
  }

  absl::string_view rest_;
};

absl::Status Broken(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("sealed value: ", what));
}

// The payload from an authenticated plaintext. It was sealed by a holder
// of the team key, yet is parsed as strictly as any outside input: a
// daemon of another build, or a bug, must not be able to crash this one.
absl::StatusOr<SealedPayload> ParsePayload(absl::string_view plaintext) {
  Reader reader(plaintext);
  SealedPayload payload;
  uint64_t expires = 0;
  uint8_t session = 0;
  uint32_t writer_size = 0;
  uint32_t token_size = 0;
  absl::string_view writer;
  absl::string_view token;
  if (!reader.U64(&expires) || !reader.U64(&payload.generation) || !reader.U8(&session)) {
    return Broken("the payload is truncated");
  }
  if (session > 1) return Broken("the payload's session flag is neither 0 nor 1");
  if (!reader.U32(&writer_size)) return Broken("the payload is truncated");
  if (writer_size > kMaxSealedWriterBytes) return Broken("the payload's writer is too long");
  if (!reader.Take(writer_size, &writer) || !reader.U32(&token_size)) {
    return Broken("the payload is truncated");
  }
  if (token_size == 0) return Broken("the payload's token is empty");
  if (token_size > cargo_credential::kMaxTokenBytes) {
    return Broken("the payload's token is too long");
  }
  if (!reader.Take(token_size, &token)) return Broken("the payload is truncated");
  if (reader.left() != 0) {
    return Broken(absl::StrCat("the payload has ", reader.left(), " bytes after the token"));
  }
  payload.expires_unix_ms = static_cast<int64_t>(expires);
  payload.session = session == 1;
  payload.writer = std::string(writer);
  payload.token = Secret(token);
  return payload;
}

}  // namespace

absl::StatusOr<std::string> Seal(const TeamKeys& keys, absl::string_view etcd_key,
                                 absl::string_view index_url, const SealedPayload& payload) {
  if (!SodiumReady()) return absl::InternalError("libsodium did not initialise");
  const std::string& token = payload.token.Expose();
  if (token.empty()) return absl::InvalidArgumentError("cannot seal an empty token");
  if (token.size() > cargo_credential::kMaxTokenBytes) {
    return absl::InvalidArgumentError(absl::StrCat("cannot seal a token of ", token.size(),
                                                   " bytes; the most is ",
                                                   cargo_credential::kMaxTokenBytes));
  }
  if (payload.writer.size() > kMaxSealedWriterBytes) {
    return absl::InvalidArgumentError(absl::StrCat("cannot seal a writer name of ",
                                                   payload.writer.size(), " bytes; the most is ",
                                                   kMaxSealedWriterBytes));
  }
  if (!Framable(etcd_key) || !Framable(index_url)) {
    return absl::InvalidArgumentError("cannot seal for an etcd key or URL this long");
  }
  const std::string& key_id = keys.sealing_id();
  const std::string associated = AssociatedData(key_id, etcd_key, index_url);

  // Reserved whole first, so no append moves the token to a new buffer and
  // leaves a copy behind in the old one; wiped with the Secret it becomes.
  std::string building;
  building.reserve(kFixedPayloadBytes + payload.writer.size() + token.size());
  PutU64(building, static_cast<uint64_t>(payload.expires_unix_ms));
  PutU64(building, payload.generation);
  PutU8(building, payload.session ? 1 : 0);
  PutFramed(building, payload.writer);
  PutFramed(building, token);
  const Secret plaintext(std::move(building));

  std::string sealed(2 + key_id.size() + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  unsigned char* out = reinterpret_cast<unsigned char*>(&sealed[0]);
  out[0] = kSealedVersion;
  out[1] = static_cast<unsigned char>(key_id.size());
  key_id.copy(reinterpret_cast<char*>(out + 2), key_id.size());
  unsigned char* nonce = out + 2 + key_id.size();
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonceBytes, &written, Bytes(plaintext.Expose()), plaintext.size(), Bytes(associated),
      associated.size(), /*nsec=*/nullptr, nonce, keys.sealing_key());
  if (written != plaintext.size() + kTagBytes) {
    return absl::InternalError("sealing wrote an unexpected length");
  }
  return sealed;
}

absl::StatusOr<SealedPayload> Open(const TeamKeys& keys, absl::string_view etcd_key,
                                   absl::string_view index_url, absl::string_view sealed) {
  if (!SodiumReady()) return absl::InternalError("libsodium did not initialise");
  Reader reader(sealed);
  uint8_t version = 0;
  if (!reader.U8(&version)) return Broken("empty");
  if (version != kSealedVersion) {
    return Broken(absl::StrCat("format version ", version, ", but this daemon reads version ",
                               kSealedVersion, " only"));
  }
  uint8_t id_size = 0;
  absl::string_view key_id;
  absl::string_view nonce;
  if (!reader.U8(&id_size) || !reader.Take(id_size, &key_id)) return Broken("truncated key id");
  // Only a well-formed id is ever quoted, so hostile bytes never reach a
  // message or a log.
  if (!IsValidTeamKeyId(key_id)) return Broken("malformed key id");
  if (!reader.Take(kNonceBytes, &nonce)) return Broken("truncated nonce");
  const absl::string_view ciphertext = reader.rest();
  if (ciphertext.size() < kFixedPayloadBytes + 1 + kTagBytes) return Broken("truncated");
  // Refused before any allocation: a hostile value must not make this
  // daemon reserve more than a payload can hold.
  if (ciphertext.size() > kMaxPayloadBytes + kTagBytes) return Broken("too long");
  const unsigned char* key = keys.Find(key_id);
  if (key == nullptr) {
    return Broken(absl::StrCat("sealed with key id \"", key_id,
                               "\", which the team key file does not list (rotated out?)"));
  }
  if (!Framable(etcd_key) || !Framable(index_url)) {
    return Broken("cannot open for an etcd key or URL this long");
  }
  const std::string associated = AssociatedData(key_id, etcd_key, index_url);
  std::string opening(ciphertext.size() - kTagBytes, '\0');
  unsigned long long opened_size = 0;
  const int result = crypto_aead_xchacha20poly1305_ietf_decrypt(
      reinterpret_cast<unsigned char*>(&opening[0]), &opened_size, /*nsec=*/nullptr,
      Bytes(ciphertext), ciphertext.size(), Bytes(associated), associated.size(), Bytes(nonce),
      key);
  // Held as a Secret from here on, so every way out wipes it.
  const Secret plaintext(std::move(opening));
  if (result != 0 || opened_size != plaintext.size()) {
    return Broken(absl::StrCat(
        "does not verify with key \"", key_id,
        "\": it was changed, or sealed for another etcd key or registry, or with another key of "
        "that id"));
  }
  return ParsePayload(plaintext.Expose());
}

}  // namespace credcache
