"""Feeds, refresh and saved pages against a real HTTP server on 127.0.0.1.

The server serves fixture feeds and pages from tests/fixtures/feeds (original
text written for these tests); each test sets up the routes it needs and may
swap them between refreshes to play a feed that changes or breaks.
"""

from __future__ import annotations

import gzip
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from articles.services import feeds as F
from articles.store import Store
from articles.text.html import html_to_text
from articles.web import feedparse
from articles.web.feedparse import parse_feed
from articles.web.fetch import USER_AGENT, FetchError
from articles.web.pages import fetch_page
from articles.errors import FeedError
from articles.model import Draft
from conftest import LocalHandler, LocalServer

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "feeds"


# The real web server on 127.0.0.1 is the shared one (tests/conftest.py).
FeedServer, _Handler = LocalServer, LocalHandler


@pytest.fixture
def server():
    s = FeedServer()
    yield s
    s.close()


@pytest.fixture
def store(tmp_path):
    # The library's own store: its feed tables are created at open.
    s = Store(tmp_path / "library.db")
    yield s
    s.close()


@dataclass
class Report:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


class FakeLibrary:
    """Stands in for Library.add_drafts: upserts drafts by origin, counts like the real one."""

    def __init__(self):
        self.articles: dict[str, Draft] = {}
        self.calls = 0

    def save(self, drafts: list[Draft]) -> Report:
        self.calls += 1
        r = Report()
        for d in drafts:
            old = self.articles.get(d.origin)
            if old is None:
                r.added += 1
            elif (old.title, old.body) != (d.title, d.body):
                r.updated += 1
            else:
                r.unchanged += 1
            self.articles[d.origin] = d
        return r

    def snapshot(self):
        return {k: (v.title, v.body, v.date) for k, v in self.articles.items()}


@pytest.fixture
def lib():
    return FakeLibrary()


def by_url(results, url):
    [r] = [r for r in results if r.url == url]
    return r


# --------------------------------------------------------------------------
# Subscriptions


def test_add_list_remove(store):
    a = F.add_feed(store, "https://gazette.example/rss.xml", tag="local")
    b = F.add_feed(store, "observatory.example/atom.xml")
    assert b.url == "https://observatory.example/atom.xml"
    assert [f.url for f in F.list_feeds(store, tag="local")] == [a.url]
    with pytest.raises(F.FeedExists, match="already subscribed"):
        F.add_feed(store, "https://gazette.example/rss.xml ")
    with pytest.raises(F.FeedError, match="not an http"):
        F.add_feed(store, "file:///etc/passwd")
    assert F.remove_feed(store, str(a.id)).url == a.url
    assert F.remove_feed(store, "https://observatory.example/atom.xml").id == b.id
    assert F.list_feeds(store) == []
    with pytest.raises(F.UnknownFeed):
        F.remove_feed(store, 99)


def test_opml_import_export_round_trip(store, tmp_path):
    res = F.import_opml(store, FIXTURES / "subscriptions.opml")
    got = {(f.url, f.tag, f.title) for f in res.added}
    assert got == {
        ("https://gazette.example/rss.xml", "Local", "Harbourtown Gazette"),
        ("https://parish.example/feed", "Nested folder", "Parish notices"),
        ("https://observatory.example/atom.xml", None, "Valley Observatory Notes"),
        ("https://stars.example/feed.xml", "Astronomy", "Tagged by category"),
    }
    skipped = dict(res.skipped)
    assert "already subscribed" in skipped["https://gazette.example/rss.xml"]
    assert "not an http" in skipped["ftp://files.example/feed.xml"]

    exported = F.export_opml(store)
    assert exported.startswith('<?xml version="1.0" encoding="UTF-8"?>') and 'version="2.0"' in exported
    path = tmp_path / "out.opml"
    path.write_text(exported, encoding="utf-8")
    other = Store(tmp_path / "other.db")
    again = F.import_opml(other, path)
    assert again.skipped == []
    assert {(f.url, f.tag, f.title) for f in F.list_feeds(other)} == got


def test_opml_errors_name_the_file(store, tmp_path):
    bad = tmp_path / "broken.opml"
    bad.write_text("<opml><body><outline xmlUrl='x'", encoding="utf-8")
    with pytest.raises(F.FeedError, match="broken.opml: not a valid OPML"):
        F.import_opml(store, bad)
    with pytest.raises(F.FeedError, match="missing.opml: cannot read"):
        F.import_opml(store, tmp_path / "missing.opml")
    bomb = tmp_path / "bomb.opml"
    bomb.write_text((FIXTURES / "bomb.xml").read_text().replace("<rss", "<opml"), encoding="utf-8")
    with pytest.raises(F.FeedError, match="bomb.opml"):
        F.import_opml(store, bomb)
    assert F.list_feeds(store) == []


# --------------------------------------------------------------------------
# Refresh: the happy paths


def test_refresh_rss_and_atom_with_summary_page_fetched(server, store, lib):
    server.serve("/rss.xml", "rss.xml", etag='"v1"')
    server.serve("/atom.xml", "atom.xml", ctype="application/atom+xml", gzipped=True,
                 last_modified="Mon, 21 Oct 2024 21:00:00 GMT")
    server.serve("/pages/lighthouse.html", "lighthouse.html", ctype="text/html; charset=utf-8")
    rss = F.add_feed(store, server.url("/rss.xml"), tag="local")
    atom = F.add_feed(store, server.url("/atom.xml"))
    seen_progress = []

    results = F.refresh(store, lib.save, timeout=5, progress=lambda d, t, m: seen_progress.append((d, t)))

    results = [by_url(results, rss.url), by_url(results, atom.url)]
    assert [r.status for r in results] == ["new", "new"]
    assert (results[0].added, results[1].added) == (2, 3)
    assert seen_progress[0] == (0, 2) and seen_progress[-1] == (2, 2)
    assert all(h["User-Agent"] == USER_AGENT for _, h in server.log)

    ferry = lib.articles[f"feed:{rss.id}:gazette-ferry-2024"]
    assert ferry.title == "Ferry timetable changes for the winter season"
    assert (ferry.author, ferry.date, ferry.source, ferry.feed_id) == (
        "Mirela Okonkwo", "2024-11-05", "Harbourtown Gazette", rss.id)
    assert ferry.url == server.url("/pages/ferry.html")
    paragraphs = ferry.body.split("\n\n")
    assert paragraphs[0].startswith("The island ferry will run four times a day")
    assert "First sailing: 06:10" in paragraphs and len(paragraphs) == 6
    assert "alert" not in ferry.body and "<" not in ferry.body

    # Summary-only entry: the linked page was fetched and its article text kept.
    lighthouse = lib.articles[f"feed:{rss.id}:{server.url('/pages/lighthouse.html')}"]
    assert lighthouse.body.startswith("The whitewashed cottage at Gull Point")
    assert "puffins nest" in lighthouse.body and "Cookie settings" not in lighthouse.body
    assert lighthouse.author == "Jonas Abernethy"
    assert results[0].pages_fetched == 1

    # Atom, served gzipped, with full content: no pages fetched for those entries.
    night = lib.articles[f"feed:{atom.id}:urn:observatory:open-night-2024"]
    assert (night.author, night.date, night.source) == ("Priya Vandermeer", "2024-10-20", "Valley Observatory Notes")
    assert night.body.count("\n\n") == 2 and "Saturn" in night.body
    mirror = lib.articles[f"feed:{atom.id}:urn:observatory:mirror-2024"]
    assert mirror.body.startswith("The main mirror left for the workshop")
    # A summary-only entry whose page is missing (404) keeps its summary.
    rota = lib.articles[f"feed:{atom.id}:urn:observatory:rota-2024"]
    assert rota.body == "Sign-up sheets for the Thursday talks are pinned by the kettle."
    assert (results[1].pages_fetched, results[1].pages_failed) == (0, 1)
    assert any("kept the summaries" in w for w in results[1].warnings)
    assert server.requests_for("/observatory/rota") and not server.requests_for("/observatory/mirror")

    stored = {f.url: f for f in F.list_feeds(store)}
    assert stored[rss.url].title == "Harbourtown Gazette" and stored[rss.url].etag == '"v1"'
    assert stored[atom.url].last_modified == "Mon, 21 Oct 2024 21:00:00 GMT"
    assert stored[rss.url].last_status == "new" and stored[rss.url].last_error is None


def test_second_refresh_answered_304_costs_nothing(server, store, lib):
    server.serve("/rss.xml", "rss.xml", etag='"v1"')
    server.serve("/atom.xml", "atom.xml", last_modified="Mon, 21 Oct 2024 21:00:00 GMT")
    server.serve("/pages/lighthouse.html", "lighthouse.html", ctype="text/html")
    F.add_feed(store, server.url("/rss.xml"))
    F.add_feed(store, server.url("/atom.xml"))
    F.refresh(store, lib.save, timeout=5)
    before, calls, page_hits = lib.snapshot(), lib.calls, len(server.requests_for("/pages/lighthouse.html"))

    results = F.refresh(store, lib.save, timeout=5)

    assert [r.status for r in results] == ["unchanged", "unchanged"]
    assert server.requests_for("/rss.xml")[-1]["If-None-Match"] == '"v1"'
    assert server.requests_for("/atom.xml")[-1]["If-Modified-Since"] == "Mon, 21 Oct 2024 21:00:00 GMT"
    assert lib.calls == calls and lib.snapshot() == before
    assert len(server.requests_for("/pages/lighthouse.html")) == page_hits


def test_server_ignoring_conditional_get_does_not_resave(server, store, lib):
    server.serve("/rss.xml", "rss.xml")  # no ETag, no Last-Modified
    server.serve("/pages/lighthouse.html", "lighthouse.html", ctype="text/html")
    F.add_feed(store, server.url("/rss.xml"))
    F.refresh(store, lib.save, timeout=5)
    calls = lib.calls
    [r] = F.refresh(store, lib.save, timeout=5)
    assert (r.status, r.unchanged, r.added) == ("unchanged", 2, 0)
    assert lib.calls == calls  # nothing handed to the library
    assert len(server.requests_for("/pages/lighthouse.html")) == 1


def test_summary_kept_when_page_fails_and_page_retried_only_if_worth_it(server, store, lib):
    server.serve("/rss.xml", "rss.xml")  # no validators: every refresh gets the whole feed
    server.serve("/atom.xml", "atom.xml")
    server.routes["/pages/lighthouse.html"] = (503, {"Content-Type": "text/plain"}, b"busy")
    rss = F.add_feed(store, server.url("/rss.xml"))
    F.add_feed(store, server.url("/atom.xml"))
    F.refresh(store, lib.save, timeout=5)
    key = f"feed:{rss.id}:{server.url('/pages/lighthouse.html')}"
    # The summary is kept, without the "Read more" link text.
    assert lib.articles[key].body == "The cottage at Gull Point will open to visitors next spring."

    server.serve("/pages/lighthouse.html", "lighthouse.html", ctype="text/html")
    results = F.refresh(store, lib.save, timeout=5)

    # A 503 may pass: the page is tried again, and the article gains its full text.
    r = by_url(results, rss.url)
    assert (r.status, r.updated, r.unchanged, r.pages_fetched) == ("updated", 1, 1, 1)
    assert "puffins nest" in lib.articles[key].body
    # A 404 won't: the Atom entry whose page is missing is not fetched again.
    assert len(server.requests_for("/observatory/rota")) == 1
    assert by_url(results, server.url("/atom.xml")).status == "unchanged"


def test_changed_entry_updates_not_duplicates(server, store, lib):
    server.serve("/rss.xml", "rss.xml", etag='"v1"')
    server.serve("/pages/lighthouse.html", "lighthouse.html", ctype="text/html")
    feed = F.add_feed(store, server.url("/rss.xml"))
    F.refresh(store, lib.save, timeout=5)
    assert len(lib.articles) == 2

    server.serve("/rss.xml", "rss_changed.xml", etag='"v2"')
    [r] = F.refresh(store, lib.save, timeout=5)

    assert (r.status, r.added, r.updated, r.unchanged) == ("updated", 0, 1, 1)
    assert len(lib.articles) == 2
    ferry = lib.articles[f"feed:{feed.id}:gazette-ferry-2024"]
    assert ferry.title == "Ferry timetable changes confirmed for winter"
    assert "a later boat will run on Fridays" in ferry.body
    assert F.get_feed(store, feed.id).etag == '"v2"'


def test_fetch_page_follows_redirect_and_reads_metadata(server):
    server.serve("/pages/lighthouse.html", "lighthouse.html", ctype="text/html; charset=utf-8")
    server.routes["/go"] = (301, {"Location": "/pages/lighthouse.html"}, b"")
    d = fetch_page(server.url("/go"), timeout=5)
    assert d.origin == "url:" + server.url("/pages/lighthouse.html")
    assert d.url == server.url("/pages/lighthouse.html")
    assert d.title == "Lighthouse keeper's cottage to become a museum"
    assert (d.author, d.date, d.source) == ("Jonas Abernethy", "2024-11-04", "Harbourtown Gazette")
    assert d.body.startswith("The whitewashed cottage") and d.body.count("\n\n") == 3

    server.routes["/empty"] = (200, {"Content-Type": "text/html"}, b"<html><body><nav>Home</nav></body></html>")
    with pytest.raises(FetchError, match="no article text"):
        fetch_page(server.url("/empty"), timeout=5)
    server.routes["/pic.png"] = (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n")
    with pytest.raises(FetchError, match="not a web page"):
        fetch_page(server.url("/pic.png"), timeout=5)


# --------------------------------------------------------------------------
# Refresh: failures.  Each feed is first refreshed fine, then breaks; the
# second refresh must report why and leave everything stored as it was.


def _stall(req: _Handler):
    req.send_response(200)
    req.send_header("Content-Type", "application/rss+xml")
    req.send_header("Content-Length", "100000")
    req.end_headers()
    req.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
    req.wfile.flush()
    req.server.owner.release.wait(15)


def _endless(req: _Handler):
    """No Content-Length: the size cap must be enforced while streaming."""
    req.send_response(200)
    req.send_header("Content-Type", "application/rss+xml")
    req.send_header("Connection", "close")
    req.end_headers()
    try:
        req.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>')
        for _ in range(200):
            req.wfile.write(b"x" * 8192)
    except OSError:
        pass  # the client hung up at the cap, as it should
    req.close_connection = True


def _breakers(server: FeedServer) -> dict:
    big = b'<?xml version="1.0"?><rss version="2.0"><channel><title>' + b"y" * 300_000
    return {
        "http-500": ((500, {"Content-Type": "text/plain"}, b"oops"), r"HTTP 500"),
        "http-404": ((404, {"Content-Type": "text/plain"}, b"gone"), r"HTTP 404"),
        "stall": (_stall, r"timed out after 1s"),
        "malformed": ((200, {"Content-Type": "application/rss+xml"}, server.fixture("malformed.xml")),
                      r"malformed feed"),
        "html-page": ((200, {"Content-Type": "text/html"}, server.fixture("lighthouse.html")),
                      r"malformed feed \(not RSS or Atom\)"),
        "bomb": ((200, {"Content-Type": "application/rss+xml"}, server.fixture("bomb.xml")),
                 r"declares XML entities"),
        "too-large": ((200, {"Content-Type": "application/rss+xml"}, big), r"too large \(300,0\d\d bytes"),
        "too-large-streamed": (_endless, r"too large \(over 200,000 bytes\)"),
        "redirect-loop": ((302, {"Location": "/loop-b"}, b""), r"redirect loop"),
    }


@pytest.mark.parametrize("mode", [
    "http-500", "http-404", "stall", "malformed", "html-page", "bomb", "too-large",
    "too-large-streamed", "redirect-loop",
])
def test_broken_feed_reports_reason_and_keeps_library(server, store, lib, mode):
    server.serve("/feed", "rss.xml", etag='"good"')
    server.serve("/pages/lighthouse.html", "lighthouse.html", ctype="text/html")
    server.serve("/other", "atom.xml")
    feed = F.add_feed(store, server.url("/feed"))
    other = F.add_feed(store, server.url("/other"))
    F.refresh(store, lib.save, timeout=1, max_bytes=200_000)
    before = lib.snapshot()
    assert len(before) == 5

    route, reason = _breakers(server)[mode]
    server.routes["/feed"] = route
    server.routes["/loop-b"] = (302, {"Location": server.url("/feed")}, b"")
    server.serve("/other", "rss_changed.xml")  # the other feed moves on meanwhile

    results = F.refresh(store, lib.save, timeout=1, max_bytes=200_000)

    broken, fine = by_url(results, feed.url), by_url(results, other.url)
    assert broken.status == "failed"
    assert broken.reason and re.search(reason, broken.reason), broken.reason
    assert fine.status == "new" and fine.added == 2  # one broken feed never stops the others
    after = lib.snapshot()
    assert {k: v for k, v in after.items() if k.startswith(f"feed:{feed.id}:")} == \
        {k: v for k, v in before.items() if k.startswith(f"feed:{feed.id}:")}
    stored = F.get_feed(store, feed.id)
    assert stored.etag == '"good"' and stored.title == "Harbourtown Gazette"
    assert (stored.last_status, stored.last_error) == ("failed", broken.reason)

    # Once the feed is back, the stored validators still work: a 304, nothing lost.
    server.serve("/feed", "rss.xml", etag='"good"')
    [again] = F.refresh(store, lib.save, feeds=[feed.id], timeout=1)
    assert again.status == "unchanged"
    assert F.get_feed(store, feed.id).last_error is None


def _drip(req: _Handler):
    """Never silent long enough for the read timeout, never finished either."""
    req.send_response(200)
    req.send_header("Content-Type", "application/rss+xml")
    req.send_header("Connection", "close")
    req.end_headers()
    try:
        while not req.server.owner.release.wait(0.05):
            req.wfile.write(b" ")
            req.wfile.flush()
    except OSError:
        pass
    req.close_connection = True


def test_server_dripping_bytes_hits_the_overall_deadline(server, store, lib):
    server.routes["/drip"] = _drip
    F.add_feed(store, server.url("/drip"))
    [r] = F.refresh(store, lib.save, timeout=0.3)
    assert r.status == "failed" and "the server was too slow" in r.reason


def test_cancel_keeps_what_was_saved_and_leaves_the_rest_untouched(server, store, lib):
    server.serve("/rss.xml", "rss.xml", etag='"v1"')
    server.serve("/pages/lighthouse.html", "lighthouse.html", ctype="text/html")
    server.routes["/stall"] = _stall
    good = F.add_feed(store, server.url("/rss.xml"))
    slow = F.add_feed(store, server.url("/stall"))
    cancel = threading.Event()

    results = F.refresh(store, lib.save, timeout=20, cancel=cancel,
                        progress=lambda done, total, msg: done and cancel.set())

    assert [(r.url, r.status) for r in results] == [(good.url, "new")]
    assert len(lib.articles) == 2
    untouched = F.get_feed(store, slow.id)
    assert (untouched.last_status, untouched.last_fetched, untouched.etag) == (None, None, None)


def test_page_encoding_from_http_header_or_meta(server):
    page = (FIXTURES / "lighthouse.html").read_text(encoding="utf-8")
    # A few non-ASCII letters in a mostly-ASCII page: guessing would say cp1252
    # and turn them into mojibake; the declared charset must win.
    page = page.replace("Gull Point", "Gull Point (Маяк)").replace('<meta charset="utf-8">', "")
    server.routes["/header"] = (200, {"Content-Type": "text/html; charset=windows-1251"}, page.encode("cp1251"))
    meta = page.replace("<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r">')
    server.routes["/meta"] = (200, {"Content-Type": "text/html"}, meta.encode("koi8-r"))
    for path in ("/header", "/meta"):
        d = fetch_page(server.url(path), timeout=5)
        assert "The whitewashed cottage at Gull Point (Маяк), empty since" in d.body, path


def test_feed_furniture_is_stripped_but_prose_is_not():
    strip = feedparse._strip_feed_furniture
    assert strip("The cottage will open. [Read more…]") == "The cottage will open."
    assert strip("Text.\n\nThe post Ferry news appeared first on Harbourtown Gazette.") == "Text."
    assert strip("Nobody can read more than ten pages of it.") == "Nobody can read more than ten pages of it."
    # The general furniture rules for imported files apply to feed text too.
    assert strip("The board met on Monday and agreed the new timetable.\n\nShare on Facebook\n\n"
                 "Subscribe to our newsletter") == "The board met on Monday and agreed the new timetable."


def test_dns_failure_is_named(store, lib):
    F.add_feed(store, "http://newsdesk-feed-test.invalid/rss.xml")
    [r] = F.refresh(store, lib.save, timeout=2)
    assert r.status == "failed" and r.reason.startswith("DNS lookup failed for newsdesk-feed-test.invalid")


def test_failed_save_is_retried_next_time(server, store, lib):
    server.serve("/rss.xml", "rss.xml", etag='"v1"')
    server.serve("/pages/lighthouse.html", "lighthouse.html", ctype="text/html")
    feed = F.add_feed(store, server.url("/rss.xml"))

    def broken_save(drafts):
        raise OSError("disk full")

    [r] = F.refresh(store, broken_save, timeout=5)
    assert r.status == "failed" and r.reason == "could not save entries: disk full"
    assert F.get_feed(store, feed.id).etag is None  # validators only move after a save

    [r] = F.refresh(store, lib.save, timeout=5)
    assert (r.status, r.added) == ("new", 2)
    assert "If-None-Match" not in server.requests_for("/rss.xml")[-1]


# --------------------------------------------------------------------------
# Parsing and text


_LOL = ('<?xml version="1.0" encoding="{enc}"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n'
                  for i in range(1, 10))
        + ']>\n<rss version="2.0"><channel><title>Bomb</title><link>http://example.invalid/</link>'
        '<item><title>&lol9;</title><guid>lol</guid><description>&lol9;</description></item>'
        "</channel></rss>")


@pytest.mark.parametrize("codec, name", [
    ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16"),
    ("utf-32", "UTF-32"), ("utf-32-le", "UTF-32"), ("utf-32-be", "UTF-32"), ("utf-8", "UTF-8"),
])
def test_entity_declarations_are_refused_in_every_xml_encoding(codec, name):
    # UTF-16 and UTF-32 hide "<!ENTITY" from a byte search; an entry titled &lol9;
    # got through that way before.
    data = _LOL.format(enc=name).encode(codec)
    with pytest.raises(FeedError, match="declares XML entities"):
        parse_feed(data, "http://example.invalid/bomb")


def test_a_utf16_entity_bomb_saves_nothing(server, store, lib):
    server.routes["/bomb"] = (200, {"Content-Type": "application/rss+xml"},
                              _LOL.format(enc="UTF-16").encode("utf-16"))
    F.add_feed(store, server.url("/bomb"))
    [r] = F.refresh(store, lib.save, timeout=5)
    assert r.status == "failed" and "declares XML entities" in r.reason
    assert lib.articles == {}


def test_html_to_text_paragraphs_and_hostile_markup():
    html = ("<div><h2>Head</h2><p>One\n  two <b>three</b></p><script>bad()</script><!-- note -->"
            "<p>Line<br>break</p>tail text<style>p{}</style></div>"
            "<p>\x1b[31mred\x1b[0m [bold]not markup[/bold]</p>")
    assert html_to_text(html) == "Head\n\nOne two three\n\nLine\nbreak\n\ntail text\n\nred [bold]not markup[/bold]"
    deep = "<div>" * 5000 + "deep" + "</div>" * 5000
    assert html_to_text(deep) == "deep"
    assert html_to_text("plain\n\ntext &amp; more") == "plain\n\ntext &amp; more"


# --------------------------------------------------------------------------
# Through the real Library and the CLI


def _cli(capsys, *argv):
    import main

    code = main.main([str(a) for a in argv])
    return code, capsys.readouterr().out


def test_cli_feeds_refresh_search_and_add_page(server, tmp_path, capsys):
    import json

    from articles.library import Library

    server.serve("/rss.xml", "rss.xml", etag='"v1"')
    server.serve("/atom.xml", "atom.xml")
    server.serve("/pages/lighthouse.html", "lighthouse.html", ctype="text/html")
    server.routes["/dead.xml"] = (500, {"Content-Type": "text/plain"}, b"down")
    lib = tmp_path / "lib"
    common = ("--library", lib)
    assert _cli(capsys, "feeds", "add", server.url("/rss.xml"), "--tag", "local", *common)[0] == 0
    assert _cli(capsys, "feeds", "add", server.url("/atom.xml"), *common)[0] == 0
    assert _cli(capsys, "feeds", "add", server.url("/dead.xml"), *common)[0] == 0
    code, out = _cli(capsys, "feeds", "add", server.url("/rss.xml"), *common)
    assert code == 1 and out == ""  # "already subscribed" goes to stderr

    code, out = _cli(capsys, "refresh", "--json", "--no-entities", "--timeout", "5", *common)
    doc = json.loads(out)
    assert code == 1  # one feed failed, and scripts must be able to tell
    assert (doc["added"], doc["failed"]) == (5, 1)
    statuses = {f["url"].rsplit("/", 1)[1]: (f["status"], f["reason"]) for f in doc["feeds"]}
    assert statuses == {"rss.xml": ("new", None), "atom.xml": ("new", None),
                        "dead.xml": ("failed", "HTTP 500 Internal Server Error")}

    with Library(lib) as library:
        [hit] = library.search("puffins").hits  # the page fetched for a summary-only entry
        assert hit.title == "Lighthouse keeper's cottage to become a museum"
        feeds = {f.url: f for f in library.list_feeds()}
        assert (feeds[server.url("/rss.xml")].articles, feeds[server.url("/rss.xml")].unread) == (2, 2)
        count = library.count()

    code, out = _cli(capsys, "feeds", "list", "--json", *common)
    listed = {f["url"]: f for f in json.loads(out)["feeds"]}
    assert listed[server.url("/dead.xml")]["last_error"] == "HTTP 500 Internal Server Error"
    assert listed[server.url("/rss.xml")]["tag"] == "local"

    # The second refresh is all 304 / unchanged and the library is the same.
    server.routes["/dead.xml"] = (503, {"Content-Type": "text/plain"}, b"still down")
    code, out = _cli(capsys, "refresh", "--json", "--no-entities", "--timeout", "5", *common)
    assert [f["status"] for f in json.loads(out)["feeds"]].count("unchanged") == 2
    with Library(lib) as library:
        assert library.count() == count

    code, opml = _cli(capsys, "feeds", "export", *common)
    assert code == 0 and opml.count("xmlUrl=") == 3
    assert _cli(capsys, "feeds", "remove", server.url("/dead.xml"), *common)[0] == 0
    code, out = _cli(capsys, "feeds", "list", "--json", *common)
    assert len(json.loads(out)["feeds"]) == 2


def test_cli_add_single_page(server, tmp_path, capsys):
    import json

    pytest.importorskip("articles.readers", reason="`newsdesk add` needs the readers package")
    from articles.library import Library

    server.routes["/read-later"] = (302, {"Location": "/pages/lighthouse.html?from=share"}, b"")
    server.serve("/pages/lighthouse.html?from=share", "lighthouse.html", ctype="text/html")
    lib = tmp_path / "lib"
    code, out = _cli(capsys, "add", server.url("/read-later"), "--no-entities", "--json", "--library", lib)
    assert code == 0 and json.loads(out)["added"] == 1
    code, out = _cli(capsys, "add", server.url("/nowhere"), "--no-entities", "--json", "--library", lib)
    assert code == 1 and json.loads(out)["failed"] == [
        {"source": server.url("/nowhere"), "error": "HTTP 404 Not Found"}]
    with Library(lib) as library:
        [row] = library.rows()
        art = library.get(row.id)
    assert art.url == server.url("/pages/lighthouse.html?from=share")
    assert (art.title, art.author, art.date, art.source) == (
        "Lighthouse keeper's cottage to become a museum", "Jonas Abernethy", "2024-11-04", "Harbourtown Gazette")
