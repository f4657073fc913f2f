#include "daemon/etcd_config.h"

#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backends/backend.h"
#include "common/location.h"

namespace credcache {
namespace {

// The longest `deadline`: past it a down cluster would hold cargo up.
constexpr absl::Duration kMaxDeadline = absl::Seconds(10);
// The shortest: below it every call would fail, and the tier flap.
constexpr absl::Duration kMinDeadline = absl::Milliseconds(50);

class EtcdParser {
 public:
  explicit EtcdParser(const std::string& source) : source_(source) {}

  absl::StatusOr<EtcdTierSettings> Parse(const toml::node& node) {
    const toml::table* table = node.as_table();
    if (table == nullptr) return ErrorAt(node, "`etcd` must be a table: [etcd]");
    EtcdTierSettings settings;
    std::ostringstream fingerprint;
    fingerprint << *table;
    settings.fingerprint = fingerprint.str();
    EtcdConnection& connection = settings.connection;
    for (auto&& [key, value] : *table) {
      const std::string name(key.str());
      connection.at[name] = Location(source_, value.source().begin);
      absl::Status status;
      if (name == "endpoints") {
        status = Endpoints(value, connection.endpoints);
      } else if (name == "prefix") {
        status = String(key, value, settings.prefix);
        if (status.ok() &&
            (settings.prefix.size() < 3 || settings.prefix.front() != '/' ||
             settings.prefix.back() != '/' || settings.prefix.find("//") != std::string::npos)) {
          status = ErrorAt(value,
                           "`prefix` must start and end with \"/\" and name the team's keys, as "
                           "\"/credcache/team/\" (the daemon watches everything under it)");
        }
      } else if (name == "team_key_file") {
        status = Path(key, value, settings.team_key_file);
      } else if (name == "ca_file") {
        status = Path(key, value, connection.ca_file);
      } else if (name == "cert_file") {
        status = Path(key, value, connection.cert_file);
      } else if (name == "key_file") {
        status = Path(key, value, connection.key_file);
      } else if (name == "server_name") {
        status = String(key, value, connection.server_name);
      } else if (name == "user") {
        status = String(key, value, connection.user);
      } else if (name == "password_file") {
        status = Path(key, value, connection.password_file);
      } else if (name == "deadline" || name == "wait") {
        absl::StatusOr<absl::Duration> duration = ParseDurationNode(value);
        if (!duration.ok()) {
          status = ErrorAt(value, absl::StrCat("`", name, "` ", duration.status().message()));
        } else if (name == "deadline" && *duration > kMaxDeadline) {
          status = ErrorAt(value, "`deadline` is at most 10s: a cluster slower than that is down");
        } else if (name == "deadline" && *duration < kMinDeadline) {
          status = ErrorAt(value, "`deadline` is at least 50ms: no cluster answers sooner");
        } else if (*duration > kMaxBackendTimeout) {
          status = ErrorAt(value, "`wait` is at most 1h");
        } else {
          (name == "deadline" ? connection.deadline : settings.wait) = *duration;
        }
      } else {
        status = ErrorAt(key, absl::StrCat("unknown key `", name,
                                           "` in [etcd]; expected endpoints, prefix, "
                                           "team_key_file, ca_file, cert_file, key_file, "
                                           "server_name, user, password_file, deadline or wait"));
      }
      if (!status.ok()) return status;
    }
    if (connection.endpoints.empty()) {
      return ErrorAt(node, "[etcd] needs `endpoints`, the cluster's members (\"10.0.0.1:2379\")");
    }
    if (settings.prefix.empty()) {
      return ErrorAt(node, "[etcd] needs `prefix`, the team's keys (\"/credcache/team/\")");
    }
    if (settings.team_key_file.empty()) {
      return ErrorAt(node,
                     "[etcd] needs `team_key_file`: tokens are sealed with the team's key "
                     "before they reach etcd");
    }
    if (connection.cert_file.empty() != connection.key_file.empty()) {
      return ErrorAt(node, "[etcd] `cert_file` and `key_file` go together");
    }
    if (!connection.cert_file.empty() && connection.ca_file.empty()) {
      return ErrorAt(node, "[etcd] a client certificate needs TLS: set `ca_file` too");
    }
    if (!connection.server_name.empty() && connection.ca_file.empty()) {
      return ErrorAt(node, "[etcd] `server_name` is for TLS: set `ca_file` too");
    }
    if (connection.user.empty() != connection.password_file.empty()) {
      return ErrorAt(node, "[etcd] `user` and `password_file` go together");
    }
    return settings;
  }

 private:
  template <typename Located>
  absl::Status ErrorAt(const Located& where, absl::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(Location(source_, where.source().begin), ": ", message));
  }

  absl::Status String(const toml::key& key, const toml::node& value, std::string& out) const {
    const auto* text = value.as_string();
    if (text == nullptr || text->get().empty() || text->get().find('\0') != std::string::npos) {
      return ErrorAt(value,
                     absl::StrCat("`", std::string(key.str()), "` must be a non-empty string"));
    }
    out = text->get();
    return absl::OkStatus();
  }

  absl::Status Path(const toml::key& key, const toml::node& value, std::string& out) const {
    absl::Status status = String(key, value, out);
    if (status.ok() && out.front() != '/') {
      return ErrorAt(value, absl::StrCat("`", std::string(key.str()),
                                         "` must be an absolute path: the daemon runs in /"));
    }
    return status;
  }

  absl::Status Endpoints(const toml::node& value, std::vector<std::string>& out) const {
    const toml::array* array = value.as_array();
    if (array == nullptr || array->empty()) {
      return ErrorAt(value, "`endpoints` must be a list of \"address:port\" strings");
    }
    bool names = false;
    bool ipv6 = false;
    bool ipv4 = false;
    for (const toml::node& each : *array) {
      const auto* text = each.as_string();
      const std::string endpoint = text == nullptr ? "" : text->get();
      const size_t colon = endpoint.rfind(':');
      int port = 0;
      const bool has_port = colon != std::string::npos && colon > 0 &&
                            absl::SimpleAtoi(endpoint.substr(colon + 1), &port) && port > 0 &&
                            port < 65536;
      if (!has_port || endpoint.find_first_of(" /,\t\r\n") != std::string::npos) {
        return ErrorAt(each, "an endpoint is \"address:port\", as \"10.0.0.1:2379\" (no scheme)");
      }
      const std::string host = endpoint.substr(0, colon);
      if (host.find(':') != std::string::npos && host.front() != '[') {
        return ErrorAt(each, "an IPv6 endpoint goes in brackets, as \"[fd00::1]:2379\"");
      }
      const bool address = IsAddressEndpoint(endpoint);
      names = names || !address;
      ipv6 = ipv6 || (address && endpoint.front() == '[');
      ipv4 = ipv4 || (address && endpoint.front() != '[');
      out.push_back(endpoint);
    }
    if (names && out.size() > 1) {
      return ErrorAt(value,
                     "several endpoints must be IP addresses (one gRPC channel balances over "
                     "them); or give one name that resolves to every member");
    }
    if (ipv4 && ipv6) {
      return ErrorAt(value, "endpoints must be all IPv4 or all IPv6");
    }
    return absl::OkStatus();
  }

  const std::string& source_;
};

}  // namespace

absl::StatusOr<EtcdTierSettings> ParseEtcd(const toml::node& node, const std::string& source) {
  return EtcdParser(source).Parse(node);
}

}  // namespace credcache
