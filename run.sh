#!/usr/bin/env bash
# The main job on an embedded default: the real cargo logs in to, publishes
# to, fetches from and logs out of a local registry that requires a token,
# with every token served by a credential provider built on lib/. Installs
# what is missing first. Leaves nothing running and nothing in $HOME.
set -euo pipefail
cd "$(dirname "$0")"
source tools/setup.sh
credcache_setup

bazel build -c opt //examples:cargo-credential-example-file >&2
provider="$(bazel info bazel-bin 2>/dev/null)/examples/cargo-credential-example-file"

work=$(mktemp -d)
registry_pid=""
cleanup() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null
  exec 3>&- 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

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
credential-provider = ["$provider", "--file", "$work/tokens"]
TOML

step() { printf '\n==> %s\n' "$*"; }
cargo=$CREDCACHE_CARGO
cd "$work"
"$cargo" new --lib --vcs none -q hello
printf 'description = "demo"\nlicense = "MIT"\npublish = ["demo"]\n' >tmp &&
  sed -i '/^\[package\]/r tmp' hello/Cargo.toml && rm tmp
"$cargo" new --lib --vcs none -q app
printf 'hello = { version = "0.1", registry = "demo" }\n' >>app/Cargo.toml

step "cargo login --registry demo   (token on stdin, stored by the provider)"
printf '%s\n' "$REGISTRY_TOKEN" | (cd hello && "$cargo" login --registry demo)
step "cargo publish --registry demo"
(cd hello && "$cargo" publish --registry demo --no-verify --allow-dirty 2>&1 | tail -2)
step "cargo fetch   (a consumer downloads it with the same token)"
(cd app && "$cargo" fetch 2>&1 | tail -1)
step "cargo logout --registry demo"
(cd hello && "$cargo" logout --registry demo)
step "cargo fetch after logout (expected to fail: no token)"
(cd app && rm -f Cargo.lock && "$cargo" generate-lockfile 2>&1 | grep -A1 "no token found") || true

total=$(wc -l <"$work/requests.jsonl")
good=$(grep -c '"auth": "ok"' "$work/requests.jsonl" || true)
step "registry saw $total requests; $good carried exactly the provider's token"
