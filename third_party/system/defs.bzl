"""Compiler flags for Debian system libraries whose headers are not at /usr/include's root."""

# `pkg-config --cflags libsecret-1`, as -isystem so their warnings stay theirs;
# glibconfig.h comes from @glib_config (see WORKSPACE).
LIBSECRET_COPTS = [
    "-isystem/usr/include/libsecret-1",
    "-isystem/usr/include/glib-2.0",
]

# libabsl-dev's static archives that credcache's code and gRPC's pull in, as
# linker arguments for one --start-group (order within it does not matter).
# Written once: both //third_party/system:absl and :grpcpp link them.
ABSL_ARCHIVES = ["-l:lib%s.a" % name for name in [
    "absl_statusor",
    "absl_status",
    "absl_cord",
    "absl_cordz_info",
    "absl_cord_internal",
    "absl_cordz_functions",
    "absl_cordz_handle",
    "absl_cordz_sample_token",
    "absl_exponential_biased",
    "absl_hash",
    "absl_city",
    "absl_low_level_hash",
    "absl_raw_hash_set",
    "absl_hashtablez_sampler",
    "absl_random_distributions",
    "absl_random_seed_sequences",
    "absl_random_internal_pool_urbg",
    "absl_random_internal_randen",
    "absl_random_internal_randen_hwaes",
    "absl_random_internal_randen_hwaes_impl",
    "absl_random_internal_randen_slow",
    "absl_random_internal_platform",
    "absl_random_internal_seed_material",
    "absl_random_seed_gen_exception",
    "absl_bad_optional_access",
    "absl_bad_variant_access",
    "absl_strerror",
    "absl_str_format_internal",
    "absl_synchronization",
    "absl_graphcycles_internal",
    "absl_stacktrace",
    "absl_symbolize",
    "absl_debugging_internal",
    "absl_demangle_internal",
    "absl_malloc_internal",
    "absl_time",
    "absl_civil_time",
    "absl_time_zone",
    "absl_strings",
    "absl_strings_internal",
    "absl_int128",
    "absl_throw_delegate",
    "absl_base",
    "absl_spinlock_wait",
    "absl_raw_logging_internal",
    "absl_log_severity",
]]
