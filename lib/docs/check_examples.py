#!/usr/bin/env python3
"""Compiles every usage example in cargo_credential's public headers.

  check_examples.py [--compiler CXX] FILE...

FILE is a public header (its examples are the @code ... @endcode blocks of
its `///` comments, and it must have at least one) or a Markdown page (its
```cpp blocks). Each example is a whole translation unit: it is compiled on
its own with `-fsyntax-only` and the repository's warnings as errors, against
the headers given, staged as cargo_credential/NAME.h as they are installed.
So an example that names a function wrongly, or misses an include, fails.
Exits 1 if any example fails to compile or a header has none.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

# The repository's own flags (.bazelrc), so an example is as clean as the code.
FLAGS = ["-std=c++17", "-fsyntax-only", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror"]


def HeaderExamples(text):
    """The @code blocks of the `///` comments in `text`, with their lines."""
    examples = []
    block = None
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped.startswith("///"):
            if block is not None:
                raise ValueError("line %d: a @code block ends outside its comment" % number)
            continue
        content = stripped[3:]
        if content.startswith(" "):
            content = content[1:]
        if block is None:
            if re.match(r"[@\\]code\b", content.strip()):
                block = (number, [])
        elif re.match(r"[@\\]endcode\b", content.strip()):
            examples.append((block[0], "\n".join(block[1]) + "\n"))
            block = None
        else:
            block[1].append(content)
    if block is not None:
        raise ValueError("line %d: a @code block is never closed" % block[0])
    return examples


def MarkdownExamples(text):
    """The ```cpp blocks of a Markdown page, with their lines."""
    return [(text.count("\n", 0, m.start()) + 1, m.group(1))
            for m in re.finditer(r"^```(?:cpp|c\+\+)\n(.*?)^```$", text, re.M | re.S)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--compiler", default=os.environ.get("CXX", "g++"))
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    stage = tempfile.mkdtemp(prefix="cargo_credential_examples.")
    failures = 0
    compiled = 0
    try:
        include_dir = os.path.join(stage, "include")
        os.makedirs(os.path.join(include_dir, "cargo_credential"))
        for path in args.files:
            if path.endswith(".h"):
                shutil.copy(path, os.path.join(include_dir, "cargo_credential",
                                               os.path.basename(path)))
        for path in args.files:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            try:
                examples = MarkdownExamples(text) if path.endswith(".md") else HeaderExamples(text)
            except ValueError as e:
                print("%s: %s" % (path, e), file=sys.stderr)
                failures += 1
                continue
            if not examples and path.endswith(".h"):
                print("%s: no usage example (a @code block in its comments)" % path,
                      file=sys.stderr)
                failures += 1
            for line, code in examples:
                source = os.path.join(stage, "example_%d.cc" % compiled)
                compiled += 1
                with open(source, "w", encoding="utf-8") as f:
                    f.write(code)
                result = subprocess.run([args.compiler] + FLAGS + ["-I", include_dir, source],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        universal_newlines=True)
                if result.returncode != 0:
                    failures += 1
                    print("%s:%d: the example there does not compile:" % (path, line),
                          file=sys.stderr)
                    print(result.stdout.replace(source, "example"), file=sys.stderr)
    finally:
        shutil.rmtree(stage)
    if failures:
        print("check_examples: %d failure(s)" % failures, file=sys.stderr)
        return 1
    print("check_examples: %d examples compile" % compiled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
