"""Builds lib/ as a library other projects link: one static archive and one
shared library holding the objects of the given targets and everything of
lib/ they use.

Bazel's own outputs are one archive per cc_library and no shared library
with an soname, so this rule takes the position-independent objects out of
the targets' link inputs and archives and links them itself, with the C++
toolchain's archiver and compiler driver.

The shared library links abseil's shared libraries (found by pkg-config, as
the package files tell users to), not the static archives credcache's own
programs use: a program that also uses abseil must get one copy of it. Only
cargo_credential's symbols are exported (libcargo_credential.map); nlohmann's
and abseil's template code compiled into it stay local.
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")

def _debug_info_impl(settings, attr):
    copts = [
        c
        for c in settings["//command_line_option:copt"]
        if not c.startswith("-fsanitize") and not c.startswith("-fno-sanitize")
    ]
    return {"//command_line_option:copt": copts + ["-g"]}

# The library's objects are compiled with debug information, whatever the
# build's options: the ABI check (abi_check.sh) reads the types from it, and a
# user debugging a provider sees the library's source lines. They are never
# sanitized (test.sh's --config=asan run): a shared library for other
# programs cannot need the sanitizers' runtime, which only a program links.
_with_debug_info = transition(
    implementation = _debug_info_impl,
    inputs = ["//command_line_option:copt"],
    outputs = ["//command_line_option:copt"],
)

def _objects(targets):
    objects = {}
    for target in targets:
        for linker_input in target[CcInfo].linking_context.linker_inputs.to_list():
            for library in linker_input.libraries:
                for obj in library.pic_objects:
                    objects[obj.path] = obj
    return objects.values()

def _impl(ctx):
    cc_toolchain = find_cpp_toolchain(ctx)
    objects = _objects(ctx.attr.deps)
    names = {}
    for obj in objects:
        if not obj.short_path.startswith("lib/"):
            fail("%s is not lib/'s: the library links only its own code" % obj.short_path)
        if obj.basename in names:
            # ar keeps base names: a second one would replace the first.
            fail("two objects named %s" % obj.basename)
        names[obj.basename] = True

    archive = ctx.actions.declare_file("lib%s.a" % ctx.attr.library)
    ctx.actions.run(
        executable = cc_toolchain.ar_executable,
        arguments = ["rcsD", archive.path] + [o.path for o in objects],
        inputs = objects,
        outputs = [archive],
        mnemonic = "ArchiveLibrary",
        progress_message = "Archiving %s" % archive.short_path,
    )

    soname = "lib%s.so.%s" % (ctx.attr.library, ctx.attr.soversion)
    shared = ctx.actions.declare_file("lib%s.so.%s" % (ctx.attr.library, ctx.attr.version))
    script = ctx.file.version_script
    ctx.actions.run_shell(
        command = " ".join([
            cc_toolchain.compiler_executable,
            "-shared -o",
            shared.path,
            " ".join([o.path for o in objects]),
            "-Wl,-soname," + soname,
            "-Wl,--version-script=" + script.path,
            # Every symbol resolved now, against the libraries below.
            "-Wl,--no-undefined",
            "-Wl,-z,relro -Wl,-z,now -Wl,--as-needed",
            "-Wl,--fatal-warnings",
            "$(pkg-config --libs %s)" % " ".join(ctx.attr.pkg_config_requires),
            "-lstdc++ -lm",
        ]),
        inputs = objects + [script],
        outputs = [shared],
        use_default_shell_env = True,
        mnemonic = "LinkSharedLibrary",
        progress_message = "Linking %s" % shared.short_path,
    )
    return [DefaultInfo(
        files = depset([archive, shared]),
        runfiles = ctx.runfiles(files = [archive, shared]),
    )]

cc_library_package = rule(
    implementation = _impl,
    attrs = {
        "deps": attr.label_list(
            providers = [CcInfo],
            cfg = _with_debug_info,
            doc = "The public targets.",
        ),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
        "library": attr.string(mandatory = True, doc = "The name after lib, before .a/.so."),
        "version": attr.string(mandatory = True),
        "soversion": attr.string(mandatory = True),
        "version_script": attr.label(allow_single_file = True, mandatory = True),
        "pkg_config_requires": attr.string_list(doc = "pkg-config modules linked."),
        "_cc_toolchain": attr.label(default = "@bazel_tools//tools/cpp:current_cc_toolchain"),
    },
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
    fragments = ["cpp"],
)

def _expand_impl(ctx):
    ctx.actions.expand_template(
        template = ctx.file.template,
        output = ctx.outputs.out,
        substitutions = ctx.attr.substitutions,
    )

# A file made from a template by replacing each "@KEY@" it holds.
expand_template = rule(
    implementation = _expand_impl,
    attrs = {
        "template": attr.label(allow_single_file = True, mandatory = True),
        "out": attr.output(mandatory = True),
        "substitutions": attr.string_dict(),
    },
)
