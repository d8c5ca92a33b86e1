"""Working on a story in the reader, with Pilot on a real library: highlights
selected by keys and drawn in the text, notes under the article, tag keys,
saved searches and article tags beside the feeds (filtering the list)."""

from __future__ import annotations

from pathlib import Path

import pytest

from articles.library import Library
from articles.model import Draft
from conftest import SIZE, library_of, run
from tui.screens.dialogs import PromptDialog
from tui.snapshot_app import build_app
from tui.styles import HIGHLIGHT_NOTED, SELECTION
from tui.widgets.article_list import ArticleList
from tui.widgets.feed_list import FeedOptions
from tui.widgets.reader import ReaderView

BODY = ("The port reopened on Monday. Dockers returned to the quays at dawn. The union said pay talks go on.\n\n"
        "Ships queued outside the harbour wall. Pilots worked double shifts.\n\n"
        "The mayor thanked [bold]everyone[/bold] for their patience.")
DRAFTS = [
    Draft(title="Port reopens after the strike", origin="test:port", source="Harbour Gazette",
          date="2024-03-04", body=BODY),
    Draft(title="Regatta postponed by storms", origin="test:regatta", source="Harbour Gazette",
          date="2024-03-05", body="The regatta moved to April. Sailors were told on Friday."),
]


@pytest.fixture(scope="module")
def base_library(tmp_path_factory) -> Path:
    """This module's articles (conftest's lib_path copies it for each test)."""
    return library_of(tmp_path_factory.mktemp("desk") / "lib", DRAFTS)


def port_id(path: Path) -> str:
    with Library(path) as lib:
        return next(r.id for r in lib.rows() if r.title.startswith("Port"))


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def open_port(pilot) -> ReaderView:
    await settle(pilot)
    lst = pilot.app.query_one(ArticleList)
    aid = port_id(pilot.app.library.path)
    pilot.app.open_article(aid)
    await settle(pilot)
    pilot.app.query_one(ReaderView).focus()
    await pilot.pause()
    assert lst is not None
    return pilot.app.query_one(ReaderView)


def styled(reader: ReaderView, style) -> str:
    """The shown body's characters carrying ``style``."""
    text = reader._body_text()
    return " ".join(text.plain[s.start:s.end] for s in text.spans if s.style == style)


def test_select_by_sentence_and_paragraph_save_with_note(lib_path):
    async def go():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            reader = await open_port(pilot)
            await pilot.press("h")  # the sentence at the top of the view: the first
            assert styled(reader, SELECTION) == "The port reopened on Monday."
            await pilot.press("right_square_bracket")
            assert styled(reader, SELECTION) == "The port reopened on Monday. Dockers returned to the quays at dawn."
            await pilot.press("left_square_bracket", "right_parenthesis")  # move the start one sentence on
            assert styled(reader, SELECTION) == "Dockers returned to the quays at dawn."
            await pilot.press("right_curly_bracket")  # to the paragraph's end
            assert styled(reader, SELECTION) == "Dockers returned to the quays at dawn. The union said pay talks go on."
            await pilot.press("right_curly_bracket")  # on to the next paragraph's end (drawn per paragraph)
            assert styled(reader, SELECTION).endswith("Pilots worked double shifts.")
            await pilot.press("left_curly_bracket")
            assert styled(reader, SELECTION).endswith("pay talks go on.")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, PromptDialog)
            await pilot.press(*"union claim", "enter")
            await settle(pilot)
            assert styled(reader, SELECTION) == ""
            assert styled(reader, HIGHLIGHT_NOTED) == "Dockers returned to the quays at dawn. The union said pay talks go on."
            desk = str(reader.query_one("#reader-desk").render())
            assert "Highlights" in desk and "union claim" in desk
        with Library(lib_path) as lib:
            (h,) = lib.article_highlights(port_id(lib_path))
            assert h["text"] == "Dockers returned to the quays at dawn. The union said pay talks go on."
            assert h["note"] == "union claim" and not h["orphaned"]

    run(go())


def test_escape_cancels_a_selection_and_then_clears_the_filter_as_before(lib_path):
    async def go():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            reader = await open_port(pilot)
            await pilot.press("h", "right_square_bracket", "escape")
            assert reader.selection is None and styled(reader, SELECTION) == ""
            await pilot.press("enter")  # nothing selected: enter saves nothing
            await settle(pilot)
            assert not isinstance(app.screen, PromptDialog)
        with Library(lib_path) as lib:
            assert lib.all_highlights() == []

    run(go())


def test_notes_and_tags_by_key_shown_as_plain_text(lib_path):
    async def go():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            reader = await open_port(pilot)
            await pilot.press("i")
            assert isinstance(app.screen, PromptDialog)
            await pilot.press(*"call [red]the[/red] mayor", "enter")
            await settle(pilot)
            desk = reader.query_one("#reader-desk").render()
            # untrusted words are shown literally, never read as markup
            assert "call [red]the[/red] mayor" in str(desk)
            await pilot.press("T", *"port, strike", "enter")
            await settle(pilot)
            await pilot.press("ctrl+t", *"strike", "enter")
            await settle(pilot)
        with Library(lib_path) as lib:
            aid = port_id(lib_path)
            assert [n["text"] for n in lib.article_notes(aid)] == ["call [red]the[/red] mayor"]
            assert lib.article_tags(aid) == ["port"]

    run(go())


def test_saved_searches_and_tags_beside_the_feeds_filter_the_list(lib_path):
    with Library(lib_path) as lib:
        lib.ensure_index()
        lib.save_search("dockers", "dockers OR sailors")
        lib.tag(port_id(lib_path), ["port"])

    async def go():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("F")
            await settle(pilot)
            opts = app.query_one(FeedOptions)
            ids = [opts.get_option_at_index(i).id for i in range(opts.option_count)]
            assert "saved:dockers" in ids and "atag:port" in ids
            row = str(opts.get_option(f"saved:dockers").prompt)
            assert row.rstrip().endswith("2")  # both articles unread
            opts.highlighted = ids.index("saved:dockers")
            await pilot.press("enter")
            await settle(pilot)
            lst = app.query_one(ArticleList)
            assert lst.total == 2 and "saved dockers" in lst.source.label
            await pilot.press("escape", "F")
            await settle(pilot)
            opts = app.query_one(FeedOptions)
            ids = [opts.get_option_at_index(i).id for i in range(opts.option_count)]
            opts.highlighted = ids.index("atag:port")
            await pilot.press("enter")
            await settle(pilot)
            assert lst.total == 1 and lst.current_row.title.startswith("Port")

    run(go())


def test_desk_keys_are_listed_on_help_and_remappable(lib_path):
    async def go():
        app = build_app(lib_path, keymap={"note_article": "ctrl+n", "reader.select": "v"})
        async with app.run_test(size=SIZE) as pilot:
            sections = dict(app.binding_sections())
            ids = {row[2] for rows in sections.values() for row in rows}
            assert {"tag_article", "untag_article", "note_article", "save_search", "reader.select",
                    "reader.select_more", "reader.select_para_more", "reader.select_save"} <= ids
            assert ("ctrl+n", "Add a note to the article", "note_article") in sections["Working on a story"]
            reader = await open_port(pilot)
            await pilot.press("v")
            assert styled(reader, SELECTION) == "The port reopened on Monday."

    run(go())


def test_mouse_drag_selects_sentences_and_enter_saves(lib_path):
    from tui.widgets.reader import ArticleBody

    async def go():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            reader = await open_port(pilot)
            body = reader.query_one(ArticleBody)
            await pilot.click(body, offset=(2, 0))  # a click alone selects nothing
            assert reader.selection is None
            # press on the first line, drag to the line of the second paragraph, release
            await pilot.mouse_down(body, offset=(2, 0))
            second_para = next(i for i, (s, _) in enumerate(body.line_spans(body.content_region.width))
                               if reader._plain[s:].startswith("Ships"))
            await pilot.hover(body, offset=(3, second_para))
            await pilot.mouse_up(body, offset=(3, second_para))
            sel = styled(reader, SELECTION)
            assert sel.startswith("The port reopened on Monday.") and sel.endswith("Ships queued outside the harbour wall.")
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("enter")  # no note
            await settle(pilot)
        with Library(lib_path) as lib:
            (h,) = lib.article_highlights(port_id(lib_path))
            assert h["text"].startswith("The port reopened") and h["text"].endswith("harbour wall.")
            assert h["note"] is None

    run(go())


def test_a_saved_search_shown_in_the_list_picks_up_new_articles(lib_path):
    with Library(lib_path) as lib:
        lib.ensure_index()
        lib.save_search("dockers", "dockers")

    async def go():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.filter_by_feed("saved", "dockers", "saved dockers")
            lst = app.query_one(ArticleList)
            assert lst.total == 1
            # another process imports a matching article
            with Library(lib_path) as other:
                other.add_drafts([Draft(title="Dockers vote on the offer", origin="test:vote",
                                        body="Dockers voted on the pay offer on Tuesday.")])
            app.action_reload()
            await settle(pilot)
            assert lst.total == 2 and "saved dockers" in lst.source.label

    run(go())


def test_notes_and_highlights_removed_and_the_article_exported_from_the_reader(lib_path, tmp_path, monkeypatch):
    # What the CLI's note --remove, highlight --remove and export do, from the reader:
    # the export lands whole in the save folder with the user's highlight and note.
    monkeypatch.setattr("tui.desk_actions.save_folder", lambda: tmp_path)
    aid = port_id(lib_path)
    with Library(lib_path) as lib:
        art = lib.get(aid)
        first = art.body.split(".")[0] + "."
        lib.add_highlight(aid, first, note="the lede")
        lib.add_note(aid, "keep this note")
        gone = lib.add_note(aid, "drop this note")
        gone_id = gone["id"] if isinstance(gone, dict) else gone

    async def go():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await open_port(pilot)
            app.action_export_article()
            await settle(pilot)
            app.action_remove_note()
            await pilot.pause()
            assert isinstance(app.screen, PromptDialog)
            await pilot.press(*str(gone_id), "enter")
            await settle(pilot)
            app.action_remove_highlight()
            await pilot.pause()
            with Library(lib_path) as lib:
                hid = lib.article_highlights(lib.get(aid))[0]["id"]
            await pilot.press(*str(hid), "enter")
            await settle(pilot)
            return [str(n.message) for n in app._notifications]

    toasts = run(go())
    exported = tmp_path / f"newsdesk-{aid[:12]}.md"
    text = exported.read_text()
    assert text.startswith("# Port reopens after the strike")
    assert "the lede" in text and "drop this note" in text  # exported before the removals
    assert any(t.startswith("Exported ") and str(exported) in t for t in toasts), toasts
    assert not list(tmp_path.glob(".*.tmp"))  # nothing half-written left beside it
    with Library(lib_path) as lib:
        assert [n["text"] for n in lib.article_notes(aid)] == ["keep this note"]
        assert lib.article_highlights(lib.get(aid)) == []


def test_story_tags_tag_renames_and_the_library_highlights_by_key(lib_path):
    # What `tag --story`, `tags --rename` and `highlights` do, from the keyboard:
    # Y tags every article of the story, E renames a tag everywhere, L lists every
    # highlight in the library (several in one article too) and enter opens its article.
    from tui.screens.desk import HighlightsScreen

    aid = port_id(lib_path)
    with Library(lib_path) as lib:
        other = next(r.id for r in lib.rows() if r.id != aid)
        lib.add_highlight(aid, "Dockers returned to the quays at dawn.", note="the [b]scene[/b]")
        lib.add_highlight(aid, "Pilots worked double shifts.")
        lib.add_highlight(other, "The regatta moved to April.")
        story = list(lib.story_of(aid).articles)

    async def go():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await open_port(pilot)
            await pilot.press("Y")
            assert isinstance(app.screen, PromptDialog)
            await pilot.press(*"strike", "enter")
            await settle(pilot)
            await pilot.press("E")
            assert isinstance(app.screen, PromptDialog)
            await pilot.press(*"strike = dock strike", "enter")
            await settle(pilot)
            await pilot.press("L")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, HighlightsScreen)
            options = screen.query_one("#desk-list")
            shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
            options.highlighted = next(i for i, text in enumerate(shown) if "regatta moved" in text)
            await pilot.press("enter")
            await settle(pilot)
            return shown, app.query_one(ReaderView).article.id, [str(n.message) for n in app._notifications]

    shown, opened, toasts = run(go())
    assert len(shown) == 3
    assert any("Dockers returned to the quays at dawn." in s and "note: the [b]scene[/b]" in s for s in shown)
    assert any("The regatta moved to April." in s for s in shown)
    assert opened == other
    assert any(t.startswith("Renamed “strike” to “dock strike”") for t in toasts), toasts
    with Library(lib_path) as lib:
        for member in story:
            assert lib.article_tags(member) == ["dock strike"]
        assert [t["name"] for t in lib.tags()] == ["dock strike"]


def test_the_highlighted_entitys_dossier_exported_as_a_briefing(tmp_path, monkeypatch):
    # The port article with its entities found (this module's library skips the entity stage).
    lib_path = library_of(tmp_path / "ents", DRAFTS, entities=True)
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    monkeypatch.setattr("tui.desk_actions.save_folder", lambda: tmp_path)

    async def go():
        app = build_app(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await open_port(pilot)
            entity = app._highlighted_entity()
            app.action_export_dossier()
            await settle(pilot)
            return str(entity.name) if entity else None, [str(n.message) for n in app._notifications]

    name, toasts = run(go())
    assert name, "the port article should have an entity in the sidebar"
    files = list(tmp_path.glob("newsdesk-dossier-*.md"))
    assert len(files) == 1, (files, toasts)
    assert files[0].read_text().startswith(f"# Briefing: {name}")
    assert any(t.startswith("Exported ") for t in toasts), toasts
