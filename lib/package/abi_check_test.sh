#!/usr/bin/env bash
# abi_check against three builds: this one (what the release recorded), one
# that only adds a function (compatible), and one whose CacheControl, a public
# struct programs hold by value, has one more member (incompatible under the
# same soname). The changed builds are made here with g++, from lib/'s
# sources, as the package rule makes the real one.
set -euo pipefail

runfiles="$TEST_SRCDIR/credcache"
package="$runfiles/lib/package"
check="$package/abi_check"
work="$TEST_TMPDIR/abi"
rm -rf "$work"
mkdir -p "$work"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

expect() {  # expect STATUS PATTERN OUTPUT-FILE
  if [ "$1" != "$2" ]; then fail "abi_check exited $2, expected $1"; cat "$4"; fi
  grep -q -- "$3" "$4" || { fail "abi_check did not say '$3'"; cat "$4"; }
}

run_check() {  # run_check OUTPUT-FILE [ARGS...]: sets $status
  local out="$1"
  shift
  set +e
  "$check" "$@" > "$out" 2>&1
  status=$?
  set -e
}

library=$(ls "$package"/libcargo_credential.so.*.*.*)
soname=$(objdump -p "$library" | awk '$1 == "SONAME" { print $2 }')
absl_libs=$(pkg-config --libs absl_status absl_statusor absl_strings absl_time)

# 1. This build.
run_check "$work/same.txt"
expect 0 "$status" "the ABI is that of release" "$work/same.txt"

# The public headers as installed, with a tree of lib/ to compile from.
copy_sources() {  # copy_sources DIR
  mkdir -p "$1/lib" "$1/include/cargo_credential"
  cp "$runfiles"/lib/*.cc "$runfiles"/lib/*.h "$1/lib/"
  while read -r header; do cp "$runfiles/$header" "$1/include/cargo_credential/"; done \
    < "$package/headers.txt"
}

# 2. One function more, declared in a public header.
added="$work/added"
copy_sources "$added"
cat >> "$added/include/cargo_credential/version.h" <<'HEADER'
namespace cargo_credential {
int AddedInANewRelease();
}  // namespace cargo_credential
HEADER
printf '#include "cargo_credential/version.h"\nnamespace cargo_credential {\nint AddedInANewRelease() { return 1; }\n}\n' \
  > "$added/added.cc"
g++ -std=c++17 -g -fPIC -I "$added/include" -c "$added/added.cc" -o "$added/added.o"
g++ -shared -o "$added/libcargo_credential.so" -Wl,--whole-archive "$package/libcargo_credential.a" \
  -Wl,--no-whole-archive "$added/added.o" -Wl,-soname,"$soname" \
  -Wl,--version-script="$package/libcargo_credential.map" $absl_libs
run_check "$work/added.txt" --library "$added/libcargo_credential.so" \
  --headers "$added/include/cargo_credential"
expect 0 "$status" "additions only" "$work/added.txt"
grep -q AddedInANewRelease "$work/added.txt" || fail "the report does not name the new function"

# 3. A member more in CacheControl.
grown="$work/grown"
copy_sources "$grown"
sed -i 's/^  int64_t expiration = 0;$/&\n  int64_t renew_before = 0;/' "$grown/include/cargo_credential/protocol.h"
grep -q renew_before "$grown/include/cargo_credential/protocol.h" || fail "protocol.h was not changed"
objects=()
for object in $(ar t "$package/libcargo_credential.a"); do
  name="${object%.pic.o}"
  g++ -std=c++17 -g -O1 -fPIC -I "$grown/include" -I "$grown" -c "$grown/lib/$name.cc" \
    -o "$grown/$name.o"
  objects+=("$grown/$name.o")
done
g++ -shared -o "$grown/libcargo_credential.so" "${objects[@]}" -Wl,-soname,"$soname" \
  -Wl,--version-script="$package/libcargo_credential.map" $absl_libs
run_check "$work/grown.txt" --library "$grown/libcargo_credential.so" \
  --headers "$grown/include/cargo_credential"
expect 1 "$status" "INCOMPATIBLE with release" "$work/grown.txt"
grep -q "CacheControl" "$work/grown.txt" || fail "the report does not name CacheControl"

# 4. The same change under a new soname: expected, so not a failure.
g++ -shared -o "$grown/libcargo_credential.so.next" "${objects[@]}" \
  -Wl,-soname,libcargo_credential.so.99 \
  -Wl,--version-script="$package/libcargo_credential.map" $absl_libs
run_check "$work/renamed.txt" --library "$grown/libcargo_credential.so.next" \
  --headers "$grown/include/cargo_credential"
expect 0 "$status" "under a new soname" "$work/renamed.txt"

if [ "$failures" -ne 0 ]; then
  echo "$failures failures"
  exit 1
fi
echo "abi_check: all four cases as expected"
