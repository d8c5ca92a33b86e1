"""The extraction cache: what spaCy found per body hash, and which articles wait
for their entities to be derived (store layer: SQL only)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence


def pending_hashes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(body_hash, article id) for bodies with no cached extraction, one article per hash."""
    return conn.execute(
        "SELECT a.body_hash, min(a.id) FROM articles a "
        "WHERE NOT EXISTS (SELECT 1 FROM entity_cache c WHERE c.body_hash = a.body_hash) "
        "GROUP BY a.body_hash ORDER BY min(a.id)").fetchall()


def any_pending_text(conn: sqlite3.Connection) -> bool:
    """Whether some article's text has no cached extraction (stops at the first)."""
    row = conn.execute(
        "SELECT 1 FROM articles a WHERE NOT EXISTS "
        "(SELECT 1 FROM entity_cache c WHERE c.body_hash = a.body_hash) LIMIT 1").fetchone()
    return row is not None


def text_read(conn: sqlite3.Connection, article_id: str) -> bool:
    """Whether the entity stage has derived entities from the article's current text."""
    try:
        return conn.execute(
            "SELECT 1 FROM entity_state s JOIN articles a ON a.id = s.article_id "
            "AND a.body_hash = s.body_hash WHERE s.article_id = ?", (article_id,)).fetchone() is not None
    except sqlite3.OperationalError:  # a read-only library from before the entity tables
        return False


def stale_articles(conn: sqlite3.Connection) -> int:
    """Articles added, changed or deleted since their entities were last derived
    (kept by triggers on the articles table, so counting them scans nothing)."""
    return conn.execute("SELECT count(*) FROM entity_dirty").fetchone()[0]


def clear(conn: sqlite3.Connection) -> None:
    """Forget every extraction (call inside a transaction): all text goes through the model again."""
    conn.execute("DELETE FROM entity_cache")


def save(conn: sqlite3.Connection, rows: Sequence[tuple[str, str, list, float]]) -> None:
    """Cache extractions, (body hash, model, spans, when) each (call inside a transaction)."""
    conn.executemany("INSERT OR REPLACE INTO entity_cache(body_hash, model, spans, created) "
                     "VALUES (?,?,?,?)",
                     [(h, model, json.dumps(spans, ensure_ascii=False), when) for h, model, spans, when in rows])
    # Articles with this text are derived again (the cache may have
    # been lost while their mentions stayed).
    conn.execute("INSERT OR IGNORE INTO entity_dirty(article_id) SELECT a.id FROM articles a "
                 "WHERE a.body_hash IN (SELECT value FROM json_each(?))",
                 (json.dumps([r[0] for r in rows]),))
