"""The follows table: the entities a user follows, by name (not by id, so merges
and rebuilds of the entity tables keep a follow pointing at the right entity)."""

from __future__ import annotations

import time

FOLLOWS_SCHEMA = """
CREATE TABLE IF NOT EXISTS follows (
    name_key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    seen_at REAL  -- when the user last opened the dossier
);
"""


def name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def put_follow(conn, name: str) -> None:
    conn.execute("INSERT INTO follows(name_key, name, created) VALUES (?, ?, ?) "
                 "ON CONFLICT(name_key) DO UPDATE SET name=excluded.name",
                 (name_key(name), name, time.time()))


def drop_follows(conn, keys) -> int:
    """Delete the follows under these name keys; how many there were."""
    return sum(conn.execute("DELETE FROM follows WHERE name_key=?", (k,)).rowcount for k in keys)


def followed(conn) -> list[tuple[str, float]]:
    """(name, created) of every follow, in the order they were made."""
    return conn.execute("SELECT name, created FROM follows ORDER BY created, name").fetchall()
