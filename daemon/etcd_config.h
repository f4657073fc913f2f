// The `[etcd]` table: the tier that shares the team's tokens across
// machines through etcd (backends/etcd/etcd_tier.h).
//
//   [etcd]
//   endpoints = ["10.0.0.1:2379", "10.0.0.2:2379", "10.0.0.3:2379"]
//   prefix = "/credcache/team-a/"        # the team's keys; ends with "/"
//   team_key_file = "/etc/credcache/team.key"   # 0600, the daemon's account
//   ca_file = "/etc/credcache/etcd-ca.pem"      # TLS (optional)
//   cert_file = "/etc/credcache/client.pem"     # with key_file: mutual TLS
//   key_file = "/etc/credcache/client-key.pem"
//   server_name = "etcd.internal"        # what the members' certificates name
//   user = "credcache"                   # etcd auth (optional) ...
//   password_file = "/etc/credcache/etcd.password"   # ... and its password
//   deadline = "1s"                      # longer than this: the cluster is down
//   wait = "10s"                         # on another daemon's fetch, at most
//
// Every backend whose tokens are shared (not personal, not run in the
// caller) goes through the tier.
//
// Thread-safety: functions only.
#ifndef CREDCACHE_DAEMON_ETCD_CONFIG_H_
#define CREDCACHE_DAEMON_ETCD_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "backends/etcd/etcd_settings.h"
#include "toml++/toml.h"

namespace credcache {

// Reads the `[etcd]` table `node` of the config file `source`. Any mistake
// is InvalidArgument with FILE:LINE:COLUMN and what is wrong. Files are
// named, not read: the daemon reads them when it starts the tier.
absl::StatusOr<EtcdTierSettings> ParseEtcd(const toml::node& node, const std::string& source);

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_ETCD_CONFIG_H_
