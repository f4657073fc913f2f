#!/usr/bin/env bash
# Soak: SECONDS (default 600) of mixed load on one daemon (gets, logins,
# logouts and forgets over 1,000 registries from 64 clients), then the
# errors (goal: 0) and the daemon's resident memory at start and end.
# Appends the result, with date and machine, to bench/RESULTS.md.
# Usage: bench/soak.sh [SECONDS] [CLIENTS] [REGISTRIES]. Not run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup.sh
credcache_setup

bazel build -c opt //bench:soak >&2
bin="$(bazel info bazel-bin 2>/dev/null)"
work=$(mktemp -d /tmp/ccsoak.XXXXXX)
trap 'rm -rf "$work"' EXIT
out="$work/out.md"
{
  echo "## Soak, $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo
  echo '```'
} | tee "$out"
status=0
TEST_SRCDIR="$bin/bench/soak.runfiles" TEST_WORKSPACE=credcache TEST_TMPDIR="$work" \
  "$bin/bench/soak" "${1:-600}" "${2:-64}" "${3:-1000}" 2>&1 | tee -a "$out" || status=$?
printf '```\n\n' | tee -a "$out"
cat "$out" >>bench/RESULTS.md
exit "$status"
