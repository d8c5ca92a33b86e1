"""What the screen says about the library: a sample or an empty library on the
first screen, and a sidebar that is never stale (finding entities while the
stage runs, the library's entities after an import from the palette)."""

from __future__ import annotations

from articles.library import Library
from articles.model import Draft
from conftest import SIZE, run, settle
from tui.app import NewsdeskApp
from tui.config import load_config
from tui.widgets.entity_sidebar import EntityOptions


def _toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def _reader_title(app) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, file=open("/dev/null", "w"))
    console.print(app.reader.query_one("#reader-title").content)
    return console.export_text()


def _sidebar(app) -> list[str]:
    opts = app.query_one(EntityOptions)
    return [str(opts.get_option_at_index(i).prompt) for i in range(opts.option_count)]


def _first_screen(path):
    async def flow():
        app = NewsdeskApp(Library(path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            return _toasts(app), _reader_title(app)
    return run(flow())


def test_first_run_says_it_is_a_sample_library_and_how_to_import(tmp_path):
    with Library(tmp_path / "lib") as lib:
        lib.add_samples()
    _toasts, title = _first_screen(tmp_path / "lib")
    assert title.startswith("You are looking at 12 sample articles shipped with Newsdesk")
    assert "ctrl+p → Import files…" in title and "newsdesk add" in title


def test_an_empty_library_says_so_and_how_to_import(tmp_path):
    Library(tmp_path / "lib").close()
    _toasts, title = _first_screen(tmp_path / "lib")
    assert title.startswith("This library is empty. Import your own: ctrl+p → Import files…")


def test_ones_own_library_gets_no_welcome(lib_path):
    _toasts, title = _first_screen(lib_path)
    assert not title.startswith(("You are looking at", "This library is empty"))
    assert "Your library" in title


def test_sidebar_says_finding_entities_while_the_stage_runs(lib_path):
    with Library(lib_path) as lib:  # a new article the entity stage has not read
        lib.add_drafts([Draft(title="Zzz new arrival", origin="t:new", source="Gazette", date="2030-01-01",
                              body="Mayor Ada Brook opened the bridge in Carrow Bay.")])

    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")  # newest first: the new article
            await settle(pilot)
            before = _sidebar(app)
            app._entities_running = True
            app.refresh_sidebar(reopen=False)
            await pilot.pause()
            return before, _sidebar(app)

    before, running = run(flow())
    assert before == ["Entities not found yet (the entity stage has not read this article)"]
    assert running == ["Finding entities…"]


def test_library_entities_are_current_after_an_import_from_the_palette(lib_path, tmp_path):
    news = tmp_path / "news.txt"
    news.write_text("Harbour reopens\n\nHarbour master Ada Brook reopened the port of Carrow Bay on Monday. "
                    "Ada Brook said ships could dock again.\n")

    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None))  # the real entity stage (the CLI)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.action_focus_entities()
            app.set_entity_scope("library")
            await settle(pilot)
            before = _sidebar(app)
            app.import_sources([str(news)])
            await settle(pilot)
            await settle(pilot)
            return before, _sidebar(app), app.sidebar.scope

    before, after, scope = run(flow())
    assert scope == "library"
    assert not any("Ada Brook" in line for line in before)
    assert any("Ada Brook" in line for line in after)
