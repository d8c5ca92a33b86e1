import atexit
import gzip
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
BBC = SHARED / "corpora" / "bbc"
SAMPLES = ROOT / "articles" / "samples"


def newsdesk(lib: Path, *args: str, timeout: float = 300):
    """The `newsdesk` command as its own process on the library ``lib``
    (``timeout`` only catches a hang)."""
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "--library", str(lib), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
# The five seed articles' file names, in order (0 and 1 are two versions of one story).
S000, S001, S002, S003, S004 = SEED_FILES = (
    "000_c12654dd6b4e9989.txt", "001_0f7ff28299ea1317.txt", "002_fe3e5e0b9db5b811.txt",
    "003_c5ac04b2de6090c8.txt", "004_905271c1fcbdff5c.txt")

# Tests never touch the user's real library, config or index signing key.
os.environ.pop("NEWSDESK_LIBRARY", None)
# One key for the whole run (libraries built by module-scoped fixtures must
# verify in every test); a test wanting another machine's key sets its own.
os.environ["NEWSDESK_KEY_DIR"] = tempfile.mkdtemp(prefix="newsdesk-key-")
atexit.register(shutil.rmtree, os.environ["NEWSDESK_KEY_DIR"], True)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("NEWSDESK_LIBRARY", raising=False)


def run_json(capsys, *argv, code: int = 0):
    """Run a ``newsdesk`` command with ``--json``; its exit status must be ``code``
    and its stdout exactly one JSON document, returned parsed."""
    import json

    import main

    assert main.main([str(a) for a in argv] + ["--json"]) == code
    return json.loads(capsys.readouterr().out)


def seed_names(library: Path) -> dict[str, str]:
    """Article id -> the file name it was imported from, in a library of the seeds."""
    from articles.library import Library

    with Library(library) as lib:
        return {a.id: os.path.basename(a.path) for a in lib.store.iter_articles()}


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared material not found at {path} (expected ../shared beside the project)")
    return path


def seed_drafts() -> list:
    """The seeds as drafts under stable origins (``seed:FILE``), so their ids,
    and the snapshots that show them, are the same on every run."""
    from articles.readers import read_path

    drafts = []
    for p in sorted(need(SEEDS).glob("*.txt")):
        for d in read_path(p):
            d.origin, d.path = f"seed:{p.name}", None
            drafts.append(d)
    return drafts


# --------------------------------------------------------------------------
# A small real web server on 127.0.0.1, shared by every network test: routes
# map a path to (status, headers, body) or to a handler function; `drip` makes
# a route that sends its status line and headers one byte at a time.

FEED_FIXTURES = ROOT / "tests" / "fixtures" / "feeds"


class LocalHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        server: LocalServer = self.server.owner  # type: ignore[attr-defined]
        server.log.append((self.path, dict(self.headers)))
        route = server.routes.get(self.path)
        if route is None:
            route = server.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self._send(404, {"Content-Type": "text/plain"}, b"not found")
            return
        if callable(route):
            route(self)
            return
        status, headers, body = route
        self._send(status, headers, body)

    def _send(self, status, headers, body, length=True):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if body:
            self.wfile.write(body)


class _Listener(ThreadingHTTPServer):
    request_queue_size = 64  # many feeds at once: connections are never refused
    daemon_threads = True


class _Listener6(_Listener):
    address_family = socket.AF_INET6


class LocalServer:
    def __init__(self, host: str = "127.0.0.1"):
        six = ":" in host
        self.httpd = (_Listener6 if six else _Listener)((host, 0), LocalHandler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.base = f"http://{f'[{host}]' if six else host}:{self.httpd.server_address[1]}"
        self.routes: dict = {}
        self.log: list[tuple[str, dict]] = []
        self.release = threading.Event()  # lets stalled handlers finish at teardown
        self.connected = threading.Event()  # set when a dripping route is first requested
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def fixture(self, name: str) -> bytes:
        return (FEED_FIXTURES / name).read_text(encoding="utf-8").replace("{{BASE}}", self.base).encode()

    def serve(self, path, name, ctype="application/rss+xml", etag=None, last_modified=None, gzipped=False):
        """Serve a fixture, answering conditional requests with 304 like a real server."""
        body = self.fixture(name)

        def route(req: LocalHandler):
            inm, ims = req.headers.get("If-None-Match"), req.headers.get("If-Modified-Since")
            headers = {"Content-Type": ctype}
            if etag:
                headers["ETag"] = etag
            if last_modified:
                headers["Last-Modified"] = last_modified
            if (etag and inm == etag) or (last_modified and not etag and ims == last_modified):
                req._send(304, headers, b"")
                return
            data = body
            if gzipped and "gzip" in req.headers.get("Accept-Encoding", ""):
                data = gzip.compress(body)
                headers["Content-Encoding"] = "gzip"
            req._send(200, headers, data)

        self.routes[path] = route

    def drip(self, path: str = "/slow", every: float = 0.3, limit: float = 40.0) -> str:
        """A route sending its status line and headers a byte every ``every`` s
        (inside any read timeout, so only a whole-request deadline stops it),
        for at most ``limit`` s: a command still waiting then has hung."""
        data = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000

        def route(req: LocalHandler):
            self.connected.set()
            end = time.monotonic() + limit
            req.close_connection = True
            try:
                for i in range(len(data)):
                    if self.release.wait(every) or time.monotonic() > end:
                        break
                    req.wfile.write(data[i:i + 1])
                    req.wfile.flush()
            except OSError:
                pass  # the client gave up, as it should

        self.routes[path] = route
        return self.url(path)

    def requests_for(self, path: str) -> list[dict]:
        return [h for p, h in self.log if p == path]

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def local_server():
    s = LocalServer()
    yield s
    s.close()
