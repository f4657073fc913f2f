// The etcd tier's settings (the `[etcd]` table of credcached's config,
// daemon/etcd_config.h): plain values, so that config code needs neither
// gRPC nor etcd's API to hold them.
//
// Thread-safety: values; copy freely. Functions are pure.
#ifndef CREDCACHE_BACKENDS_ETCD_ETCD_SETTINGS_H_
#define CREDCACHE_BACKENDS_ETCD_ETCD_SETTINGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace credcache {

// How to reach the cluster.
struct EtcdConnection {
  // "address:port" (IP literals: gRPC's address list takes no names), or a
  // single "name:port" that resolves to the members.
  std::vector<std::string> endpoints;
  // TLS when `ca_file` is set: the CA that signed the members' certificates,
  // and the client's own certificate and key (for `--client-cert-auth`).
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // The name the members' certificates must carry; default: the first
  // endpoint's host.
  std::string server_name;
  // etcd's own users: `user`, with the password read from `password_file`.
  std::string user;
  std::string password_file;
  // How long any one call may take before the cluster counts as down.
  absl::Duration deadline = absl::Seconds(1);
  // Where each key of the table was written ("FILE:LINE:COLUMN"), for
  // errors about the files it names, found only when they are read.
  std::map<std::string, std::string> at;

  // "FILE:LINE:COLUMN: `KEY`" for `key`, or "[etcd] `KEY`" when unknown.
  std::string Where(const std::string& key) const;
};

struct EtcdTierSettings {
  EtcdConnection connection;
  std::string prefix;  // The team's keys; ends with '/'.
  std::string team_key_file;
  // How long a daemon waits for another's fetch before fetching itself (at
  // most half the backend's timeout).
  absl::Duration wait = absl::Seconds(10);
  // The table as text: equal when nothing changed (a reload keeps the tier).
  std::string fingerprint;
};

// Whether `endpoint` is "IP:port" (or "[IPv6]:port") rather than a name.
bool IsAddressEndpoint(const std::string& endpoint);

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_ETCD_ETCD_SETTINGS_H_
