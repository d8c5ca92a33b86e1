"""Saved searches (smart lists): a name for a query (store layer, SQL only).

Only the query is kept; its hits and unread count are the index's answer at the
time they are asked for, so a saved search follows the library as articles arrive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import Store

__all__ = ["SAVED_SCHEMA", "clean_name", "save_search", "remove_search", "saved_searches"]

SAVED_SCHEMA = """
CREATE TABLE IF NOT EXISTS saved_searches (
    name TEXT PRIMARY KEY,
    query TEXT NOT NULL,
    created REAL NOT NULL
);
"""


def clean_name(name: str) -> str:
    clean = " ".join(str(name).split())
    if not clean:
        raise ValueError("a saved search needs a name")
    return clean


def save_search(store: Store, name: str, query: str, now: float) -> bool:
    """Save (or replace) ``name``; True when it is new."""
    with store.transaction() as conn:
        new = conn.execute("SELECT 1 FROM saved_searches WHERE name=?", (name,)).fetchone() is None
        conn.execute("INSERT INTO saved_searches(name, query, created) VALUES (?, ?, ?) "
                     "ON CONFLICT(name) DO UPDATE SET query=excluded.query", (name, query, now))
    return new


def remove_search(store: Store, name: str) -> bool:
    with store.transaction() as conn:
        return bool(conn.execute("DELETE FROM saved_searches WHERE name=?", (name,)).rowcount)


def saved_searches(store: Store) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in store.conn.execute("SELECT name, query FROM saved_searches ORDER BY name")]
