"""Snapshots of the reader on the shipped sample library, at 200x50, 120x36 and 80x24.

The library (samples + entity stage) is built once per session and copied per
test; nothing on screen depends on the machine (no clock, no absolute path).
Regenerate with `--snapshot-update` only after looking at the new screens.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tui.widgets.key_bar import KeyBar

from articles.library import Library
from tui.snapshot_app import build_app

SIZES = [pytest.param((200, 50), id="200x50"), pytest.param((120, 36), id="120x36"),
         pytest.param((80, 24), id="80x24")]
from conftest import SAMPLES


@pytest.fixture(scope="session")
def sample_library(tmp_path_factory) -> Path:
    if not any(SAMPLES.glob("*.md")):
        pytest.skip("no sample articles shipped in articles/samples")
    path = tmp_path_factory.mktemp("tui-samples") / "lib"
    with Library(path) as lib:
        lib.add_samples()
        lib.run_entity_stage()
    return path


@pytest.fixture()
def app(sample_library, tmp_path):
    dest = tmp_path / "lib"
    shutil.copytree(sample_library, dest)
    return build_app(dest)


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    # The key bar looks at what is possible twice a second; a snapshot must not
    # depend on whether that tick came before it.
    for bar in pilot.app.screen.query(KeyBar):
        bar._check_keys()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_main_screen_with_article_open(snap_compare, app, size):
    async def before(pilot):
        await _settle(pilot)
        await pilot.press("enter")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_search_with_results(snap_compare, app, size):
    async def before(pilot):
        await _settle(pilot)
        await pilot.press("slash", *"dockers strike")
        await pilot.pause(0.4)  # the as-you-type debounce
        await _settle(pilot)
        await pilot.press("enter")  # focus the hits (no blinking cursor in the shot)
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_entity_filter(snap_compare, app, size):
    async def before(pilot):
        await _settle(pilot)
        await pilot.press("enter", "e", "down", "down")  # second person: mentions highlighted
        await _settle(pilot)
        await pilot.press("enter")  # filter the list to every article mentioning it
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, app, size):
    async def before(pilot):
        await _settle(pilot)
        await pilot.press("question_mark")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_overview_before_anything_is_open(snap_compare, app, size):
    """The first screen: the library at a glance in the middle pane."""
    async def before(pilot):
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_light_theme_with_article_open(snap_compare, app, size):
    async def before(pilot):
        await _settle(pilot)
        pilot.app.theme = "solarized-light"
        await pilot.press("enter")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.fixture()
def worked_app(sample_library, tmp_path):
    """The samples with the newest article highlighted (one with a note, one
    whose text an edit took away: orphaned) and annotated, at fixed times."""
    from articles.store.highlights import add_highlight

    dest = tmp_path / "lib"
    shutil.copytree(sample_library, dest)
    with Library(dest) as lib:
        aid = lib.rows()[0].id
        # Two sentences near the end, on screen with the list under the article.
        lib.add_highlight(aid, "The survey will be repeated next spring.", note="the lede: check the numbers")
        lib.add_highlight(aid, "volunteer divers with at least fifty logged dives")
        add_highlight(lib.store, aid, "A sentence an editor later cut.", "", "", 0, "kept, orphaned", 0.0)
        lib.add_note(aid, "Ask the union for its own count of [b]pickets[/b].")
        lib.add_note(aid, "Second source needed before the briefing.")
        with lib.store.transaction() as conn:  # no clock on screen
            conn.execute("UPDATE article_notes SET created = 1767225600 + id * 3600")
    return build_app(dest)


@pytest.mark.parametrize("size", SIZES)
def test_article_with_highlights_and_notes(snap_compare, worked_app, size):
    async def before(pilot):
        await _settle(pilot)
        await pilot.press("enter")
        await _settle(pilot)
        await pilot.press("tab", "end")  # down to the highlights and notes under the article
        await _settle(pilot)

    assert snap_compare(worked_app, terminal_size=size, run_before=before)
