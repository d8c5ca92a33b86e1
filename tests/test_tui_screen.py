"""The reader uses the whole screen and follows the theme: light themes,
the saved theme, column sizing, the preview and overview, the ? screen at 80x24."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from articles.library import Library
from articles.model import Draft
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


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def base_library(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("screen-base") / "lib"
    with Library(path) as lib:
        lib.add_drafts(DRAFTS)
    return path


@pytest.fixture()
def lib_path(base_library, tmp_path) -> Path:
    dest = tmp_path / "lib"
    shutil.copytree(base_library, dest)
    return dest


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
