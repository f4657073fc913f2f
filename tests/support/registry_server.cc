#include "tests/support/registry_server.h"

#include <signal.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_env.h"

namespace credcache_testing {

absl::StatusOr<std::unique_ptr<RegistryServer>> RegistryServer::Start(const std::string& token) {
  std::unique_ptr<RegistryServer> server(new RegistryServer());
  server->log_path_ = MakeTempDir("registry") + "/requests.jsonl";
  cargo_credential::SubprocessOptions options;
  options.argv = {"python3",        Runfile("tests/registry/registry.py"), "--port", "0", "--log",
                  server->log_path_};
  options.set_env = {{"REGISTRY_TOKEN", token}};
  absl::StatusOr<std::unique_ptr<cargo_credential::Subprocess>> process =
      cargo_credential::Subprocess::Start(options);
  if (!process.ok()) return process.status();
  server->process_ = *std::move(process);
  absl::StatusOr<std::optional<std::string>> line =
      server->process_->stdout_lines().Next(absl::Now() + absl::Seconds(20));
  if (!line.ok()) return line.status();
  if (!line->has_value() || !absl::StartsWith(**line, "PORT ") ||
      !absl::SimpleAtoi(absl::string_view(**line).substr(5), &server->port_)) {
    return absl::InternalError("registry.py did not report its port");
  }
  return server;
}

RegistryServer::~RegistryServer() {
  if (process_ == nullptr) return;
  process_->CloseStdin();
  if (!process_->Wait(absl::Now() + absl::Seconds(5)).ok()) {
    process_->Kill(SIGKILL);
  }
}

std::string RegistryServer::index_url() const {
  return absl::StrCat("sparse+http://127.0.0.1:", port_, "/index/");
}

std::vector<LoggedRequest> RegistryServer::Requests() const {
  std::vector<LoggedRequest> requests;
  for (absl::string_view line : absl::StrSplit(ReadFile(log_path_), '\n', absl::SkipEmpty())) {
    nlohmann::json entry = nlohmann::json::parse(line.begin(), line.end());
    requests.push_back({entry.at("method").get<std::string>(), entry.at("path").get<std::string>(),
                        entry.at("auth").get<std::string>(), entry.at("status").get<int>()});
  }
  return requests;
}

}  // namespace credcache_testing
