// The table of backend kinds: every kind there is, by its config name
// (backend.h says what a kind is). It depends on every backend; the
// backends depend only on backend.h, so there is no cycle.
//
// Thread-safety: the table is built once and never changes.
#ifndef CREDCACHE_BACKENDS_BACKEND_KINDS_H_
#define CREDCACHE_BACKENDS_BACKEND_KINDS_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "backends/backend.h"

namespace credcache {

// Every kind of backend there is.
const std::vector<BackendKind>& BackendKinds();

// The kind called `name`, or nullptr.
const BackendKind* FindBackendKind(absl::string_view name);

}  // namespace credcache

#endif  // CREDCACHE_BACKENDS_BACKEND_KINDS_H_
