"""Where a library lives: the folder holding the store (and the index beside
it), found without opening anything, so a check before the reader starts
costs a stat."""

from __future__ import annotations

import os
from pathlib import Path

from . import LibraryError

__all__ = ["STORE_NAME", "INDEX_NAME", "is_library", "require_library", "default_library_path"]

STORE_NAME = "library.db"
INDEX_NAME = "index"


def is_library(path: Path | str) -> bool:
    """A folder holding a Newsdesk store."""
    return (Path(path).expanduser() / STORE_NAME).is_file()


def require_library(path: Path | str) -> None:
    """Raise LibraryError naming ``path`` unless it holds a library: without
    opening anything, so a check before the TUI starts costs a stat."""
    where = Path(path).expanduser()
    if is_library(where):
        return
    if where.is_dir() and any(where.iterdir()):
        raise LibraryError(f"{where} is a folder but not a Newsdesk library")
    raise LibraryError(f"no library at {where}: create one with 'newsdesk init {where}'")


def default_library_path() -> Path:
    env = os.environ.get("NEWSDESK_LIBRARY")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("newsdesk", appauthor=False)) / "library"
