#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 60), with ASan and
# UBSan, starting from its kept corpus:
#   fuzz/run.sh            a minute per target
#   fuzz/run.sh 5          what test.sh (and so CI) runs
# New interesting inputs stay in a temporary corpus; a crash is written to
# fuzz/crashes/TARGET-… and fails the run. Once it is fixed, keep the input
# as a regression case: move it into fuzz/corpus/TARGET/ (bazel test
# //fuzz:all replays those in the ordinary build).
# Ends with one line per target and `N passed, N failed`; with FUZZ_JUNIT set,
# also writes the results there as JUnit XML (test.sh counts them).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
targets=(protocol config cargo_config install_manifest token_file grpc_response command_line caller_backend team_key sealed_value passwd minted_token)

# clang builds in a Bazel output base of its own, with no bazel-* symlinks,
# so the ordinary build and its bazel-bin stay as they are.
# One output base per checkout, as Bazel keeps its own.
bazel_fuzz=(bazel --output_base="$HOME/.cache/credcache-bazel-fuzz/$(pwd | md5sum | cut -c1-12)")
labels=()
for target in "${targets[@]}"; do labels+=("//fuzz:${target}_fuzzer"); done
if ! "${bazel_fuzz[@]}" build --config=fuzz --symlink_prefix=/ "${labels[@]}"; then
  echo "fuzz: the fuzzers did not build"
  if [ -n "${FUZZ_JUNIT:-}" ]; then
    echo '<testsuite name="fuzz"><testcase classname="fuzz" name="build"><failure message="did not build"/></testcase></testsuite>' >"$FUZZ_JUNIT"
  fi
  echo "0 passed, ${#targets[@]} failed"
  [ "${CI:-}" = true ] && "${bazel_fuzz[@]}" shutdown
  exit 1
fi
bin=$("${bazel_fuzz[@]}" info --config=fuzz bazel-bin 2>/dev/null)
[ "${CI:-}" = true ] && "${bazel_fuzz[@]}" shutdown

mkdir -p fuzz/crashes
passed=0
failed=0
junit=""
for target in "${targets[@]}"; do
  scratch=$(mktemp -d)
  # -timeout: one input taking this long is a hang; -rss_limit_mb: a leak.
  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$bin/fuzz/${target}_fuzzer" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="fuzz/crashes/${target}-" \
      "$scratch" "fuzz/corpus/$target" >"$scratch.log" 2>&1; then
    echo "fuzz: $target: $(grep -E '^(#[0-9]+|Done)' "$scratch.log" | tail -1)"
    passed=$((passed + 1))
    junit+="<testcase classname=\"fuzz\" name=\"$target\"/>"
  else
    echo "fuzz: $target FAILED; the input is in fuzz/crashes/; its log:"
    tail -40 "$scratch.log"
    failed=$((failed + 1))
    junit+="<testcase classname=\"fuzz\" name=\"$target\"><failure message=\"crashed\"/></testcase>"
  fi
  rm -rf "$scratch" "$scratch.log"
done
if [ -n "${FUZZ_JUNIT:-}" ]; then
  echo "<testsuite name=\"fuzz\">$junit</testsuite>" >"$FUZZ_JUNIT"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
