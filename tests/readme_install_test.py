#!/usr/bin/env python3
"""README's install commands, run exactly as written from the repository root,
and every config README shows, checked by credcached.

They call Bazel, so they cannot run inside `bazel test`; test.sh runs this
afterwards and counts its cases. Usage: readme_install_test.py JUNIT_XML

Each case runs in a throw-away HOME and socket directory; every daemon it
starts is stopped before it ends.
"""
import base64
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parent.parent
GET = json.dumps({"v": 1, "registry": {"index-url": "sparse+http://127.0.0.1:9/index/"},
                  "kind": "get", "operation": "read"}) + "\n"


def install_commands():
    """The lines of the first sh block under README's '### 1. Install'."""
    text = (ROOT / "README.md").read_text()
    section = text.split("### 1. Install", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


class Case:
    def __init__(self, name):
        self.name, self.failure = name, None

    def check(self, ok, message):
        if not ok and self.failure is None:
            self.failure = message


def world(tmp):
    home = pathlib.Path(tmp, "home")
    (home / ".cargo").mkdir(parents=True)
    run = pathlib.Path(tmp, "run")
    env = dict(os.environ, HOME=str(home), CREDCACHE_SOCKET=str(run / "credcache.sock"),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               CREDCACHE_IDLE_EXIT="30s", XDG_RUNTIME_DIR=str(pathlib.Path(tmp, "xdg")))
    # No user manager or session bus of the machine's is touched.
    for name in ("CREDCACHE_DAEMON", "CREDCACHE_CONFIG", "CREDCACHE_NO_SPAWN",
                 "DBUS_SESSION_BUS_ADDRESS"):
        env.pop(name, None)
    return home, env


def accounts_exist(config, made):
    """Makes (as root) the users and groups a team config names, as a sysadmin
    following README would have; records them in `made` for removal. False
    when some are missing and this is not root."""
    import grp
    import pwd
    wanted = []
    for key, kind in (("group", "group"), ("groups", "group"), ("users", "user"),
                      ("owner", "user")):
        for match in re.finditer(r'^%s = (\[[^\]]*\]|"[^"]*")' % key, config, re.M):
            for name in re.findall(r'"([^"]*)"', match.group(1)):
                wanted.append((kind, name))
    for kind, name in wanted:
        try:
            (grp.getgrnam if kind == "group" else pwd.getpwnam)(name)
            continue
        except KeyError:
            pass
        if os.geteuid() != 0:
            return False
        command = (["groupadd", name] if kind == "group"
                   else ["useradd", "-M", "-s", "/usr/sbin/nologin", name])
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        made.append((kind, name))
    return True


def check_config(case, tmp, env, number, config):
    path = pathlib.Path(tmp, f"readme-{number}.toml")
    # The team key a sysadmin following README would have made (README's
    # own command writes one line `k1 BASE64` of 32 random bytes, 0600).
    for key_file in re.findall(r'^team_key_file = "([^"]*)"', config, re.M):
        made = pathlib.Path(tmp, f"readme-{number}.key")
        made.write_text("k1 %s\n" % base64.b64encode(os.urandom(32)).decode())
        made.chmod(0o600)
        config = config.replace(key_file, str(made))
    # The token programs a config names, installed as its user would have
    # (--check-config looks for them): stand-ins in a directory of the run.
    bin_dir = pathlib.Path(tmp, "readme-bin")
    bin_dir.mkdir(exist_ok=True)
    programs = re.findall(r'^command = \["([^"]+)"', config, re.M)
    programs += re.findall(r'^provider = \[?"([^"]+)"', config, re.M)
    for program in programs:
        stand_in = bin_dir / os.path.basename(program)
        stand_in.write_text("#!/bin/sh\nexit 1\n")
        stand_in.chmod(0o755)
        if "/" in program:
            config = config.replace(f'"{program}"', f'"{stand_in}"')
    env = dict(env, PATH=f"{bin_dir}:{env.get('PATH', '')}")
    path.write_text(config)
    result = subprocess.run([str(ROOT / "bazel-bin/daemon/credcached"), "--check-config",
                             "--config", str(path)], env=env, capture_output=True,
                            text=True, timeout=60)
    case.check(result.returncode == 0,
               f"config {number} of README:\n{config}\n{result.stdout}{result.stderr}")


def stop(shim, env):
    subprocess.run([shim, "stop"], env=env, capture_output=True, timeout=60)


def ask(shim, env):
    return subprocess.run([shim, "--cargo-plugin"], input=GET, env=env, capture_output=True,
                          text=True, timeout=60)


def use_it_sections():
    """README's '## Use it with Cargo' part, by '### ' heading: {title: text}."""
    text = (ROOT / "README.md").read_text()
    part = text.split("\n## Use it with Cargo\n", 1)[1].split("\n## ", 1)[0]
    sections = {}
    for chunk in part.split("\n### ")[1:]:
        title, _, body = chunk.partition("\n")
        sections[title.strip()] = body
    return sections


def blocks(section, language):
    return re.findall(r"```" + language + r"\n(.*?)```", section, re.S)


def sh_lines(section):
    """Each command of a section's sh blocks, continuation lines joined, with
    its trailing comment (for people) apart."""
    lines = []
    for block in blocks(section, "sh"):
        for line in block.replace("\\\n", " ").splitlines():
            command, _, comment = line.partition("  #")
            if command.strip():
                lines.append((command.strip(), comment.strip()))
    return lines


def run_line(case, command, env, cwd, what):
    print(f"  {what}: {command}", file=sys.stderr)
    result = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=300)
    case.check(result.returncode == 0,
               f"{what}: `{command}` exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def walk_use_it_with_cargo(case, tmp, home, env):
    """README's 'Use it with Cargo', line by line, with the real cargo against a
    registry that takes one token; the index README names is the only word
    changed (to that registry's). Runs after the install case."""
    sections = use_it_sections()
    for title in ("2. Tell cargo", "3. Log in", "Moving from `cargo:token` (credentials.toml)",
                  "Seeing what the daemon does"):
        case.check(title in sections, f"README has no '### {title}' under 'Use it with Cargo'")
    if case.failure:
        return
    cargo = os.environ.get("CREDCACHE_CARGO", "cargo")
    token = "Bearer " + os.urandom(16).hex()
    log = pathlib.Path(tmp, "requests.jsonl")
    registry = subprocess.Popen([sys.executable, str(ROOT / "tests/registry/registry.py"), "--port",
                                 "0", "--log", str(log)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True,
                                env=dict(os.environ, REGISTRY_TOKEN=token))
    shim = str(home / ".local/bin/cargo-credential-credcache")
    walk = dict(env, TOKEN=token, CARGO_TERM_COLOR="never",
                PATH=f"{home / '.local/bin'}:{os.path.dirname(cargo)}:/usr/bin:/bin")
    # As a user has it: the socket where README says, cargo's home in ~/.cargo.
    for name in ("CREDCACHE_SOCKET", "CARGO_HOME"):
        walk.pop(name, None)
    real_rustup = pathlib.Path(os.path.expanduser("~root"), ".rustup")
    if "RUSTUP_HOME" not in walk and real_rustup.is_dir():
        walk["RUSTUP_HOME"] = str(real_rustup)  # A rustup cargo finds its toolchains.
    try:
        port = registry.stdout.readline().split()[1]
        url = f"sparse+http://127.0.0.1:{port}/index/"

        # 2. Tell cargo: both blocks, as the user would put them in the file.
        config = "\n".join(block.replace("sparse+https://cargo.example.com/index/", url)
                           for block in blocks(sections["2. Tell cargo"], "toml"))
        (home / ".cargo/config.toml").write_text(config)

        # 3. Log in.
        for command, comment in sh_lines(sections["3. Log in"]):
            if "paste the token" in comment:
                continue  # Needs a terminal; lib's console tests type at its prompt.
            result = run_line(case, command, walk, tmp, "3. Log in")
            case.check("credcache" in result.stderr,
                       f"cargo login does not say where the token went: {result.stderr}")

        # The token reached the registry: a publish needs it.
        crates = pathlib.Path(tmp, "crates")
        crates.mkdir()
        run_line(case, f"{cargo} new --lib --vcs none -q hello", walk, crates, "setup")
        manifest = crates / "hello/Cargo.toml"
        manifest.write_text(manifest.read_text().replace(
            "[package]\n", '[package]\ndescription = "d"\nlicense = "MIT"\npublish = ["myreg"]\n', 1))
        run_line(case, f"{cargo} publish --registry myreg --no-verify --allow-dirty", walk,
                 crates / "hello", "publish with the token logged in")
        run_line(case, f"{cargo} new --lib --vcs none -q app", walk, crates, "setup")
        with open(crates / "app/Cargo.toml", "a") as app:
            app.write('hello = { version = "0.1", registry = "myreg" }\n')

        # Moving from cargo:token: the same token, in credentials.toml.
        credentials = home / ".cargo/credentials.toml"
        for command, _ in sh_lines(sections["Moving from `cargo:token` (credentials.toml)"]):
            credentials.write_text(f'[registries.myreg]\ntoken = "{token}"\n')
            credentials.chmod(0o600)
            run_line(case, command, walk, tmp, "Moving from cargo:token")
            if "--remove" in command:
                case.check(token not in credentials.read_text() if credentials.exists() else True,
                           "import --remove left the token in credentials.toml")

        # Seeing what the daemon does.
        for command, _ in sh_lines(sections["Seeing what the daemon does"]):
            if command.startswith("journalctl"):
                continue  # No user systemd here; systemd_test reads the journal.
            result = run_line(case, command, walk, crates / "app", "Seeing what the daemon does")
            if "doctor" in command:
                case.check("no problems found" in result.stdout, f"doctor: {result.stdout}")
            if command.startswith("cargo -v fetch"):
                case.check("Credential" in result.stderr, f"cargo -v fetch: {result.stderr}")

        # `cargo logout --registry myreg` (3. Log in's text) erases it.
        case.check("`cargo logout --registry myreg`" in sections["3. Log in"],
                   "README no longer shows cargo logout")
        run_line(case, "cargo logout --registry myreg", walk, tmp, "logout")
        (crates / "app/Cargo.lock").unlink(missing_ok=True)
        after = subprocess.run(["bash", "-c", "cargo generate-lockfile"], cwd=crates / "app",
                               env=walk, capture_output=True, text=True, timeout=300)
        case.check(after.returncode != 0 and "no token found" in after.stderr,
                   f"a fetch after logout: {after.returncode} {after.stderr}")
        requests = log.read_text()
        case.check('"auth": "ok"' in requests and token not in requests,
                   "the registry never saw the token, or logged it")
    finally:
        subprocess.run([shim, "stop"], env=walk, capture_output=True, timeout=60)
        registry.stdin.close()
        registry.wait(timeout=30)


def walk_library_section(case, tmp, home, env):
    """README's 'Writing your own credential provider': the install command,
    then the ten-line provider and its CMakeLists.txt written as shown and
    built by each build command as written, in a project directory of its
    own; the programs built answer a get with the environment's token."""
    text = (ROOT / "README.md").read_text()
    part = text.split("\n## Writing your own credential provider\n", 1)[1].split("\n## ", 1)[0]
    cpp, cmake = blocks(part, "cpp"), blocks(part, "cmake")
    case.check(cpp and len(cmake) == 1, "README's library section lost its program or CMakeLists")
    if case.failure:
        return
    project = pathlib.Path(tmp, "my_provider")
    project.mkdir()
    (project / "my_provider.cc").write_text(cpp[0])
    (project / "CMakeLists.txt").write_text(cmake[0])
    commands = [command for command, _ in sh_lines(part)]
    case.check(any("//lib/package:install" in c for c in commands), "no install command")
    for command in commands:
        run_line(case, command, env, ROOT if command.startswith("bazel ") else project, "library")
    installed = home / ".local/lib/libcargo_credential.so"
    case.check(installed.exists(), f"{installed} was not installed")
    token = "Bearer " + os.urandom(16).hex()
    for program in (project / "build/my-provider", project / "my-provider"):
        if not program.exists():
            case.check(False, f"{program} was not built")
            continue
        result = subprocess.run([str(program), "--cargo-plugin"], input=GET,
                                env=dict(env, MY_REGISTRY_TOKEN=token), capture_output=True,
                                text=True, timeout=60)
        case.check(result.returncode == 0 and f'"token":"{token}"' in result.stdout,
                   f"{program}: exit {result.returncode}: {result.stdout}{result.stderr}")


def main():
    cases = []
    commands = install_commands()
    with tempfile.TemporaryDirectory(prefix="credcache-readme-") as tmp:
        home, env = world(tmp)

        case = Case("InstallCommandsRunAsWritten")
        outputs = []
        for command in commands:
            result = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=1800)
            outputs.append(result.stdout + result.stderr)
            case.check(result.returncode == 0,
                       f"`{command}` exited {result.returncode}:\n{result.stdout}{result.stderr}")
        case.check(not any("cannot find credcached" in out for out in outputs),
                   "install-service could not find credcached")
        cases.append(case)

        case = Case("InstallPutsBothProgramsAndTheUnitsInPlace")
        bindir = home / ".local/bin"
        for program in ("cargo-credential-credcache", "credcached"):
            path = bindir / program
            case.check(path.is_file() and os.access(path, os.X_OK), f"{path} is not installed")
        for unit in ("credcached.socket", "credcached.service"):
            path = home / ".config/systemd/user" / unit
            case.check(path.is_file(), f"{path} was not written")
        cases.append(case)

        # The shim in bazel-bin, pointed at by cargo before installing, finds
        # the daemon among its runfiles.
        case = Case("TheShimInBazelBinStartsItsDaemon")
        shim = str(ROOT / "bazel-bin/shim/cargo-credential-credcache")
        result = ask(shim, env)
        case.check(result.returncode == 0 and '"Err":{"kind":"not-found"}' in result.stdout,
                   f"exit {result.returncode}: {result.stdout}{result.stderr}")
        stop(shim, env)
        cases.append(case)

        case = Case("TheInstalledShimStartsTheInstalledDaemon")
        shim = str(bindir / "cargo-credential-credcache")
        env_path = dict(env, PATH="/usr/bin:/bin")  # Not bazel-bin's, not the tree's.
        result = ask(shim, env_path)
        case.check(result.returncode == 0 and '"Err":{"kind":"not-found"}' in result.stdout,
                   f"exit {result.returncode}: {result.stdout}{result.stderr}")
        status = subprocess.run([shim, "status"], env=env_path, capture_output=True, text=True,
                                timeout=60)
        case.check(status.returncode == 0, f"status: {status.stdout}{status.stderr}")
        stop(shim, env_path)
        cases.append(case)

        # Every config README shows is one credcached accepts as written.
        case = Case("EveryConfigInReadmeIsAccepted")
        text = (ROOT / "README.md").read_text()
        configs = [block for block in re.findall(r"```toml\n(.*?)```", text, re.S)
                   if "[[backend]]" in block]
        case.check(configs, "README shows no config")
        made = []
        try:
            for number, config in enumerate(configs):
                if not accounts_exist(config, made):
                    print(f"SKIPPED config {number} of README: it names accounts this machine "
                          "lacks, which only root may make", file=sys.stderr)
                    continue
                check_config(case, tmp, env, number, config)
        finally:
            for kind, name in reversed(made):
                subprocess.run(["userdel" if kind == "user" else "groupdel", name],
                               capture_output=True, timeout=60)
        cases.append(case)

        # The install target README shows, under a prefix of the test's own.
        case = Case("TheInstallTargetPutsEverythingUnderThePrefix")
        lines = [line for line in re.findall(r"```sh\n(.*?)```", text, re.S)
                 if "//:install" in line]
        case.check(len(lines) == 1, "README shows no `bazel run //:install` command")
        if lines:
            prefix = pathlib.Path(tmp, "prefix")
            command = lines[0].strip().replace("/usr/local", str(prefix)) + " --no-enable"
            result = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=1800)
            case.check(result.returncode == 0, f"`{command}`: {result.stdout}{result.stderr}")
            for path in ("bin/cargo-credential-credcache", "bin/credcached",
                         "lib/systemd/user/credcached.socket", "lib/systemd/user/credcached.service",
                         "share/man/man1/cargo-credential-credcache.1",
                         "share/bash-completion/completions/cargo-credential-credcache",
                         "share/zsh/vendor-completions/_cargo-credential-credcache",
                         "share/fish/vendor_completions.d/cargo-credential-credcache.fish"):
                case.check((prefix / path).is_file(), f"{prefix / path} was not installed")
            service = (prefix / "lib/systemd/user/credcached.service")
            case.check(service.is_file() and str(prefix / "bin/credcached") in service.read_text(),
                       "the service does not start the prefix's credcached")
            man = subprocess.run(["man", "-l", str(prefix / "share/man/man1/cargo-credential-credcache.1")],
                                 env=dict(env, MANPAGER="cat", MANWIDTH="80"), capture_output=True,
                                 text=True, timeout=60)
            case.check(man.returncode == 0 and "doctor" in man.stdout, f"man: {man.stderr}")
        cases.append(case)

        case = Case("UseItWithCargoLineByLine")
        walk_use_it_with_cargo(case, tmp, home, env)
        cases.append(case)

        case = Case("TheLibrarySectionLineByLine")
        walk_library_section(case, tmp, home, env)
        cases.append(case)

        # The example config README points at is one credcached accepts.
        case = Case("TheExampleConfigIsAccepted")
        case.check("examples/config.toml" in text, "README does not point at examples/config.toml")
        check_config(case, tmp, env, "example", (ROOT / "examples/config.toml").read_text())
        cases.append(case)

    suite = ET.Element("testsuite", name="ReadmeInstall", tests=str(len(cases)))
    for case in cases:
        element = ET.SubElement(suite, "testcase", name=case.name, classname="ReadmeInstall")
        if case.failure is not None:
            ET.SubElement(element, "failure", message=case.failure[:2000])
            print(f"FAILED {case.name}: {case.failure}", file=sys.stderr)
        else:
            print(f"PASSED {case.name}", file=sys.stderr)
    ET.ElementTree(suite).write(sys.argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
