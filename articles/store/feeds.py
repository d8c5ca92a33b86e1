"""The feed tables: subscriptions, and the entries each feed already handed over.

SQL only: URLs are checked and feeds fetched by ``services/feeds.py``.  Every
function takes the library's ``Store`` and writes inside ``Store.transaction``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from . import Store

__all__ = ["FEEDS_SCHEMA", "Feed", "insert_feed", "feed_by_id", "feed_by_url", "delete_feed",
           "list_feeds", "article_counts", "feed_article_ids", "seen_entries", "record_status",
           "record_refresh"]

FEEDS_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT,
    tag TEXT,
    site_url TEXT,
    etag TEXT,
    last_modified TEXT,
    last_fetched REAL,
    last_status TEXT,
    last_error TEXT,
    added_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS feeds_tag ON feeds(tag);
-- Entries already handed to the library, with a digest of what the feed said,
-- so an unchanged entry is neither re-saved nor has its page fetched again.
CREATE TABLE IF NOT EXISTS feed_entries (
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    entry_key TEXT NOT NULL,
    digest TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
);
"""

_FEED_COLS = ("id, url, title, tag, site_url, etag, last_modified, last_fetched, "
              "last_status, last_error, added_at")


@dataclass
class Feed:
    id: int
    url: str
    title: str | None = None
    tag: str | None = None
    site_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_fetched: float | None = None
    last_status: str | None = None
    last_error: str | None = None
    added_at: float = 0.0
    # Counted from the articles table by services.feeds.list_feeds; not stored.
    articles: int = 0
    unread: int = 0

    @property
    def name(self) -> str:
        return self.title or urlsplit(self.url).hostname or self.url

    def to_json(self) -> dict:
        return asdict(self)


def _row_to_feed(r: Iterable) -> Feed:
    return Feed(*r)


def insert_feed(store: Store, url: str, tag: str | None, title: str | None) -> Feed:
    with store.transaction() as conn:
        cur = conn.execute("INSERT INTO feeds(url, title, tag, added_at) VALUES (?, ?, ?, ?)",
                           (url, title, tag, time.time()))
    feed = feed_by_id(store, cur.lastrowid)
    assert feed is not None
    return feed


def feed_by_id(store: Store, feed_id: int) -> Feed | None:
    r = store.conn.execute(f"SELECT {_FEED_COLS} FROM feeds WHERE id=?", (int(feed_id),)).fetchone()
    return _row_to_feed(r) if r else None


def feed_by_url(store: Store, url: str) -> Feed | None:
    r = store.conn.execute(f"SELECT {_FEED_COLS} FROM feeds WHERE url=?", (url,)).fetchone()
    return _row_to_feed(r) if r else None


def delete_feed(store: Store, feed_id: int) -> None:
    """The subscription and its seen entries; saved articles stay."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM feed_entries WHERE feed_id=?", (feed_id,))
        conn.execute("DELETE FROM feeds WHERE id=?", (feed_id,))


def list_feeds(store: Store, tag: str | None = None) -> list[Feed]:
    sql = f"SELECT {_FEED_COLS} FROM feeds"
    args: tuple = ()
    if tag:
        sql += " WHERE tag=?"
        args = (tag,)
    sql += " ORDER BY COALESCE(tag, ''), LOWER(COALESCE(title, url)), id"
    return [_row_to_feed(r) for r in store.conn.execute(sql, args)]


def article_counts(store: Store) -> dict[int, tuple[int, int]]:
    """feed id -> (articles saved from it, of which unread)."""
    return {r[0]: (r[1], r[2]) for r in store.conn.execute(
        "SELECT feed_id, count(*), sum(read=0) FROM articles WHERE feed_id IS NOT NULL GROUP BY feed_id")}


def feed_article_ids(store: Store, feed: int | None = None, tag: str | None = None) -> list[str]:
    sql = "SELECT a.id FROM articles a JOIN feeds f ON f.id = a.feed_id"
    if feed is not None:
        rows = store.conn.execute(sql + " WHERE f.id = ?", (int(feed),))
    elif tag is not None:
        rows = store.conn.execute(sql + " WHERE f.tag = ?", (tag,))
    else:
        rows = store.conn.execute(sql)
    return [r[0] for r in rows]


def seen_entries(store: Store, feed_id: int) -> dict[str, str]:
    """entry key -> digest of what the feed said when it was last saved."""
    return dict(store.conn.execute("SELECT entry_key, digest FROM feed_entries WHERE feed_id=?",
                                   (feed_id,)).fetchall())


def record_status(store: Store, feed_id: int, now: float, status: str, error: str | None) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE feeds SET last_fetched=?, last_status=?, last_error=? WHERE id=?",
                     (now, status, error, feed_id))


def record_refresh(store: Store, feed_id: int, seen: Iterable[tuple[str, str]], now: float, *,
                   etag: str | None, last_modified: str | None, title: str | None,
                   site_url: str | None, status: str) -> None:
    """After a feed's entries were saved: mark ``seen`` (key, digest) entries and move
    the feed's validators forward, in one transaction."""
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO feed_entries(feed_id, entry_key, digest, seen_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(feed_id, entry_key) DO UPDATE SET digest=excluded.digest, seen_at=excluded.seen_at",
            [(feed_id, key, digest, now) for key, digest in seen],
        )
        conn.execute(
            "UPDATE feeds SET etag=?, last_modified=?, title=COALESCE(NULLIF(title, ''), ?), "
            "site_url=COALESCE(?, site_url), last_fetched=?, last_status=?, last_error=NULL WHERE id=?",
            (etag, last_modified, title, site_url, now, status, feed_id),
        )
