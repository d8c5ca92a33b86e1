"""Feed entries that share a teaser but not a guid/link are different articles."""

from __future__ import annotations

import json
from pathlib import Path
from conftest import newsdesk as run_newsdesk


def _feed(base: str, n: int, same_title: bool = False) -> bytes:
    items = "".join(
        f"<item><title>{'Harbour update' if same_title else f'Harbour update number {i}'}</title>"
        f"<link>{base}/gone/{i}</link><guid>entry-{i}</guid>"
        "<description>The harbour board met on Tuesday to discuss the plans for the quay.</description></item>"
        for i in range(n))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Teasers</title>'
            f"<link>{base}/</link>{items}</channel></rss>").encode()


def _serve(server, body: bytes) -> str:
    """The feed at /feed.xml of the shared 127.0.0.1 server; every item's page is a 404."""
    server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, body)
    return server.base


def newsdesk(lib: Path, *args: str):
    return run_newsdesk(lib, *args, timeout=120)


def test_twenty_entries_with_one_teaser_are_twenty_articles(tmp_path, local_server):
    base = _serve(local_server, _feed(local_server.base, 20))
    lib = tmp_path / "lib"
    assert newsdesk(lib, "feeds", "add", base + "/feed.xml").returncode == 0
    out = newsdesk(lib, "refresh", "--json")
    assert "Traceback" not in out.stderr
    doc = json.loads(out.stdout)
    assert doc["added"] == 20, doc


def test_what_is_merged_as_a_duplicate_is_reported(tmp_path, local_server):
    # Same title and text under different guids: the same report, merged, and said so.
    base = _serve(local_server, _feed(local_server.base, 3, same_title=True))
    lib = tmp_path / "lib"
    assert newsdesk(lib, "feeds", "add", base + "/feed.xml").returncode == 0
    out = newsdesk(lib, "refresh")
    assert "2 merged as duplicates" in out.stdout, out.stdout
