// cargo-credential-example-prompt: an interactive Cargo credential provider
// in front of another one, asking on the terminal for the login token and
// before every change to the registry. See prompt_credential.h.
#include "cargo_credential/provider.h"
#include "examples/prompt_credential.h"

int main(int argc, char** argv) {
  credcache_examples::PromptCredential credential;
  return cargo_credential::RunProvider(
      credential, argc, argv,
      "an example provider that asks on the terminal before a token changes the registry");
}
