"""The tag tables: names a user puts on articles (store layer, SQL only).

Every change queues the article in ``index_queue`` in the same transaction, so
the search index (which carries tags for ``tag:NAME``) catches up after a crash.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import Store

__all__ = ["TAGS_SCHEMA", "clean_tag", "add_tags", "remove_tags", "article_tags", "tag_counts",
           "tags_of_many", "tagged_ids", "rename_tag"]

TAGS_SCHEMA = """
CREATE TABLE IF NOT EXISTS article_tags (
    article_id TEXT NOT NULL,
    name TEXT NOT NULL,
    added_at REAL NOT NULL,
    PRIMARY KEY (article_id, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS article_tags_name ON article_tags(name);
"""


def clean_tag(name: str, *, new: bool = True) -> str:
    """A tag as stored: trimmed, lower case; an empty or comma-bearing name is refused
    (the index keeps tags as one comma-separated keyword field), and so is one
    with a control or format character: an escape or a bidi override in a tag
    would be shown in every list it appears in (stripping it silently would
    make a tag the user cannot type back). ``new=False`` names a tag already
    stored (to remove or rename it): one kept from before this check must stay
    removable."""
    tag = " ".join(str(name).split()).lower()
    if not tag:
        raise ValueError("a tag name cannot be empty")
    bad = next((c for c in tag if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn")), None)
    if bad is not None and new:
        raise ValueError(f"a tag name cannot contain control or invisible characters "
                         f"(U+{ord(bad):04X} in '{tag.encode('unicode_escape').decode('ascii')}')")
    if "," in tag:
        raise ValueError(f"a tag name cannot contain a comma: {name!r}")
    return tag


def add_tags(store: Store, article_id: str, names: list[str], now: float) -> list[str]:
    tags = [clean_tag(n) for n in names]
    with store.transaction() as conn:
        conn.executemany("INSERT OR IGNORE INTO article_tags(article_id, name, added_at) VALUES (?, ?, ?)",
                         [(article_id, t, now) for t in tags])
        conn.execute("INSERT OR IGNORE INTO index_queue(article_id) VALUES (?)", (article_id,))
    return article_tags(store, article_id)


def remove_tags(store: Store, article_id: str, names: list[str]) -> list[str]:
    tags = [clean_tag(n, new=False) for n in names]
    with store.transaction() as conn:
        conn.executemany("DELETE FROM article_tags WHERE article_id=? AND name=?",
                         [(article_id, t) for t in tags])
        conn.execute("INSERT OR IGNORE INTO index_queue(article_id) VALUES (?)", (article_id,))
    return article_tags(store, article_id)


def article_tags(store: Store, article_id: str) -> list[str]:
    return [r[0] for r in store.conn.execute(
        "SELECT name FROM article_tags WHERE article_id=? ORDER BY name", (article_id,))]


def tag_counts(store: Store) -> list[tuple[str, int]]:
    return [(r[0], r[1]) for r in store.conn.execute(
        "SELECT name, COUNT(*) FROM article_tags GROUP BY name ORDER BY name")]


def tags_of_many(store: Store, ids) -> dict[str, list[str]]:
    return store.by_article(
        "SELECT article_id, name FROM article_tags WHERE article_id IN ({marks}) ORDER BY name", ids)


def tagged_ids(store: Store, name: str) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT article_id FROM article_tags WHERE name=?", (name,))]


def rename_tag(store: Store, old: str, new: str) -> int:
    """Move every ``old`` tag to ``new`` (merging when an article has both)."""
    with store.transaction() as conn:
        ids = [r[0] for r in conn.execute("SELECT article_id FROM article_tags WHERE name=?", (old,))]
        conn.execute("UPDATE OR IGNORE article_tags SET name=? WHERE name=?", (new, old))
        conn.execute("DELETE FROM article_tags WHERE name=?", (old,))
        conn.executemany("INSERT OR IGNORE INTO index_queue(article_id) VALUES (?)", [(a,) for a in ids])
    return len(ids)
