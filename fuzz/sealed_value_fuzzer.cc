// Fuzzes opening a sealed value (backends/etcd/sealed_value.h), everything
// in which may come from a hostile etcd. Each input is tried twice:
//   - as the sealed value itself: it opens, or fails as DataLoss;
//   - as a payload, sealed here by hand with the fuzzer's key, so that the
//     parser behind the tag sees arbitrary plaintexts too (no fuzzer forges
//     a Poly1305 tag).
// Whatever opens must seal again and open to the same values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "backends/etcd/sealed_value.h"
#include "backends/etcd/team_key.h"
#include "sodium.h"

namespace {

constexpr absl::string_view kEtcdKey = "/credcache/fuzz/token";
constexpr absl::string_view kUrl = "sparse+https://fuzz.example/index/";

// The fuzzer's key, "fuzz": bytes 0x00..0x1f. The seeds in
// fuzz/corpus/sealed_value were sealed with it for kEtcdKey and kUrl.
const credcache::TeamKeys& Keys() {
  static const credcache::TeamKeys* keys = [] {
    absl::StatusOr<credcache::TeamKeys> parsed =
        credcache::TeamKeys::Parse("fuzz AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "fuzz");
    if (!parsed.ok()) abort();
    return new credcache::TeamKeys(std::move(*parsed));
  }();
  return *keys;
}

void PutFramed(std::string& out, absl::string_view part) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>(part.size() >> shift));
  }
  out.append(part.data(), part.size());
}

// `plaintext` sealed as sealed_value.h lays it out, with a zero nonce (the
// fuzzer wants repeatable runs, and nothing here is secret).
std::string SealByHand(absl::string_view plaintext) {
  const credcache::TeamKeys& keys = Keys();
  std::string associated;
  PutFramed(associated, "credcache-sealed-v1");
  PutFramed(associated, keys.sealing_id());
  PutFramed(associated, kEtcdKey);
  PutFramed(associated, kUrl);
  std::string sealed = "\x01";
  sealed.push_back(static_cast<char>(keys.sealing_id().size()));
  sealed += keys.sealing_id();
  sealed.append(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, '\0');
  const size_t header = sealed.size();
  sealed.resize(header + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned char* out = reinterpret_cast<unsigned char*>(&sealed[0]);
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      out + header, nullptr, reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const unsigned char*>(associated.data()),
      associated.size(), nullptr, out + header - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
      keys.sealing_key());
  return sealed;
}

void Try(absl::string_view sealed) {
  absl::StatusOr<credcache::SealedPayload> opened = credcache::Open(Keys(), kEtcdKey, kUrl, sealed);
  if (!opened.ok()) {
    if (opened.status().code() != absl::StatusCode::kDataLoss) abort();
    return;
  }
  if (opened->token.empty()) abort();
  absl::StatusOr<std::string> again = credcache::Seal(Keys(), kEtcdKey, kUrl, *opened);
  if (!again.ok()) abort();
  absl::StatusOr<credcache::SealedPayload> reopened =
      credcache::Open(Keys(), kEtcdKey, kUrl, *again);
  if (!reopened.ok() || reopened->token != opened->token ||
      reopened->expires_unix_ms != opened->expires_unix_ms ||
      reopened->generation != opened->generation || reopened->writer != opened->writer ||
      reopened->session != opened->session) {
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  Try(input);
  Try(SealByHand(input));
  return 0;
}
