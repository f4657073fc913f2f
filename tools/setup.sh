# Sourced by run.sh and test.sh: installs what is missing, and only that.
#
# Idempotent and quick when everything is there (one dpkg-query, one cargo
# --version). Exports CREDCACHE_CARGO, the cargo the tests and the demo use.

# Debian 12 packages the build, the tests (clang for the fuzzers, clang-format
# for the format check) and the demo need.
CREDCACHE_PACKAGES=(
  bazel-bootstrap bazel-platforms bazel-rules-java g++
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev libtomlplusplus-dev
  libsecret-1-dev libsystemd-dev libnghttp2-dev libsodium-dev python3
  gnome-keyring libsecret-tools dbus dbus-daemon dbus-bin systemd util-linux
  clang-14 libclang-rt-14-dev clang-format-14
  etcd-server etcd-client openssl golang-etcd-server-dev golang-github-gogo-protobuf-dev
  golang-github-grpc-ecosystem-grpc-gateway-dev
  groff-base zsh fish  # the man page and each shell's completions are checked in them
  # lib/ as a product: built by outside projects (CMake, pkg-config), its
  # reference docs (Doxygen) and its ABI check (abidiff).
  cmake make pkg-config doxygen abigail-tools
)

credcache_apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  echo "credcache: installing $*" >&2
  # An update first: a fresh machine's package lists may be empty or stale.
  $sudo apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
}

credcache_missing_packages() {
  local pkg status
  for pkg in "${CREDCACHE_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)
    [ "$status" = "install ok installed" ] || printf '%s\n' "$pkg"
  done
}

# Prints the path of a cargo >= 1.74 (credential providers were stabilised
# in 1.74), or nothing.
credcache_find_cargo() {
  local candidate version minor
  for candidate in "$(command -v cargo 2>/dev/null)" "$HOME/.cargo/bin/cargo" /usr/bin/cargo; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    version=$("$candidate" --version 2>/dev/null) || continue
    minor=$(printf '%s\n' "$version" | sed -n 's/^cargo 1\.\([0-9]*\)\..*/\1/p')
    if [ -n "$minor" ] && [ "$minor" -ge 74 ]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

credcache_setup() {
  local missing
  missing=$(credcache_missing_packages)
  if [ -n "$missing" ]; then
    # shellcheck disable=SC2086
    credcache_apt_install $missing || return 1
  fi
  if ! CREDCACHE_CARGO=$(credcache_find_cargo); then
    # Debian's own `cargo` (0.66) is too old; cargo-web is the current one.
    credcache_apt_install cargo-web || return 1
    CREDCACHE_CARGO=$(credcache_find_cargo) || {
      echo "credcache: no cargo >= 1.74 found even after installing cargo-web" >&2
      return 1
    }
  fi
  export CREDCACHE_CARGO
  # rustup's cargo proxy needs its home when a test moves HOME.
  if [ -z "${RUSTUP_HOME:-}" ] && [ -d "$HOME/.rustup" ]; then
    export RUSTUP_HOME="$HOME/.rustup"
  fi
}
