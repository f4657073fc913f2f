#include "common/accounts.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace credcache {
namespace {

// Room for one database entry; grown when the entry needs more.
constexpr size_t kFirstBuffer = 1024;
constexpr size_t kLargestBuffer = 1 << 20;

}  // namespace

absl::StatusOr<uid_t> UserId(const std::string& name) {
  std::vector<char> buffer(kFirstBuffer);
  struct passwd entry;
  struct passwd* found = nullptr;
  int error;
  while ((error = getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found)) ==
             ERANGE &&
         buffer.size() < kLargestBuffer) {
    buffer.resize(buffer.size() * 2);
  }
  if (found != nullptr) return found->pw_uid;
  uint32_t number = 0;
  if (!name.empty() && absl::SimpleAtoi(name, &number)) return static_cast<uid_t>(number);
  return absl::NotFoundError(absl::StrCat("no user named `", name, "`"));
}

absl::StatusOr<gid_t> GroupId(const std::string& name) {
  std::vector<char> buffer(kFirstBuffer);
  struct group entry;
  struct group* found = nullptr;
  while (getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) == ERANGE &&
         buffer.size() < kLargestBuffer) {
    buffer.resize(buffer.size() * 2);
  }
  if (found != nullptr) return found->gr_gid;
  uint32_t number = 0;
  if (!name.empty() && absl::SimpleAtoi(name, &number)) return static_cast<gid_t>(number);
  return absl::NotFoundError(absl::StrCat("no group named `", name, "`"));
}

std::string UserName(uid_t uid) {
  std::vector<char> buffer(kFirstBuffer);
  struct passwd entry;
  struct passwd* found = nullptr;
  while (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == ERANGE &&
         buffer.size() < kLargestBuffer) {
    buffer.resize(buffer.size() * 2);
  }
  return found != nullptr ? std::string(found->pw_name) : absl::StrCat(uid);
}

std::string GroupName(gid_t gid) {
  std::vector<char> buffer(kFirstBuffer);
  struct group entry;
  struct group* found = nullptr;
  while (getgrgid_r(gid, &entry, buffer.data(), buffer.size(), &found) == ERANGE &&
         buffer.size() < kLargestBuffer) {
    buffer.resize(buffer.size() * 2);
  }
  return found != nullptr ? std::string(found->gr_name) : absl::StrCat(gid);
}

}  // namespace credcache
