#!/usr/bin/env bash
# Runs doxygen over cargo_credential's public headers, failing on any
# warning, and puts the HTML in OUT_DIR.
#
#   run_doxygen.sh OUT_DIR VERSION DOXYFILE MAINPAGE HEADER...
#
# The headers are staged as cargo_credential/NAME.h, the path users include
# them by (in the source tree they are lib/NAME.h, and a generated one such
# as version.h lives under bazel-out/), so the docs name them the same way.
# Used by //lib/docs (the build) and //lib/docs:docs_test.
set -euo pipefail

if [ "$#" -lt 5 ]; then
  echo "usage: $0 OUT_DIR VERSION DOXYFILE MAINPAGE HEADER..." >&2
  exit 2
fi
out_dir=$1 version=$2 doxyfile=$3 mainpage=$4
shift 4

absolute() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
out_dir=$(absolute "$out_dir")
doxyfile=$(absolute "$doxyfile")

stage=$(mktemp -d "${TMPDIR:-/tmp}/cargo_credential_docs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/cargo_credential"
inputs=(mainpage.md)
cp "$mainpage" "$stage/mainpage.md"
# Each staged file's source, to name it in warnings.
declare -A source_of=(["$stage/mainpage.md"]="$mainpage")
for header in "$@"; do
  name=$(basename "$header")
  if [ -e "$stage/cargo_credential/$name" ]; then
    echo "$0: two headers named $name" >&2
    exit 2
  fi
  cp "$header" "$stage/cargo_credential/$name"
  source_of["$stage/cargo_credential/$name"]=$header
  inputs+=("cargo_credential/$name")
done

cd "$stage"
# Settings that depend on the build, after the checked-in ones (a later
# assignment wins). Doxygen reads no network resource with these settings.
status=0
{
  cat "$doxyfile"
  echo "INPUT = ${inputs[*]}"
  echo "OUTPUT_DIRECTORY = $stage/out"
  echo "PROJECT_NUMBER = $version"
  echo "WARN_AS_ERROR = FAIL_ON_WARNINGS"
} | doxygen - 2>"$stage/warnings" || status=$?
# The warnings, naming the files as they are in the source tree.
while IFS= read -r line; do
  for staged in "${!source_of[@]}"; do
    line=${line//"$staged"/"${source_of[$staged]}"}
  done
  printf '%s\n' "$line" >&2
done <"$stage/warnings"
if [ "$status" != 0 ]; then
  echo "$0: doxygen failed (exit $status): fix the warnings above" >&2
  exit 1
fi
mkdir -p "$out_dir"
cp -R "$stage/out/html/." "$out_dir/"
