// FileCredential: an example Cargo credential provider that keeps tokens in a
// file, written on lib/ alone (the C++ counterpart of cargo-credential's
// file-provider example, with the care a real store needs).
//
// The file holds one line per registry, "<index-url> <token>" (index URLs
// have no spaces; tokens may). It is created 0600 and refused when group or
// others may read it; every change is written to a temporary file, synced and
// renamed over the old one, so a crash never leaves half a file and a login
// that was acknowledged is on disk.
//
// The file is `--file PATH` from the provider's arguments (cargo passes the
// config entry's arguments in the request), else
// $XDG_DATA_HOME/cargo-credential-example-file/tokens, else
// ~/.local/share/cargo-credential-example-file/tokens.
//
// Thread-safety: one request at a time, as the provider loop calls it.
#ifndef CREDCACHE_EXAMPLES_FILE_CREDENTIAL_H_
#define CREDCACHE_EXAMPLES_FILE_CREDENTIAL_H_

#include <string>
#include <vector>

#include "cargo_credential/credential.h"

namespace credcache_examples {

class FileCredential : public cargo_credential::Credential {
 public:
  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override;
};

}  // namespace credcache_examples

#endif  // CREDCACHE_EXAMPLES_FILE_CREDENTIAL_H_
