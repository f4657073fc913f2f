#include "daemon/audit.h"

#include <sys/stat.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/test_env.h"

namespace {

using credcache::AuditLog;
using credcache::AuditRecord;
using credcache::AuditSettings;
using credcache_testing::ReadFile;

constexpr char kToken[] = "sentinel-token-3f9a";

AuditRecord Allowed(uid_t uid) {
  AuditRecord record;
  record.time = absl::Now();
  record.uid = uid;
  record.user = "alice";
  record.groups = {5000};
  record.registry = "sparse+https://cargo.corp.example/index/";
  record.operation = "read";
  record.rule = "rule 1 at team.toml:5:1";
  record.allowed = true;
  record.outcome = "miss";
  record.backend = "corp";
  record.scope = "shared";
  return record;
}

TEST(AuditLogTest, RecordsGoToAPrivateFileAsJsonLinesWithAFingerprintNeverTheToken) {
  const std::string dir = credcache_testing::MakeTempDir();
  AuditSettings settings;
  settings.file = dir + "/sub/audit.log";
  auto log = AuditLog::Open(settings, /*journal=*/false);
  ASSERT_TRUE(log.ok()) << log.status();
  AuditRecord record = Allowed(6001);
  record.fingerprint = (*log)->Fingerprint(cargo_credential::Secret(absl::string_view(kToken)));
  (*log)->Record(record);
  (*log)->Flush();

  struct stat info;
  ASSERT_EQ(stat(settings.file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const std::string text = ReadFile(settings.file);
  EXPECT_NE(text.find("\"uid\":6001"), std::string::npos) << text;
  EXPECT_NE(text.find("\"decision\":\"allow\""), std::string::npos) << text;
  EXPECT_NE(text.find(record.fingerprint), std::string::npos) << text;
  EXPECT_EQ(text.find(kToken), std::string::npos);
  EXPECT_EQ(text.find(absl::Base64Escape(kToken)), std::string::npos);
  EXPECT_EQ((*log)->Recent(10).size(), 1u);
}

TEST(AuditLogTest, FingerprintsMatchForOneTokenDifferForTwoAndDependOnTheDaemonsKey) {
  AuditSettings settings;
  settings.file = credcache_testing::MakeTempDir() + "/audit.log";
  auto one = AuditLog::Open(settings, false);
  auto two = AuditLog::Open(settings, false);
  ASSERT_TRUE(one.ok() && two.ok());
  const cargo_credential::Secret a(absl::string_view("token-a"));
  const cargo_credential::Secret b(absl::string_view("token-b"));
  EXPECT_EQ((*one)->Fingerprint(a), (*one)->Fingerprint(a));
  EXPECT_EQ((*one)->Fingerprint(a).size(), 16u);
  EXPECT_NE((*one)->Fingerprint(a), (*one)->Fingerprint(b));
  EXPECT_NE((*one)->Fingerprint(a), (*two)->Fingerprint(a));
}

TEST(AuditLogTest, RepeatedDenialsOfOneUidAreRateLimitedAndCountedOthersAreNot) {
  AuditSettings settings;
  settings.file = credcache_testing::MakeTempDir() + "/audit.log";
  auto log = AuditLog::Open(settings, false);
  ASSERT_TRUE(log.ok());
  const absl::Time start = absl::Now();
  for (int i = 0; i < 50; ++i) {
    AuditRecord denied = Allowed(6666);
    denied.allowed = false;
    denied.outcome = "denied";
    denied.time = start;
    (*log)->Record(denied);
  }
  EXPECT_EQ((*log)->Recent(100).size(), static_cast<size_t>(credcache::kDenialsPerMinute));
  // Another uid is heard, and so is an allowed request of the same one.
  AuditRecord other = Allowed(6001);
  other.allowed = false;
  other.time = start;
  (*log)->Record(other);
  (*log)->Record(Allowed(6666));
  EXPECT_EQ((*log)->Recent(100).size(), credcache::kDenialsPerMinute + 2u);
  // A minute later the next denial says how many were left out.
  AuditRecord later = Allowed(6666);
  later.allowed = false;
  later.time = start + absl::Minutes(2);
  (*log)->Record(later);
  EXPECT_NE((*log)->Recent(1)[0].find(
                absl::StrCat("\"denials_left_out\":", 50 - credcache::kDenialsPerMinute)),
            std::string::npos)
      << (*log)->Recent(1)[0];
}

TEST(AuditLogTest, TheFileRotatesBySizeKeepingTheConfiguredNumber) {
  AuditSettings settings;
  settings.file = credcache_testing::MakeTempDir() + "/audit.log";
  settings.max_size = 2000;
  settings.keep = 2;
  auto log = AuditLog::Open(settings, false);
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 60; ++i) (*log)->Record(Allowed(6001));
  (*log)->Flush();
  struct stat info;
  ASSERT_EQ(stat(settings.file.c_str(), &info), 0);
  EXPECT_LE(info.st_size, 2000);
  EXPECT_EQ(stat((settings.file + ".1").c_str(), &info), 0);
  EXPECT_EQ(stat((settings.file + ".2").c_str(), &info), 0);
  EXPECT_NE(stat((settings.file + ".3").c_str(), &info), 0);
}

TEST(AuditLogTest, ARegistryThatIsNotUtf8OrHoldsALineBreakStaysOneLine) {
  AuditSettings settings;
  settings.file = credcache_testing::MakeTempDir() + "/audit.log";
  auto log = AuditLog::Open(settings, false);
  ASSERT_TRUE(log.ok());
  AuditRecord record = Allowed(6001);
  record.registry = "sparse+https://x/\n{\"forged\":1}\xff\xfe";
  (*log)->Record(record);
  (*log)->Flush();
  const std::string text = ReadFile(settings.file);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
}

}  // namespace
