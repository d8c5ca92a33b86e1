"""The dossier, related and quotes screens, driven with Pilot, plus a snapshot of each."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import OptionList, Static

from articles.library import Library
from conftest import S000, S001, seed_drafts
from tui.screens.desk import DossierScreen, QuotesScreen, RelatedScreen

SIZE = (110, 34)


@pytest.fixture(scope="module")
def base_library(tmp_path_factory) -> Path:
    """The seeds under stable origins (so ids, and snapshots, are the same on every run)."""
    path = tmp_path_factory.mktemp("desk") / "lib"
    with Library(path) as lib:
        lib.add_drafts(seed_drafts(), entities=True)
        lib.stories()
    return path


@pytest.fixture()
def lib(lib_path):
    library = Library(lib_path)
    yield library
    library.close()


def seed_id(library, name: str) -> str:
    from articles.model import article_id

    return article_id(f"seed:{name}")


class Host(App):
    """Just the screen under test, on a given library; records what it was dismissed with."""

    def __init__(self, make_screen):
        super().__init__()
        self.make_screen = make_screen
        self.result = "not dismissed"

    def on_mount(self) -> None:
        self.push_screen(self.make_screen(), callback=self._done)

    def _done(self, result) -> None:
        self.result = result


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def test_dossier_lists_articles_and_opens_the_chosen_one(lib):
    app = Host(lambda: DossierScreen(lib, "Chang"))

    async def go():
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            screen = app.screen
            assert "Gordon Chang" in text_of(screen, "#desk-title")
            options = screen.query_one(OptionList)
            assert options.option_count == 1
            assert "2020-06" in text_of(screen, "#desk-summary")
            assert "Kim Jong Un" in text_of(screen, "#desk-summary")
            assert "One explanation is that Kim" in text_of(screen, "#desk-quote-text")
            await pilot.press("f")  # follow
            await settle(pilot)
            assert "following" in text_of(app.screen, "#desk-title")
            await pilot.press("enter")
            await pilot.pause()
        return app.result

    assert asyncio.run(go()) == seed_id(lib, S000)
    assert [f["name"] for f in lib.follows()] == ["Gordon Chang"]


def test_dossier_of_unknown_name_says_so_and_escape_closes(lib):
    app = Host(lambda: DossierScreen(lib, "Nobody Atall"))

    async def go():
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert "Nobody Atall" in text_of(app.screen, "#desk-title")
            await pilot.press("escape")
            await pilot.pause()
        return app.result

    assert asyncio.run(go()) is None


def test_related_puts_the_other_version_first(lib):
    app = Host(lambda: RelatedScreen(lib, seed_id(lib, S000)))

    async def go():
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            options = app.screen.query_one(OptionList)
            assert options.option_count == 4
            first = str(options.get_option_at_index(0).prompt)
            assert "same story" in first and "David Maxwell" in first
            await pilot.press("enter")
            await pilot.pause()
        return app.result

    assert asyncio.run(go()) == seed_id(lib, S001)


def test_quotes_screen_marks_conflicting_attribution(lib):
    app = Host(lambda: QuotesScreen(lib, seed_id(lib, S001)))

    async def go():
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            shown = text_of(app.screen, "#desk-quote-text")
            assert "Daily Beast" in shown and "also attributed to Gordon Chang" in shown
            assert "David Maxwell" in shown

    asyncio.run(go())


async def _settled(pilot) -> None:
    await settle(pilot)


def test_snapshot_dossier(lib, snap_compare):
    assert snap_compare(Host(lambda: DossierScreen(lib, "David Maxwell")), terminal_size=SIZE,
                        run_before=_settled)


def test_snapshot_related(lib, snap_compare):
    assert snap_compare(Host(lambda: RelatedScreen(lib, seed_id(lib, S001))), terminal_size=SIZE,
                        run_before=_settled)


def test_snapshot_quotes(lib, snap_compare):
    assert snap_compare(Host(lambda: QuotesScreen(lib, seed_id(lib, S000))), terminal_size=SIZE,
                        run_before=_settled)


def test_story_screen_shows_each_version_and_what_it_adds(lib):
    from tui.screens.desk import StoryScreen

    app = Host(lambda: StoryScreen(lib, seed_id(lib, S001)))

    async def go():
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            options = app.screen.query_one(OptionList)
            assert options.option_count == 2
            original = str(options.get_option_at_index(0).prompt)
            rereport = str(options.get_option_at_index(1).prompt)
            assert "The major failure for Kim Jong Un" in original
            assert "Raw Story" in rereport
            await pilot.press("down", "enter")
            await pilot.pause()
        return app.result

    assert asyncio.run(go()) == seed_id(lib, S001)


def test_app_keys_open_desk_views(lib):
    from tui.snapshot_app import build_app

    app = build_app(lib.path)

    async def go():
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.open_article(seed_id(lib, S000))
            await settle(pilot)
            app.reader.focus()
            for key, screen in (("r", RelatedScreen), ("w", QuotesScreen)):
                await pilot.press(key)
                await settle(pilot)
                assert isinstance(app.screen, screen)
                assert app.screen.data is not None  # loaded for the open article
                await pilot.press("escape")
                await settle(pilot)
                assert not isinstance(app.screen, screen)
            await pilot.press("e")  # entity sidebar, first entity highlighted
            await settle(pilot)
            await pilot.press("d")
            await settle(pilot)
            assert isinstance(app.screen, DossierScreen)
            assert app.screen.data[0]["entity"]["articles"] >= 1
            await pilot.press("escape")
            await settle(pilot)
            # Choosing an article in a desk view opens it in the reader.
            app.reader.focus()
            await pilot.press("r")
            await settle(pilot)
            await pilot.press("enter")  # the other version of the story, ranked first
            await settle(pilot)
            assert not isinstance(app.screen, RelatedScreen)
            assert app.reader.article.id == seed_id(lib, S001)

    asyncio.run(go())


def test_follows_list_shows_unread_counts_and_posts_choice(lib):
    from tui.widgets.follows import FollowsList

    lib.follow("Maxwell")
    lib.follow("Kim Jong Un")
    lib.set_read(seed_id(lib, S000))
    chosen = []

    class FollowsHost(App):
        def compose(self):
            yield FollowsList()

        def on_mount(self) -> None:
            self.query_one(FollowsList).refresh_follows(lib)
            self.query_one(FollowsList).focus()

        def on_follows_list_chosen(self, message) -> None:
            chosen.append(message.name)

    app = FollowsHost()

    async def go():
        async with app.run_test(size=(40, 10)) as pilot:
            await pilot.pause()
            widget = app.query_one(FollowsList)
            rows = [str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)]
            assert rows[0].startswith("David Maxwell") and rows[0].rstrip().endswith(" 1")
            assert rows[1].startswith("Kim Jong Un") and rows[1].rstrip().endswith(" 4")
            await pilot.press("down", "enter")
            await pilot.pause()

    asyncio.run(go())
    assert chosen == ["David Maxwell"]
