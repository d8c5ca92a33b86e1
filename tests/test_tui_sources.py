"""The reader's "Sourced from:" line and the key that opens the credited report (Pilot)."""

from __future__ import annotations

from articles.library import Library
from articles.model import article_id
from test_sourcing import CREDITING, ORIGINAL
from conftest import S001, SIZE, flat, run, screen_text, settle
from tui.snapshot_app import build_app
from tui.widgets.article_list import ArticleList
from tui.widgets.reader import ReaderView


def test_reader_shows_sourced_from_and_c_opens_the_credited_report(tmp_path):
    path = tmp_path / "lib"
    with Library(path) as lib:
        lib.add_drafts([CREDITING, ORIGINAL])
    crediting, original = article_id(CREDITING.origin), article_id(ORIGINAL.origin)

    async def flow():
        app = build_app(path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.query_one(ArticleList)
            assert lst.current_row.id == crediting  # newest first
            await pilot.press("enter")
            await settle(pilot)  # the credits are found by a worker
            reader = app.query_one(ReaderView)
            text = flat(screen_text(reader)[0])
            assert "Lakeside Daily · 2024-05-02 Sourced from: Harbour Times (Jane Ortiz) [in library]" in text
            assert "(c opens it)" in text
            await pilot.press("c")
            await settle(pilot)
            assert reader.article.id == original
            shown = flat(screen_text(reader)[0])
            assert "Tidewater Lines to end" in shown and "Sourced from" not in shown

    run(flow())


def test_versions_screen_marks_the_seed_re_reports_with_their_credit_chain(tmp_path):
    import asyncio

    from textual.widgets import OptionList

    from conftest import seed_drafts
    from test_desk_screens import Host
    from tui.screens.desk import StoryScreen

    path = tmp_path / "lib"
    with Library(path) as lib:
        lib.add_drafts(seed_drafts())
    lib = Library(path)
    s001 = article_id(f"seed:{S001}")
    app = Host(lambda: StoryScreen(lib, s001))

    async def go():
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            options = app.screen.query_one(OptionList)
            prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
            assert len(prompts) == 2
            assert "re-report of Daily Beast" in prompts[0]
            assert "re-report of Raw Story → The Daily Beast" in prompts[1]

    try:
        asyncio.run(go())
    finally:
        lib.close()
