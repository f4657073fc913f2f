#!/usr/bin/env python3
"""A tiny in-memory Cargo *sparse registry* that requires authentication.

It exists only for the end-to-end tests, which run the real `cargo` against it
to prove that the token cargo sends is exactly what our credential provider
returned.

How the tests use it:

    REGISTRY_TOKEN="Bearer <random>" python3 registry.py --log FILE [--port 0]

* The expected token comes from the environment, never argv, so it does not
  show up in `ps`.
* Once listening it prints exactly one line, `PORT <n>`, to stdout. Nothing
  else ever goes to stdout; diagnostics go to stderr and never contain the token.
* Every request must carry `Authorization: <REGISTRY_TOKEN>` (whole string,
  exact match), otherwise it gets a 401 with a `WWW-Authenticate: Cargo` challenge.
* One JSON line per request is appended to FILE:
  {"method": ..., "path": ..., "auth": "ok"|"missing"|"wrong", "status": <int>}
  The Authorization value itself is never logged.
* It exits on SIGTERM/SIGINT, and also when its stdin reaches EOF, so a test
  that dies (and thereby closes the pipe) never leaves the server behind.
  Give it a pipe on stdin, not /dev/null, or it exits at once.

Layout: index at /index/, web API at /, downloads at /dl. State lives in memory.
"""

import argparse
import hashlib
import http.server
import json
import os
import re
import signal
import struct
import sys
import threading
import urllib.parse

STATE_LOCK = threading.Lock()
CRATES = {}           # lower-cased name -> {"entries": {vers: index line}, "files": {vers: bytes}, "owners": [login]}
USER_IDS = {"me": 1}  # login -> numeric id; "me" is whoever holds the token
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def index_path(name):
    """Index file path for a crate, as cargo computes it (lower-cased)."""
    n = name.lower()
    if len(n) <= 2:
        return f"{len(n)}/{n}"
    if len(n) == 3:
        return f"3/{n[0]}/{n}"
    return f"{n[:2]}/{n[2:4]}/{n}"


def index_dep(dep):
    """Convert one dependency from publish metadata to the index format."""
    out = {
        "name": dep["name"],
        "req": dep["version_req"],  # the index says `req`, the publish API `version_req`
        "features": dep.get("features", []),
        "optional": dep.get("optional", False),
        "default_features": dep.get("default_features", True),
        "target": dep.get("target"),
        "kind": dep.get("kind") or "normal",
    }
    if dep.get("registry"):  # absent means "same registry as the crate"
        out["registry"] = dep["registry"]
    if dep.get("explicit_name_in_toml"):  # a renamed dep: index `name` is the alias
        out["name"] = dep["explicit_name_in_toml"]
        out["package"] = dep["name"]
    return out


def user_id(login):
    """Stable numeric id per login (caller holds STATE_LOCK)."""
    return USER_IDS.setdefault(login, len(USER_IDS) + 1)


def errors(detail):
    return {"errors": [{"detail": detail}]}


def parse_publish_body(body):
    """Split `u32le json_len, json, u32le crate_len, crate` into (meta, crate)."""
    if len(body) < 4:
        raise ValueError("truncated publish body")
    (json_len,) = struct.unpack_from("<I", body, 0)
    meta_end = 4 + json_len
    if len(body) < meta_end + 4:
        raise ValueError("truncated publish body")
    meta = json.loads(body[4:meta_end])
    (crate_len,) = struct.unpack_from("<I", body, meta_end)
    crate = body[meta_end + 4:]
    if len(crate) != crate_len:
        raise ValueError("crate length does not match body")
    return meta, crate


class Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.1 keeps cargo's connections alive; the stdlib answers
    # `Expect: 100-continue` itself and simply ignores `Upgrade: h2c`.
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass  # stderr stays quiet; our own JSON log records every request

    # All methods go through one dispatcher so that auth and logging are uniform.
    def do_GET(self):
        self.dispatch()

    do_PUT = do_DELETE = do_POST = do_PATCH = do_GET

    def dispatch(self):
        body = self.read_body()
        if body is None:
            self.close_connection = True  # unread chunked body: the stream is unusable
            self.respond(411, errors("Content-Length required"), auth=self.auth_state())
            return
        auth = self.auth_state()
        if auth != "ok":
            login_url = f"{self.base_url()}/me"
            self.respond(401, errors("unauthorized"), auth=auth,
                         headers={"WWW-Authenticate": f'Cargo login_url="{login_url}"'})
            return
        try:
            status, payload, ctype = self.route(body)
        except (ValueError, KeyError, TypeError) as e:  # malformed client input
            status, payload, ctype = 400, errors(f"bad request: {e}"), None
        self.respond(status, payload, auth=auth, ctype=ctype)

    def read_body(self):
        # Always drain the body, even for a 401, so keep-alive stays in sync.
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return None
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def auth_state(self):
        got = self.headers.get("Authorization")
        if got is None:
            return "missing"
        return "ok" if got == self.server.token else "wrong"

    def base_url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def respond(self, status, payload, auth, ctype=None, headers=None):
        if isinstance(payload, bytes):
            data = payload
        else:
            data = json.dumps(payload).encode()
            ctype = ctype or "application/json"
        # Logged before the client can see the answer: a test that reads the
        # log right after its request finished must find the line there.
        self.server.log_request_line(self.command, self.path, auth, status)
        self.send_response(status)
        self.send_header("Content-Type", ctype or "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def route(self, body):
        """Return (status, payload, content type) for an authorised request."""
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        method = self.command
        if method == "GET" and path == "/index/config.json":
            base = self.base_url()
            return 200, {"dl": f"{base}/dl", "api": base, "auth-required": True}, None
        if method == "GET" and path == "/me":
            return 200, b"Tokens for this test registry come from REGISTRY_TOKEN.\n", "text/plain"
        if method == "GET" and path.startswith("/index/"):
            return self.get_index(path[len("/index/"):])
        m = re.fullmatch(r"/dl/([^/]+)/([^/]+)/download", path)
        if method == "GET" and m:
            return self.download(*m.groups())
        if method == "PUT" and path == "/api/v1/crates/new":
            return self.publish(body)
        m = re.fullmatch(r"/api/v1/crates/([^/]+)/([^/]+)/(yank|unyank)", path)
        if m and (method, m.group(3)) in (("DELETE", "yank"), ("PUT", "unyank")):
            return self.set_yanked(m.group(1), m.group(2), m.group(3) == "yank")
        m = re.fullmatch(r"/api/v1/crates/([^/]+)/owners", path)
        if m and method in ("GET", "PUT", "DELETE"):
            return self.owners(m.group(1), method, body)
        return 404, errors("not found"), None

    def get_index(self, rest):
        name = rest.rsplit("/", 1)[-1]
        if index_path(name) != rest:  # only the canonical prefix is served
            return 404, errors("not found"), None
        with STATE_LOCK:
            crate = CRATES.get(name.lower())
            lines = [json.dumps(e) for e in crate["entries"].values()] if crate else []
        if not lines:
            return 404, errors("not found"), None
        return 200, ("\n".join(lines) + "\n").encode(), "text/plain"

    def download(self, name, vers):
        with STATE_LOCK:
            data = CRATES.get(name.lower(), {}).get("files", {}).get(vers)
        if data is None:
            return 404, errors("not found"), None
        return 200, data, "application/octet-stream"

    def publish(self, body):
        meta, crate_bytes = parse_publish_body(body)
        name, vers = meta["name"], meta["vers"]
        if not NAME_RE.match(name) or not vers:
            return 400, errors("invalid crate name or version"), None
        entry = {
            "name": name,
            "vers": vers,
            "deps": [index_dep(d) for d in meta.get("deps", [])],
            "cksum": hashlib.sha256(crate_bytes).hexdigest(),
            "features": meta.get("features", {}),
            "yanked": False,
        }
        with STATE_LOCK:
            crate = CRATES.setdefault(name.lower(), {"entries": {}, "files": {}, "owners": ["me"]})
            # Build metadata does not make a version distinct (same rule as crates.io).
            if any(v.split("+")[0] == vers.split("+")[0] for v in crate["entries"]):
                return 400, errors(f"crate version `{vers}` is already uploaded"), None
            # Visible in the index at once: cargo polls it after publishing.
            crate["entries"][vers] = entry
            crate["files"][vers] = crate_bytes
        return 200, {"warnings": {"invalid_categories": [], "invalid_badges": [], "other": []}}, None

    def set_yanked(self, name, vers, yanked):
        with STATE_LOCK:
            entry = CRATES.get(name.lower(), {}).get("entries", {}).get(vers)
            if entry is None:
                return 404, errors(f"crate `{name}` does not have a version `{vers}`"), None
            entry["yanked"] = yanked
        return 200, {"ok": True}, None

    def owners(self, name, method, body):
        with STATE_LOCK:
            crate = CRATES.get(name.lower())
            if crate is None:
                return 404, errors(f"crate `{name}` does not exist"), None
            if method == "GET":
                users = [{"id": user_id(u), "login": u, "name": None} for u in crate["owners"]]
                return 200, {"users": users}, None
            logins = json.loads(body or b"{}")["users"]
            for login in logins:
                if method == "PUT" and login not in crate["owners"]:
                    crate["owners"].append(login)
                elif method == "DELETE" and login in crate["owners"]:
                    crate["owners"].remove(login)
        # cargo deserialises both keys; leaving out `msg` makes it fail.
        return 200, {"ok": True, "msg": "completed!"}, None


class RegistryServer(http.server.ThreadingHTTPServer):
    daemon_threads = True  # idle keep-alive connections must not block exit

    def __init__(self, port, token, log_file):
        super().__init__(("127.0.0.1", port), Handler)
        self.token = token
        self.log_file = log_file
        self.log_lock = threading.Lock()

    def log_request_line(self, method, path, auth, status):
        line = json.dumps({"method": method, "path": path, "auth": auth, "status": status})
        with self.log_lock:
            self.log_file.write(line + "\n")
            self.log_file.flush()  # tests read the log while we are still running


def stop_in_background(server):
    # shutdown() blocks until serve_forever() returns, so it must not run on
    # the thread that is serving (signal handlers run there).
    threading.Thread(target=server.shutdown, daemon=True).start()


def watch_stdin(server):
    """Shut down when stdin hits EOF, i.e. when the test that started us is gone."""
    # os.read on the raw fd: a daemon thread blocked inside sys.stdin's
    # buffered reader holds its lock and makes interpreter exit abort.
    while os.read(sys.stdin.fileno(), 4096):
        pass
    server.shutdown()


def main():
    parser = argparse.ArgumentParser(description="Local authenticated Cargo sparse registry for tests")
    parser.add_argument("--log", required=True, help="append one JSON line per request here")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = ephemeral)")
    args = parser.parse_args()
    token = os.environ.get("REGISTRY_TOKEN")
    if not token:
        print("registry.py: REGISTRY_TOKEN is not set", file=sys.stderr)
        return 2

    with open(args.log, "a", encoding="utf-8") as log_file:
        server = RegistryServer(args.port, token, log_file)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop_in_background(server))
        threading.Thread(target=watch_stdin, args=(server,), daemon=True).start()
        print(f"PORT {server.server_address[1]}", flush=True)
        try:
            server.serve_forever()
        finally:
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
