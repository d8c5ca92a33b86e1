"""Builds the app the way the snapshot tests see it: a given library, no user
config, and nothing on screen that depends on the machine (paths, clocks)."""

from __future__ import annotations

from pathlib import Path

from articles.library import Library

from .app import NewsdeskApp
from .config import TuiConfig


def build_app(library_path: Path | str, keymap: dict[str, str] | None = None) -> NewsdeskApp:
    lib = Library(library_path, create=False)
    config = TuiConfig(keymap=dict(keymap or {}), path=Path("~/.config/newsdesk/config.toml"))
    return NewsdeskApp(lib, config, run_entity_stage=False)
