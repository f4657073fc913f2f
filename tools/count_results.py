#!/usr/bin/env python3
"""Counts test cases, not targets, for test.sh's whole run.

Usage: count_results.py TARGETS_FILE [--events BUILD_EVENTS_JSON]... [--extra JUNIT_XML]...

Each --events file is one `bazel test` invocation's build event protocol
file (--build_event_json_file), so results left over from earlier runs never
count. For each test target named in TARGETS_FILE (all of `bazel query
'tests(//...)'`, one per line) and each the events mention: the test cases
of its JUnit XML (every attempt's, when Bazel retried), or, when it did not
run (it failed to build, say), one failed case. Every invocation counts every
target, so the suite run under ASan counts apart from the ordinary one. Each
--extra file holds the cases of a check run outside Bazel (README's install
commands, the fuzzers); a missing or empty one counts as one failed case.
Prints one line, `N passed, N failed` (with `, N skipped` when some were).
"""
import argparse
import json
import sys
import urllib.parse
import xml.etree.ElementTree as ET


def cases(path):
    passed = failed = skipped = 0
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.get("result") == "skipped" or case.get("status") == "notrun" \
                or case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def count_events(path, known_targets):
    targets = set(known_targets)
    results = {}         # label -> path of its last attempt's test.xml
    statuses = {}        # label -> overall status
    try:
        events = open(path)
    except OSError:
        events = []
    for line in events:
        event = json.loads(line)
        ident = event.get("id", {})
        if "targetCompleted" in ident and "completed" in event:
            if event["completed"].get("testSize") or \
                    event["completed"].get("testTimeoutSeconds"):
                targets.add(ident["targetCompleted"]["label"])
        if "targetCompleted" in ident and "aborted" in event:
            targets.add(ident["targetCompleted"]["label"])
        if "testResult" in ident:
            label = ident["testResult"]["label"]
            targets.add(label)
            for output in event.get("testResult", {}).get("testActionOutput", []):
                if output.get("name") == "test.xml":
                    results[label] = urllib.parse.urlparse(output["uri"]).path
        if "testSummary" in ident:
            label = ident["testSummary"]["label"]
            targets.add(label)
            statuses[label] = event.get("testSummary", {}).get("overallStatus", "")
    total = [0, 0, 0]
    for label in sorted(targets):
        counted = (0, 0, 0)
        if label in results:
            try:
                counted = cases(results[label])
            except (OSError, ET.ParseError):
                pass
        if sum(counted) == 0:
            print(f"{path}: {label}: no test results ({statuses.get(label, 'did not run')})",
                  file=sys.stderr)
            counted = (0, 1, 0)
        total = [a + b for a, b in zip(total, counted)]
    return total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("targets_file")
    parser.add_argument("--events", action="append", default=[])
    parser.add_argument("--extra", action="append", default=[])
    args = parser.parse_args()
    try:
        with open(args.targets_file) as listing:
            targets = [line.strip() for line in listing if line.strip()]
    except OSError:
        targets = []
    if not targets:
        targets = ["//:the-build-files"]  # bazel query failed: that is a failure.
    total = [0, 0, 0]
    for events in args.events:
        total = [a + b for a, b in zip(total, count_events(events, targets))]
    for extra in args.extra:
        try:
            counted = cases(extra)
        except (OSError, ET.ParseError):
            counted = (0, 0, 0)
        if sum(counted) == 0:
            print(f"{extra}: no test results", file=sys.stderr)
            counted = (0, 1, 0)
        total = [a + b for a, b in zip(total, counted)]
    line = f"{total[0]} passed, {total[1]} failed"
    if total[2]:
        line += f", {total[2]} skipped"
    print(line)


if __name__ == "__main__":
    main()
