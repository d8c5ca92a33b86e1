"""The highlights table: passages a user marked in an article (store layer, SQL only).

A highlight is kept by its text with some context either side (a text anchor),
plus the offsets where it was made as a hint: the body can change under it when
an edited copy of the article is re-imported, and the anchor finds it again
(articles/text/anchor.py). A highlight is never deleted because its text went
away; it is shown as orphaned. Its note is searchable (note:WORD), so changes
queue the article for the index in the same transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import Store

__all__ = ["HIGHLIGHTS_SCHEMA", "HighlightRow", "add_highlight", "remove_highlight",
           "article_highlights", "all_highlights", "highlight_notes_of_many"]

HIGHLIGHTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS article_highlights (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    text TEXT NOT NULL,
    prefix TEXT NOT NULL,
    suffix TEXT NOT NULL,
    start INTEGER NOT NULL,
    note TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS article_highlights_article ON article_highlights(article_id, id);
"""

HighlightRow = tuple  # (id, article_id, text, prefix, suffix, start, note, created)
_COLS = "id, article_id, text, prefix, suffix, start, note, created"


def add_highlight(store: Store, article_id: str, text: str, prefix: str, suffix: str, start: int,
                  note: str | None, now: float) -> int:
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO article_highlights(article_id, text, prefix, suffix, start, note, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (article_id, text, prefix, suffix, start, note, now))
        conn.execute("INSERT OR IGNORE INTO index_queue(article_id) VALUES (?)", (article_id,))
    return int(cur.lastrowid)


def remove_highlight(store: Store, article_id: str, highlight_id: int) -> bool:
    with store.transaction() as conn:
        gone = conn.execute("DELETE FROM article_highlights WHERE id=? AND article_id=?",
                            (highlight_id, article_id)).rowcount
        if gone:
            conn.execute("INSERT OR IGNORE INTO index_queue(article_id) VALUES (?)", (article_id,))
    return bool(gone)


def article_highlights(store: Store, article_id: str) -> list[HighlightRow]:
    return [tuple(r) for r in store.conn.execute(
        f"SELECT {_COLS} FROM article_highlights WHERE article_id=? ORDER BY id", (article_id,))]


def all_highlights(store: Store) -> list[HighlightRow]:
    return [tuple(r) for r in store.conn.execute(
        f"SELECT {_COLS} FROM article_highlights ORDER BY article_id, id")]


def highlight_notes_of_many(store: Store, ids) -> dict[str, list[str]]:
    return store.by_article(
        "SELECT article_id, note FROM article_highlights WHERE article_id IN ({marks}) "
        "AND note IS NOT NULL AND note != '' ORDER BY id", ids)
