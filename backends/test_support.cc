#include "backends/test_support.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "cargo_credential/error.h"
#include "gtest/gtest.h"

namespace credcache_testing {

TestConfig::TestConfig(std::string_view body) {
  const std::string text = absl::StrCat("[[backend]]\n", std::string(body), "\n");
  try {
    document_ = toml::parse(std::string_view(text), std::string_view(kConfigFile));
  } catch (const toml::parse_error& error) {
    ADD_FAILURE() << "bad test config: " << error.description();
    return;
  }
  const toml::array* backends = document_.get_as<toml::array>("backend");
  if (backends != nullptr && !backends->empty()) backend_ = (*backends)[0].as_table();
}

credcache::BackendOptions TestConfig::Options(absl::Duration timeout) const {
  return credcache::BackendOptions(backend_ != nullptr ? *backend_ : empty_, kConfigFile, "test",
                                   timeout);
}

std::string Describe(const absl::Status& status) {
  std::string text(status.message());
  for (const std::string& cause : cargo_credential::CausedBy(status)) {
    absl::StrAppend(&text, " / ", cause);
  }
  return text;
}

}  // namespace credcache_testing
