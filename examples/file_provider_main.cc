// cargo-credential-example-file: a complete Cargo credential provider that
// keeps tokens in a private file. See file_credential.h.
#include "cargo_credential/provider.h"
#include "examples/file_credential.h"

int main(int argc, char** argv) {
  credcache_examples::FileCredential credential;
  return cargo_credential::RunProvider(credential, argc, argv,
                                       "an example provider keeping tokens in a file");
}
