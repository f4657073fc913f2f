"""doxygen_html: HTML reference docs made by Doxygen from header comments.

A rule rather than a genrule, so that the output is a directory (a tree
artifact) a browser opens in place. Doxygen runs with WARN_AS_ERROR =
FAIL_ON_WARNINGS (run_doxygen.sh), so a header with an undocumented public
name, or a comment Doxygen cannot read, fails the build.
"""

def _impl(ctx):
    out = ctx.actions.declare_directory(ctx.attr.out)
    headers = ctx.files.hdrs
    ctx.actions.run(
        executable = ctx.file._run_doxygen,
        arguments = [
            out.path,
            ctx.attr.version,
            ctx.file.doxyfile.path,
            ctx.file.mainpage.path,
        ] + [h.path for h in headers],
        inputs = headers + [ctx.file.doxyfile, ctx.file.mainpage],
        outputs = [out],
        # Doxygen is Debian's, found on PATH, as the C++ compiler is.
        use_default_shell_env = True,
        mnemonic = "Doxygen",
        progress_message = "Generating the reference docs in %s" % out.short_path,
    )
    return [DefaultInfo(files = depset([out]))]

doxygen_html = rule(
    implementation = _impl,
    attrs = {
        "hdrs": attr.label_list(
            allow_files = [".h"],
            mandatory = True,
            doc = "The public headers, documented as cargo_credential/NAME.h " +
                  "(generated ones, such as version.h, included).",
        ),
        "mainpage": attr.label(allow_single_file = [".md"], mandatory = True),
        "doxyfile": attr.label(allow_single_file = True, mandatory = True),
        "version": attr.string(mandatory = True, doc = "Shown as PROJECT_NUMBER."),
        "out": attr.string(default = "html", doc = "The output directory's name."),
        "_run_doxygen": attr.label(
            default = ":run_doxygen.sh",
            allow_single_file = True,
        ),
    },
)
