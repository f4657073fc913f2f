// The environment variables that hold tokens, so that no child a backend
// starts ever inherits them.
//
// The daemon's environment may carry tokens: an `env` backend serves them
// from there, and cargo's own CARGO_REGISTRY_TOKEN and
// CARGO_REGISTRIES_<NAME>_TOKEN are tokens wherever they appear. A `command`
// or `cargo-provider` backend starts programs that need the rest of the
// environment (PATH, HOME, a cloud CLI's profile), but must not be handed
// another registry's token. Every `env` backend registers what it reads when
// it is made; programs are started without any registered name.
//
// Names stay registered for the life of the process (a reload that drops an
// `env` backend leaves its variable hidden, which only errs on the safe side).
//
// Thread-safety: all functions are thread-safe.
#ifndef CREDCACHE_BACKENDS_SECRET_ENV_H_
#define CREDCACHE_BACKENDS_SECRET_ENV_H_

#include <string>
#include <vector>

namespace credcache {

// Registers `pattern`, a variable name or a shell glob on names.
void RegisterSecretVariable(const std::string& pattern);

// Every registered pattern, cargo's own token variables included; for
// SubprocessOptions::unset_env.
std::vector<std::string> SecretVariables();

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_SECRET_ENV_H_
