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


# --------------------------------------------------------------------------
# The reader's tests (Textual's Pilot): one terminal size, one small library
# built once per worker (tests get copies: `lib_path`), the helpers they share.
# A module wanting other articles defines its own `base_library`; `lib_path`
# then copies that one.

SIZE = (120, 36)

HOSTILE_TITLE = "Hostile [bold red]x[/] title \x1b]0;pwned\x07end"
HOSTILE_BODY = (
    "Markup [bold red]x[/] must stay literal.\n\n"
    "A link [link=file:///etc/passwd]click[/link] too.\n\n"
    "Escapes \x1b]0;title\x07gone and \x1b[2Jcleared."
)


def reader_drafts() -> list:
    from articles.model import Draft

    return [
        Draft(title="Summit in Pyongyang ends without a deal", origin="test:summit",
              source="Daily Wire", author="Ann Writer", date="2020-06-14", url="https://example.org/summit",
              body="Kim Jong Un met Donald Trump in Pyongyang on Tuesday.\n\n"
                   "The talks ended early. Analysts in Seoul said Pyongyang wanted sanctions relief.\n\n"
                   "Kim left without a statement."),
        Draft(title="Markets calm as central bank holds rates", origin="test:markets",
              source="Finance Daily", date="2021-03-02",
              body="The central bank in London kept rates unchanged.\n\nTraders in Frankfurt shrugged."),
        Draft(title="A very long headline " + "that keeps going " * 12, origin="test:long",
              source="Longform Weekly", date="2019-01-01",
              body="Long pieces need long titles, and the list must cut them with an ellipsis."),
        Draft(title=HOSTILE_TITLE, origin="test:hostile", source="Evil [b]Feed[/b]", date="2018-05-05",
              body=HOSTILE_BODY),
    ]


def library_of(folder: Path, drafts, *, entities: bool = False) -> Path:
    """A library at ``folder`` holding ``drafts`` (index included)."""
    from articles.library import Library

    with Library(folder) as lib:
        lib.add_drafts(drafts)
        if entities:
            lib.run_entity_stage()  # spaCy runs here, in the test process, never in the app's
    return folder


@pytest.fixture(scope="session")
def base_library(tmp_path_factory) -> Path:
    """The reader's four articles, built once per worker (index and entities
    included). Raw, unsanitized text on purpose: what the screen shows is the
    display side's work."""
    return library_of(tmp_path_factory.mktemp("tui-base") / "lib", reader_drafts(), entities=True)


@pytest.fixture()
def lib_path(base_library, tmp_path) -> Path:
    """A copy of the module's ``base_library`` for one test to change."""
    dest = tmp_path / "lib"
    shutil.copytree(base_library, dest)
    return dest


def run(coro):
    import asyncio

    return asyncio.run(coro)


async def settle(pilot) -> None:
    from tui.widgets.key_bar import KeyBar

    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    # The key bar looks at what is possible twice a second; a snapshot must not
    # depend on whether that tick came before it.
    for bar in pilot.app.screen.query(KeyBar):
        bar._check_keys()
    await pilot.pause()


async def searched(pilot, query: str):
    """Open search, type ``query``, wait out the debounce and the search itself:
    the search pane."""
    from tui.widgets.search_pane import SearchPane

    await pilot.press("slash", *query)
    await pilot.pause(0.4)
    await settle(pilot)
    return pilot.app.query_one(SearchPane)


def ids_by_origin(path: Path) -> dict[str, str]:
    from articles.library import Library

    with Library(path) as lib:
        return {r[1]: r[0] for r in lib.store.conn.execute("SELECT id, origin FROM articles")}


def screen_text(widget) -> tuple[str, list]:
    """What the terminal shows in a widget's region: its lines and their segments."""
    region = widget.region
    strips = widget.screen._compositor.render_strips()
    lines = [s.crop(region.x, region.right) for s in strips[region.y:region.bottom]]
    return "\n".join(s.text for s in lines), [seg for s in lines for seg in s]


def flat(text: str) -> str:
    """Screen text with wrapping undone, for substring checks."""
    return " ".join(text.split())


# --------------------------------------------------------------------------
# Damaging a store the way a disk does.

SQLITE_PAGE = 4096


def root_page(db: Path, name: str) -> int:
    """The first page of a table or index in a SQLite file."""
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT rootpage FROM sqlite_master WHERE name=?", (name,)).fetchone()[0]
    finally:
        con.close()


def flip_page_type(db: Path, page: int) -> None:
    """Flip the b-tree type byte of one page."""
    data = bytearray(db.read_bytes())
    data[(page - 1) * SQLITE_PAGE] ^= 0xFF
    db.write_bytes(bytes(data))
