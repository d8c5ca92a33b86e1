"""The theme: applied from the config at start, saved to it when changed
(from the palette's theme picker or any other way the app's theme is set)."""

from __future__ import annotations

from textual.app import App

from .config import TuiConfig, save_theme


def apply_saved_theme(app: App, config: TuiConfig) -> None:
    """Use the config's theme; an unknown name is reported, not fatal."""
    if not config.theme:
        return
    if config.theme not in app.available_themes:
        config.problems.append(f"theme {config.theme!r} is not one of the themes "
                               f"(ctrl+p → Theme lists them); using {app.theme!r}")
        return
    app.theme = config.theme


def remember_theme(app: App, config: TuiConfig) -> None:
    """Save every later theme change to the config file (when it is the user's)."""

    def changed(theme: str) -> None:
        if not config.persist or config.path is None or theme == config.theme:
            return
        try:
            save_theme(config.path, theme)
        except (OSError, ValueError) as exc:
            app.notify(f"Theme not saved: {exc}", title="Config", severity="warning", markup=False)
            return
        config.theme = theme

    app.watch(app, "theme", changed, init=False)
