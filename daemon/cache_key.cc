#include "daemon/cache_key.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace credcache {

CacheKey CacheKey::For(const std::string& index_url, const std::vector<std::string>& args,
                       const cargo_credential::Operation& operation, int64_t owner) {
  std::string key(cargo_credential::OperationKindName(operation.kind));
  for (const std::string* part : {&operation.name, &operation.vers, &operation.cksum}) {
    if (!part->empty()) absl::StrAppend(&key, " ", *part);
  }
  return {index_url, args, std::move(key), owner};
}

CacheKey CacheKey::AnyOperation(const std::string& index_url, const std::vector<std::string>& args,
                                int64_t owner) {
  return {index_url, args, "", owner};
}

}  // namespace credcache
