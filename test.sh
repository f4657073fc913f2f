#!/usr/bin/env bash
# Runs every test: the format and BUILD-deps checks, the unit, process and end-to-end tests
# (with the real cargo), README's install commands, the same suite again
# under ASan+UBSan, and each fuzzer briefly on its kept corpus. Installs what is missing
# first. Ends with one line, `N passed, N failed`, counted from the test
# cases' own results. Arguments go to both `bazel test` runs.
set -uo pipefail
cd "$(dirname "$0")"
source tools/setup.sh
credcache_setup || { echo "0 passed, 1 failed"; exit 1; }

test_env=(--test_env=CREDCACHE_TEST_CARGO="$CREDCACHE_CARGO" --test_env=PATH)
[ -n "${RUSTUP_HOME:-}" ] && test_env+=(--test_env=RUSTUP_HOME="$RUSTUP_HOME")

# This run's own records of what ran, so results from earlier runs never count.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
# Every C++ and proto file as .clang-format has it (one counted case).
tools/check_format.sh "$scratch/format.xml" || status=1
# Every BUILD dependency matches what the files include (one counted case).
python3 tools/check_deps.py --junit "$scratch/deps.xml" || status=1

bazel test //... "${test_env[@]}" --build_event_json_file="$scratch/events.json" "$@" || status=1

# README's install commands call Bazel, so they run here, after it.
python3 tests/readme_install_test.py "$scratch/readme.xml" || status=1

# The whole suite again with AddressSanitizer and UndefinedBehaviorSanitizer.
bazel test --config=asan --keep_going //... "${test_env[@]}" \
  --build_event_json_file="$scratch/asan-events.json" "$@" || status=1

# Each fuzzer for a few seconds from its kept corpus (fuzz/run.sh for more).
FUZZ_JUNIT="$scratch/fuzz.xml" fuzz/run.sh "${CREDCACHE_FUZZ_SECONDS:-5}" || status=1

# Every test target counts in each run: one that did not build or run is a
# failure.
bazel query 'tests(//...)' >"$scratch/targets" 2>/dev/null
summary=$(python3 tools/count_results.py "$scratch/targets" --events "$scratch/events.json" \
  --events "$scratch/asan-events.json" --extra "$scratch/readme.xml" --extra "$scratch/fuzz.xml" \
  --extra "$scratch/format.xml" --extra "$scratch/deps.xml")
# Nothing outlives the run, Bazel's server included; a developer running the
# tests again and again may keep it warm with CREDCACHE_KEEP_BAZEL=1.
if [ "${CREDCACHE_KEEP_BAZEL:-}" != 1 ]; then bazel shutdown; fi
echo "$summary"
case "$summary" in
  *" 0 failed"*) exit "$status" ;;
  *) exit 1 ;;
esac
