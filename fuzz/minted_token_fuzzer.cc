// Fuzzes the reader of a token command's output (ParseMintedToken, in the
// expiring-token example): any bytes give either an error or a token cargo
// can send, taken from the output itself, with an expiry that is a finite
// time.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "cargo_credential/protocol.h"
#include "examples/expiring_credential.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string output(reinterpret_cast<const char*>(data), size);
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  absl::StatusOr<credcache_examples::MintedToken> minted =
      credcache_examples::ParseMintedToken(output, now);
  if (!minted.ok()) return 0;
  if (!cargo_credential::CheckToken(minted->token).ok()) abort();
  if (!absl::StrContains(output, minted->token.Expose())) abort();
  if (minted->expires.has_value() &&
      (*minted->expires == absl::InfiniteFuture() || *minted->expires == absl::InfinitePast())) {
    abort();
  }
  return 0;
}
