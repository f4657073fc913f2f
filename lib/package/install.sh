#!/usr/bin/env bash
# `bazel run //lib/package:install -- --prefix DIR`: installs the
# cargo_credential library for other projects to build against:
#
#   DIR/include/cargo_credential/*.h             the public headers
#   DIR/lib/libcargo_credential.a                the static library
#   DIR/lib/libcargo_credential.so.VERSION       the shared library, with the
#   DIR/lib/libcargo_credential.so.SOVERSION       soname link and the link
#   DIR/lib/libcargo_credential.so                 the linker looks for
#   DIR/lib/pkgconfig/cargo_credential.pc        for pkg-config
#   DIR/lib/cmake/cargo_credential/*.cmake       for find_package
#
# Files already there are replaced; nothing else under DIR is touched.
set -euo pipefail

usage() {
  echo "usage: bazel run //lib/package:install -- --prefix DIR" >&2
  exit 2
}

prefix=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || usage; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    -h|--help) usage ;;
    *) echo "install: unknown argument '$1'" >&2; usage ;;
  esac
done
[ -n "$prefix" ] || usage
# `bazel run` starts this in the runfiles tree: a relative DIR means the
# directory the user ran bazel from.
case "$prefix" in
  /*) ;;
  *) prefix="${BUILD_WORKING_DIRECTORY:-$PWD}/$prefix" ;;
esac

# This build's files, from the runfiles tree (bazel run, or a test's data).
runfiles="${RUNFILES_DIR:-${TEST_SRCDIR:-$0.runfiles}}/credcache"
package="$runfiles/lib/package"
[ -f "$package/cargo_credential.pc" ] || {
  echo "install: this build's files are not at $runfiles; run it with bazel run" >&2
  exit 1
}

shared=$(cd "$package" && ls libcargo_credential.so.*.*.*)
soname=$(objdump -p "$package/$shared" | awk '$1 == "SONAME" { print $2 }')
[ -n "$soname" ] || { echo "install: $shared has no soname" >&2; exit 1; }

install -d "$prefix/include/cargo_credential" "$prefix/lib/pkgconfig" \
  "$prefix/lib/cmake/cargo_credential"
while read -r header; do
  install -m 0644 "$runfiles/$header" "$prefix/include/cargo_credential/"
done < "$package/headers.txt"
# Without the debug information the build keeps for the ABI check (abidw
# reads the types from it): some megabytes no program needs to run.
install -m 0644 "$package/libcargo_credential.a" "$prefix/lib/"
strip --strip-debug "$prefix/lib/libcargo_credential.a"
install -m 0755 "$package/$shared" "$prefix/lib/"
strip --strip-debug "$prefix/lib/$shared"
ln -sfn "$shared" "$prefix/lib/$soname"
ln -sfn "$soname" "$prefix/lib/libcargo_credential.so"
install -m 0644 "$package/cargo_credential.pc" "$prefix/lib/pkgconfig/"
install -m 0644 "$package"/cargo_credentialConfig{,Version}.cmake "$prefix/lib/cmake/cargo_credential/"
echo "cargo_credential: installed under $prefix"
echo "  CMake:      find_package(cargo_credential) with -DCMAKE_PREFIX_PATH=$prefix"
echo "  pkg-config: PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs cargo_credential"
