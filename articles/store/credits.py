"""The credits table family: the reports each article credits
(``articles.analysis.provenance``), kept per article, and the article look-ups
that link a credit to the credited report (by outlet, web host or title)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from contextlib import contextmanager

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import Store

CREDITS_SCHEMA = """
-- The reports an article credits (articles.analysis.provenance), per article:
-- article_credit_done says which body, own outlet and rules they were found with.
CREATE TABLE IF NOT EXISTS article_credit_done (
    article_id TEXT PRIMARY KEY, body_hash TEXT NOT NULL, own TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS article_credit (
    article_id TEXT NOT NULL, seq INTEGER NOT NULL,
    outlet TEXT, author TEXT, title TEXT, via TEXT, kind TEXT NOT NULL,
    start INTEGER NOT NULL, stop INTEGER NOT NULL,
    PRIMARY KEY (article_id, seq)
);
"""

# Keeping credits is a cache write made while reading: it never waits long for
# another writer (an import in another process holds the store for seconds).
WRITE_WAIT_MS = 100


class Busy(Exception):
    """Another writer holds the library: the cache write is skipped."""


@contextmanager
def writing_briefly(store: Store, lock: threading.Lock | None):
    """A transaction that gives up (Busy, or sqlite3's busy error) after
    WRITE_WAIT_MS rather than wait for another writer."""
    if lock is not None and not lock.acquire(timeout=WRITE_WAIT_MS / 1000):
        raise Busy()
    conn = store.conn
    try:
        wait = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        conn.execute(f"PRAGMA busy_timeout={WRITE_WAIT_MS}")
        try:
            with store.transaction():
                yield
        finally:
            conn.execute(f"PRAGMA busy_timeout={int(wait)}")
    finally:
        if lock is not None:
            lock.release()


def done_with(conn, aid: str) -> tuple[str, str] | None:
    """(body hash, key) the article's stored credits were found with, or None."""
    try:
        row = conn.execute("SELECT body_hash, own FROM article_credit_done WHERE article_id=?",
                           (aid,)).fetchone()
    except sqlite3.OperationalError:
        return None  # a read-only library opened before this table existed
    return tuple(row) if row is not None else None


def stored(conn, aid: str) -> list[tuple]:
    """(outlet, author, title, via, kind, start, stop) of each stored credit, in order."""
    return conn.execute("SELECT outlet, author, title, via, kind, start, stop FROM article_credit "
                        "WHERE article_id=? ORDER BY seq", (aid,)).fetchall()


def replace(conn, aid: str, rows: Sequence[tuple], body_hash: str, key: str) -> None:
    """rows: (outlet, author, title, via, kind, start, stop) per credit."""
    conn.execute("DELETE FROM article_credit WHERE article_id=?", (aid,))
    conn.executemany(
        "INSERT INTO article_credit(article_id, seq, outlet, author, title, via, kind, start, stop) "
        "VALUES (?,?,?,?,?,?,?,?,?)", [(aid, i, *r) for i, r in enumerate(rows)])
    conn.execute("INSERT OR REPLACE INTO article_credit_done(article_id, body_hash, own) "
                 "VALUES (?,?,?)", (aid, body_hash, key))


# -- looking for the credited report -----------------------------------------------------
COLS = "id, title, author, date, source, url, body"


def sources(conn) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT source FROM articles WHERE source IS NOT NULL")]


def _span(when: tuple[str, str] | None) -> tuple[str, list]:
    if when is None:
        return "", []
    return " AND date >= ? AND date <= ?", list(when)


def by_source(conn, name: str, when: tuple[str, str] | None, limit: int) -> list[tuple]:
    """The newest ``limit`` articles of this source (dates within ``when``, if given)."""
    span, args = _span(when)
    return conn.execute(
        f"SELECT {COLS} FROM articles WHERE source IS NULL = 0 AND source = ? COLLATE NOCASE"
        f"{span} ORDER BY date DESC LIMIT ?", (name, *args, limit)).fetchall()


def urls_like(conn, key: str) -> list[str]:
    return [u for (u,) in conn.execute("SELECT url FROM articles WHERE url LIKE ?", (f"%{key}%",))]


def by_urls(conn, urls: Sequence[str], when: tuple[str, str] | None) -> list[tuple]:
    span, args = _span(when)
    return conn.execute(f"SELECT {COLS} FROM articles WHERE url IN (SELECT value FROM json_each(?))" + span,
                        (json.dumps(list(urls)), *args)).fetchall()


def by_title_word(conn, word: str, limit: int) -> list[tuple]:
    return conn.execute(f"SELECT {COLS} FROM articles WHERE title LIKE ? LIMIT ?",
                        (f"%{word}%", limit)).fetchall()
