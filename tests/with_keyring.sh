#!/bin/sh
# Runs a command inside a private D-Bus session with a real, unlocked
# gnome-keyring: `with_keyring.sh PROGRAM ARGS...`. The keyring's files live
# in a temporary directory; the session bus and the keyring end with it.
set -eu
# Under /tmp: the keyring's control socket path must fit in 108 bytes, and
# Bazel's temporary directories are longer than that.
scratch=$(mktemp -d /tmp/cckeyring.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
chmod 700 "$scratch"
export HOME="$scratch/home" XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run"
export XDG_CONFIG_HOME="$scratch/config" XDG_CACHE_HOME="$scratch/cache"
mkdir -p -m 700 "$HOME" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
unset DISPLAY WAYLAND_DISPLAY
# With a password on stdin the keyring creates and unlocks its `login`
# collection without a prompt (there is no display to prompt on).
dbus-run-session -- sh -c '
  eval "$(printf %s credcache-test | gnome-keyring-daemon --unlock --components=secrets --daemonize)"
  export GNOME_KEYRING_CONTROL
  exec "$@"' with_keyring "$@"
