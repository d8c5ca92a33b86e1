"""Actions that used to do nothing visible now say what happened: an unknown
keymap id, ctrl+r, and `o` where no browser can start."""

from __future__ import annotations

from articles.library import Library
from conftest import SIZE, run, settle
from tui.app import NewsdeskApp
from tui.config import load_config


def _toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def test_unknown_keymap_id_is_reported_and_the_known_ones_still_apply(lib_path, tmp_path):
    cfg_file = tmp_path / "config.toml"
    cfg_file.write_text('[keymap]\nstar = "f"\nstarr = "z"\n')
    cfg = load_config(cfg_file)

    async def flow():
        app = NewsdeskApp(Library(lib_path), cfg, run_entity_stage=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("f")
            await pilot.pause()
            return _toasts(app), app.article_list.current_row.starred

    toasts, starred = run(flow())
    assert any("keymap 'starr' is not a binding id" in t for t in toasts)
    assert starred


def test_ctrl_r_confirms_the_reload(lib_path):
    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+r")
            await settle(pilot)
            return _toasts(app)

    assert any(t.startswith("Reloaded: 4 articles") for t in run(flow()))


def test_open_url_without_a_browser_says_so_and_shows_the_link(lib_path, monkeypatch):
    import webbrowser

    monkeypatch.setattr(webbrowser, "open", lambda *a, **k: False)  # no browser on this machine

    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.open_url("https://example.org/summit")
            await pilot.pause()
            return _toasts(app)

    toasts = run(flow())
    assert any("No browser could be started here. The link: https://example.org/summit" in t for t in toasts)


def test_screenshot_says_where_it_went_or_why_it_could_not(lib_path, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")

    async def flow():
        app = NewsdeskApp(Library(lib_path), load_config(None), run_entity_stage=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            saved = app.deliver_screenshot("shot.svg", str(tmp_path))
            failed = app.deliver_screenshot("shot.svg", str(blocker))
            await pilot.pause()
            return saved, failed, _toasts(app)

    saved, failed, toasts = run(flow())
    assert saved == str(tmp_path / "shot.svg") and (tmp_path / "shot.svg").read_text().startswith("<svg")
    assert failed is None
    assert any(t.startswith(f"Saved screenshot to {tmp_path / 'shot.svg'}") for t in toasts)
    assert any(f"Screenshot not saved: cannot write {blocker / 'shot.svg'}" in t for t in toasts)
