"""The notes table: free text a user writes on an article (store layer, SQL only).

Several notes per article, each timestamped. Every change queues the article in
``index_queue`` in the same transaction: notes ride in the index's ``note``
field (note:WORD), which catches up after a crash like any other change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import Store

__all__ = ["NOTES_SCHEMA", "add_note", "remove_note", "article_notes", "notes_of_many"]

NOTES_SCHEMA = """
CREATE TABLE IF NOT EXISTS article_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    text TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS article_notes_article ON article_notes(article_id, id);
"""


def add_note(store: Store, article_id: str, text: str, now: float) -> int:
    with store.transaction() as conn:
        cur = conn.execute("INSERT INTO article_notes(article_id, text, created) VALUES (?, ?, ?)",
                           (article_id, text, now))
        conn.execute("INSERT OR IGNORE INTO index_queue(article_id) VALUES (?)", (article_id,))
    return int(cur.lastrowid)


def remove_note(store: Store, article_id: str, note_id: int) -> bool:
    with store.transaction() as conn:
        gone = conn.execute("DELETE FROM article_notes WHERE id=? AND article_id=?",
                            (note_id, article_id)).rowcount
        if gone:
            conn.execute("INSERT OR IGNORE INTO index_queue(article_id) VALUES (?)", (article_id,))
    return bool(gone)


def article_notes(store: Store, article_id: str) -> list[tuple[int, str, float]]:
    """(id, text, created) oldest first."""
    return [(r[0], r[1], r[2]) for r in store.conn.execute(
        "SELECT id, text, created FROM article_notes WHERE article_id=? ORDER BY id", (article_id,))]


def notes_of_many(store: Store, ids) -> dict[str, list[str]]:
    return store.by_article(
        "SELECT article_id, text FROM article_notes WHERE article_id IN ({marks}) ORDER BY id", ids)
