// Checkup: what `cargo-credential-credcache doctor` asks the daemon (the
// Check call): whether each backend can be reached, as the daemon sees it,
// and which backends would serve a registry.
//
// A check never fetches a token and never runs a backend's program: a
// program is looked for on the daemon's PATH; a store (file, keyring,
// memory) is asked for a registry that cannot exist (kProbeIndexUrl), which
// reads it and shows it locked, unreadable or malformed; a team daemon is
// connected to and left (asking it would write the team's audit). The
// stores are asked at once, each bounded: one that does not answer in
// kProbeTimeout (or its own `timeout`, when shorter) is reported as such,
// and its call is left to finish on its own thread, counted in the
// backend's hung calls as the router's are: while kMaxHungCalls of them
// hang, it is not asked again, so a store that never answers cannot make
// repeated checks pile up threads.
//
// Thread-safety: CheckBackends may run on several threads at once; the
// router must outlive the call.
#ifndef CREDCACHE_DAEMON_CHECKUP_H_
#define CREDCACHE_DAEMON_CHECKUP_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "daemon/router.h"

namespace credcache {

struct BackendFinding {
  std::string name;
  std::string kind;
  bool ok = false;
  std::string detail;  // What was found; never a token.
  std::string fix;     // What to do, when not ok.
};

// The registry the stores are asked for: `.invalid` is reserved (RFC 2606),
// so no token can be kept for it.
inline constexpr char kProbeIndexUrl[] = "sparse+https://credcache-doctor.invalid/index/";
inline constexpr absl::Duration kProbeTimeout = absl::Seconds(5);

// One finding per backend of `router`, in its order.
std::vector<BackendFinding> CheckBackends(const Router& router);

}  // namespace credcache

#endif  // CREDCACHE_DAEMON_CHECKUP_H_
