"""The version of the cargo_credential library: the one place it is written.

Everything else is made from it: the `cargo_credential/version.h` header, the
shared library's file name and soname, the pkg-config and CMake package
versions and the reference docs' version. The library has a version of its own,
apart from credcache's programs (common/version.h): they change for other
reasons.

Semantic versioning. Before 1.0, a new minor version may break the ABI, so the
soname carries MAJOR.MINOR (libcargo_credential.so.0.1); from 1.0 on, MAJOR
alone. `lib/package/abi_check.sh` compares this build's ABI with the last
release's (abi/), so an incompatible change is seen before it ships: it must
come with a new soname, which is to say a new version here.
"""

CARGO_CREDENTIAL_VERSION = "0.1.0"

def _parts(version):
    major, minor, patch = [int(p) for p in version.split(".")]
    return major, minor, patch

def soversion(version = CARGO_CREDENTIAL_VERSION):
    """The soname's version: MAJOR.MINOR before 1.0, MAJOR after."""
    major, minor, _ = _parts(version)
    return "%d.%d" % (major, minor) if major == 0 else "%d" % major

def version_parts(version = CARGO_CREDENTIAL_VERSION):
    return _parts(version)
