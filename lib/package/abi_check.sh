#!/usr/bin/env bash
# `bazel run //lib/package:abi_check`: is this build's libcargo_credential.so
# compatible with the last release's? The last release's ABI is recorded in
# abi/cargo_credential-VERSION.abi.xz (abidw's description of the library,
# limited to the types the public headers declare); abidiff (abigail-tools)
# compares this build with it:
#
#   - unchanged, or only additions: compatible, exit 0;
#   - anything a program built against the release could trip on (a type's
#     size or layout, a removed or changed function, a virtual function
#     moved): incompatible, exit 1, with abidiff's report. Either undo the
#     change, or raise the version in version.bzl: before 1.0 the minor
#     version, after it the major, which gives the library a new soname, so
#     that no program finds the new library under the old name. With a new
#     soname the check reports the changes and exits 0.
#
# At a release, `bazel run //lib/package:abi_check -- --record` writes the
# release's ABI under abi/, to be committed with it.
#
# `--library SO --headers DIR` checks another build (abi_check_test).
set -euo pipefail

runfiles="${RUNFILES_DIR:-${TEST_SRCDIR:-$0.runfiles}}/credcache"
package="$runfiles/lib/package"
workspace="${BUILD_WORKSPACE_DIRECTORY:-}"

record=false
library=""
headers=""
while [ $# -gt 0 ]; do
  case "$1" in
    --record) record=true; shift ;;
    --library) library="$2"; shift 2 ;;
    --headers) headers="$2"; shift 2 ;;
    *) echo "usage: bazel run //lib/package:abi_check [-- --record]" >&2; exit 2 ;;
  esac
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

if [ -z "$library" ]; then
  library=$(ls "$package"/libcargo_credential.so.*.*.*)
  headers="$scratch/include"
  mkdir -p "$headers"
  while read -r header; do cp "$runfiles/$header" "$headers/"; done < "$package/headers.txt"
fi
soname() { objdump -p "$1" | awk '$1 == "SONAME" { print $2 }'; }
version=$(sed -n 's/^#define CARGO_CREDENTIAL_VERSION_STRING "\(.*\)"$/\1/p' "$headers/version.h")

# What abidw writes is kept small and free of build paths: no source
# locations. (Type ids from hashes, --type-id-style hash, would be smaller
# still, but abidiff 2.2 then sees a change between a build and itself.)
describe() {
  abidw --headers-dir "$headers" --drop-private-types --no-show-locs --no-comp-dir-path \
    --no-corpus-path --out-file "$2" "$1"
}

if $record; then
  [ -n "$workspace" ] || { echo "abi_check: --record runs under bazel run" >&2; exit 2; }
  out="$workspace/lib/package/abi/cargo_credential-$version.abi.xz"
  describe "$library" "$scratch/now.abi"
  xz -9 -c "$scratch/now.abi" > "$out"
  echo "abi_check: recorded the ABI of $version ($(soname "$library")) in ${out#"$workspace"/}"
  exit 0
fi

# The newest release recorded.
baseline=$(ls "$package"/abi/cargo_credential-*.abi.xz 2>/dev/null | sort -V | tail -n 1)
[ -n "$baseline" ] || { echo "abi_check: no release recorded under lib/package/abi/" >&2; exit 2; }
released=$(basename "$baseline" .abi.xz)
released=${released#cargo_credential-}
xz -dc "$baseline" > "$scratch/released.abi"
released_soname=$(sed -n "s/.*<abi-corpus [^>]*soname='\([^']*\)'.*/\1/p" "$scratch/released.abi" | head -n 1)
current_soname=$(soname "$library")

# No header filter here: the recorded release has no source locations for
# one to match (abidw's --headers-dir already limited its types to the
# public headers' when it was recorded), so this build's side is compared
# whole, and every exported function counts.
set +e
abidiff --no-show-locs "$scratch/released.abi" "$library" > "$scratch/report" 2>&1
status=$?
set -e

if (( status & 3 )); then
  cat "$scratch/report" >&2
  echo "abi_check: abidiff could not compare (status $status)" >&2
  exit 2
fi
# abidiff marks only some changes incompatible (8), such as a removed
# function; a changed type's size or layout is just "changed" (4) and left to
# judgement. Here anything but additions counts as incompatible.
compatible=true
if (( status & 8 )); then
  compatible=false
elif (( status & 4 )); then
  if grep -E '[1-9][0-9]* (Removed|Changed)' "$scratch/report" > /dev/null; then
    compatible=false
  fi
fi
if ! $compatible; then
  cat "$scratch/report"
  if [ "$released_soname" != "$current_soname" ]; then
    echo "abi_check: changes incompatible with $released ($released_soname), under a new soname ($current_soname): as it must be. Record the ABI at the release (--record)."
    exit 0
  fi
  echo "abi_check: INCOMPATIBLE with release $released, under the same soname $current_soname."
  echo "  A program built against $released would break. Undo the change, or raise the version"
  echo "  in lib/package/version.bzl (the minor version before 1.0), which changes the soname."
  exit 1
fi
if (( status & 4 )); then
  cat "$scratch/report"
  echo "abi_check: compatible with release $released ($released_soname): additions only."
  exit 0
fi
echo "abi_check: the ABI is that of release $released ($released_soname)."
