"""Story tables: the copy level's shingle sketches and candidate pairs, the
event model's term table (the candidate index, rebuildable from the store),
story membership and the user's corrections.  Queries only; the decisions are
in ``articles.analysis.events`` and ``articles.analysis.copies``, the use
cases in ``articles.services.stories`` and ``.copies``."""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Sequence

SKETCH_SCHEMA = """
CREATE TABLE IF NOT EXISTS story_sketch (
    article_id TEXT PRIMARY KEY,
    body_hash TEXT NOT NULL,
    shingles INTEGER NOT NULL  -- sampled shingles stored for this article
);
CREATE TABLE IF NOT EXISTS story_shingle (h INTEGER NOT NULL, article_id TEXT NOT NULL);
-- (h, article_id): shingle look-ups read the index alone, never the table
CREATE INDEX IF NOT EXISTS story_shingle_ha ON story_shingle(h, article_id);
CREATE INDEX IF NOT EXISTS story_shingle_a ON story_shingle(article_id);
-- Candidate pairs (a < b) with the shared sampled shingles.
CREATE TABLE IF NOT EXISTS story_pair (
    a TEXT NOT NULL, b TEXT NOT NULL, shared INTEGER NOT NULL, containment REAL NOT NULL,
    PRIMARY KEY (a, b)
);
CREATE INDEX IF NOT EXISTS story_pair_b ON story_pair(b);
-- How many articles hold each sampled shingle, kept in step with story_shingle
-- (counting it afresh for every new article grew with the library).
CREATE TABLE IF NOT EXISTS story_shingle_df (h INTEGER PRIMARY KEY, df INTEGER NOT NULL);
"""
STORIES_SCHEMA = SKETCH_SCHEMA + """
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


def outbox_pending(conn, level: str) -> bool:
    return conn.execute("SELECT 1 FROM story_outbox WHERE level=? LIMIT 1", (level,)).fetchone() is not None


# -- the copy level: shingle sketches and candidate pairs ----------------------------
def reset_sketches(conn) -> None:
    """Drop every sketch and pair (made by another shingle hash: derived data, made again)."""
    for table in ("story_shingle", "story_sketch", "story_pair", "story_shingle_df"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("DROP INDEX IF EXISTS story_shingle_h")  # the older index, on h alone
    conn.execute("DELETE FROM meta WHERE key='stories.outbox.copy'")


def unsketched(conn, trusted: bool) -> dict[str, str]:
    """id -> body hash of articles new or changed since sketched (only those in the
    outbox when it is ``trusted``).  Anti-joins in SQL: at 100k articles, reading
    every id into Python costs more than placing the one new article."""
    scope = "JOIN story_outbox o ON o.article_id = a.id AND o.level = 'copy' " if trusted else ""
    return dict(conn.execute(
        f"SELECT a.id, a.body_hash FROM articles a {scope}LEFT JOIN story_sketch s ON s.article_id = a.id "
        "WHERE s.article_id IS NULL OR s.body_hash != a.body_hash"))


def sketches_gone(conn, trusted: bool) -> list[str]:
    """Sketched articles no longer in the store."""
    if trusted:
        return [r[0] for r in conn.execute(
            "SELECT o.article_id FROM story_outbox o JOIN story_sketch s ON s.article_id = o.article_id "
            "LEFT JOIN articles a ON a.id = o.article_id WHERE o.level = 'copy' AND a.id IS NULL")]
    return [r[0] for r in conn.execute(
        "SELECT s.article_id FROM story_sketch s LEFT JOIN articles a ON a.id = s.article_id "
        "WHERE a.id IS NULL")]


def df_current(conn) -> bool:
    return conn.execute("SELECT 1 FROM meta WHERE key='stories.shingle_df'").fetchone() is not None


def recount_df(conn) -> None:
    conn.execute("DELETE FROM story_shingle_df")
    conn.execute("INSERT INTO story_shingle_df(h, df) SELECT h, count(*) FROM story_shingle GROUP BY h")
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('stories.shingle_df', '1')")


def drop_shingle_indexes(conn) -> None:
    # Random-order inserts into an index bigger than the page cache were the
    # copy stage's growth: a bulk pass indexes once, after.
    conn.execute("DROP INDEX IF EXISTS story_shingle_ha")
    conn.execute("DROP INDEX IF EXISTS story_shingle_a")


def create_shingle_indexes(conn) -> None:
    conn.execute("CREATE INDEX IF NOT EXISTS story_shingle_ha ON story_shingle(h, article_id)")
    conn.execute("CREATE INDEX IF NOT EXISTS story_shingle_a ON story_shingle(article_id)")


def put_sketch(conn, aid: str, body_hash: str, shingles: set[int], count: bool) -> None:
    """``count``: keep the shingle counts in step (a bulk pass recounts them after)."""
    conn.executemany("INSERT INTO story_shingle(h, article_id) VALUES (?, ?)", ((h, aid) for h in shingles))
    if count:
        conn.executemany("INSERT INTO story_shingle_df(h, df) VALUES (?, 1) "
                         "ON CONFLICT(h) DO UPDATE SET df = df + 1", ((h,) for h in shingles))
    conn.execute("INSERT OR REPLACE INTO story_sketch(article_id, body_hash, shingles) "
                 "VALUES (?, ?, ?)", (aid, body_hash, len(shingles)))


def forget_sketch(conn, aid: str, count: bool = True) -> None:
    if count:  # (a bulk pass recounts every shingle afterwards instead)
        conn.execute("UPDATE story_shingle_df SET df = df - 1 WHERE h IN "
                     "(SELECT h FROM story_shingle WHERE article_id=?)", (aid,))
    conn.execute("DELETE FROM story_shingle WHERE article_id=?", (aid,))
    conn.execute("DELETE FROM story_pair WHERE a=?", (aid,))  # two indexed deletes, not one OR
    conn.execute("DELETE FROM story_pair WHERE b=?", (aid,))
    conn.execute("DELETE FROM story_sketch WHERE article_id=?", (aid,))


def _put_pair(conn, x: str, y: str, shared: int, sizes: dict[str, int], keep: float) -> None:
    small = min(sizes.get(x, 0), sizes.get(y, 0))
    if small and shared / small >= keep:
        a, b = sorted((x, y))
        conn.execute("INSERT OR REPLACE INTO story_pair(a, b, shared, containment) VALUES (?, ?, ?, ?)",
                     (a, b, shared, shared / small))


def pairs_bulk(conn, new: set[str], boilerplate_df: int, keep: float) -> None:
    """Candidate pairs of many new articles at once: the shingles that are neither
    unique nor boilerplate read in one ordered pass, pairs counted in memory (a
    self-join grouped in SQL spent most of its time in a temporary B-tree).
    Pairs whose containment is below ``keep`` are not stored."""
    sizes = dict(conn.execute("SELECT article_id, shingles FROM story_sketch"))
    num: dict[str, int] = {}
    names: list[str] = []
    counts: Counter = Counter()
    group: list[int] = []
    last = None
    rows = conn.execute(
        "SELECT s.h, s.article_id FROM story_shingle_df d JOIN story_shingle s ON s.h = d.h "
        "WHERE d.df BETWEEN 2 AND ? ORDER BY s.h", (boilerplate_df - 1,))
    for h, aid in itertools.chain(rows, [(None, None)]):
        if h != last:
            group.sort()
            for i, x in enumerate(group):
                for y in group[i + 1:]:
                    counts[x, y] += 1
            group = []
            last = h
        if aid is not None:
            k = num.get(aid)
            if k is None:
                k = num[aid] = len(names)
                names.append(aid)
            group.append(k)
    for (x, y), shared in counts.items():
        a, b = names[x], names[y]
        if a in new or b in new:
            _put_pair(conn, a, b, shared, sizes, keep)


def pairs_each(conn, todo: list[str], boilerplate_df: int, keep: float) -> None:
    """Candidate pairs of a few new articles: each one's shingles looked up."""
    sizes: dict[str, int] = {}
    new = set(todo)
    for aid in todo:
        hashes = [r[0] for r in conn.execute(
            "SELECT d.h FROM story_shingle s JOIN story_shingle_df d ON d.h = s.h "
            "WHERE s.article_id=? AND d.df < ?", (aid, boilerplate_df))]
        rows = conn.execute(
            "SELECT article_id, count(*) FROM story_shingle WHERE h IN "
            "(SELECT value FROM json_each(?)) AND article_id != ? GROUP BY article_id",
            (json.dumps(hashes), aid)).fetchall()
        missing = [o for o, _ in rows if o not in sizes] + ([aid] if aid not in sizes else [])
        if missing:
            sizes.update(conn.execute("SELECT article_id, shingles FROM story_sketch WHERE article_id IN "
                                      "(SELECT value FROM json_each(?))", (json.dumps(missing),)))
        for other, shared in rows:
            if other in new and other < aid:
                continue  # the pair is found from the other side
            _put_pair(conn, aid, other, shared, sizes, keep)


def candidate_pairs(conn, ids: Sequence[str] | None = None) -> list[tuple[str, str, int, float]]:
    """(a, b, shared, containment) of every candidate pair (of these articles, or all)."""
    if ids is None:
        return conn.execute("SELECT a, b, shared, containment FROM story_pair").fetchall()
    # Two indexed look-ups, not one OR (which scans every pair).
    return conn.execute("SELECT a, b, shared, containment FROM story_pair WHERE a IN "
                        "(SELECT value FROM json_each(?1)) UNION "
                        "SELECT a, b, shared, containment FROM story_pair WHERE b IN "
                        "(SELECT value FROM json_each(?1))", (_j(ids),)).fetchall()


def pair_partners(conn, wanted: set[str]) -> set[str]:
    """Every article sharing a candidate pair with one of ``wanted``."""
    partners: set[str] = set()
    for a, b in conn.execute("SELECT a, b FROM story_pair"):
        if a in wanted:
            partners.add(b)
        if b in wanted:
            partners.add(a)
    return partners


def dates(conn, ids: Sequence[str]) -> dict[str, str | None]:
    if not ids:
        return {}
    return dict(conn.execute("SELECT id, date FROM articles WHERE id IN "
                             "(SELECT value FROM json_each(?))", (_j(ids),)))


def arrival(conn) -> list[tuple[str, str]]:
    """(id, body hash) of every article in arrival order."""
    return conn.execute("SELECT id, body_hash FROM articles ORDER BY added_at, rowid").fetchall()


# -- the entity stage's state, as the event model reads it -----------------------------
# (the entity tables may be missing in a read-only library made before them: that
# is "no entities yet", and only that error is taken so)
def entity_rows(conn) -> int:
    try:
        return conn.execute("SELECT count(*) FROM entity_state").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def entities_ready(conn, ids: Sequence[str] | None = None) -> set[str]:
    """Articles (of these) whose entity mentions are current (the entity stage
    has run on their body); empty when the stage never ran."""
    sql = ("SELECT s.article_id FROM entity_state s JOIN articles a ON a.id = s.article_id "
           "AND a.body_hash = s.body_hash")
    try:
        if ids is None:
            return {r[0] for r in conn.execute(sql)}
        return {r[0] for r in conn.execute(sql + " WHERE s.article_id IN (SELECT value FROM json_each(?))",
                                           (_j(ids),))}
    except sqlite3.OperationalError:
        return set()


# -- membership, continued ---------------------------------------------------------------
def story_size(conn, key: str) -> int:
    return conn.execute("SELECT count(*) FROM story_member WHERE story_id=?", (key,)).fetchone()[0]


def member_ids(conn, key: str) -> list[str]:
    return [r[0] for r in conn.execute("SELECT article_id FROM story_member WHERE story_id=?", (key,))]


def seq_of(conn, aid: str) -> int:
    return conn.execute("SELECT seq FROM story_doc WHERE article_id=?", (aid,)).fetchone()[0]


def seq_or_none(conn, aid: str) -> int | None:
    row = conn.execute("SELECT seq FROM story_doc WHERE article_id=?", (aid,)).fetchone()
    return row[0] if row else None


def first_member(conn, key: str) -> str | None:
    """The earliest placed member of a story."""
    row = conn.execute("SELECT m.article_id FROM story_member m JOIN story_doc d ON d.article_id = m.article_id "
                       "WHERE m.story_id=? ORDER BY d.seq LIMIT 1", (key,)).fetchone()
    return row[0] if row else None
