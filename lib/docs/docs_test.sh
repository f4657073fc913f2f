#!/usr/bin/env bash
# Runs Doxygen over the public headers as //lib/docs does, into the test's
# temporary directory; fails on any warning (run_doxygen.sh) or when the
# pages are not all there.
#
#   docs_test.sh VERSION DOXYFILE MAINPAGE HEADER...
set -euo pipefail
out="${TEST_TMPDIR:-$(mktemp -d)}/html"
lib/docs/run_doxygen.sh "$out" "$@"
shift 3
for page in index.html files.html namespacecargo__credential.html; do
  if [ ! -s "$out/$page" ]; then
    echo "docs_test: doxygen wrote no $page" >&2
    exit 1
  fi
done
# One page per header: none was left out of INPUT.
for header in "$@"; do
  page="$(basename "$header" .h | sed 's/_/__/g')_8h.html"
  if [ ! -s "$out/$page" ]; then
    echo "docs_test: no page for $header ($page)" >&2
    exit 1
  fi
done
echo "docs_test: $# headers documented without a warning"
