"""The reader uses the whole screen and follows the theme: light themes,
the saved theme, column sizing, the preview and overview, the ? screen at 80x24."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from articles.library import Library
from articles.model import Draft
from conftest import library_of, run
from tui.app import NewsdeskApp
from tui.config import TuiConfig, load_config, save_theme

DRAFTS = [
    Draft(title="Summit in Pyongyang ends without a deal", origin="test:summit",
          source="Daily Wire", author="Ann Writer", date="2020-06-14",
          body="Kim Jong Un met Donald Trump in Pyongyang on Tuesday.\n\nThe talks ended early."),
    Draft(title="Markets calm as central bank holds rates", origin="test:markets",
          source="Finance Daily", date="2021-03-02",
          body="The central bank in London kept rates unchanged.\n\nTraders in Frankfurt shrugged."),
]


@pytest.fixture(scope="module")
def base_library(tmp_path_factory) -> Path:
    """This module's articles (conftest's lib_path copies it for each test)."""
    return library_of(tmp_path_factory.mktemp("screen-base") / "lib", DRAFTS)


def _app(path: Path, config: TuiConfig | None = None) -> NewsdeskApp:
    return NewsdeskApp(Library(path, create=False), config or TuiConfig(), run_entity_stage=False)


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _backgrounds(widget) -> set:
    """The background colours of what the terminal shows in a widget's region."""
    region = widget.region
    strips = widget.screen._compositor.render_strips()
    return {seg.style.bgcolor.triplet.hex for strip in strips[region.y:region.bottom]
            for seg in strip.crop(region.x, region.right) if seg.style and seg.style.bgcolor
            and seg.text.strip() == "" and seg.text}


# -- themes ---------------------------------------------------------------------
@pytest.mark.parametrize("theme", ["textual-light", "solarized-light"])
def test_light_theme_reaches_the_article_body(lib_path, theme):
    async def go():
        app = _app(lib_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await _settle(pilot)
            await pilot.press("enter")
            await _settle(pilot)
            body = app.reader._body
            dark = app.reader.rich_style.bgcolor.triplet.hex
            assert _backgrounds(body) == {dark}
            app.theme = theme
            await _settle(pilot)
            light = app.reader.rich_style.bgcolor.triplet.hex
            assert light != dark
            # The body's blank cells (margins, line ends) carry the light
            # background, like the rest of the reader: no black block left.
            assert _backgrounds(body) == {light}
            for pane in (app.article_list, app.sidebar, app.reader):
                assert dark not in _backgrounds(pane), pane

    run(go())


def test_theme_is_saved_and_applied_at_the_next_start(lib_path, tmp_path):
    cfg_path = tmp_path / "config.toml"
    cfg_path.write_text('# my settings\n[keymap]\nstar = "f"\n', encoding="utf-8")

    async def first():
        app = _app(lib_path, load_config(cfg_path))
        async with app.run_test(size=(120, 36)) as pilot:
            await _settle(pilot)
            app.theme = "solarized-light"  # what the palette's theme picker does
            await _settle(pilot)

    run(first())
    text = cfg_path.read_text(encoding="utf-8")
    assert "# my settings" in text and 'star = "f"' in text
    assert load_config(cfg_path).theme == "solarized-light"

    async def second():
        app = _app(lib_path, load_config(cfg_path))
        async with app.run_test(size=(120, 36)) as pilot:
            await _settle(pilot)
            assert app.theme == "solarized-light"
            assert app.query_one("#reader").rich_style.bgcolor.triplet.hex == "#fdf6e3"

    run(second())


def test_theme_picker_in_the_palette_saves_the_choice(lib_path, tmp_path):
    cfg_path = tmp_path / "config.toml"

    async def go():
        app = _app(lib_path, load_config(cfg_path))
        async with app.run_test(size=(120, 36)) as pilot:
            await _settle(pilot)
            app.action_change_theme()
            await pilot.pause(0.2)
            await pilot.press(*"textual-light")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await _settle(pilot)
            assert app.theme == "textual-light"

    run(go())
    assert load_config(cfg_path).theme == "textual-light"


def test_unknown_saved_theme_is_reported_and_the_default_kept(lib_path, tmp_path):
    cfg_path = tmp_path / "config.toml"
    cfg_path.write_text('[ui]\ntheme = "no-such-theme"\n', encoding="utf-8")

    async def go():
        app = _app(lib_path, load_config(cfg_path))
        async with app.run_test(size=(120, 36)) as pilot:
            await _settle(pilot)
            assert app.theme == "textual-dark"
            assert any("no-such-theme" in p for p in app.config.problems)

    run(go())


def test_built_in_config_never_writes_a_file(lib_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = TuiConfig(path=tmp_path / "config.toml")  # as the snapshot app builds it

    async def go():
        app = _app(lib_path, cfg)
        async with app.run_test(size=(120, 36)) as pilot:
            await _settle(pilot)
            app.theme = "textual-light"
            await _settle(pilot)

    run(go())
    assert not (tmp_path / "config.toml").exists()


def test_save_theme_edits_only_the_theme_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[ui]\n# comment\ntheme = "nord"\n\n[keymap]\nstar = "f"\n', encoding="utf-8")
    save_theme(path, "gruvbox")
    assert path.read_text(encoding="utf-8") == \
        '[ui]\n# comment\ntheme = "gruvbox"\n\n[keymap]\nstar = "f"\n'
    other = tmp_path / "inline.toml"
    other.write_text('ui = { theme = "nord" }\n', encoding="utf-8")
    with pytest.raises(ValueError):
        save_theme(other, "gruvbox")  # not understood: left as it was
    assert other.read_text(encoding="utf-8") == 'ui = { theme = "nord" }\n'


# -- the ? screen ---------------------------------------------------------------
def _screen_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def test_help_fits_and_scrolls_at_80x24(lib_path):
    async def go():
        app = _app(lib_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await _settle(pilot)
            await pilot.press("question_mark")
            await _settle(pilot)
            box = app.screen.query_one("#help-box")
            assert box.region.x >= 0 and box.region.right <= 80 and box.region.bottom <= 24
            ids = {i for _name, rows in app.binding_sections() for _k, _d, i in rows}
            seen = set()
            for _ in range(30):
                lines = _screen_lines(app)
                # The border is on screen: its corners top and bottom.
                assert lines[box.region.y].rstrip().endswith("█")
                assert lines[box.region.bottom - 1].startswith("█▄")
                text = "\n".join(lines)
                seen |= {i for i in ids if f" {i} " in text + " "}
                await pilot.press("pagedown")
                await pilot.pause()
            # Every binding id can be read whole (the id is what a keymap names).
            assert seen == ids

    run(go())


# -- the whole width --------------------------------------------------------------
def _lib_of(tmp_path: Path, drafts) -> Path:
    path = tmp_path / "made"
    with Library(path) as lib:
        lib.add_drafts(drafts)
    return path


def _list_lines(app) -> list:
    """The article list's rendered rows (header first) as Strips."""
    lst = app.article_list
    return [lst.render_line(y) for y in range(lst.scrollable_content_region.height)]


LONG = [Draft(title=f"Story {i}: " + "a headline long enough to want a wide column " * 2,
              origin=f"test:long{i}", source="Harbour Evening Telegraph", date=f"2021-01-{i + 1:02d}",
              body="Some body text.\n\nAnd more.") for i in range(8)]


@pytest.mark.parametrize("size", [(120, 36), (200, 50)])
def test_the_list_and_the_reader_share_the_width(tmp_path, size):
    async def go():
        app = _app(_lib_of(tmp_path, LONG))
        async with app.run_test(size=size) as pilot:
            await _settle(pilot)
            await pilot.press("enter")
            await _settle(pilot)
            left = app.query_one("#left").region.width
            body = app.reader._body.region.width
            # The text keeps a readable measure...
            assert 40 <= body <= 96
            # ...and the reader is no wider than its text and chrome: no blank band.
            assert app.reader.region.width - body <= 5
            header = _list_lines(app)[0].text
            if size == (120, 36):
                assert left > 42  # wider than the fixed list of before
            else:
                assert body >= 80 and left >= 75
                assert "source" in header  # room for the outlet too
                assert "Harbour Evening" in _list_lines(app)[1].text

    run(go())


def test_dated_rows_keep_the_outlet_at_120_columns_and_the_title_at_80(tmp_path):
    """At 120 columns a dated list used to drop the outlet to keep the title at
    28 cells: the outlet stays, narrow ("The" dropped first), the title keeps 22.
    At 80 columns the title has the row."""
    drafts = [Draft(title=f"Dockworkers walk out over pay at the port, day {i}", origin=f"test:o{i}",
                    source="The Harbour Evening Telegraph", date=f"2021-01-{i + 1:02d}", body="Text.")
              for i in range(4)]
    path = _lib_of(tmp_path, drafts)

    async def go(size):
        app = _app(path)
        async with app.run_test(size=size) as pilot:
            await _settle(pilot)
            lines = [ln.text for ln in _list_lines(app)[:3]]
            return lines, app.article_list.scrollable_content_region.width

    (header, row, _), width = run(go((120, 36)))
    assert "date" in header and "source" in header
    assert re.search(r"2021-01-0\d Harbour E", row)  # "The " gone, not "The Harb…"
    title_at = header.index("title")
    assert width - title_at >= 22 and row[title_at:].startswith("Dockworkers walk out")
    (header, row, _), _width = run(go((80, 24)))
    assert "source" not in header and "Harbour" not in row
    assert "Dockworkers walk" in row


def test_short_titles_leave_their_room_to_the_reader(tmp_path):
    short = [Draft(title=f"Brief {i}", origin=f"test:s{i}", date="2020-01-01", body=f"Text {i}.")
             for i in range(3)]

    async def go():
        app = _app(_lib_of(tmp_path, short))
        async with app.run_test(size=(200, 50)) as pilot:
            await pilot.press("enter")
            await _settle(pilot)
            # Titles need ~30 columns: the text takes its widest measure and
            # the sidebar grows, instead of the list padding blank columns.
            assert app.reader._body.region.width == 96
            assert app.sidebar.region.width == 40

    run(go())


def test_the_date_column_is_hidden_when_no_row_in_view_has_a_date(tmp_path):
    undated = [Draft(title=f"Undated report number {i}", origin=f"test:u{i}", body=f"Text {i}.")
               for i in range(5)]

    async def go():
        app = _app(_lib_of(tmp_path, undated))
        async with app.run_test(size=(120, 36)) as pilot:
            await _settle(pilot)
            lines = _list_lines(app)
            assert "date" not in lines[0].text
            assert lines[1].text.startswith(" ●Undated report number")

    run(go())


def test_wide_and_zero_width_characters_keep_the_columns_aligned(tmp_path):
    titles = ["東京の港でストライキが続く長い見出しの記事です", "Cafe\u0301 owners cheer the re\u0301opened quay",
              "Family 👨\u200d👩\u200d👧 reunited at the ferry ❤\ufe0f", "Zero\u200bwidth soft\u00adhyphen headline",
              "Plain ASCII headline for comparison only"]
    sources = ["日本経済新聞", "Le Monde", "BBC", "Zeitung\u200d", "Wire"]
    drafts = [Draft(title=t, origin=f"test:w{i}", source=s, date="2022-02-02", body=f"Text number {i}.")
              for i, (t, s) in enumerate(zip(titles, sources))]

    async def go():
        app = _app(_lib_of(tmp_path, drafts))
        async with app.run_test(size=(200, 50)) as pilot:
            await _settle(pilot)
            width = app.article_list.scrollable_content_region.width
            rows = _list_lines(app)[: len(drafts) + 1]
            from rich.cells import cell_len

            starts = set()
            for strip in rows:
                assert strip.cell_length == width
            texts = [strip.text for strip in rows]
            # Where the title column starts, in cells, on each row (and the
            # header's "title"): after the marks, the date and the source,
            # whatever characters those hold.
            for word in ["title", "東京の港", "Café", "Family", "Zerowidth", "Plain"]:
                line = next(t for t in texts if word in t)
                starts.add(cell_len(line[:line.index(word)]))
            assert len(starts) == 1, starts
            text = "".join(s.text for s in rows)
            assert "\u200d" not in text and "\ufe0f" not in text and "\u00ad" not in text

    run(go())


# -- the middle pane before enter -------------------------------------------------
def _reader_text(app) -> str:
    """The reader's region as the terminal shows it, wrapped lines joined."""
    r = app.reader.region
    strips = app.screen._compositor.render_strips()[r.y:r.bottom]
    return " ".join(" ".join(s.crop(r.x, r.right).text.split()) for s in strips)


def test_the_overview_fills_the_reader_when_nothing_is_open(lib_path):
    with Library(lib_path) as lib:
        first = lib.rows()[0]
        lib.set_starred(first.id, True)

    async def go():
        app = _app(lib_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await _settle(pilot)
            assert app.reader.article is None
            text = _reader_text(app)
            assert "2 articles · 2 unread · 1 starred" in text
            assert "Followed" in text and "Recent stories" in text
            assert "Markets calm as central bank" in text  # the newest
            assert "Choose an article" not in text

    run(go())


def test_moving_the_cursor_previews_the_article_without_marking_it_read(lib_path):
    async def go():
        app = _app(lib_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await _settle(pilot)
            lst = app.article_list
            await pilot.press("j", "k", "j")
            await pilot.pause(0.3)  # the cursor rests: past the debounce
            await _settle(pilot)
            row = lst.current_row
            assert app.reader.article is not None and app.reader.article.id == row.id
            assert "Kim Jong Un met Donald Trump" in _reader_text(app)
            assert app.focused is lst  # the list keeps the keyboard
            with Library(lib_path) as lib:
                assert not lib.get(row.id).read  # a preview is not a read
                assert lib.state_get("last_article") is None
            await pilot.press("enter")
            await _settle(pilot)
            with Library(lib_path) as lib:
                assert lib.get(row.id).read

    run(go())


def test_a_preview_never_overrides_a_later_move(lib_path, monkeypatch):
    """The article shown is the one under the cursor when the load finishes,
    even when an earlier load finishes last."""
    from tui import preview

    async def go():
        app = _app(lib_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await _settle(pilot)
            lst = app.article_list
            first, second = lst.row(0), lst.row(1)
            lst.cursor = 1
            await pilot.pause()
            # A stale result for row 0 arriving after the cursor went to row 1:
            art = app.library.get(first.id)
            app.previewer._show(art, [])
            assert app.reader.article is None or app.reader.article.id != first.id
            await pilot.pause(0.3)
            await _settle(pilot)
            assert app.reader.article.id == second.id

    run(go())


def test_the_overview_lists_recent_stories_once_the_list_is_grouped(tmp_path):
    path = tmp_path / "samples"
    with Library(path) as lib:
        lib.add_samples()

    async def go():
        app = _app(path)
        async with app.run_test(size=(120, 36)) as pilot:
            await _settle(pilot)
            assert "ctrl+g groups the list by story" in _reader_text(app)
            await pilot.press("ctrl+g")
            await _settle(pilot)
            text = _reader_text(app)
            assert "ctrl+g groups" not in text
            # The strike's reports from several outlets make one story, listed with its size.
            assert "3 articles, 3 outlets · Port strike" in text

    run(go())
