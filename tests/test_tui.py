"""The reader app, driven with Textual's Pilot on real libraries in tmp dirs."""

from __future__ import annotations


import pytest

from rich.text import Text

from articles.library import Library
from articles.model import Draft
from tui.app import NewsdeskApp
from tui.config import TuiConfig, load_config
from tui.screens.help import HelpScreen
from tui.snapshot_app import build_app
from tui.widgets.article_list import ArticleList
from tui.widgets.entity_sidebar import EntityOptions
from tui.widgets.reader import ReaderView
from tui.widgets.search_pane import HitList, SearchPane

from conftest import SEEDS, SIZE, flat, ids_by_origin, run, screen_text, searched, settle


def _plain(renderable) -> str:
    from rich.console import Console

    console = Console(width=100, record=True, file=open("/dev/null", "w"))
    console.print(renderable)
    return console.export_text()


# -- flows ----------------------------------------------------------------------
def test_open_article_marks_read_and_shows_it(lib_path):
    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.query_one(ArticleList)
            assert lst.total == 4
            first = lst.current_row
            assert first.title.startswith("Markets calm")  # newest first
            assert not first.read
            await pilot.press("enter")
            await pilot.pause()
            reader = app.query_one(ReaderView)
            assert reader.article.id == first.id
            text = flat(screen_text(reader)[0])
            assert "Markets calm as central bank holds rates" in text
            assert "Finance Daily · 2021-03-02" in text
            assert "The central bank in London kept rates unchanged." in text
            assert lst.current_row.read
        return first.id

    aid = run(flow())
    with Library(lib_path) as lib:
        assert lib.get(aid).read
        assert lib.state_get("last_article") == aid


def test_star_and_toggle_read_persist_after_restart(lib_path):
    async def first_run():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("j", "enter")  # open the 2nd article: marks it read
            await pilot.press("s")  # star it (list has focus: acts on its row)
            await pilot.press("j", "m")  # 3rd: mark read without opening
            await pilot.press("j", "m", "m")  # 4th: read then unread again
            await pilot.pause()
            rows = [app.query_one(ArticleList).row(i) for i in range(4)]
            return [(r.id, r.read, r.starred) for r in rows]

    before = run(first_run())
    assert [(read, star) for _, read, star in before] == [
        (False, False), (True, True), (True, False), (False, False)]

    async def second_run():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.query_one(ArticleList)
            rows = [lst.row(i) for i in range(4)]
            # The last article open comes back in the reader, with the list on it.
            return [(r.id, r.read, r.starred) for r in rows], app.query_one(ReaderView).article.id, \
                lst.current_row.id

    after, reopened, cursor = run(second_run())
    assert after == before
    assert reopened == before[1][0] == cursor


def test_search_as_you_type_and_open_hit_with_terms(lib_path):
    ids = ids_by_origin(lib_path)

    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("slash")
            pane = app.query_one(SearchPane)
            assert app.focused is pane.input
            await pilot.press(*"pyongyang")
            await pilot.pause(0.4)  # the debounce
            await settle(pilot)
            hits = app.query_one(HitList)
            assert hits.option_count == 1
            assert pane.results.total == 1
            prompt = hits.get_option_at_index(0).prompt
            assert isinstance(prompt, Text) and "Summit in Pyongyang" in prompt.plain
            await pilot.press("enter")  # to the hits
            assert app.focused is hits
            await pilot.press("enter")  # open
            await pilot.pause()
            reader = app.query_one(ReaderView)
            assert reader.article.id == ids["test:summit"]
            body = reader.body
            assert [body[s:e] for s, e in reader.matches] == ["Pyongyang", "Pyongyang"]
            assert reader.current_match == 0
            await pilot.press("n")
            assert reader.current_match == 1
            await pilot.press("n")
            assert reader.current_match == 0  # wraps
            await pilot.press("N")
            assert reader.current_match == 1

    run(flow())


def test_search_shows_did_you_mean_and_bad_query_message(lib_path):
    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await searched(pilot, "pyongyng")
            pane = app.query_one(SearchPane)
            info, _ = screen_text(pane.query_one("#search-info"))
            assert "did you mean: pyongyang" in info
            await pilot.press(*(["backspace"] * 8), *"date:[2020 TO")
            await pilot.pause(0.4)
            await settle(pilot)
            info, _ = screen_text(pane.query_one("#search-info"))
            assert info.strip(), "a query error is explained in the pane, not a crash"
            assert not isinstance(app.screen, HelpScreen)

    run(flow())


def test_stale_search_results_are_not_shown(lib_path):
    """A slow search finishing after the user typed on must not replace newer results."""
    from tui.app import SearchDone

    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await searched(pilot, "london")
            pane = app.query_one(SearchPane)
            assert pane.results.query == "london"
            stale = app.library.search("pyongyang")
            app.post_message(SearchDone("pyongyang", stale))
            await pilot.pause()
            assert pane.results.query == "london"

    run(flow())


def test_untrusted_text_is_shown_literally_and_escapes_stripped(lib_path):
    ids = ids_by_origin(lib_path)

    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.query_one(ArticleList)
            lst.cursor = lst.index_of(ids["test:hostile"])
            await pilot.pause()
            list_text, list_segs = screen_text(lst)
            await pilot.press("enter")
            await pilot.pause()
            reader_text, reader_segs = screen_text(app.query_one(ReaderView))
            return list_text, list_segs, flat(reader_text), reader_segs

    list_text, list_segs, reader_text, reader_segs = run(flow())
    assert "Hostile [bold red]x[/]" in list_text
    assert "Hostile [bold red]x[/] title end" in reader_text
    assert "Evil [b]Feed[/b]" in reader_text
    assert "Markup [bold red]x[/] must stay literal." in reader_text
    assert "[link=file:///etc/passwd]click[/link]" in reader_text
    assert "Escapes gone and cleared." in reader_text
    for text in (list_text, reader_text):
        assert "\x1b" not in text and "\x07" not in text and "pwned" not in text and "title\x07" not in text
    for seg in list_segs + reader_segs:
        assert seg.style is None or not seg.style.link, "no hyperlink may come from article text"
        assert "\x1b" not in seg.text


def test_long_titles_are_cut_with_an_ellipsis(lib_path):
    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            lst = app.query_one(ArticleList)
            text, _ = screen_text(lst)
            return text, lst.size.width

    text, width = run(flow())
    line = next(ln for ln in text.splitlines() if "A very long head" in ln)
    assert line.rstrip().endswith("…")
    assert len(text.splitlines()) > 3 and all(len(ln) <= width for ln in text.splitlines())


def test_help_screen_lists_every_binding(lib_path):
    async def flow():
        app = build_app(lib_path, keymap={"star": "f"})
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            sections = app.binding_sections()
            shown = "\n".join(_plain(w.content) for w in app.screen.query("Static"))
            await pilot.press("escape")
            await pilot.pause()
            return sections, shown, app.screen

    sections, shown, after = run(flow())
    assert not isinstance(after, HelpScreen)
    ids = {binding_id for _, rows in sections for _, _, binding_id in rows}
    for needed in ("quit", "help", "search", "star", "toggle_read", "next_match", "previous_match",
                   "open_url", "focus_entities", "next_pane", "previous_pane", "command_palette",
                   "list.down", "list.up", "list.first", "list.last", "entities.scope", "clear_filter"):
        assert needed in ids
        assert needed in shown
    star_keys = next(keys for _, rows in sections for keys, _, bid in rows if bid == "star")
    assert star_keys == "f", "the help shows the remapped key"


def test_keymap_from_config_file_remaps_star(lib_path, tmp_path):
    cfg_file = tmp_path / "config.toml"
    cfg_file.write_text('[keymap]\nstar = "f"\nbogus = 3\n')
    cfg = load_config(cfg_file)
    assert cfg.keymap == {"star": "f"}
    assert any("bogus" in p for p in cfg.problems)

    async def flow():
        app = NewsdeskApp(Library(lib_path), cfg, run_entity_stage=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("s")  # no longer bound
            assert not app.query_one(ArticleList).current_row.starred
            await pilot.press("f")
            await pilot.pause()
            return app.query_one(ArticleList).current_row

    row = run(flow())
    assert row.starred
    with Library(lib_path) as lib:
        assert lib.get(row.id).starred


def test_command_palette_changes_sort(lib_path):
    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"sort by title")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await pilot.pause()
            lst = app.query_one(ArticleList)
            return app.sort, [lst.row(i).title[:8] for i in range(lst.total)]

    sort, titles = run(flow())
    assert sort == "title"
    assert titles == sorted(titles, key=str.casefold)
    with Library(lib_path) as lib:
        assert lib.state_get("sort") == "title"


def test_tab_moves_between_panes_and_narrow_layout_hides_sidebar(lib_path):
    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert not app.sidebar.display  # collapsed at 80 columns
            assert isinstance(app.focused, ArticleList)
            await pilot.press("tab")
            assert isinstance(app.focused, ReaderView)
            await pilot.press("tab")
            assert isinstance(app.focused, ArticleList)  # hidden sidebar is skipped
            await pilot.press("e")  # entities: the sidebar comes back
            await pilot.pause()
            assert app.sidebar.display and isinstance(app.focused, EntityOptions)
            await pilot.press("shift+tab")
            assert isinstance(app.focused, ReaderView)

    run(flow())


def test_shrinking_to_80_columns_with_the_sidebar_open_keeps_the_reader_wide(lib_path):
    """120 -> 80 columns with list, reader and sidebar all shown: the sidebar
    takes the list's column. (The resize handler once read the old width and
    kept the wide layout, leaving the reader 10 columns.)"""
    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            assert app.sidebar.display and app.query_one("#left").display
            await pilot.press("b", "b")  # hidden, shown again: asked for, it stays when narrow
            await pilot.pause()
            assert app.sidebar_pref is True
            await pilot.resize_terminal(80, 24)
            await settle(pilot)
            return (app.query_one("#left").display, app.sidebar.display,
                    app.reader.size.width, app.has_class("-narrow"))

    left, sidebar, reader_width, narrow = run(flow())
    assert narrow and sidebar and not left
    assert reader_width >= 40


def test_worker_failure_shows_error_dialog(lib_path):
    from tui.screens.dialogs import ErrorDialog

    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.import_sources([str(lib_path / "does-not-exist" / "*.txt")])
            await settle(pilot)
            await pilot.pause()
            return app.screen

    screen = run(flow())
    assert isinstance(screen, ErrorDialog)


def test_a_worker_that_crashes_is_reported_and_the_reader_keeps_running(lib_path, monkeypatch):
    """An unexpected exception in a worker (here the search) ends in the one
    failure handler's dialog, naming the work and the error; the app goes on
    (a worker failure used to end the whole app)."""
    from tui.screens.dialogs import ErrorDialog

    def broken(self, query, **kwargs):
        raise RuntimeError("the index went away")

    monkeypatch.setattr(Library, "search", broken)

    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("slash", *"summit")
            for _ in range(40):
                if isinstance(app.screen, ErrorDialog):
                    break
                await pilot.pause(0.1)
            screen = app.screen
            shown = (screen.title_text + " " + screen.message
                     if isinstance(screen, ErrorDialog) else "")
            await pilot.press("escape")
            await pilot.pause()
            return type(screen).__name__, shown, app.is_running, app.return_code

    name, shown, running, code = run(flow())
    assert name == "ErrorDialog"
    assert "Searching failed" in shown
    assert "RuntimeError" in shown and "the index went away" in shown
    assert running and code is None


def test_entity_sidebar_highlights_filters_and_clears(lib_path):
    from tui.styles import FOCUS_ENTITY

    ids = ids_by_origin(lib_path)
    with Library(lib_path) as lib:
        refs = lib.article_entities(ids["test:summit"])
        if not refs:
            pytest.skip("the entity stage found nothing in the test article")
        first = refs[0]  # the sidebar lists types in this same order
        expected = lib.entity_articles(first.entity_id)

    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.query_one(ArticleList)
            lst.cursor = lst.index_of(ids["test:summit"])
            await pilot.press("enter", "e")
            assert isinstance(app.focused, EntityOptions)
            await pilot.press("down")  # the first entity (type headings are skipped)
            await pilot.pause()
            reader = app.query_one(ReaderView)
            assert reader.focus_entity == first.entity_id
            _, segs = screen_text(reader)
            marked = "".join(seg.text for seg in segs if seg.style and seg.style.bgcolor == FOCUS_ENTITY.bgcolor)
            assert first.mentions[0][2] in marked
            await pilot.press("enter")
            await pilot.pause()
            filtered = [lst.row(i).id for i in range(lst.total)]
            status = flat(screen_text(app.query_one("#status"))[0])
            await pilot.press("escape")
            await pilot.pause()
            cleared = lst.total
            await pilot.press("t")  # whole-library scope
            await settle(pilot)
            library_scope = app.sidebar.scope, len(app.sidebar.items)
            return filtered, status, cleared, library_scope

    filtered, status, cleared, (scope, n_library) = run(flow())
    assert filtered == expected and ids["test:summit"] in filtered
    assert f"filter: {first.type} {first.name}" in status
    assert cleared == 4
    assert scope == "library" and n_library >= len(refs)


def test_opening_articles_back_to_back_replaces_the_reader(lib_path):
    """Opening one article right after another (no frame between) must not trip
    over the previous article's widgets still being removed."""
    ids = ids_by_origin(lib_path)

    async def flow():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            for origin in ("test:summit", "test:markets", "test:long", "test:summit"):
                app.open_article(ids[origin])
            await pilot.pause()
            return flat(screen_text(app.query_one(ReaderView))[0]), app.query_one(ReaderView).article.id

    text, shown = run(flow())
    assert shown == ids["test:summit"]
    assert "Kim Jong Un met Donald Trump" in text and "central bank" not in text


def test_palette_import_runs_entity_stage_in_a_subprocess(lib_path):
    """Import files from the command palette: text first, then the entity stage
    as `newsdesk entities --extract` in another process (no spaCy in the app)."""
    seeds = SEEDS
    if not seeds.exists():
        pytest.skip(f"shared material not found at {seeds}")
    seed = sorted(seeds.glob("*.txt"))[0]

    async def flow():
        app = NewsdeskApp(Library(lib_path), TuiConfig(), run_entity_stage=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"import files")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press(*str(seed), "enter")
            await settle(pilot)
            await pilot.pause()
            return app.query_one(ArticleList).total, type(app.screen).__name__

    total, screen = run(flow())
    assert total == 5 and screen != "ErrorDialog"
    with Library(lib_path) as lib:
        added = [r.id for r in lib.rows() if not r.title.startswith(("Summit", "Markets", "A very", "Hostile"))]
        assert len(added) == 1
        assert lib.article_entities(added[0]), "the entity stage ran for the imported article"


def test_first_run_catches_up_on_entities_after_the_first_screen(tmp_path):
    """A library seeded without entities (first run) gets them from a background
    `entities --extract` process once the app is up; the sidebar then shows them."""
    path = tmp_path / "fresh"
    with Library(path) as lib:
        lib.add_samples()
        assert lib.entity_work_pending()

    async def flow():
        app = NewsdeskApp(Library(path), TuiConfig(), resume_entities=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")  # open the newest sample while entities are found
            for _ in range(240):
                if not any(w.group == "entities" and not w.is_finished for w in app.workers):
                    break
                await pilot.pause(0.5)
            await settle(pilot)
            shown = app.sidebar._shown[0] if app.sidebar._shown else []
            return [e.name for e in shown or ()]

    names = run(flow())
    with Library(path) as lib:
        assert not lib.entity_work_pending()
        newest = lib.rows()[0].id
        expected = [e.name for e in lib.article_entities(newest)]
    assert expected, "the samples mention people, places and organisations"
    assert set(expected) == set(names)  # the open article's sidebar was refreshed


def test_reader_marks_and_scrolls_to_each_match_in_a_long_article(tmp_path):
    """The body is one widget: search matches must still be marked on exactly
    their words, and n / N must bring each one into view, however far down."""
    from tui.styles import CURRENT_MATCH, SEARCH_TERM

    filler = ("Councillors discussed the budget for the harbour and the roads at length, "
              "and nobody could agree on the order of the works. ") * 3
    filler = filler.strip()
    paras = [filler] * 40
    for i in (5, 22, 38):
        paras[i] = filler + f" The lighthouse keeper number {i} spoke."
    path = tmp_path / "lib"
    with Library(path) as lib:
        lib.add_drafts([Draft(title="Long council report", origin="test:longbody", source="Gazette",
                              date="2022-02-02", body="\n\n".join(paras))])
        aid = lib.rows()[0].id
        terms = lib.search("lighthouse").terms

    def visible_marks(reader, style):
        text, segs = screen_text(reader)
        return [seg.text for seg in segs if seg.style and seg.style.bgcolor == style.bgcolor]

    async def flow():
        app = build_app(path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.open_article(aid, terms)
            await pilot.pause()
            reader = app.query_one(ReaderView)
            body = reader.body
            assert [body[s:e] for s, e in reader.matches] == ["lighthouse"] * 3
            seen = []
            for key in ("", "n", "n", "n", "N"):
                if key:
                    await pilot.press(key)
                await pilot.pause()
                current = "".join(visible_marks(reader, CURRENT_MATCH))
                seen.append((reader.current_match, current, round(reader.scroll_y)))
            others = visible_marks(reader, SEARCH_TERM)
            return seen, others, reader.max_scroll_y

    seen, others, max_scroll = run(flow())
    assert max_scroll > 0, "the article must be longer than the reader"
    assert [s[0] for s in seen] == [0, 1, 2, 0, 2]
    for _index, current, _y in seen:
        assert current == "lighthouse", "the current match is on screen, marked on its word"
    assert seen[0][2] > 0 and seen[1][2] > seen[0][2] and seen[2][2] > seen[1][2]
    assert all(mark.strip().lower() in ("", "lighthouse") for mark in others)
