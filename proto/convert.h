// Conversions between the gRPC messages (proto/credcache.proto) and lib/'s
// protocol types: one ToProto and one FromProto for each lib/ type, so the
// shim and the daemon cannot drift apart and a field added on one side only
// fails convert_test.
//
// Tokens: ToProto copies a token into the message (the caller wipes the
// message, or lets the wiping allocator of lib/hardening do it); FromProto of
// a message the caller owns (a pointer) moves the token out and leaves the
// message's copy wiped; FromProto of a const message gRPC owns copies.
//
// Thread-safety: pure functions.
#ifndef CREDCACHE_PROTO_CONVERT_H_
#define CREDCACHE_PROTO_CONVERT_H_

#include "absl/status/statusor.h"
#include "cargo_credential/error.h"
#include "cargo_credential/protocol.h"
#include "proto/messages.h"

namespace credcache {

// Enums. Each lib/ kUnknown is the proto's *_UNSPECIFIED and back.
v1::OperationKind ToProto(cargo_credential::OperationKind kind);
cargo_credential::OperationKind FromProto(v1::OperationKind kind);
v1::ActionKind ToProto(cargo_credential::ActionKind kind);
cargo_credential::ActionKind FromProto(v1::ActionKind kind);
v1::CacheKind ToProto(cargo_credential::CacheKind kind);
cargo_credential::CacheKind FromProto(v1::CacheKind kind);
v1::ResponseKind ToProto(cargo_credential::ResponseKind kind);
cargo_credential::ResponseKind FromProto(v1::ResponseKind kind);
v1::ErrorKind ToProto(cargo_credential::ErrorKind kind);
cargo_credential::ErrorKind FromProto(v1::ErrorKind kind);

// Messages.
v1::RegistryInfo ToProto(const cargo_credential::RegistryInfo& registry);
cargo_credential::RegistryInfo FromProto(const v1::RegistryInfo& registry);
v1::Operation ToProto(const cargo_credential::Operation& operation);
cargo_credential::Operation FromProto(const v1::Operation& operation);
v1::LoginOptions ToProto(const cargo_credential::LoginOptions& login);
cargo_credential::LoginOptions FromProto(const v1::LoginOptions& login);
v1::Action ToProto(const cargo_credential::Action& action);
cargo_credential::Action FromProto(const v1::Action& action);
v1::CredentialRequest ToProto(const cargo_credential::CredentialRequest& request);
cargo_credential::CredentialRequest FromProto(const v1::CredentialRequest& request);
v1::CacheControl ToProto(const cargo_credential::CacheControl& cache);
cargo_credential::CacheControl FromProto(const v1::CacheControl& cache);
v1::CredentialResponse ToProto(const cargo_credential::CredentialResponse& response);
cargo_credential::CredentialResponse FromProto(v1::CredentialResponse* response);

// A result: its response, or its error with kind and causes (error text is
// made valid UTF-8, as proto3 strings must be).
v1::PerformResponse ResultToProto(
    const absl::StatusOr<cargo_credential::CredentialResponse>& result);
// A response with no result set (from a newer daemon, say) becomes an
// `other` error rather than a made-up answer.
absl::StatusOr<cargo_credential::CredentialResponse> ResultFromProto(v1::PerformResponse* response);

}  // namespace credcache

#endif  // CREDCACHE_PROTO_CONVERT_H_
