"""Feeds in the reader: the feeds view, the feed/tag filter, refreshing from the
TUI against a real HTTP server on 127.0.0.1, and reading with no network at all.

The feeds and pages are the fixtures of tests/test_feeds.py, served by its
FeedServer; nothing here is mocked except, in the offline test, the socket
layer itself (to prove nothing tries to connect).
"""

from __future__ import annotations

import asyncio
import errno
import socket
import sys
import threading
from pathlib import Path

import pytest
from textual.widgets import ContentSwitcher, Static

from articles.library import Library
from articles.model import Draft
from test_feeds import FeedServer
from tui.app import NewsdeskApp
from tui.config import TuiConfig
from tui.screens.dialogs import PromptDialog
from tui.snapshot_app import build_app
from tui.widgets.article_list import ArticleList
from tui.widgets.feed_list import FeedOptions, FeedPane
from tui.widgets.reader import ReaderView
from tui.widgets.search_pane import HitList

SIZE = (120, 36)

LOCAL_DRAFT = Draft(title="Parish newsletter kept from a file", origin="test:newsletter", source="Parish",
                    date="2024-01-10", body="The bell tower fund reached its target in January.")


def run(coro):
    return asyncio.run(coro)


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def serve_fixtures(server: FeedServer) -> None:
    server.serve("/rss.xml", "rss.xml", etag='"v1"')
    server.serve("/atom.xml", "atom.xml", ctype="application/atom+xml")
    server.serve("/pages/lighthouse.html", "lighthouse.html", ctype="text/html; charset=utf-8")


def subscribe(path: Path, server: FeedServer) -> None:
    with Library(path) as lib:
        lib.add_drafts([LOCAL_DRAFT])
        lib.add_feed(server.url("/rss.xml"), tag="town")
        lib.add_feed(server.url("/atom.xml"), tag="science")


@pytest.fixture
def server():
    s = FeedServer()
    serve_fixtures(s)
    yield s
    s.close()


@pytest.fixture
def fetched(tmp_path) -> Path:
    """A library whose feeds were fetched from a local server that is now gone."""
    s = FeedServer()
    serve_fixtures(s)
    path = tmp_path / "lib"
    try:
        subscribe(path, s)
        with Library(path) as lib:
            results = lib.refresh_feeds(entities=False, timeout=5)
        assert [r.status for r in results] == ["new", "new"]
    finally:
        s.close()
    return path


def library_state(path: Path) -> dict[str, tuple]:
    with Library(path) as lib:
        return {r[0]: r[1:] for r in lib.store.conn.execute(
            "SELECT id, title, body, feed_id, read, starred FROM articles")}


def option_index(options: FeedOptions, option_id: str) -> int:
    for i in range(options.option_count):
        if options.get_option_at_index(i).id == option_id:
            return i
    raise AssertionError(f"no option {option_id!r} in the feeds view")


def option_text(options: FeedOptions, option_id: str) -> str:
    return options.get_option_at_index(option_index(options, option_id)).prompt.plain


def feed_ids(path: Path) -> dict[str, int]:
    with Library(path) as lib:
        return {(f.title or f.url): f.id for f in lib.list_feeds()}


async def choose(pilot, option_id: str) -> None:
    options = pilot.app.query_one(FeedOptions)
    options.highlighted = option_index(options, option_id)
    await pilot.press("enter")
    await pilot.pause()


def status_text(app) -> str:
    return str(app.query_one("#status", Static).render())


# -- offline ------------------------------------------------------------------
@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to connect or resolve a name fails, and is recorded."""
    attempts: list = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError(errno.ENETUNREACH, "Network is unreachable")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_opens_lists_searches_and_reads_with_the_network_unreachable(fetched, no_network):
    before = library_state(fetched)

    async def search_and_read():
        app = build_app(fetched)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.query_one(ArticleList)
            assert lst.total == 6  # five feed entries and the local article
            titles = {lst.row(i).title for i in range(lst.total)}
            assert "Lighthouse keeper's cottage to become a museum" in titles
            await pilot.press("slash", *"ferry")
            await pilot.pause(0.4)  # the search box's debounce
            await settle(pilot)
            assert app.query_one(HitList).option_count == 1
            await pilot.press("enter", "enter")
            await pilot.pause()
            reader = app.query_one(ReaderView)
            assert reader.article.title == "Ferry timetable changes for the winter season"
            assert "The island ferry will run four times a day" in reader.body

    async def read_the_saved_page_filter_and_refresh():
        app = build_app(fetched)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.query_one(ArticleList)
            # The summary-only entry reads in full: its page was saved at refresh time.
            lst.cursor = next(i for i in range(lst.total) if lst.row(i).title.startswith("Lighthouse"))
            await pilot.press("enter")
            await pilot.pause()
            reader = app.query_one(ReaderView)
            assert "the town council decided on Monday" in reader.body
            assert "Cookie settings" not in reader.body
            # The feeds view and its filter are local too.
            await pilot.press("F")
            await pilot.pause()
            await choose(pilot, "tag:science")
            assert lst.total == 3
            assert no_network == []  # nothing so far touched the network

            # A refresh with no network: every feed fails, with its reason.
            await pilot.press("R")
            await settle(pilot)
            return app.feed_results, [n.message for n in app._notifications]

    run(search_and_read())
    with Library(fetched) as lib:
        # Start the second run with an empty reader: opening a second article
        # in one run is not what this test is about.
        lib.state_set("last_article", None)
    results, notes = run(read_the_saved_page_filter_and_refresh())
    assert no_network, "the refresh did try to connect"
    assert [r.status for r in results] == ["failed", "failed"]
    assert all(r.reason for r in results)
    assert any("2 failed" in n for n in notes)
    after = library_state(fetched)
    assert after.keys() == before.keys()
    assert {k: v[:3] for k, v in after.items()} == {k: v[:3] for k, v in before.items()}


def test_refresh_against_a_dead_server_reports_each_feed_and_keeps_the_library(fetched):
    before = library_state(fetched)

    async def flow():
        app = build_app(fetched)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("F")
            await pilot.pause()
            await pilot.press("R")
            await settle(pilot)
            pane = app.query_one(FeedPane)
            options = pane.options
            rows = {oid: option_text(options, oid) for oid in
                    (f"feed:{f.id}" for f in pane.feeds)}
            options.highlighted = option_index(options, f"feed:{pane.feeds[0].id}")
            await pilot.pause()
            detail = str(pane.query_one("#feeds-detail", Static).render())
            notes = [n.message for n in app._notifications]
            total = app.query_one(ArticleList).total
        return app.feed_results, rows, detail, notes, total

    results, rows, detail, notes, total = run(flow())
    assert [r.status for r in results] == ["failed", "failed"]
    for r in results:
        assert r.reason and "refused" in r.reason.lower(), r.reason
    # Each failed feed is marked in the view, and the highlighted one says why.
    assert all(text.lstrip().startswith("!") for text in rows.values()), rows
    assert "failed:" in detail and "refused" in detail.lower()
    failure_note = next(n for n in notes if "refused" in n.lower())
    assert "Harbourtown Gazette" in failure_note and "Valley Observatory Notes" in failure_note
    assert total == 6
    assert library_state(fetched) == before


# -- the feeds view -------------------------------------------------------------
def test_feeds_view_shows_unread_counts_and_filters_by_feed_and_tag(fetched):
    ids = feed_ids(fetched)

    async def flow():
        app = build_app(fetched)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.query_one(ArticleList)
            assert lst.total == 6
            # Read one Harbourtown article: its feed's unread count drops.
            lst.cursor = next(i for i in range(lst.total) if lst.row(i).title.startswith("Ferry"))
            await pilot.press("enter")
            await pilot.pause()

            await pilot.press("F")
            await pilot.pause()
            assert app.query_one(ContentSwitcher).current == "feeds"
            options = app.query_one(FeedOptions)
            assert app.focused is options
            counts = {
                "all": option_text(options, "all").split()[-1],
                "town": option_text(options, "tag:town").split()[-1],
                "gazette": option_text(options, f"feed:{ids['Harbourtown Gazette']}").split()[-1],
                "observatory": option_text(options, f"feed:{ids['Valley Observatory Notes']}").split()[-1],
            }
            assert "4 unread" in str(app.query_one("#feeds-title", Static).render())
            help_ids = {row[2] for name, rows in app.binding_sections() for row in rows}
            assert {"feeds", "refresh_feeds", "feeds.add", "feeds.close"} <= help_ids

            await choose(pilot, f"feed:{ids['Harbourtown Gazette']}")
            assert app.query_one(ContentSwitcher).current == "list"
            assert app.focused is lst
            gazette = sorted(lst.row(i).title for i in range(lst.total))
            assert "filter: feed Harbourtown Gazette" in status_text(app)

            await pilot.press("escape")  # clears the filter
            cleared = lst.total

            await pilot.press("F")
            await pilot.pause()
            await choose(pilot, "all")
            every_feed = lst.total

            await pilot.press("F")
            await pilot.pause()
            await choose(pilot, "tag:science")
            science = sorted(lst.row(i).title for i in range(lst.total))
            assert "filter: tag science" in status_text(app)

            await pilot.press("F")
            await pilot.pause()
            await pilot.press("escape")  # closes the view, keeps the filter
            still = lst.total
            assert app.query_one(ContentSwitcher).current == "list"
        return counts, gazette, cleared, every_feed, science, still

    counts, gazette, cleared, every_feed, science, still = run(flow())
    assert counts == {"all": "4", "town": "1", "gazette": "1", "observatory": "3"}
    assert gazette == ["Ferry timetable changes for the winter season",
                       "Lighthouse keeper's cottage to become a museum"]
    assert cleared == 6
    assert every_feed == 5  # not the article imported from a file
    assert science == ["Clear skies bring record attendance at open night",
                       "Telescope mirror sent away for recoating", "Volunteer rota for the winter talks"]
    assert still == 3


def test_refresh_in_the_tui_from_a_local_server_while_reading(tmp_path, server):
    """R fetches in a worker with progress in the status line; the reader stays
    usable meanwhile; new articles arrive with entities found by the CLI in a
    subprocess, never by spaCy in this process."""
    path = tmp_path / "lib"
    subscribe(path, server)
    gate = threading.Event()
    rss = server.fixture("rss.xml")

    def stalled_rss(req):
        gate.wait(30)  # held until the test has read an article meanwhile
        req._send(200, {"Content-Type": "application/rss+xml"}, rss)

    server.routes["/rss.xml"] = stalled_rss
    spacy_loaded = "spacy" in sys.modules

    async def flow():
        lib = Library(path, create=False)
        app = NewsdeskApp(lib, TuiConfig(), run_entity_stage=True)
        try:
            async with app.run_test(size=SIZE) as pilot:
                await app.workers.wait_for_complete()  # the index check at start-up
                await pilot.pause()
                lst = app.query_one(ArticleList)
                assert lst.total == 1
                await pilot.press("R")
                await pilot.pause()
                assert "refreshing" in status_text(app)
                # Keep reading while the refresh waits on the server.
                await pilot.press("enter")
                await pilot.pause()
                assert app.query_one(ReaderView).article.title == LOCAL_DRAFT.title
                await pilot.press("R")  # a second refresh is refused, not started
                await pilot.pause()
                assert app.refreshing
                assert any("already being refreshed" in n.message for n in app._notifications)
                gate.set()
                await settle(pilot)
                assert not app.refreshing
                assert "refreshing" not in status_text(app)
                titles = sorted(lst.row(i).title for i in range(lst.total))
                notes = [n.message for n in app._notifications]
                results = app.feed_results
        finally:
            gate.set()
            lib.close()
        return titles, notes, results

    titles, notes, results = run(flow())
    assert {r.title: (r.status, r.added) for r in results} == {
        "Harbourtown Gazette": ("new", 2), "Valley Observatory Notes": ("new", 3)}
    assert len(titles) == 6 and "Ferry timetable changes for the winter season" in titles
    assert any("2 feeds refreshed: 5 new articles" in n for n in notes), notes
    assert len(server.requests_for("/rss.xml")) == 1
    with Library(path) as lib:
        ferry = next(r for r in lib.rows() if r.title.startswith("Ferry"))
        names = {e.name for e in lib.article_entities(ferry.id)}
    assert "Tomasz Ferreira" in names
    if not spacy_loaded:
        assert "spacy" not in sys.modules


def test_palette_adds_a_feed_and_fetches_it(tmp_path, server):
    path = tmp_path / "lib"
    with Library(path) as lib:
        lib.add_drafts([LOCAL_DRAFT])

    async def flow():
        app = build_app(path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"add feed")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, PromptDialog)
            await pilot.press(*f"{server.url('/atom.xml')} science", "enter")
            await settle(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"feeds view")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await settle(pilot)
            options = app.query_one(FeedOptions)
            tag_row = option_text(options, "tag:science")
            return app.query_one(ContentSwitcher).current, tag_row, app.query_one(ArticleList).total

    current, tag_row, total = run(flow())
    assert current == "feeds"
    assert tag_row.split() == ["#", "science", "3"]
    assert total == 4
    with Library(path) as lib:
        [feed] = lib.list_feeds()
    assert (feed.title, feed.tag, feed.unread) == ("Valley Observatory Notes", "science", 3)


def test_bad_feed_address_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "lib"
    with Library(path) as lib:
        lib.add_drafts([LOCAL_DRAFT])

    async def flow():
        app = build_app(path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.action_add_feed()
            await pilot.pause()
            await pilot.press(*"ftp://example.org/feed", "enter")
            await pilot.pause()
            return str(app.screen.query_one("#error-message", Static).render())

    message = run(flow())
    assert "ftp" in message.lower()
    with Library(path) as lib:
        assert lib.list_feeds() == []


# -- snapshot -------------------------------------------------------------------
@pytest.fixture
def snapshot_library(tmp_path) -> Path:
    """Fixed feeds and articles (no network except one refused connection, to
    show a failed feed); nothing on screen depends on the machine or the clock."""
    path = tmp_path / "lib"
    with socket.socket() as s:  # a local port with nobody listening
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/feed.xml"
    with Library(path) as lib:
        town = lib.add_feed("https://harbourtown.example/rss.xml", tag="town")
        sky = lib.add_feed("https://observatory.example/atom.xml", tag="science")
        lib.add_feed(dead)
        drafts = [
            Draft(title="Ferry timetable changes for the winter season", origin="snap:ferry",
                  source="harbourtown.example", date="2024-11-05", feed_id=town.id,
                  body="The island ferry will run four times a day from December."),
            Draft(title="Lighthouse keeper's cottage to become a museum", origin="snap:lighthouse",
                  source="harbourtown.example", date="2024-11-04", feed_id=town.id,
                  body="The cottage at Gull Point will open to visitors next spring."),
            Draft(title="Clear skies bring record attendance at open night", origin="snap:open-night",
                  source="observatory.example", date="2024-10-20", feed_id=sky.id,
                  body="More than three hundred people queued at the observatory."),
            LOCAL_DRAFT,
        ]
        lib.add_drafts(drafts)
        lib.set_read(next(r.id for r in lib.rows() if r.title.startswith("Lighthouse")), True)
        [result] = lib.refresh_feeds([dead], entities=False, timeout=5)
        assert result.status == "failed"
    return path


def test_snapshot_feeds_view(snapshot_library, snap_compare):
    async def open_feeds(pilot):
        await settle(pilot)
        await pilot.press("F")
        await pilot.pause()
        pane = pilot.app.query_one(FeedPane)
        town = next(f for f in pane.feeds if f.tag == "town")
        pane.options.highlighted = option_index(pane.options, f"feed:{town.id}")  # its details show
        await pilot.pause()

    assert snap_compare(build_app(snapshot_library), terminal_size=SIZE, run_before=open_feeds)
