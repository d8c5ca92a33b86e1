"""Story tables: the event-model term table (the candidate index, rebuildable
from the store), story membership and the user's corrections. Queries only;
the decisions are in ``articles.analysis.events``."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence

from .store import EXTRA_SCHEMAS

SCHEMA = """
-- One row per article placed by the event model: its strongest weighted term
-- frequencies (features, JSON) and its date as a day number.
CREATE TABLE IF NOT EXISTS story_doc (
    article_id TEXT PRIMARY KEY,
    body_hash TEXT NOT NULL,
    seq INTEGER NOT NULL,
    day INTEGER,
    entities INTEGER NOT NULL DEFAULT 0,  -- entity features included
    features TEXT NOT NULL
);
-- Document frequency of each feature over story_doc (for idf).
CREATE INDEX IF NOT EXISTS story_doc_seq ON story_doc(seq);
-- Outbox: articles added, re-bodied or deleted since each level ('copy', 'event')
-- last caught up, so catching up never reads every article of a big library.
CREATE TABLE IF NOT EXISTS story_outbox (level TEXT NOT NULL, article_id TEXT NOT NULL,
                                         PRIMARY KEY (level, article_id)) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS story_outbox_ins AFTER INSERT ON articles BEGIN
    INSERT OR IGNORE INTO story_outbox(level, article_id) VALUES ('copy', new.id);
    INSERT OR IGNORE INTO story_outbox(level, article_id) VALUES ('event', new.id);
END;
CREATE TRIGGER IF NOT EXISTS story_outbox_upd AFTER UPDATE OF body_hash ON articles
WHEN new.body_hash != old.body_hash BEGIN
    INSERT OR IGNORE INTO story_outbox(level, article_id) VALUES ('copy', new.id);
    INSERT OR IGNORE INTO story_outbox(level, article_id) VALUES ('event', new.id);
END;
CREATE TRIGGER IF NOT EXISTS story_outbox_del AFTER DELETE ON articles BEGIN
    INSERT OR IGNORE INTO story_outbox(level, article_id) VALUES ('copy', old.id);
    INSERT OR IGNORE INTO story_outbox(level, article_id) VALUES ('event', old.id);
END;
CREATE TABLE IF NOT EXISTS story_df (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
-- The candidate index: each article under its strongest terms.
CREATE TABLE IF NOT EXISTS story_post (term TEXT NOT NULL, article_id TEXT NOT NULL,
                                       PRIMARY KEY (term, article_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS story_post_a ON story_post(article_id);
CREATE TABLE IF NOT EXISTS story_member (article_id TEXT PRIMARY KEY, story_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS story_member_story ON story_member(story_id);
-- The user's corrections, replayed on every regroup: kind 'apart' (a must not
-- share a story with b: a split) or 'together' (a merge).
CREATE TABLE IF NOT EXISTS story_correction (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, a TEXT NOT NULL, b TEXT NOT NULL,
    at REAL NOT NULL
);
"""
EXTRA_SCHEMAS.append(SCHEMA)


def ensure_schema(conn: sqlite3.Connection) -> None:
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name='story_outbox_del'").fetchone() is None:
        conn.executescript(SCHEMA)


def _j(ids: Iterable) -> str:
    return json.dumps(list(ids))


# -- docs -----------------------------------------------------------------------------
def doc_state(conn) -> dict[str, tuple[str, int]]:
    return {a: (h, e) for a, h, e in conn.execute("SELECT article_id, body_hash, entities FROM story_doc")}


def doc_state_of(conn, ids: Sequence[str]) -> dict[str, tuple[str, int]]:
    return {a: (h, e) for a, h, e in conn.execute(
        "SELECT article_id, body_hash, entities FROM story_doc WHERE article_id IN "
        "(SELECT value FROM json_each(?))", (_j(ids),))}


def outbox_trusted(conn, level: str) -> bool:
    """Whether the outbox has recorded every change since this level was last
    complete (false in a library made before the outbox, until one full pass)."""
    return conn.execute("SELECT 1 FROM meta WHERE key=?", (f"stories.outbox.{level}",)).fetchone() is not None


def outbox_done(conn, level: str) -> None:
    conn.execute("DELETE FROM story_outbox WHERE level=?", (level,))
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, '1')", (f"stories.outbox.{level}",))


def unplaced(conn) -> list[tuple[str, str]]:
    """(id, body hash) of articles new or changed since placed, in arrival order."""
    scope = ("JOIN story_outbox o ON o.article_id = a.id AND o.level = 'event' "
             if outbox_trusted(conn, "event") else "")
    return conn.execute(
        f"SELECT a.id, a.body_hash FROM articles a {scope}LEFT JOIN story_doc d ON d.article_id = a.id "
        "WHERE d.article_id IS NULL OR d.body_hash != a.body_hash ORDER BY a.added_at, a.rowid").fetchall()


def gone(conn) -> list[str]:
    if outbox_trusted(conn, "event"):
        return [r[0] for r in conn.execute(
            "SELECT o.article_id FROM story_outbox o JOIN story_doc d ON d.article_id = o.article_id "
            "LEFT JOIN articles a ON a.id = o.article_id WHERE o.level = 'event' AND a.id IS NULL")]
    return [r[0] for r in conn.execute(
        "SELECT d.article_id FROM story_doc d LEFT JOIN articles a ON a.id = d.article_id WHERE a.id IS NULL")]


def without_entities_ready(conn) -> list[tuple[str, str]]:
    """Placed without entities although the entity stage has since run on them."""
    try:
        return conn.execute(
            "SELECT d.article_id, d.body_hash FROM story_doc d JOIN entity_state s ON s.article_id = d.article_id "
            "AND s.body_hash = d.body_hash WHERE d.entities = 0 ORDER BY d.seq").fetchall()
    except sqlite3.Error:
        return []


def doc_count(conn) -> int:
    return conn.execute("SELECT count(*) FROM story_doc").fetchone()[0]


def next_seq(conn) -> int:
    return (conn.execute("SELECT max(seq) FROM story_doc").fetchone()[0] or 0) + 1


def docs(conn, ids: Sequence[str]) -> dict[str, tuple[dict, int | None, int]]:
    """article id -> (features, day, seq)."""
    return {a: (json.loads(f), d, s) for a, f, d, s in conn.execute(
        "SELECT article_id, features, day, seq FROM story_doc WHERE article_id IN "
        "(SELECT value FROM json_each(?))", (_j(ids),))}


def df_of(conn, terms: Iterable[str]) -> dict[str, int]:
    return dict(conn.execute("SELECT term, df FROM story_df WHERE term IN (SELECT value FROM json_each(?))",
                             (_j(terms),)))


def put_doc(conn, aid: str, body_hash: str, seq: int, day: int | None, entities: bool,
            features: dict[str, float], posting: Sequence[str]) -> None:
    conn.execute("INSERT INTO story_doc(article_id, body_hash, seq, day, entities, features) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
                 (aid, body_hash, seq, day, int(entities), json.dumps(features, separators=(",", ":"))))
    conn.executemany("INSERT INTO story_df(term, df) VALUES (?, 1) ON CONFLICT(term) DO UPDATE SET df = df + 1",
                     ((t,) for t in features))
    conn.executemany("INSERT OR IGNORE INTO story_post(term, article_id) VALUES (?, ?)",
                     ((t, aid) for t in posting))


def drop_doc(conn, aid: str) -> None:
    row = conn.execute("SELECT features FROM story_doc WHERE article_id=?", (aid,)).fetchone()
    if row is None:
        return
    conn.executemany("UPDATE story_df SET df = df - 1 WHERE term = ?", ((t,) for t in json.loads(row[0])))
    conn.execute("DELETE FROM story_post WHERE article_id=?", (aid,))
    conn.execute("DELETE FROM story_doc WHERE article_id=?", (aid,))


def clear_docs(conn) -> None:
    conn.execute("DELETE FROM story_doc")
    conn.execute("DELETE FROM story_df")
    conn.execute("DELETE FROM story_post")


def bulk_put(conn, rows: Iterable[tuple], df: dict[str, int], postings: Iterable[tuple[str, str]]) -> None:
    """rows: (article_id, body_hash, seq, day, entities, features dict)."""
    conn.executemany("INSERT INTO story_doc(article_id, body_hash, seq, day, entities, features) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     ((a, h, s, d, int(e), json.dumps(f, separators=(",", ":"))) for a, h, s, d, e, f in rows))
    conn.executemany("INSERT INTO story_df(term, df) VALUES (?, ?)", df.items())
    conn.executemany("INSERT OR IGNORE INTO story_post(term, article_id) VALUES (?, ?)", postings)


def candidates(conn, query: dict[str, float], limit: int) -> list[str]:
    """The articles sharing most of the query's weighted terms (the index look-up)."""
    return [r[0] for r in conn.execute(
        "SELECT p.article_id FROM json_each(?) q JOIN story_post p ON p.term = q.key "
        "GROUP BY p.article_id ORDER BY sum(q.value) DESC, p.article_id LIMIT ?",
        (json.dumps(query), limit))]


# -- membership -------------------------------------------------------------------------
def members(conn) -> dict[str, str]:
    return dict(conn.execute("SELECT article_id, story_id FROM story_member"))


def story_keys(conn, ids: Sequence[str]) -> dict[str, str]:
    return dict(conn.execute("SELECT article_id, story_id FROM story_member WHERE article_id IN "
                             "(SELECT value FROM json_each(?))", (_j(ids),)))


def story_members(conn, keys: Sequence[str], cap: int) -> dict[str, list[str]]:
    """Members of each story, the most recent ``cap`` in arrival order."""
    out: dict[str, list[str]] = {}
    for key, aid in conn.execute(
            "SELECT m.story_id, m.article_id FROM story_member m JOIN story_doc d ON d.article_id = m.article_id "
            "WHERE m.story_id IN (SELECT value FROM json_each(?)) ORDER BY d.seq DESC", (_j(keys),)):
        lst = out.setdefault(key, [])
        if len(lst) < cap:
            lst.append(aid)
    return out


def set_member(conn, aid: str, key: str) -> None:
    conn.execute("INSERT OR REPLACE INTO story_member(article_id, story_id) VALUES (?, ?)", (aid, key))


def rekey(conn, old: str, new: str) -> None:
    conn.execute("UPDATE story_member SET story_id=? WHERE story_id=?", (new, old))


def drop_member(conn, aid: str) -> str | None:
    row = conn.execute("SELECT story_id FROM story_member WHERE article_id=?", (aid,)).fetchone()
    conn.execute("DELETE FROM story_member WHERE article_id=?", (aid,))
    return row[0] if row else None


def replace_members(conn, member: dict[str, str]) -> None:
    conn.execute("DELETE FROM story_member")
    conn.executemany("INSERT INTO story_member(article_id, story_id) VALUES (?, ?)", member.items())


# -- corrections --------------------------------------------------------------------------
def corrections(conn) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in conn.execute("SELECT kind, a, b FROM story_correction ORDER BY seq")]


def add_correction(conn, kind: str, a: str, b: str) -> None:
    conn.execute("INSERT INTO story_correction(kind, a, b, at) VALUES (?, ?, ?, ?)", (kind, a, b, time.time()))
