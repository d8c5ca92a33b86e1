"""A server that drips its response a byte at a time must not hold any command.

httpx's timeouts are per socket read, so a byte inside every read timeout never
trips them; the request deadline covers connect, headers and body.  The server
is the shared real one on 127.0.0.1 (tests/conftest.py); its dripping route
stops after about 40 s, so a command that waits on it fails its subprocess timeout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def drip(local_server):
    return SimpleNamespace(url=local_server.drip("/slow"), connected=local_server.connected)


@pytest.fixture
def feed_linking_to(local_server, drip):
    rss = f"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Slow links</title><link>http://127.0.0.1/</link>
<item><title>Harbour works begin</title><link>{drip.url}</link><guid>slow-1</guid>
<description>Short teaser.</description></item>
</channel></rss>""".encode()
    local_server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss)
    return local_server.base + "/feed.xml"


def newsdesk(lib: Path, *args: str, timeout: float = 25):
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--library", str(lib), *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )


def test_add_url_from_a_dripping_server_gives_up(drip, tmp_path):
    # --timeout is the whole URL's deadline; the subprocess timeout only
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


def test_refresh_timeout_bounds_the_whole_refresh_and_names_what_was_cut_off(local_server, tmp_path):
    # 40 feeds on a dripping server and a feed whose 24 items link to dripping
    # pages: each request alone stops at its own deadline, but one after another
    # (8 at a time) they would hold the refresh for about 8 x 6 s. `--timeout 2`
    # bounds the whole refresh; the subprocess timeout only catches a hang.
    slow = [local_server.drip(f"/slow/{i}") for i in range(40)]
    items = "".join(
        f"<item><title>Quay report {i}</title><link>{local_server.drip(f'/page/{i}')}</link>"
        f"<guid>quay-{i}</guid><description>Teaser for quay report {i}.</description></item>"
        for i in range(24))
    local_server.routes["/fast.xml"] = (200, {"Content-Type": "application/rss+xml"}, (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Quay news</title>'
        f"<link>{local_server.base}/</link>{items}</channel></rss>").encode())
    opml = tmp_path / "subs.opml"
    # The fast feed first, so that it is fetched before the slow ones hold every worker.
    outlines = f'<outline type="rss" text="Quay news" xmlUrl="{local_server.base}/fast.xml"/>'
    outlines += "".join(f'<outline type="rss" text="Slow {i}" xmlUrl="{u}"/>' for i, u in enumerate(slow))
    opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><head/><body>{outlines}</body></opml>')
    lib = tmp_path / "lib"
    assert newsdesk(lib, "feeds", "import", str(opml)).returncode == 0

    out = newsdesk(lib, "refresh", "--timeout", "2", "--no-entities", "--json", timeout=30)
    assert "Traceback" not in out.stderr
    import json

    doc = json.loads(out.stdout)
    by_title = {f["title"]: f for f in doc["feeds"]}
    assert doc["cut_off"] == 40, [(f["title"], f["reason"]) for f in doc["feeds"]]
    assert all(by_title[f"Slow {i}"]["cut_off"] for i in range(40))
    assert "time limit" in by_title["Slow 0"]["reason"]
    # The feed that came in time is saved, its items with their summaries.
    quay = by_title["Quay news"]
    assert quay["status"] == "new" and quay["added"] == 24 and not quay["cut_off"]
    listed = newsdesk(lib, "list")
    assert "Quay report 7" in listed.stdout

    # The plain report names the feeds cut off.
    text = newsdesk(lib, "refresh", "--timeout", "2", "--no-entities", timeout=30)
    assert "Slow 3" in text.stdout and "cut off" in text.stdout


def test_a_refresh_started_without_a_limit_has_the_default_budget(local_server, tmp_path, monkeypatch):
    # The reader's R calls refresh_feeds without a deadline: the library's default
    # budget still bounds the whole refresh (shortened here to keep the test quick).
    import articles.library as library_module
    from articles.library import Library

    monkeypatch.setattr(library_module, "REFRESH_DEADLINE", 1.5)
    lib_dir = tmp_path / "lib"
    with Library(lib_dir) as lib:
        for i in range(24):  # three waves of eight, each request dripping up to its own limit
            lib.add_feed(local_server.drip(f"/slow/{i}"))
        results = lib.refresh_feeds(entities=False, timeout=6.0)
    # Without the budget each feed would end at its own 6 s limit ("gave up"), none cut off.
    assert len(results) == 24 and all(r.cut_off for r in results), [str(r) for r in results[:3]]
