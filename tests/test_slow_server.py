"""A server that drips its response a byte at a time must not hold any command.

httpx's timeouts are per socket read, so a byte inside every read timeout never
trips them; the request deadline covers connect, headers and body.  The servers
here are real sockets on 127.0.0.1 with bounded loops: each drips for at most
about 40 s, so a command that waits on them fails its subprocess timeout.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DRIP_EVERY = 0.3  # well inside the 1 s read timeout the commands are given
DRIP_BYTES = 130  # about 40 s in all: longer than any subprocess timeout below


class DripServer:
    """Accepts connections and sends a status line and headers one byte at a time."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/slow"
        self.connected = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn):
        self.connected.set()
        data = (b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 200)[:DRIP_BYTES]
        try:
            conn.recv(4096)
            for i in range(len(data)):
                if self.stop.is_set():
                    break
                conn.sendall(data[i:i + 1])
                time.sleep(DRIP_EVERY)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.sock.close()


class FeedHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = self.server.feed_body  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def drip():
    server = DripServer()
    yield server
    server.close()


@pytest.fixture
def feed_linking_to(drip):
    rss = f"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Slow links</title><link>http://127.0.0.1/</link>
<item><title>Harbour works begin</title><link>{drip.url}</link><guid>slow-1</guid>
<description>Short teaser.</description></item>
</channel></rss>""".encode()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    httpd.feed_body = rss  # type: ignore[attr-defined]
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/feed.xml"
    httpd.shutdown()
    httpd.server_close()


def newsdesk(lib: Path, *args: str, timeout: float = 25):
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--library", str(lib), *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )


def test_add_url_from_a_dripping_server_gives_up(drip, tmp_path):
    # A 1 s read timeout gives a 3 s deadline; the subprocess timeout only
    # catches a hang, it is not a measurement.
    out = newsdesk(tmp_path / "lib", "add", "--timeout", "1", drip.url)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert "slow" in (out.stderr + out.stdout).lower()


def test_refresh_with_a_feed_on_a_dripping_server_gives_up(drip, tmp_path):
    lib = tmp_path / "lib"
    assert newsdesk(lib, "feeds", "add", drip.url).returncode == 0
    out = newsdesk(lib, "refresh", "--timeout", "1")
    assert "Traceback" not in out.stderr
    assert "slow" in out.stdout + out.stderr


def test_a_feed_item_linking_to_a_dripping_page_does_not_hang_the_refresh(
        drip, feed_linking_to, tmp_path):
    lib = tmp_path / "lib"
    added = newsdesk(lib, "feeds", "add", feed_linking_to)
    assert added.returncode == 0, added.stderr
    out = newsdesk(lib, "refresh", "--timeout", "1")
    assert drip.connected.is_set(), "the item's page was never requested"
    assert "Traceback" not in out.stderr
    # The entry is still saved, from its teaser, and the refresh ended on its own.
    listed = newsdesk(lib, "list")
    assert "Harbour works begin" in listed.stdout


def test_ctrl_c_ends_a_refresh_stuck_on_a_slow_server(drip, feed_linking_to, tmp_path):
    lib = tmp_path / "lib"
    assert newsdesk(lib, "feeds", "add", feed_linking_to).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "--library", str(lib), "refresh", "--timeout", "8"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        assert drip.connected.wait(20), "the refresh never reached the slow page"
        proc.send_signal(signal.SIGINT)
        # Without the fix the process lives on until the abandoned fetch ends
        # (a 24 s deadline here); a few seconds only guards against a hang.
        _, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130
    assert "interrupted" in err
    assert "Traceback" not in err
