#include "backends/etcd/team_key.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_env.h"

namespace credcache {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// A key of 32 bytes of `fill`, and its base64.
std::string KeyBytes(char fill) { return std::string(kTeamKeyBytes, fill); }
std::string KeyBase64(char fill) { return absl::Base64Escape(KeyBytes(fill)); }

std::string Bytes(const unsigned char* key) {
  return std::string(reinterpret_cast<const char*>(key), kTeamKeyBytes);
}

TEST(TeamKeysTest, ParsesOneKey) {
  absl::StatusOr<TeamKeys> keys = TeamKeys::Parse("k1 " + KeyBase64('a') + "\n", "keys");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->sealing_id(), "k1");
  EXPECT_EQ(Bytes(keys->sealing_key()), KeyBytes('a'));
  ASSERT_NE(keys->Find("k1"), nullptr);
  EXPECT_EQ(Bytes(keys->Find("k1")), KeyBytes('a'));
  EXPECT_EQ(keys->Find("k2"), nullptr);
  EXPECT_EQ(keys->Find(""), nullptr);
}

TEST(TeamKeysTest, FirstKeySealsAndEveryKeyIsFound) {
  const std::string text = absl::StrCat(
      "# rotated on Monday\n"
      "\n",
      "  k2\t", KeyBase64('b'), "  \r\n",  // CRLF, tabs and spaces around fields
      "   # k0 ", KeyBase64('z'), "\n",    // commented out: not a key
      "k1 ", KeyBase64('a'));              // no newline at the end
  absl::StatusOr<TeamKeys> keys = TeamKeys::Parse(text, "keys");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->sealing_id(), "k2");
  EXPECT_EQ(Bytes(keys->sealing_key()), KeyBytes('b'));
  EXPECT_THAT(keys->ids(), ElementsAre("k2", "k1"));
  EXPECT_EQ(Bytes(keys->Find("k1")), KeyBytes('a'));
  EXPECT_EQ(Bytes(keys->Find("k2")), KeyBytes('b'));
  EXPECT_EQ(keys->Find("k0"), nullptr);
}

TEST(TeamKeysTest, AcceptsEveryIdCharacterAndThirtyTwoOfThem) {
  const std::string id = "Az09._-" + std::string(25, 'x');
  ASSERT_EQ(id.size(), kMaxTeamKeyIdBytes);
  absl::StatusOr<TeamKeys> keys = TeamKeys::Parse(id + " " + KeyBase64('a'), "keys");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->sealing_id(), id);
}

TEST(TeamKeysTest, MovedKeysStayUsable) {
  absl::StatusOr<TeamKeys> parsed = TeamKeys::Parse("k1 " + KeyBase64('a'), "keys");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  TeamKeys moved = std::move(*parsed);
  EXPECT_EQ(Bytes(moved.Find("k1")), KeyBytes('a'));
  absl::StatusOr<TeamKeys> other = TeamKeys::Parse("k9 " + KeyBase64('c'), "keys");
  ASSERT_TRUE(other.ok()) << other.status();
  moved = std::move(*other);
  EXPECT_EQ(moved.sealing_id(), "k9");
  EXPECT_EQ(Bytes(moved.sealing_key()), KeyBytes('c'));
}

TEST(TeamKeysTest, IsValidTeamKeyId) {
  EXPECT_TRUE(IsValidTeamKeyId("a"));
  EXPECT_TRUE(IsValidTeamKeyId("2024-06.team_key"));
  EXPECT_FALSE(IsValidTeamKeyId(""));
  EXPECT_FALSE(IsValidTeamKeyId(std::string(kMaxTeamKeyIdBytes + 1, 'a')));
  EXPECT_FALSE(IsValidTeamKeyId("a b"));
  EXPECT_FALSE(IsValidTeamKeyId("a/b"));
  EXPECT_FALSE(IsValidTeamKeyId("a+b"));
  EXPECT_FALSE(IsValidTeamKeyId("a=b"));
  EXPECT_FALSE(IsValidTeamKeyId(absl::string_view("a\0b", 3)));
  EXPECT_FALSE(IsValidTeamKeyId("k\xc3\xa9"));
}

struct BadFile {
  std::string name;
  std::string text;
  int line;            // the line the error names
  std::string saying;  // part of the error
};

// Every malformed file holds the key below somewhere; no error may quote
// it, whole or in part.
const std::string& SecretKey() {
  static const std::string* key = new std::string(KeyBase64('s'));
  return *key;
}

std::vector<BadFile> BadFiles() {
  const std::string key = SecretKey();
  std::string unpadded = key;
  unpadded.pop_back();
  // The last character before the padding carries two bits past the key's
  // end, which must be zero: 'M' has them so, 'N' does not.
  std::string stray_bits = key;
  stray_bits[42] = stray_bits[42] == 'M' ? 'N' : 'M';
  std::string url_safe = absl::Base64Escape(std::string(kTeamKeyBytes, '\xfb'));
  for (char& c : url_safe) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return {
      {"key alone", "# team\n" + key + "\n", 2, "expected `KEY_ID BASE64`, found 1 field"},
      {"id and key run together", "k1" + key, 1, "found 1 field"},
      {"key split", "k1 " + key.substr(0, 20) + " " + key.substr(20), 1, "found 3 fields"},
      {"comment after the key", "k1 " + key + " # new", 1, "a comment takes a line of its own"},
      {"key before id", key + " k1", 1, "the key id must be 1 to 32 characters"},
      {"id with a slash", "team/1 " + key, 1, "the key id must be"},
      {"id too long", std::string(33, 'k') + " " + key, 1, "the key id must be"},
      {"id not ASCII", "cl\xc3\xa9 " + key, 1, "the key id must be"},
      {"no padding", "k1 " + unpadded, 1, "is not 32 bytes in padded standard base64"},
      {"stray bits", "k1 " + stray_bits, 1, "is not 32 bytes"},
      {"url-safe alphabet", "k1 " + url_safe + "\nk2 " + key, 1, "is not 32 bytes"},
      {"31 bytes", "k1 " + key + "\nk2 " + absl::Base64Escape(std::string(31, 'x')), 2,
       "is not 32 bytes"},
      {"33 bytes", "k1 " + absl::Base64Escape(std::string(33, 'x')) + "\nk2 " + key, 1,
       "is not 32 bytes"},
      {"not base64", "k1 " + key + "\n\nk2 " + std::string(43, '!') + "=", 3, "is not 32 bytes"},
      {"duplicate id", "k1 " + key + "\n# again\nk1 " + KeyBase64('t'), 3,
       "key id \"k1\" is listed already on line 1"},
  };
}

TEST(TeamKeysTest, ErrorsNameFileAndLineAndNeverTheKey) {
  for (const BadFile& bad : BadFiles()) {
    SCOPED_TRACE(bad.name);
    absl::StatusOr<TeamKeys> keys = TeamKeys::Parse(bad.text, "/etc/credcache/team.keys");
    ASSERT_FALSE(keys.ok());
    EXPECT_EQ(keys.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(keys.status().message());
    EXPECT_THAT(message, StartsWith(absl::StrCat("/etc/credcache/team.keys:", bad.line, ": ")));
    EXPECT_THAT(message, HasSubstr(bad.saying));
    // No run of 8 characters of the key appears: not whole, not in part.
    for (size_t i = 0; i + 8 <= SecretKey().size(); ++i) {
      ASSERT_THAT(message, Not(HasSubstr(SecretKey().substr(i, 8)))) << message;
    }
  }
}

TEST(TeamKeysTest, NeedsAKey) {
  for (const std::string text : {"", "\n\n", "# nothing yet\n  \n"}) {
    absl::StatusOr<TeamKeys> keys = TeamKeys::Parse(text, "team.keys");
    ASSERT_FALSE(keys.ok());
    EXPECT_EQ(keys.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(keys.status().message()), StartsWith("team.keys: no key"));
  }
}

TEST(TeamKeysTest, RefusesTextOverTheLimit) {
  std::string text = "k1 " + KeyBase64('a') + "\n";
  text.resize(kMaxTeamKeyFileBytes, '#');
  EXPECT_TRUE(TeamKeys::Parse(text, "team.keys").ok());
  text.push_back('\n');
  absl::StatusOr<TeamKeys> keys = TeamKeys::Parse(text, "team.keys");
  ASSERT_FALSE(keys.ok());
  EXPECT_THAT(std::string(keys.status().message()), StartsWith("team.keys: larger than 65536"));
}

// Load: the file's checks, before its text.

std::string KeyFile(const std::string& dir, int mode) {
  const std::string path = dir + "/team.keys";
  credcache_testing::WriteFile(path, "k1 " + KeyBase64('a') + "\n", mode);
  return path;
}

TEST(TeamKeysLoadTest, LoadsAPrivateFile) {
  const std::string path = KeyFile(credcache_testing::MakeTempDir("keys"), 0600);
  absl::StatusOr<TeamKeys> keys = TeamKeys::Load(path);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(Bytes(keys->Find("k1")), KeyBytes('a'));
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(TeamKeys::Load(path).ok());
}

TEST(TeamKeysLoadTest, RefusesAFileOthersMayReadOrWrite) {
  const std::string path = KeyFile(credcache_testing::MakeTempDir("keys"), 0600);
  for (const int mode : {0644, 0640, 0604, 0620, 0602, 0610}) {
    SCOPED_TRACE(mode);
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
    absl::StatusOr<TeamKeys> keys = TeamKeys::Load(path);
    ASSERT_FALSE(keys.ok());
    EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(keys.status().message()), HasSubstr("group or others may read"));
    EXPECT_THAT(std::string(keys.status().message()), HasSubstr("fix it with: chmod 600 " + path));
  }
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  EXPECT_THAT(std::string(TeamKeys::Load(path).status().message()), HasSubstr("(mode 0644)"));
}

TEST(TeamKeysLoadTest, RefusesASymlinkEvenToAPrivateFile) {
  const std::string dir = credcache_testing::MakeTempDir("keys");
  const std::string path = KeyFile(dir, 0600);
  ASSERT_EQ(symlink(path.c_str(), (dir + "/link.keys").c_str()), 0);
  absl::StatusOr<TeamKeys> keys = TeamKeys::Load(dir + "/link.keys");
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr("symbolic link"));
}

TEST(TeamKeysLoadTest, RefusesWhatIsNotARegularFile) {
  const std::string dir = credcache_testing::MakeTempDir("keys");
  ASSERT_EQ(chmod(dir.c_str(), 0700), 0);
  absl::StatusOr<TeamKeys> keys = TeamKeys::Load(dir);
  ASSERT_FALSE(keys.ok());
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr("not a regular file"));
  // A FIFO with no writer would block a plain open for ever.
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  keys = TeamKeys::Load(fifo);
  ASSERT_FALSE(keys.ok());
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr("not a regular file"));
}

TEST(TeamKeysLoadTest, MissingFileIsNotFound) {
  const std::string path = credcache_testing::MakeTempDir("keys") + "/none";
  absl::StatusOr<TeamKeys> keys = TeamKeys::Load(path);
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr(path));
}

TEST(TeamKeysLoadTest, RefusesAFileOverTheLimit) {
  const std::string path = credcache_testing::MakeTempDir("keys") + "/team.keys";
  std::string text = "k1 " + KeyBase64('a') + "\n";
  text.resize(kMaxTeamKeyFileBytes, '#');
  credcache_testing::WriteFile(path, text, 0600);
  EXPECT_TRUE(TeamKeys::Load(path).ok());
  credcache_testing::WriteFile(path, text + "\n", 0600);
  absl::StatusOr<TeamKeys> keys = TeamKeys::Load(path);
  ASSERT_FALSE(keys.ok());
  EXPECT_THAT(std::string(keys.status().message()), StartsWith(path + ": larger than 65536"));
}

TEST(TeamKeysLoadTest, ParseErrorsNameThePath) {
  const std::string path = credcache_testing::MakeTempDir("keys") + "/team.keys";
  credcache_testing::WriteFile(path, "k1 " + KeyBase64('a') + "\nk1 " + KeyBase64('b') + "\n",
                               0600);
  absl::StatusOr<TeamKeys> keys = TeamKeys::Load(path);
  ASSERT_FALSE(keys.ok());
  EXPECT_THAT(std::string(keys.status().message()), StartsWith(path + ":2: key id \"k1\""));
}

TEST(TeamKeysLoadTest, RefusesAFileOfAnotherOwner) {
  if (geteuid() != 0) GTEST_SKIP() << "only root can give a file away";
  const std::string path = KeyFile(credcache_testing::MakeTempDir("keys"), 0600);
  ASSERT_EQ(chown(path.c_str(), 65534, static_cast<gid_t>(-1)), 0);
  absl::StatusOr<TeamKeys> keys = TeamKeys::Load(path);
  ASSERT_FALSE(keys.ok());
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr("owned by uid 65534"));
}

}  // namespace
}  // namespace credcache
