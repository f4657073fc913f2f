#!/usr/bin/env bash
# Checks that every C++ and proto file git tracks is formatted by the
# repository's .clang-format (clang-format 14, Debian 12's). Lists the files
# that are not, with the command that fixes them; exits 1 if any.
# With a path argument, also writes the result there as a JUnit case, which
# test.sh counts with the rest.
set -uo pipefail
cd "$(dirname "$0")/.."
junit="${1:-}"
if ! command -v clang-format-14 >/dev/null; then
  echo "clang-format-14 is not installed (tools/setup.sh installs it)" >&2
  [ -n "$junit" ] && echo '<testsuite name="format"><testcase classname="format" name="clang-format"><failure message="clang-format-14 missing"/></testcase></testsuite>' >"$junit"
  exit 1
fi

mapfile -t files < <(git ls-files '*.cc' '*.h' '*.proto')
unformatted=()
for file in "${files[@]}"; do
  if ! clang-format-14 --dry-run --Werror "$file" >/dev/null 2>&1; then
    unformatted+=("$file")
  fi
done

if [ -n "$junit" ]; then
  {
    echo '<testsuite name="format">'
    echo '<testcase classname="format" name="clang-format">'
    if [ "${#unformatted[@]}" -gt 0 ]; then
      echo "<failure message=\"${#unformatted[@]} file(s) not formatted\"/>"
    fi
    echo '</testcase></testsuite>'
  } >"$junit"
fi

if [ "${#unformatted[@]}" -gt 0 ]; then
  echo "not formatted by .clang-format (fix with: clang-format-14 -i FILE...):" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  exit 1
fi
echo "format: ${#files[@]} files formatted"
