#!/usr/bin/env python3
"""Counts test cases, not targets, for one `bazel test` invocation.

Usage: count_results.py BUILD_EVENTS_JSON TARGET... [--extra JUNIT_XML]...

Reads the invocation's build event protocol file (--build_event_json_file),
so results left over from earlier runs never count. For each test target
named (all of `bazel query 'tests(//...)'`) and each the events mention:
the test cases of its JUnit XML (every attempt's, when Bazel retried), or,
when it did not run (it failed to build, say), one failed case. Each --extra file
holds the cases of a check run outside Bazel (a missing or unreadable one
counts as one failed case). Prints one line, `N passed, N failed` (with
`, N skipped` when some were skipped).
"""
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


def main():
    args = sys.argv[2:]
    extras = [args[i + 1] for i, arg in enumerate(args) if arg == "--extra" and i + 1 < len(args)]
    targets = {arg for i, arg in enumerate(args)
               if arg != "--extra" and (i == 0 or args[i - 1] != "--extra")}
    results = {}         # label -> path of its last attempt's test.xml
    statuses = {}        # label -> overall status
    with open(sys.argv[1]) as events:
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
    passed = failed = skipped = 0
    for label in sorted(targets):
        counted = (0, 0, 0)
        if label in results:
            try:
                counted = cases(results[label])
            except (OSError, ET.ParseError):
                pass
        if sum(counted) == 0:
            print(f"{label}: no test results ({statuses.get(label, 'did not run')})",
                  file=sys.stderr)
            counted = (0, 1, 0)
        passed, failed, skipped = (passed + counted[0], failed + counted[1],
                                   skipped + counted[2])
    for extra in extras:
        try:
            counted = cases(extra)
        except (OSError, ET.ParseError):
            counted = (0, 0, 0)
        if sum(counted) == 0:
            print(f"{extra}: no test results", file=sys.stderr)
            counted = (0, 1, 0)
        passed, failed, skipped = (passed + counted[0], failed + counted[1],
                                   skipped + counted[2])
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)


if __name__ == "__main__":
    main()
