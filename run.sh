#!/usr/bin/env bash
# The main job on the embedded default: the real cargo gets every token from
# credcache. cargo runs cargo-credential-credcache, which starts credcached on
# first use; with no config the daemon keeps tokens in a private file. The
# registry is a local one that accepts exactly one random token. Installs what
# is missing first; leaves nothing running and nothing in $HOME.
set -euo pipefail
cd "$(dirname "$0")"
source tools/setup.sh
credcache_setup

bazel build -c opt //shim:cargo-credential-credcache //daemon:credcached >&2
bin="$(bazel info bazel-bin 2>/dev/null)"
shim="$bin/shim/cargo-credential-credcache"

work=$(mktemp -d)
registry_pid=""
cleanup() {
  "$shim" stop >/dev/null 2>&1 || true
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null
  exec 3>&- 2>/dev/null || true
  rm -rf "$work"
  # Bazel's server too (CREDCACHE_KEEP_BAZEL=1 keeps it warm).
  if [ "${CREDCACHE_KEEP_BAZEL:-}" != 1 ]; then bazel shutdown >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# credcache's own places, all inside $work (a user needs none of these).
export CREDCACHE_SOCKET="$work/run/credcache.sock" XDG_DATA_HOME="$work/data"
export XDG_CONFIG_HOME="$work/config" CREDCACHE_DAEMON="$bin/daemon/credcached"
unset CREDCACHE_CONFIG CREDCACHE_NO_SPAWN

# The registry wants this exact token; it holds a space, as real schemes do.
export REGISTRY_TOKEN="Bearer $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
mkfifo "$work/registry-stdin"
python3 tests/registry/registry.py --port 0 --log "$work/requests.jsonl" \
  <"$work/registry-stdin" >"$work/registry-port" &
registry_pid=$!
exec 3>"$work/registry-stdin"  # The registry exits when this closes.
for _ in $(seq 100); do [ -s "$work/registry-port" ] && break; sleep 0.1; done
port=$(sed -n 's/^PORT //p' "$work/registry-port")

export CARGO_HOME="$work/cargo-home" CARGO_TERM_COLOR=never
mkdir -p "$CARGO_HOME"
cat >"$CARGO_HOME/config.toml" <<TOML
[registries.demo]
index = "sparse+http://127.0.0.1:$port/index/"

[registry]
global-credential-providers = ["$shim"]
TOML

step() { printf '\n==> %s\n' "$*"; }
cargo=$CREDCACHE_CARGO
cd "$work"
"$cargo" new --lib --vcs none -q hello
printf 'description = "demo"\nlicense = "MIT"\npublish = ["demo"]\n' >tmp &&
  sed -i '/^\[package\]/r tmp' hello/Cargo.toml && rm tmp
"$cargo" new --lib --vcs none -q app
printf 'hello = { version = "0.1", registry = "demo" }\n' >>app/Cargo.toml

step "cargo login --registry demo   (the shim starts credcached; the token goes to its file backend)"
printf '%s\n' "$REGISTRY_TOKEN" | (cd hello && "$cargo" login --registry demo)
"$shim" status
step "cargo publish --registry demo"
(cd hello && "$cargo" publish --registry demo --no-verify --allow-dirty 2>&1 | tail -1)
step "cargo fetch, twice   (tokens come from the daemon's memory)"
(cd app && "$cargo" fetch 2>&1 | tail -1 && rm Cargo.lock && "$cargo" fetch 2>&1 | tail -1)
step "cargo-credential-credcache list   (never shows a token)"
"$shim" list
step "cargo-credential-credcache stats"
"$shim" stats
step "cargo logout --registry demo"
(cd hello && "$cargo" logout --registry demo)
step "cargo fetch after logout (expected to fail: no token)"
(cd app && rm -f Cargo.lock && "$cargo" generate-lockfile 2>&1 | grep "no token found") || true

total=$(wc -l <"$work/requests.jsonl")
good=$(grep -c '"auth": "ok"' "$work/requests.jsonl" || true)
step "registry saw $total requests; $good carried exactly the token credcache served"
