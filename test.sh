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

# This run's own record of what ran, so results from earlier runs never count.
events=$(mktemp)
trap 'rm -f "$events"' EXIT
bazel test //... "${test_env[@]}" --build_event_json_file="$events" "$@"
status=$?

# README's install commands call Bazel, so they run here, after it.
readme_xml=$(mktemp)
trap 'rm -f "$events" "$readme_xml"' EXIT
python3 tests/readme_install_test.py "$readme_xml" || status=1

# Every test target counts: one that did not build or run is a failure.
targets=$(bazel query 'tests(//...)' 2>/dev/null) || targets="//:the-build-files"
summary=$(python3 tools/count_results.py "$events" $targets --extra "$readme_xml")
# In CI nothing may outlive the run; locally a warm Bazel server is welcome.
if [ "${CI:-}" = true ]; then bazel shutdown; fi
echo "$summary"
case "$summary" in
  *" 0 failed"*) exit "$status" ;;
  *) exit 1 ;;
esac
