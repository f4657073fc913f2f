#!/usr/bin/env python3
"""Checks that each C++ target's BUILD deps match what its files include.

For every cc_library, cc_binary and cc_test in the repository's BUILD files:
  - an #include "dir/file.h" of a project header needs a dep on the target
    whose hdrs hold it (or on the target itself);
  - an #include of a system library's header (absl/, grpcpp/, gtest/, ...)
    needs a dep on its //third_party/system target;
  - a dep none of whose headers is included is reported as unused, except
    for deps that only link (gtest_main, a binary's data) and targets that
    re-export (hdrs of their own that include the dep's headers count).
Prints one line per mismatch and exits 1 if there is any. With --junit
PATH, also writes the result as one JUnit case for test.sh to count.

A reader of Bazel's own syntax would be exact; BUILD files here are plain
enough (literal lists, no macros around C++ rules but fuzz/defs.bzl's, which
is skipped) that a small parser does.
"""
import argparse
import os
import re
import subprocess
import sys

RULE = re.compile(r'^(cc_library|cc_binary|cc_test|credcache_fuzz_test)\(\n(.*?)^\)', re.M | re.S)
INCLUDE = re.compile(r'^#include "([^"]+)"', re.M)
SYSTEM_INCLUDE = re.compile(r'^#include <([^>]+)>', re.M)

# System headers by prefix, and the target that provides them.
SYSTEM = [
    ("absl/", {"//third_party/system:absl"}),
    ("grpcpp/", {"//third_party/system:grpcpp"}),
    ("grpc/", {"//third_party/system:grpcpp"}),
    ("google/protobuf/", {"//third_party/system:protobuf", "//third_party/system:protobuf_lite"}),
    ("gtest/", {"//third_party/system:gtest_main"}),
    ("gmock/", {"//third_party/system:gtest_main"}),
    ("nlohmann/", {"//third_party/system:nlohmann_json"}),
    ("toml++/", {"//third_party/system:tomlplusplus"}),
    ("systemd/", {"//third_party/system:systemd"}),
    ("nghttp2/", {"//third_party/system:nghttp2"}),
    ("libsecret/", {"//third_party/system:libsecret"}),
    ("sodium", {"//third_party/system:sodium"}),
    # etcd's API, generated from Debian's .proto files (third_party/etcd).
    ("etcd/", {"//third_party/etcd:etcd_api"}),
    ("fuzzer/", set()),
]
# Deps that are there to link, not to be included.
LINK_ONLY = {"//third_party/system:gtest_main"}


def strings(body, attr):
    m = re.search(r'\b%s = \[(.*?)\]' % attr, body, re.S)
    if m:
        return re.findall(r'"([^"]+)"', m.group(1))
    m = re.search(r'\b%s = "([^"]+)"' % attr, body)
    return [m.group(1)] if m else []


def IncludePath(package, body, header):
    """How code includes `header` of a target: lib/'s public targets put
    their headers under include_prefix (with strip_include_prefix = "", the
    package's own path cut off), as they are installed."""
    prefix = strings(body, "include_prefix")
    if prefix:
        assert strings(body, "strip_include_prefix") == [] and 'strip_include_prefix = ""' in body, \
            "%s: include_prefix without strip_include_prefix = \"\"" % package
        return os.path.join(prefix[0], header)
    return os.path.join(package, header)


def label(package, dep):
    if dep.startswith(":"):
        return "//%s%s" % (package, dep)
    if dep.startswith("//") and ":" not in dep:
        return "%s:%s" % (dep, dep.rsplit("/", 1)[-1])
    return dep


def Rewrite(key, add, drop):
    """Sets the deps of target `key` in its BUILD file: + add, - drop."""
    package, name = key[2:].split(":")
    path = os.path.join(package, "BUILD")
    text = open(path).read()
    start = text.index('    name = "%s",' % name)
    end = text.index("\n)", start)
    body = text[start:end]
    m = re.search(r'    deps = (\[.*?\]|"[^"]*"),?(\n|$)', body, re.S)
    existing = re.findall(r'"([^"]+)"', m.group(0)) if m else []
    deps = set(existing)
    deps -= {d for d in deps if label(package, d) in drop}
    for dep in add:
        short = ":" + dep.split(":")[1] if dep.startswith("//%s:" % package) else dep
        deps.add(short)
    ordered = sorted(deps, key=lambda d: (not d.startswith(":"), d))
    if len(ordered) == 1:
        new = '    deps = ["%s"],\n' % ordered[0]
    elif ordered:
        new = "    deps = [\n" + "".join('        "%s",\n' % d for d in ordered) + "    ],\n"
    else:
        new = ""
    body = body[:m.start()] + new + body[m.end():] if m else body + "\n" + new.rstrip("\n")
    text = text[:start] + body.rstrip("\n") + text[end:]
    open(path, "w").write(text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--junit")
    parser.add_argument("--fix", action="store_true",
                        help="rewrite the deps of each target to what it includes")
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(root)
    builds = subprocess.run(["git", "ls-files", "*BUILD", "BUILD"], capture_output=True,
                            text=True, check=True).stdout.split()
    targets = {}
    for build in builds:
        package = os.path.dirname(build)
        if package.startswith("third_party"):
            continue
        text = open(build).read()
        for kind, body in RULE.findall(text):
            name = strings(body, "name")[0]
            key = "//%s:%s" % (package, name)
            targets[key] = {
                "kind": kind,
                "srcs": [os.path.join(package, f) for f in strings(body, "srcs")],
                "hdrs": [IncludePath(package, body, f) for f in strings(body, "hdrs")],
                "hdr_files": [os.path.join(package, f) for f in strings(body, "hdrs")],
                "deps": {label(package, d) for d in strings(body, "deps")},
            }
    owner = {}
    for key, target in targets.items():
        for header in target["hdrs"]:
            owner.setdefault(header, set()).add(key)
    # Generated headers and their targets.
    owner.setdefault("proto/credcache.pb.h", set()).add("//proto:credcache_messages")
    owner.setdefault("proto/credcache.grpc.pb.h", set()).add("//proto:credcache_proto")
    owner.setdefault("proto/wire_digest.h", set()).add("//proto:wire_digest")
    owner.setdefault("proto/credcache_lite.pb.h", set()).add("//proto:credcache_messages_lite")

    problems = []
    fixes = {}  # target -> (deps to add, deps to drop)
    for key, target in sorted(targets.items()):
        add, drop = set(), set()
        files = [f for f in target["srcs"] + target["hdr_files"] if f.endswith((".cc", ".h"))]
        used = set()
        for path in files:
            if not os.path.exists(path):
                continue
            text = open(path).read()
            for header in INCLUDE.findall(text):
                # messages.h picks one of the two generated headers by a
                # define; each of its targets depends on its own.
                if path == "proto/messages.h" and header.endswith(".pb.h"):
                    continue
                if header in target["hdrs"] or os.path.join(os.path.dirname(path), header) in files:
                    continue
                providers = owner.get(header)
                if providers is None:
                    if os.path.exists(header):
                        problems.append("%s: %s includes %s, which no target's hdrs hold"
                                        % (key, path, header))
                    continue
                if key in providers:
                    continue
                found = providers & target["deps"]
                if not found:
                    problems.append("%s: %s includes %s but does not depend on %s"
                                    % (key, path, header, " or ".join(sorted(providers))))
                    add.add(sorted(providers)[0])
                used |= found
            for header in SYSTEM_INCLUDE.findall(text) + INCLUDE.findall(text):
                for prefix, providers in SYSTEM:
                    if header.startswith(prefix):
                        found = providers & target["deps"]
                        if providers and not found:
                            problems.append("%s: %s includes <%s> but does not depend on %s"
                                            % (key, path, header, " or ".join(sorted(providers))))
                            add.add(sorted(providers)[0])
                        used |= found
        # Generated sources (not in the tree) include what is not seen here,
        # and a target with no files of its own only bundles its deps.
        if files and not any(not os.path.exists(f) for f in target["srcs"] + target["hdr_files"]):
            for dep in sorted(target["deps"] - used - LINK_ONLY):
                if dep.startswith("//third_party/system:") or dep in targets:
                    problems.append("%s: depends on %s but includes none of its headers"
                                    % (key, dep))
                    drop.add(dep)
        if add or drop:
            fixes[key] = (add, drop)
    if args.fix:
        for key, (add, drop) in fixes.items():
            Rewrite(key, add, drop)
        return 0
    for problem in problems:
        print(problem)
    if args.junit:
        with open(args.junit, "w") as out:
            out.write('<testsuite name="deps"><testcase classname="deps" name="build-deps">')
            if problems:
                out.write('<failure message="%d BUILD dependency mismatch(es)"/>' % len(problems))
            out.write("</testcase></testsuite>\n")
    if problems:
        return 1
    print("deps: %d targets match their includes" % len(targets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
