#include "common/accounts.h"

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cargo_credential/subprocess.h"

namespace credcache {
namespace {

// No NSS call in this process: the shim is linked statically, and glibc's
// NSS then loads the system's modules (libnss_systemd, sss, ldap) into it
// at run time, which crashes when a name is not in the files. So the
// files are read here, and anything else is asked of `getent`, a program
// linked the usual way, which sees every database NSS is configured with.

// The fields each entry has: passwd(5) and group(5).
constexpr size_t kPasswdFields = 7;
constexpr size_t kGroupFields = 4;

size_t FieldsOf(const std::string& database) {
  return database == "passwd" ? kPasswdFields : kGroupFields;
}

// The fields of the entry of `database` ("passwd", "group") whose field
// `column` (0: name, 2: id) is `key`, or none.
std::vector<std::string> Lookup(const std::string& database, size_t column,
                                const std::string& key) {
  std::ifstream file("/etc/" + database);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<std::string> fields = FindEntry(text, FieldsOf(database), column, key);
  if (!fields.empty()) return fields;
  cargo_credential::SubprocessOptions options;
  options.argv = {"/usr/bin/getent", database, key};
  options.stdin_mode = cargo_credential::SubprocessOptions::Stdio::kNull;
  absl::StatusOr<cargo_credential::SubprocessResult> result =
      cargo_credential::RunSubprocess(options, "", absl::Seconds(10));
  if (!result.ok() || result->exit_code != 0) return {};
  return FindEntry(result->stdout_text, FieldsOf(database), column, key);
}

absl::StatusOr<uint32_t> IdOf(const std::string& database, const std::string& name,
                              absl::string_view what) {
  uint32_t number = 0;
  if (!name.empty() && absl::SimpleAtoi(name, &number)) return number;
  if (!name.empty() && name.find(':') == std::string::npos && name.front() != '-') {
    std::vector<std::string> fields = Lookup(database, 0, name);
    if (!fields.empty() && absl::SimpleAtoi(fields[2], &number)) return number;
  }
  return absl::NotFoundError(absl::StrCat("no ", what, " named `", name, "`"));
}

std::string NameOf(const std::string& database, uint32_t id) {
  std::vector<std::string> fields = Lookup(database, 2, absl::StrCat(id));
  return fields.empty() ? absl::StrCat(id) : fields[0];
}

}  // namespace

absl::StatusOr<uid_t> UserId(const std::string& name) { return IdOf("passwd", name, "user"); }

absl::StatusOr<gid_t> GroupId(const std::string& name) { return IdOf("group", name, "group"); }

std::string UserName(uid_t uid) { return NameOf("passwd", uid); }

std::string GroupName(gid_t gid) { return NameOf("group", gid); }

absl::StatusOr<std::string> HomeDirectoryOf(uid_t uid) {
  const std::vector<std::string> fields = Lookup("passwd", 2, absl::StrCat(uid));
  if (fields.empty()) return absl::NotFoundError(absl::StrCat("no user has uid ", uid));
  const std::string& home = fields[5];
  if (home.empty() || home.front() != '/') {
    return absl::NotFoundError(
        absl::StrCat("the password database names no absolute home directory for uid ", uid));
  }
  return home;
}

std::vector<std::string> FindEntry(absl::string_view text, size_t min_fields, size_t column,
                                   absl::string_view key) {
  if (column >= min_fields) return {};
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<std::string> fields = absl::StrSplit(line, ':');
    if (fields.size() >= min_fields && fields[column] == key) return fields;
  }
  return {};
}

}  // namespace credcache
