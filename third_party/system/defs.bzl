"""Compiler flags for Debian system libraries whose headers are not at /usr/include's root."""

# `pkg-config --cflags libsecret-1`, as -isystem so their warnings stay theirs;
# glibconfig.h comes from @glib_config (see WORKSPACE).
LIBSECRET_COPTS = [
    "-isystem/usr/include/libsecret-1",
    "-isystem/usr/include/glib-2.0",
]
