#!/usr/bin/env bash
# Runs every benchmark and prints each figure with its ratio to a reference
# measured in the same run; appends the results, with date and machine, to
# bench/RESULTS.md. Usage: bench/run.sh [SECONDS_OF_LOAD]
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup.sh
credcache_setup

bazel build -c opt //bench:all //shim:cargo-credential-credcache //daemon:credcached >&2
bin="$(bazel info bazel-bin 2>/dev/null)"
work=$(mktemp -d /tmp/ccbench.XXXXXX)
out="$work/results.txt"
cleanup() {
  CREDCACHE_SOCKET="$work/run/credcache.sock" "$bin/shim/cargo-credential-credcache" stop \
    >/dev/null 2>&1 || true
  git credential-cache --socket "$work/git.sock" exit 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# git's credential-cache, holding one credential, is the reference for the
# shim's round trip and for idle memory.
printf 'protocol=https\nhost=bench.example\nusername=me\npassword=secret\n\n' |
  git credential-cache --socket "$work/git.sock" --timeout 3600 store

# A daemon with one cached token, for the round trip.
export CREDCACHE_SOCKET="$work/run/credcache.sock" XDG_DATA_HOME="$work/data"
export CREDCACHE_DAEMON="$bin/daemon/credcached" CREDCACHE_CONFIG="$work/config.toml"
export XDG_CONFIG_HOME="$work/config-home"
printf '[[backend]]\nkind = "env"\nindex_urls = ["*"]\nvariable = "CREDCACHE_BENCH_TOKEN"\n' >"$CREDCACHE_CONFIG"
export CREDCACHE_BENCH_TOKEN="Bearer bench"

{
  echo "## $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
  echo
  echo '```'
  "$bin/bench/roundtrip" "$bin/shim/cargo-credential-credcache" "$work/git.sock" 100
  "$bin/shim/cargo-credential-credcache" stop >/dev/null
  CREDCACHE_BENCH_GIT_SOCKET="$work/git.sock" TEST_SRCDIR="$bin/bench/daemon_bench.runfiles" \
    TEST_WORKSPACE=credcache TEST_TMPDIR="$work" "$bin/bench/daemon_bench" "${1:-5}"
  # As root (CI) it makes users for the run and removes them; otherwise it
  # says that it skipped.
  TEST_SRCDIR="$bin/bench/team_bench.runfiles" TEST_WORKSPACE=credcache TEST_TMPDIR="$work" \
    "$bin/bench/team_bench" "${1:-5}"
  TEST_SRCDIR="$bin/bench/etcd_bench.runfiles" TEST_WORKSPACE=credcache TEST_TMPDIR="$work" \
    "$bin/bench/etcd_bench" "${1:-5}"
  CREDCACHE_TEST_CARGO="$CREDCACHE_CARGO" TEST_SRCDIR="$bin/bench/cargo_bench.runfiles" \
    TEST_WORKSPACE=credcache TEST_TMPDIR="$work" "$bin/bench/cargo_bench" 10
  echo '```'
  echo
} | tee "$out"
cat "$out" >>bench/RESULTS.md
