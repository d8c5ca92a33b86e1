"""Every action findable: the actions table drives bindings, palette and the ?
screen; the key bar follows the focused pane; reader conventions (J/K, u, A/U,
find in the article, unread counts)."""

from __future__ import annotations

from articles.library import Library
from conftest import SIZE, run, settle
from tui import actions
from tui.app import NewsdeskApp
from tui.commands import SORT_SHORT
from tui.config import load_config
from tui.widgets.entity_sidebar import EntityOptions
from tui.widgets.find_bar import FindBar, find_spans
from tui.widgets.key_bar import KeyBar


def _toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def _bar(app) -> str:
    return app.query_one(KeyBar).render().plain


def test_every_app_binding_has_a_palette_entry_and_an_action():
    palette_free = {"next_pane", "previous_pane", "command_palette"}  # moving between panes, the palette itself
    for binding in NewsdeskApp.BINDINGS:
        entry = actions.BY_ID[binding.id]
        assert entry.palette is not None or binding.id in palette_free, binding.id
    for entry in actions.ACTIONS:
        name = entry.action.split("(")[0]
        assert hasattr(NewsdeskApp, f"action_{name}"), entry.action
    # The actions the issue named as missing from the palette.
    names = {a.palette for a in actions.ACTIONS if a.palette}
    for wanted in ("Dossier of entity", "Related articles", "Quotes", "Versions of the story",
                   "Star / unstar article", "Follow / unfollow entity", "Feeds view", "Refresh feeds",
                   "Next unread article", "Mark all shown read", "Find in article"):
        assert wanted in names


def test_palette_lists_the_actions_with_their_keys_and_runs_them(lib_path):
    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            entries = {name: (help_text, cb) for name, help_text, cb in actions.palette_entries(app)}
            row = app.article_list.current_row
            await entries["Star / unstar article"][1]()
            await pilot.pause()
            starred = app.library.get(row.id).starred
            return entries, starred

    entries, starred = run(flow())
    assert "(v)" in entries["Versions of the story"][0]
    assert "(d)" in entries["Dossier of entity"][0]
    assert starred


def test_key_bar_follows_the_focused_pane_and_what_is_possible(lib_path):
    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=(200, 36)) as pilot:
            await settle(pilot)
            on_list = _bar(app)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("tab")  # to the reader
            await pilot.pause()
            on_reader = _bar(app)
            return on_list, on_reader

    on_list, on_reader = run(flow())
    # The list: its own actions (sort, feeds, stories), not the reader's.
    for chip in ("S Sort", "F Feeds", "^g Stories", "r Related", "v Versions", "u Unread"):
        assert chip in on_list, (chip, on_list)
    assert "J Next" not in on_list and "f Find" not in on_list
    # The reader with an article open: moving between articles, find, quotes;
    # no n/N while there are no matches.
    for chip in ("J Next", "K Prev", "f Find", "w Quotes", "r Related"):
        assert chip in on_reader, (chip, on_reader)
    assert "S Sort" not in on_reader and "n Next match" not in on_reader


def test_j_and_k_move_between_articles_from_the_reader(lib_path):
    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            first = app.article_list.row(0).id
            second = app.article_list.row(1).id
            await pilot.press("enter", "tab")
            await settle(pilot)
            await pilot.press("J")
            await settle(pilot)
            after_j = app.reader.article.id, app.article_list.cursor
            await pilot.press("K")
            await settle(pilot)
            after_k = app.reader.article.id
            await pilot.press("K")  # already at the top
            await pilot.pause()
            return first, second, after_j, after_k, _toasts(app)

    first, second, after_j, after_k, toasts = run(flow())
    assert after_j == (second, 1)
    assert after_k == first
    assert "First article in the list." in toasts


def test_next_unread_skips_read_articles_and_wraps(lib_path):
    with Library(lib_path) as lib:
        rows = lib.rows(sort="date")
        lib.set_read(rows[1].id, True)
        lib.set_read(rows[2].id, True)

    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("u")  # from row 0: rows 1 and 2 are read
            await settle(pilot)
            opened = [app.reader.article.id]
            await pilot.press("u")  # nothing unread below but row 0, which u opened... wraps
            await settle(pilot)
            opened.append(app.reader.article.id)
            return opened

    opened = run(flow())
    assert opened[0] == rows[3].id
    assert opened[1] == rows[0].id


def test_mark_all_read_says_how_many_and_undo_puts_them_back(lib_path):
    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            before = app.query_one("#status").render().plain
            await pilot.press("A")
            await pilot.pause()
            after = app.query_one("#status").render().plain
            read = app.library.store.count("read=0")
            await pilot.press("U")
            await pilot.pause()
            return before, after, read, app.library.store.count("read=0"), _toasts(app)

    before, after, unread_after_a, unread_after_u, toasts = run(flow())
    assert "4 shown · 4 unread" in before
    assert "4 shown · 0 unread" in after
    assert unread_after_a == 0 and unread_after_u == 4
    assert any(t.startswith("Marked 4 in the list read. U puts them back.") for t in toasts)
    assert "Marked 4 unread again." in toasts


def test_find_in_the_article_highlights_and_steps_through_matches(lib_path):
    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            summit = next(app.article_list.row(i) for i in range(4)
                          if app.article_list.row(i).title.startswith("Summit"))
            app.open_article(summit.id)
            await pilot.pause()
            await pilot.press("f", *"pyongyang")
            await pilot.pause()
            bar = app.query_one(FindBar)
            count = str(bar.query_one("#find-count").render())
            matches = list(app.reader.matches)
            await pilot.press("enter")
            await pilot.pause()
            second = app.reader.current_match
            await pilot.press("escape")
            await pilot.pause()
            closed = not bar.has_class("-open")
            await pilot.press("n")  # n keeps going after the bar is closed
            await pilot.pause()
            return count, matches, second, closed, app.reader.current_match, app.reader.body

    count, matches, second, closed, third, body = run(flow())
    assert count == "1 of 2"
    assert [body[s:e] for s, e in matches] == ["Pyongyang", "Pyongyang"]
    assert second == 1 and closed and third == 0


def test_find_spans_is_plain_text_not_a_pattern():
    assert find_spans("a.b axb A.B", "a.b") == [(0, 3), (8, 11)]
    assert find_spans("anything", "  ") == []


def test_story_screen_counts_its_unread_versions_and_mark_story_read_clears_them(tmp_path):
    from test_tui_stories import WALKOUT, ids_by_file
    from tui.screens.desk import StoryScreen

    path = tmp_path / "lib"
    with Library(path) as lib:
        lib.add_samples()
    ids = ids_by_file(path)
    with Library(path) as lib:
        lib.set_read(ids[WALKOUT[0]], True)
        lib.stories()  # grouped once, as the list's grouping or the CLI would have

    async def flow():
        app = NewsdeskApp(Library(path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.open_article(ids[WALKOUT[1]], mark_read=False)
            app.reader.focus()  # v acts on the article on screen
            await pilot.pause()
            await pilot.press("v")
            await settle(pilot)
            assert isinstance(app.screen, StoryScreen)
            summary = str(app.screen.query_one("#desk-summary").render())
            await pilot.press("escape")
            await settle(pilot)
            await app.run_action("mark_story_read")
            await pilot.pause()
            left = app.library.unread_count([ids[f] for f in WALKOUT])
            return summary, left, _toasts(app)

    summary, left, toasts = run(flow())
    assert summary == "3 versions · 2 unread"
    assert left == 0
    assert any(t.startswith("Marked 2 of this story read.") for t in toasts)


def test_key_bar_shows_only_whole_entries_when_narrow(lib_path):
    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            bar = app.query_one(KeyBar)
            keys, _palette = bar._keys()
            return bar.render().plain, keys

    plain, keys = run(flow())
    left = plain.split("▏")[0].rstrip()
    chips = [f" {shown} {description}".rstrip() for _key, shown, description, _enabled in keys]
    # The left part is a run of whole chips, the first ones in order; never one cut mid-word.
    drawn = ""
    for chip in chips:
        if not left.startswith((drawn + chip + " ").rstrip()) or len(drawn + chip) > len(left):
            break
        drawn += chip + " "
    assert drawn.rstrip() == left, (left, chips)
    assert len(plain) <= 80 and "▏" in plain


def test_status_line_keeps_to_one_line_at_80_columns_cutting_whole_parts(lib_path):
    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            status = app.query_one("#status")
            lines = status.render().plain.split("\n")
            return lines, status.region.height, status.content_size.width

    lines, height, width = run(flow())
    assert height == 1 and len(lines) == 1, lines
    assert lines[0].split(" · ")[0].endswith("shown") and len(lines[0]) <= width
    # Whole parts only: each part is one of the status's own words, never one cut.
    for part in lines[0].split(" · "):
        assert part.endswith((" shown", " unread")) or part in SORT_SHORT.values(), part


def test_status_parts_go_least_important_first():
    from rich.text import Text

    from tui.widgets.status_line import fit_line

    parts = [(Text("12 shown"), 9), (Text("3 unread"), 5), (Text("newest first"), 3)]
    dot = Text(" · ")
    assert fit_line(parts, 80, dot).plain == "12 shown · 3 unread · newest first"
    assert fit_line(parts, 25, dot).plain == "12 shown · 3 unread"
    assert fit_line(parts, 10, dot).plain == "12 shown"
    assert fit_line(parts, 5, dot).plain == "12 s…"


def test_short_dates():
    from tui.widgets.article_list import short_date

    assert short_date("2026-12-03", this_year=2026) == "3 Dec"
    assert short_date("2023-03-14T09:00:00", this_year=2026) == "Mar 2023"
    assert short_date(None) == "" and short_date("garbage") == "" and short_date("2023-13-01") == ""


def test_narrow_list_uses_short_dates_and_gives_the_title_the_room(lib_path):
    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            lst = app.article_list
            width = lst.scrollable_content_region.width
            lines = [lst.render_line(y).text for y in range(1, lst.total + 1)]
            return lines, lst._columns(width)

    lines, (date_w, _source_w, title_w) = run(flow())
    assert date_w == 8 and title_w >= 19, (date_w, title_w)
    assert any("Jun 2020" in ln for ln in lines), lines
    assert not any("2020-06" in ln for ln in lines), lines


def test_sidebar_heading_whole_at_120_columns(lib_path):
    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            title = app.sidebar.query_one("#entity-title")
            return title.render(), title.content_size.width, app.sidebar.query_one(EntityOptions).styles.padding.left

    heading, width, pad = run(flow())
    assert str(heading) == "Entities · article" and len(str(heading)) <= width, (str(heading), width)
    assert pad >= 1  # rows do not touch the border


def test_search_snippets_cut_at_word_boundaries():
    from types import SimpleNamespace

    from tui.widgets.search_pane import _snippet

    body = ("Last week the Prime Minister Tony Blair has arrived back from his diplomatic mission "
            "to the Middle East with hopes of a settlement before the spring")
    at = body.index("Blair")
    words = set(body.split())
    for limit in range(30, 60):
        plain = _snippet(SimpleNamespace(text=body, spans=[(at, at + 5)]), limit).plain
        assert "Blair" in plain and len(plain) <= limit + 2
        assert all(w in words for w in plain.strip("…").split()), (limit, plain)


def test_search_hit_dates_are_never_cut(tmp_path):
    from conftest import searched
    from tui.widgets.search_pane import HitList

    lib = Library(tmp_path / "lib")
    lib.add_samples()

    async def flow():
        app = NewsdeskApp(Library(tmp_path / "lib"), load_config(None), run_entity_stage=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await searched(pilot, "dockers strike")
            hits = app.query_one(HitList)
            metas = [hits.get_option_at_index(i).prompt.plain.split("\n")[1]
                     for i in range(hits.option_count) if hits.get_option_at_index(i).prompt]
            return metas

    metas = run(flow())
    assert any("Gazette" in m or "…" in m for m in metas), metas
    for meta in metas:
        assert meta.rsplit(" · ", 1)[-1][:4].isdigit() and len(meta.rsplit(" · ", 1)[-1]) >= 10, meta
