// Conversions between the gRPC messages and lib/'s protocol types.
//
// The shim turns cargo's request into a PerformRequest and the daemon's
// PerformResponse back into cargo's answer; the daemon does the reverse.
// Doing both here keeps the two sides from drifting apart. DecodeResult
// moves the token out of the message it is given and wipes the message's
// copy; DecodeRequest reads a message gRPC owns, so it copies.
//
// Thread-safety: pure functions.
#ifndef CREDCACHE_PROTO_CONVERT_H_
#define CREDCACHE_PROTO_CONVERT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/protocol.h"
#include "proto/messages.h"

namespace credcache {

struct DecodedRequest {
  cargo_credential::RegistryInfo registry;
  cargo_credential::Action action;
  std::vector<std::string> args;
};

v1::PerformRequest EncodeRequest(const cargo_credential::RegistryInfo& registry,
                                 const cargo_credential::Action& action,
                                 const std::vector<std::string>& args);
DecodedRequest DecodeRequest(const v1::PerformRequest& request);

v1::PerformResponse EncodeResult(const absl::StatusOr<cargo_credential::CredentialResponse>& result);
// A response with no result set (a newer daemon, say) becomes an `other`
// error rather than a made-up answer.
absl::StatusOr<cargo_credential::CredentialResponse> DecodeResult(v1::PerformResponse* response);

// The wire names of the cache kinds and operations, for admin output.
std::string CacheKindName(v1::CacheKind kind);

}  // namespace credcache

#endif  // CREDCACHE_PROTO_CONVERT_H_
