#!/usr/bin/env python3
"""Counts test cases, not targets, from the JUnit XML Bazel leaves per test.

Usage: count_results.py TESTLOGS_DIR TARGET...

Prints one line, `N passed, N failed`, for the given test targets. A target
with no XML (it failed to build, say) counts as one failed case, so a broken
build can never look green. Skipped cases are reported but not as passed.
"""
import os
import sys
import xml.etree.ElementTree as ET


def xml_path(testlogs, target):
    package, _, name = target.lstrip("/").partition(":")
    return os.path.join(testlogs, package, name, "test.xml")


def count(path):
    passed = failed = skipped = 0
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.get("result") == "skipped" or case.get("status") == "notrun" \
                or case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main():
    testlogs, targets = sys.argv[1], sys.argv[2:]
    passed = failed = skipped = 0
    for target in targets:
        path = xml_path(testlogs, target)
        try:
            p, f, s = count(path)
        except (OSError, ET.ParseError):
            print(f"{target}: no test results (did it build?)", file=sys.stderr)
            p, f, s = 0, 1, 0
        if p + f + s == 0:
            print(f"{target}: ran no test case", file=sys.stderr)
            f = 1
        passed, failed, skipped = passed + p, failed + f, skipped + s
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)


if __name__ == "__main__":
    main()
