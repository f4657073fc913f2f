// A provider that misbehaves the ways real ones do while handling a request:
// it prints to stdout through printf (left unflushed), std::cout, a child
// process, and a large write, and logs to stderr. The library must keep all
// of it off the protocol's stdout. Used by provider_process_test.
#include <stdio.h>
#include <stdlib.h>

#include <iostream>
#include <string>

#include "cargo_credential/error.h"
#include "cargo_credential/provider.h"

namespace {

class NoisyCredential : public cargo_credential::Credential {
 public:
  absl::StatusOr<cargo_credential::CredentialResponse> Perform(
      const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
      const std::vector<std::string>& args) override {
    printf("NOISE from printf, never flushed by hand");
    std::cout << "NOISE from std::cout" << std::endl;
    if (system("echo NOISE from a child process") != 0) {
      fprintf(stderr, "noisy: system() failed\n");
    }
    std::cout << std::string(200 * 1024, 'N') << std::flush;
    fprintf(stderr, "noisy: handled a request for %s\n", registry.index_url.c_str());
    if (action.kind != cargo_credential::ActionKind::kGet) {
      return cargo_credential::OperationNotSupportedError();
    }
    return cargo_credential::CredentialResponse::Get(
        cargo_credential::Secret(absl::string_view("Bearer noisy")),
        cargo_credential::CacheControl::Never(), true);
  }
};

}  // namespace

int main(int argc, char** argv) {
  NoisyCredential credential;
  return cargo_credential::RunProvider(credential, argc, argv);
}
