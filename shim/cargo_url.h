// CargoIndexUrl: a registry's index URL spelt as cargo spells it to
// credential providers, which is the key its token is kept under.
//
// Thread-safety: pure functions.
#ifndef CREDCACHE_SHIM_CARGO_URL_H_
#define CREDCACHE_SHIM_CARGO_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace credcache {

// crates.io's index URL as cargo names it to providers for tokens (publish,
// login): the git URL, not the sparse one.
inline constexpr char kCratesIoIndex[] = "https://github.com/rust-lang/crates.io-index";

// `index` (a registry's `index` as configured) as cargo names it to
// credential providers, which is the key a token must be kept under: cargo
// parses it with the url crate and hands on that crate's serialisation
// (the WHATWG URL standard). So the scheme is lowercased; for http, https
// and the other special schemes the host is lowercased and percent-decoded,
// an IPv4 address is written in its dotted form (`127.1` is `127.0.0.1`),
// an international name in its `xn--` form, a default port is dropped, `\`
// is `/`, and an empty path is `/`; in every scheme an IPv6 address is
// written as the url crate prints it (`[::ffff:127.0.0.1]` is
// `[::ffff:7f00:1]`), `.` and `..` segments are resolved, and the
// characters URLs may not hold are percent-encoded. A `sparse+https` URL is
// not special to the url crate: its host keeps its case and its port.
// Errors for what cargo refuses: no scheme, a bad host or port, a password,
// and a sparse index that does not end in `/` (cargo adds none).
//
// Not done, as international hosts in registry URLs are rare: Unicode
// normalisation, and case mapping beyond Latin, Greek and Cyrillic letters.
absl::StatusOr<std::string> CargoIndexUrl(absl::string_view index);

}  // namespace credcache

#endif  // CREDCACHE_SHIM_CARGO_URL_H_
