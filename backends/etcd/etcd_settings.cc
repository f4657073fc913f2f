#include "backends/etcd/etcd_settings.h"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace credcache {

bool IsAddressEndpoint(const std::string& endpoint) {
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon + 1 == endpoint.size()) return false;
  const std::string host = endpoint.substr(0, colon);
  unsigned char address[sizeof(struct in6_addr)];
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), address) == 1;
  }
  return inet_pton(AF_INET, host.c_str(), address) == 1;
}

std::string EtcdConnection::Where(const std::string& key) const {
  auto it = at.find(key);
  return it == at.end() ? "[etcd] `" + key + "`" : it->second + ": `" + key + "`";
}

}  // namespace credcache
