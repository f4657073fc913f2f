"""credcache_fuzz_target: one fuzz target, its regression test and its fuzzer."""

def credcache_fuzz_target(name, deps):
    native.cc_library(
        name = name + "_target",
        srcs = [name + "_fuzzer.cc"],
        deps = deps,
        testonly = True,
    )
    native.cc_test(
        name = name + "_regression",
        size = "small",
        args = ["fuzz/corpus/" + name],
        data = native.glob(["corpus/" + name + "/**"]),
        deps = [
            ":" + name + "_target",
            ":replay_main",
        ],
    )
    native.cc_binary(
        name = name + "_fuzzer",
        testonly = True,
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual"],
        deps = [":" + name + "_target"],
    )
