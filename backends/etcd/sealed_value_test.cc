#include "backends/etcd/sealed_value.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "backends/etcd/team_key.h"
#include "cargo_credential/protocol.h"
#include "cargo_credential/secret.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sodium.h"

namespace credcache {
namespace {

using cargo_credential::Secret;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::string_view kEtcdKey = "/credcache/v1/tokens/3f9a";
constexpr absl::string_view kUrl = "sparse+https://registry.example.com/index/";
constexpr absl::string_view kToken = "Bearer cio-4a7Ffq0Zh2b9Xk1Lr3";

std::string KeyLine(absl::string_view id, char fill) {
  return absl::StrCat(id, " ", absl::Base64Escape(std::string(kTeamKeyBytes, fill)), "\n");
}

TeamKeys Keys(const std::string& text) {
  absl::StatusOr<TeamKeys> keys = TeamKeys::Parse(text, "test.keys");
  EXPECT_TRUE(keys.ok()) << keys.status();
  return std::move(*keys);
}

SealedPayload Payload(absl::string_view token = kToken) {
  SealedPayload payload;
  payload.token = Secret(token);
  payload.expires_unix_ms = 1718000000123;
  payload.generation = 42;
  payload.writer = "build-7:4711";
  payload.session = false;
  return payload;
}

std::string MustSeal(const TeamKeys& keys, const SealedPayload& payload,
                     absl::string_view etcd_key = kEtcdKey, absl::string_view url = kUrl) {
  absl::StatusOr<std::string> sealed = Seal(keys, etcd_key, url, payload);
  EXPECT_TRUE(sealed.ok()) << sealed.status();
  return sealed.ok() ? *sealed : std::string();
}

// Open must fail as DataLoss, saying nothing of the token.
void ExpectRefused(const absl::StatusOr<SealedPayload>& opened, absl::string_view saying = "") {
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss) << opened.status();
  const std::string message(opened.status().message());
  EXPECT_THAT(message, HasSubstr(saying));
  EXPECT_THAT(message, Not(HasSubstr("cio-4a7F")));
  for (const char c : message) ASSERT_GE(static_cast<unsigned char>(c), 0x20) << message;
}

// The format as sealed_value.h documents it, written here independently
// of sealed_value.cc, so that a test can seal payloads Seal never would.
void PutU32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}
void PutU64(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}
void PutFramed(std::string& out, absl::string_view part) {
  PutU32(out, static_cast<uint32_t>(part.size()));
  out.append(part.data(), part.size());
}

std::string Plaintext(uint64_t expires, uint64_t generation, uint8_t session,
                      absl::string_view writer, absl::string_view token) {
  std::string out;
  PutU64(out, expires);
  PutU64(out, generation);
  out.push_back(static_cast<char>(session));
  PutFramed(out, writer);
  PutFramed(out, token);
  return out;
}

std::string SealByHand(const TeamKeys& keys, absl::string_view plaintext,
                       absl::string_view etcd_key = kEtcdKey, absl::string_view url = kUrl) {
  const std::string& id = keys.sealing_id();
  std::string associated;
  PutFramed(associated, "credcache-sealed-v1");
  PutFramed(associated, id);
  PutFramed(associated, etcd_key);
  PutFramed(associated, url);
  unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  randombytes_buf(nonce, sizeof(nonce));
  std::string ciphertext(plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long size = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(&ciphertext[0]), &size,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(associated.data()), associated.size(), nullptr, nonce,
      keys.sealing_key());
  return absl::StrCat(std::string(1, '\x01'), std::string(1, static_cast<char>(id.size())), id,
                      std::string(reinterpret_cast<const char*>(nonce), sizeof(nonce)), ciphertext);
}

class SealedValueTest : public ::testing::Test {
 protected:
  TeamKeys keys_ = Keys(KeyLine("k1", 'a'));
};

TEST_F(SealedValueTest, RoundTrip) {
  const std::string sealed = MustSeal(keys_, Payload());
  absl::StatusOr<SealedPayload> opened = Open(keys_, kEtcdKey, kUrl, sealed);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->token.Expose(), kToken);
  EXPECT_EQ(opened->expires_unix_ms, 1718000000123);
  EXPECT_EQ(opened->generation, 42u);
  EXPECT_EQ(opened->writer, "build-7:4711");
  EXPECT_FALSE(opened->session);
}

TEST_F(SealedValueTest, RoundTripOfEdgeValues) {
  SealedPayload payload = Payload(std::string(cargo_credential::kMaxTokenBytes, 't'));
  payload.expires_unix_ms = INT64_MIN;
  payload.generation = UINT64_MAX;
  payload.writer = std::string("\0\xff\n", 3) + std::string(kMaxSealedWriterBytes - 3, 'w');
  payload.session = true;
  absl::StatusOr<SealedPayload> opened = Open(keys_, kEtcdKey, kUrl, MustSeal(keys_, payload));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->token, payload.token);
  EXPECT_EQ(opened->expires_unix_ms, INT64_MIN);
  EXPECT_EQ(opened->generation, UINT64_MAX);
  EXPECT_EQ(opened->writer, payload.writer);
  EXPECT_TRUE(opened->session);

  payload = Payload("t");
  payload.writer.clear();
  opened = Open(keys_, kEtcdKey, kUrl, MustSeal(keys_, payload));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->token.Expose(), "t");
  EXPECT_EQ(opened->writer, "");
}

TEST_F(SealedValueTest, LaysOutTheDocumentedFormat) {
  const std::string sealed = MustSeal(keys_, Payload());
  const std::string plaintext = Plaintext(1718000000123, 42, 0, "build-7:4711", kToken);
  ASSERT_EQ(sealed.size(), 2 + 2 + 24 + plaintext.size() + 16);
  EXPECT_EQ(sealed[0], '\x01');
  EXPECT_EQ(sealed[1], '\x02');
  EXPECT_EQ(sealed.substr(2, 2), "k1");
  // And what is sealed by hand to the documentation opens.
  absl::StatusOr<SealedPayload> opened = Open(keys_, kEtcdKey, kUrl, SealByHand(keys_, plaintext));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->token.Expose(), kToken);
  EXPECT_EQ(opened->writer, "build-7:4711");
}

TEST_F(SealedValueTest, SealedBytesHoldNoTokenNorWriter) {
  const std::string sealed = MustSeal(keys_, Payload());
  EXPECT_THAT(sealed, Not(HasSubstr(kToken)));
  for (size_t i = 0; i + 6 <= kToken.size(); ++i) {
    ASSERT_THAT(sealed, Not(HasSubstr(kToken.substr(i, 6))));
  }
  EXPECT_THAT(sealed, Not(HasSubstr("build-7")));
}

TEST_F(SealedValueTest, SealingTwiceGivesDifferentValues) {
  const std::string first = MustSeal(keys_, Payload());
  const std::string second = MustSeal(keys_, Payload());
  ASSERT_EQ(first.size(), second.size());
  EXPECT_NE(first, second);
  // A new nonce each time, and so a new ciphertext throughout.
  EXPECT_NE(first.substr(4, 24), second.substr(4, 24));
  EXPECT_NE(first.substr(28), second.substr(28));
  EXPECT_TRUE(Open(keys_, kEtcdKey, kUrl, first).ok());
  EXPECT_TRUE(Open(keys_, kEtcdKey, kUrl, second).ok());
}

TEST_F(SealedValueTest, EveryChangedByteIsRefused) {
  const std::string sealed = MustSeal(keys_, Payload());
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (const unsigned char flip : {0x01, 0x80, 0xff}) {
      SCOPED_TRACE(absl::StrCat("byte ", i, " ^ ", flip));
      std::string changed = sealed;
      changed[i] = static_cast<char>(changed[i] ^ flip);
      ExpectRefused(Open(keys_, kEtcdKey, kUrl, changed));
    }
  }
}

TEST_F(SealedValueTest, EveryTruncationAndAnyExtraByteIsRefused) {
  const std::string sealed = MustSeal(keys_, Payload());
  for (size_t size = 0; size < sealed.size(); ++size) {
    SCOPED_TRACE(size);
    ExpectRefused(Open(keys_, kEtcdKey, kUrl, sealed.substr(0, size)));
  }
  ExpectRefused(Open(keys_, kEtcdKey, kUrl, sealed + '\0'));
  ExpectRefused(Open(keys_, kEtcdKey, kUrl, sealed + sealed));
}

TEST_F(SealedValueTest, BoundToItsEtcdKeyAndRegistry) {
  const std::string sealed = MustSeal(keys_, Payload(), "/credcache/v1/tokens/A", "https://x/");
  EXPECT_TRUE(Open(keys_, "/credcache/v1/tokens/A", "https://x/", sealed).ok());
  ExpectRefused(Open(keys_, "/credcache/v1/tokens/B", "https://x/", sealed), "does not verify");
  ExpectRefused(Open(keys_, "/credcache/v1/tokens/A", "https://y/", sealed), "does not verify");
  ExpectRefused(Open(keys_, "/credcache/v1/tokens/B", "https://y/", sealed), "does not verify");
  // The framing keeps the boundary: moving bytes from one part to the
  // other is another binding, not the same one.
  ExpectRefused(Open(keys_, "/credcache/v1/tokens/Ahttps:", "//x/", sealed), "does not verify");
  ExpectRefused(Open(keys_, "", "", sealed), "does not verify");
}

TEST_F(SealedValueTest, BoundToItsKeyId) {
  // Two ids for the same key: relabelling a value to the other id must not
  // make it open.
  TeamKeys both = Keys(KeyLine("ka", 'a') + KeyLine("kb", 'a'));
  std::string sealed = MustSeal(both, Payload());
  ASSERT_EQ(sealed.substr(2, 2), "ka");
  EXPECT_TRUE(Open(both, kEtcdKey, kUrl, sealed).ok());
  sealed[3] = 'b';
  ExpectRefused(Open(both, kEtcdKey, kUrl, sealed), "does not verify with key \"kb\"");
}

TEST_F(SealedValueTest, AnotherKeyOfTheSameIdCannotOpen) {
  const std::string sealed = MustSeal(keys_, Payload());
  TeamKeys other = Keys(KeyLine("k1", 'b'));
  ExpectRefused(Open(other, kEtcdKey, kUrl, sealed), "does not verify");
}

TEST_F(SealedValueTest, Rotation) {
  const std::string old_value = MustSeal(keys_, Payload());  // k1 only
  TeamKeys rotated = Keys("# k2 is new\n" + KeyLine("k2", 'b') + KeyLine("k1", 'a'));
  const std::string new_value = MustSeal(rotated, Payload());
  EXPECT_EQ(new_value.substr(2, 2), "k2");  // the first key seals
  // Every listed key opens.
  absl::StatusOr<SealedPayload> opened = Open(rotated, kEtcdKey, kUrl, old_value);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->token.Expose(), kToken);
  EXPECT_TRUE(Open(rotated, kEtcdKey, kUrl, new_value).ok());
  // Once k1 is gone, its values no longer open, and the error says why.
  TeamKeys after = Keys(KeyLine("k2", 'b'));
  EXPECT_TRUE(Open(after, kEtcdKey, kUrl, new_value).ok());
  ExpectRefused(Open(after, kEtcdKey, kUrl, old_value),
                "sealed with key id \"k1\", which the team key file does not list");
  // A daemon not yet given k2 cannot open what the rotated ones seal.
  ExpectRefused(Open(keys_, kEtcdKey, kUrl, new_value), "key id \"k2\"");
}

TEST_F(SealedValueTest, HeaderErrors) {
  const std::string sealed = MustSeal(keys_, Payload());
  ExpectRefused(Open(keys_, kEtcdKey, kUrl, ""), "empty");
  std::string version = sealed;
  version[0] = '\x02';
  ExpectRefused(Open(keys_, kEtcdKey, kUrl, version), "format version 2");
  version[0] = '\0';
  ExpectRefused(Open(keys_, kEtcdKey, kUrl, version), "format version 0");
  // A hostile id is refused without being quoted.
  std::string hostile = sealed;
  hostile.replace(2, 2, "\n\x1b");
  ExpectRefused(Open(keys_, kEtcdKey, kUrl, hostile), "malformed key id");
  hostile = sealed;
  hostile[1] = '\0';
  ExpectRefused(Open(keys_, kEtcdKey, kUrl, hostile), "malformed key id");
  ExpectRefused(Open(keys_, kEtcdKey, kUrl, std::string("\x01\xff", 2) + std::string(300, 'k')),
                "malformed key id");
  ExpectRefused(Open(keys_, kEtcdKey, kUrl, std::string("\x01\x02k1", 4) + std::string(30, 'n')),
                "truncated");
}

TEST_F(SealedValueTest, RefusesAValueTooLongForAnyPayloadUnread) {
  std::string sealed = MustSeal(keys_, Payload());
  sealed.append(cargo_credential::kMaxTokenBytes + 1024, 'x');
  ExpectRefused(Open(keys_, kEtcdKey, kUrl, sealed), "too long");
}

// Payloads Seal never writes, sealed with the right key: Open still
// refuses them, for what is wrong inside.
TEST_F(SealedValueTest, RefusesMalformedPayloads) {
  struct Case {
    std::string name;
    std::string plaintext;
    std::string saying;
  };
  const std::string good = Plaintext(1, 2, 0, "w", kToken);
  const std::vector<Case> cases = {
      {"empty token", Plaintext(1, 2, 0, "w", ""), "token is empty"},
      {"session 2", Plaintext(1, 2, 2, "w", kToken), "session flag"},
      {"session 0xff", Plaintext(1, 2, 0xff, "w", kToken), "session flag"},
      {"byte after the token", good + "x", "1 bytes after the token"},
      {"token cut short", good.substr(0, good.size() - 1), "truncated"},
      {"no token length", good.substr(0, 8 + 8 + 1 + 4 + 1), "truncated"},
      {"writer too long", Plaintext(1, 2, 0, std::string(kMaxSealedWriterBytes + 1, 'w'), kToken),
       "writer is too long"},
      {"token too long",
       Plaintext(1, 2, 0, "", std::string(cargo_credential::kMaxTokenBytes + 1, 't')), "too long"},
  };
  EXPECT_TRUE(Open(keys_, kEtcdKey, kUrl, SealByHand(keys_, good)).ok());
  for (const Case& bad : cases) {
    SCOPED_TRACE(bad.name);
    ExpectRefused(Open(keys_, kEtcdKey, kUrl, SealByHand(keys_, bad.plaintext)), bad.saying);
  }
  // A token length that runs past the end, or stops short of it.
  std::string lying = good;
  lying[8 + 8 + 1 + 4 + 1 + 3] = static_cast<char>(kToken.size() + 1);
  ExpectRefused(Open(keys_, kEtcdKey, kUrl, SealByHand(keys_, lying)), "truncated");
  lying[8 + 8 + 1 + 4 + 1 + 3] = static_cast<char>(kToken.size() - 1);
  ExpectRefused(Open(keys_, kEtcdKey, kUrl, SealByHand(keys_, lying)), "1 bytes after the token");
}

TEST_F(SealedValueTest, SealRefusesWhatCannotBeOpened) {
  absl::StatusOr<std::string> sealed = Seal(keys_, kEtcdKey, kUrl, Payload(""));
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(sealed.status().message()), HasSubstr("empty token"));

  sealed =
      Seal(keys_, kEtcdKey, kUrl, Payload(std::string(cargo_credential::kMaxTokenBytes + 1, 't')));
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.status().code(), absl::StatusCode::kInvalidArgument);

  SealedPayload payload = Payload();
  payload.writer = std::string(kMaxSealedWriterBytes + 1, 'w');
  sealed = Seal(keys_, kEtcdKey, kUrl, payload);
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(sealed.status().message()), Not(HasSubstr("www")));
}

}  // namespace
}  // namespace credcache
