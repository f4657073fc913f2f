#!/usr/bin/env bash
# `bazel run //:install -- [OPTIONS]`: installs this build with the shim's
# own install-service, which takes the options (see its --help): for one
# user by default (~/.local/bin, the systemd user units, the man page and
# the shell completions), or for every user with --prefix DIR (DIR/bin,
# DIR/lib/systemd/user, DIR/share/...), e.g. --prefix /usr/local as root.
set -euo pipefail
# Bazel runs this from the runfiles tree, where the shim finds the daemon.
exec "$(dirname "$0")/install.runfiles/credcache/shim/cargo-credential-credcache" \
  install-service "$@"
