#!/usr/bin/env bash
# Runs every test: unit tests, the provider-process tests, and the end-to-end
# tests with the real cargo. Installs what is missing first. Ends with one
# line, `N passed, N failed`, counted from the test cases' own results.
set -uo pipefail
cd "$(dirname "$0")"
source tools/setup.sh
credcache_setup || { echo "0 passed, 1 failed"; exit 1; }

test_env=(--test_env=CREDCACHE_TEST_CARGO="$CREDCACHE_CARGO" --test_env=PATH)
[ -n "${RUSTUP_HOME:-}" ] && test_env+=(--test_env=RUSTUP_HOME="$RUSTUP_HOME")

bazel test //... "${test_env[@]}" "$@"
status=$?

targets=$(bazel query 'tests(//...)' 2>/dev/null)
summary=$(python3 tools/count_results.py "$(bazel info bazel-testlogs 2>/dev/null)" $targets)
# In CI nothing may outlive the run; locally a warm Bazel server is welcome.
if [ "${CI:-}" = true ]; then bazel shutdown; fi
echo "$summary"
case "$summary" in
  *" 0 failed"*) exit "$status" ;;
  *) exit 1 ;;
esac
