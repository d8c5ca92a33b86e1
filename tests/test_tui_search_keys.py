"""Search keys typed ahead of the results, the suggestion key, and actions that
apply to the article on screen after a search."""

from __future__ import annotations

from conftest import SIZE, flat, ids_by_origin, run, screen_text, searched, settle
from tui.snapshot_app import build_app
from tui.widgets.article_list import ArticleList
from tui.widgets.reader import ReaderView
from tui.widgets.search_pane import HitList, SearchPane


def test_down_enter_typed_before_results_open_the_first_hit(lib_path):
    ids = ids_by_origin(lib_path)

    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            # No pause: the keys arrive while the debounced search has not run.
            await pilot.press("slash", *"pyongyang", "down", "enter")
            await pilot.pause(0.4)
            await settle(pilot)
            await pilot.pause()
            return app.query_one(ReaderView).article

    article = run(flow())
    assert article is not None and article.id == ids["test:summit"]


def test_enter_alone_before_results_goes_to_the_hits(lib_path):
    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("slash", *"london", "enter")
            await pilot.pause(0.4)
            await settle(pilot)
            await pilot.pause()
            return app.focused is app.query_one(HitList), app.query_one(ReaderView).article

    focused_hits, article = run(flow())
    assert focused_hits
    assert article is None or "London" not in article.title  # nothing opened by itself


def test_tab_takes_the_suggestion_and_searches_it(lib_path):
    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await searched(pilot, "pyongyng")
            pane = app.query_one(SearchPane)
            info, _ = screen_text(pane.query_one("#search-info"))
            assert "did you mean: pyongyang (Tab)" in flat(info)
            await pilot.press("tab")
            await pilot.pause(0.4)
            await settle(pilot)
            return pane.input.value, pane.results.total, app.focused is pane.input

    value, total, still_in_box = run(flow())
    assert value == "pyongyang" and total == 1 and still_in_box


def test_star_after_search_acts_on_the_article_on_screen_and_names_it(lib_path):
    ids = ids_by_origin(lib_path)

    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.query_one(ArticleList)
            first_row = lst.current_row.id
            await searched(pilot, "pyongyang")
            await pilot.press("enter", "enter")  # to the hits, open
            await pilot.pause()
            await pilot.press("escape")  # back to the list
            await pilot.pause()
            status, _ = screen_text(app.query_one("#status"))
            await pilot.press("s")
            await pilot.pause()
            toasts = [str(n.message) for n in app._notifications]
            return first_row, lst.current_row.id, toasts, status

    first_row, cursor, toasts, status = run(flow())
    assert first_row != ids["test:summit"]
    assert cursor == ids["test:summit"], "the list follows the article opened from search"
    assert "Starred: Summit in Pyongyang ends without a deal" in toasts
    assert "match" not in status, "the reader's match counter leaves with the search"
    from articles.library import Library

    with Library(lib_path) as lib:
        assert lib.get(ids["test:summit"]).starred
        assert not lib.get(first_row).starred


def test_status_under_search_describes_the_search_not_the_list(lib_path):
    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            before, _ = screen_text(app.query_one("#status"))
            await pilot.press("slash")
            await pilot.pause()
            during, _ = screen_text(app.query_one("#status"))
            return flat(before), flat(during)

    before, during = run(flow())
    assert "4 shown" in before
    assert "shown" not in during and "searching the whole library" in during


def test_bad_query_is_explained_with_its_column_in_the_pane(lib_path):
    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await searched(pilot, "foo:bar")
            info, _ = screen_text(app.query_one(SearchPane).query_one("#search-info"))
            return flat(info)

    info = run(flow())
    assert "unknown field 'foo' at column 1" in info


def test_down_enter_back_to_back_on_shown_results_opens_the_hit(lib_path):
    ids = ids_by_origin(lib_path)

    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await searched(pilot, "pyongyang")
            app.query_one(SearchPane).action_to_hits()  # ↓, with Enter queued before focus moves
            await app.query_one(SearchPane).input.action_submit()
            await pilot.pause()
            await settle(pilot)
            return app.query_one(ReaderView).article

    article = run(flow())
    assert article is not None and article.id == ids["test:summit"]
