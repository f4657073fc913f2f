#include "common/accounts.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "lib/subprocess.h"

namespace credcache {
namespace {

// No NSS call in this process: the shim is linked statically, and glibc's
// NSS then loads the system's modules (libnss_systemd, sss, ldap) into it
// at run time, which crashes when a name is not in the files. So the
// files are read here, and anything else is asked of `getent`, a program
// linked the usual way, which sees every database NSS is configured with.

// The fields of the entry of `database` ("passwd", "group") whose field
// `column` (0: name, 2: id) is `key`, or none.
std::vector<std::string> Lookup(const std::string& database, int column, const std::string& key) {
  std::ifstream file("/etc/" + database);
  std::string line;
  while (std::getline(file, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ':');
    if (fields.size() >= 3 && fields[column] == key) return fields;
  }
  cargo_credential::SubprocessOptions options;
  options.argv = {"/usr/bin/getent", database, key};
  options.stdin_mode = cargo_credential::SubprocessOptions::Stdio::kNull;
  absl::StatusOr<cargo_credential::SubprocessResult> result =
      cargo_credential::RunSubprocess(options, "", absl::Seconds(10));
  if (!result.ok() || result->exit_code != 0) return {};
  std::vector<std::string> fields =
      absl::StrSplit(absl::StripSuffix(result->stdout_text, "\n"), ':');
  if (fields.size() < 3 || fields[column] != key) return {};
  return fields;
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

}  // namespace credcache
