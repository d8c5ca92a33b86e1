"""Feed entries that share a teaser but not a guid/link are different articles."""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _feed(base: str, n: int, same_title: bool = False) -> bytes:
    items = "".join(
        f"<item><title>{'Harbour update' if same_title else f'Harbour update number {i}'}</title>"
        f"<link>{base}/gone/{i}</link><guid>entry-{i}</guid>"
        "<description>The harbour board met on Tuesday to discuss the plans for the quay.</description></item>"
        for i in range(n))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Teasers</title>'
            f"<link>{base}/</link>{items}</channel></rss>").encode()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/feed.xml":
            body = self.server.body  # type: ignore[attr-defined]
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:  # every item's page is unreachable
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()


def _serve(make_body):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.body = make_body(base)  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, base


def newsdesk(lib: Path, *args: str):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "--library", str(lib), *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_twenty_entries_with_one_teaser_are_twenty_articles(tmp_path):
    httpd, base = _serve(lambda b: _feed(b, 20))
    try:
        lib = tmp_path / "lib"
        assert newsdesk(lib, "feeds", "add", base + "/feed.xml").returncode == 0
        out = newsdesk(lib, "refresh", "--json")
        assert "Traceback" not in out.stderr
        import json

        doc = json.loads(out.stdout)
        assert doc["added"] == 20, doc
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_what_is_merged_as_a_duplicate_is_reported(tmp_path):
    # Same title and text under different guids: the same report, merged, and said so.
    httpd, base = _serve(lambda b: _feed(b, 3, same_title=True))
    try:
        lib = tmp_path / "lib"
        assert newsdesk(lib, "feeds", "add", base + "/feed.xml").returncode == 0
        out = newsdesk(lib, "refresh")
        assert "2 merged as duplicates" in out.stdout, out.stdout
    finally:
        httpd.shutdown()
        httpd.server_close()
