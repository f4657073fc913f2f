#include "backends/test_support.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/error.h"

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
  return credcache::BackendOptions(backend_ != nullptr ? *backend_ : empty_, kConfigFile,
                                   "test", timeout);
}

cargo_credential::RegistryInfo Registry(const std::string& index_url,
                                        std::optional<std::string> name) {
  cargo_credential::RegistryInfo registry;
  registry.index_url = index_url;
  registry.name = std::move(name);
  return registry;
}

cargo_credential::Action Get() { return cargo_credential::Action(); }

cargo_credential::Action Login(const std::string& token) {
  cargo_credential::Action action;
  action.kind = cargo_credential::ActionKind::kLogin;
  action.login.token = cargo_credential::Secret(absl::string_view(token));
  return action;
}

cargo_credential::Action Logout() {
  cargo_credential::Action action;
  action.kind = cargo_credential::ActionKind::kLogout;
  return action;
}

std::string Describe(const absl::Status& status) {
  std::string text(status.message());
  for (const std::string& cause : cargo_credential::CausedBy(status)) {
    absl::StrAppend(&text, " / ", cause);
  }
  return text;
}

}  // namespace credcache_testing
