"""Stories: articles that report the same event, grouped, at two levels.

A *story* is one event covered by any number of outlets in their own words; it
is decided by the event model in ``articles.analysis.events`` (weighted terms,
names and numbers, central entities, date evidence), placing each new article
into the story its nearest articles (found through a term table, never all
pairs) belong to, or starting one; a story found to be two look-alike events
(bisected on story-local idf) is split. Inside a story, *copies* are reprints, wire
copies and re-reports: articles sharing passages of text, found as below.
A copy always joins its original's story.

Copies: each body becomes a set of hashed five-word shingles; a fixed quarter
of them (hash mod 4, so the same quarter for every article) is kept in the
store with an index on the hash, which makes finding candidates for a new
article one SQL join. A candidate pair is a copy when enough of the smaller
article's shingles are shared (containment) and, where known, the dates are
close and the entities overlap.

Everything is incremental (new or changed articles only) and rebuildable from
the store (``regroup(lib, from_scratch=True)``); the user's splits and merges
are kept in their own table and replayed on every regroup.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import json
import multiprocessing
import os
import re
import threading
from contextlib import contextmanager
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date as _date

from . import story_store as db
import numpy as np

from .analysis import events as ev
from .store import EXTRA_SCHEMAS

SCHEMA = """
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
EXTRA_SCHEMAS.append(SCHEMA)

SHINGLE = 5
SAMPLE = 4  # keep shingles whose hash is 0 mod SAMPLE
# Containment of the smaller article's shingles in the other's.
NEAR_COPY = 0.5  # a reprint: same story whatever else is known
SHARED_PASSAGES = 0.12  # a re-report: same story if dates and entities agree
MIN_SHARED = 4  # sampled shingles (~16 five-word runs) so one stock phrase never links
CANDIDATE = 0.05  # pairs worth remembering for later decisions
MAX_DAYS = 7
MIN_ENTITY_OVERLAP = 0.15
# Shingles found in this many articles are boilerplate (site footers, bylines).
BOILERPLATE_DF = 25

_WORD = re.compile(r"[\w’']+")


STORY_THRESHOLD = ev.Params().threshold  # module level, so the evaluation can sweep it


@dataclass
class Story:
    id: str
    title: str
    articles: list[str]  # oldest first
    sources: list[str] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)  # {"id", "title", "date", "source"}, oldest first
    copies: list[list[str]] = field(default_factory=list)  # groups of reprints / re-reports inside

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "articles": self.articles,
                "size": len(self.articles), "sources": self.sources,
                "timeline": self.timeline, "copies": self.copies}


@contextmanager
def writing(lib, derived: bool = False):
    """A store transaction under the library's write lock (the TUI writes from
    worker threads over one connection; imports hold the same lock).

    ``derived``: the transaction writes only what is rebuilt from the store
    (sketches, pairs, placements, never the user's corrections), so its commit
    need not wait for the disk (``synchronous=NORMAL``; in WAL mode a power cut
    can lose it, never corrupt it, and the outbox then still holds the work).
    Waiting for the disk twice was most of assigning one article its story."""
    lock = getattr(lib, "_write_lock", None)
    conn = lib.store.conn
    with lock if lock is not None else _nothing():
        relaxed = derived and not conn.in_transaction
        if relaxed:
            mode = conn.execute("PRAGMA synchronous").fetchone()[0]
            conn.execute("PRAGMA synchronous=NORMAL")
        try:
            with lib.store.transaction():
                yield
        finally:
            if relaxed:
                conn.execute(f"PRAGMA synchronous={int(mode)}")


@contextmanager
def _nothing():
    yield


def ensure_schema(conn) -> None:
    """Create the tables when this module was imported after the store opened."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name='story_shingle_df'").fetchone() is None:
        conn.executescript(SCHEMA)
    db.ensure_schema(conn)


# Above this many articles sketched at once, the shingle counts are recounted in
# one grouped pass (one index scan) instead of one upsert per shingle.
BULK_DF = 2000


def _df_current(conn) -> bool:
    return conn.execute("SELECT 1 FROM meta WHERE key='stories.shingle_df'").fetchone() is not None


def _recount_df(conn) -> None:
    conn.execute("DELETE FROM story_shingle_df")
    conn.execute("INSERT INTO story_shingle_df(h, df) SELECT h, count(*) FROM story_shingle GROUP BY h")
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('stories.shingle_df', '1')")


_WORD_HASH: dict[str, int] = {}  # word as written -> its 64-bit hash (a cache)
_MUL = np.uint64(0x100000001B3)  # odd: every word position moves every bit above it
SKETCH_VERSION = "2"  # stored sketches made by another shingle hash are made again


def _word_hash(w: str) -> int:
    h = _WORD_HASH.get(w)
    if h is None:
        h = int.from_bytes(hashlib.blake2b(w.casefold().replace("’", "'").encode("utf-8"),
                                           digest_size=8).digest(), "big")
        if len(_WORD_HASH) < 1_000_000:
            _WORD_HASH[w] = h
    return h


def shingles(body: str, k: int = SHINGLE, sample: int = SAMPLE) -> set[int]:
    """Sampled hashed k-word shingles (signed 64-bit, as SQLite stores integers).

    Each word is hashed once (cached) and a shingle's hash is a polynomial of its
    words' hashes, finished with a bit mixer, in numpy over the whole body: hashing
    every five-word run's text was most of the copy stage's time."""
    words = _WORD.findall(body)
    m = len(words) - k + 1
    if m <= 0:
        return set()
    wh = np.fromiter((_word_hash(w) for w in words), dtype=np.uint64, count=len(words))
    h = np.zeros(m, dtype=np.uint64)
    for i in range(k):
        h = h * _MUL + wh[i:i + m]  # wraps modulo 2**64, as meant
    h ^= h >> np.uint64(30)  # splitmix64's finaliser: the low bits (the sample) depend on all
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    h = h[h % np.uint64(sample) == 0]
    return set(h.view(np.int64).tolist())


# -- keeping the sketches current ----------------------------------------------------
def update(lib) -> int:
    """Hash new and changed bodies, drop deleted ones, refresh candidate pairs.
    Returns how many articles were (re)sketched."""
    conn = lib.store.conn
    ensure_schema(conn)
    if lib.store.meta_get("stories.sketch") != SKETCH_VERSION:
        with writing(lib, derived=True):  # sketches of another hash: derived data, made again
            for table in ("story_shingle", "story_sketch", "story_pair", "story_shingle_df"):
                conn.execute(f"DELETE FROM {table}")
            conn.execute("DROP INDEX IF EXISTS story_shingle_h")  # the older index, on h alone
            conn.execute("DELETE FROM meta WHERE key='stories.outbox.copy'")
            lib.store.meta_set("stories.sketch", SKETCH_VERSION)
    # Anti-joins in SQL: at 100k articles, reading every id into Python costs
    # more than placing the one new article.
    trusted = db.outbox_trusted(conn, "copy")
    scope = "JOIN story_outbox o ON o.article_id = a.id AND o.level = 'copy' " if trusted else ""
    current = dict(conn.execute(
        f"SELECT a.id, a.body_hash FROM articles a {scope}LEFT JOIN story_sketch s ON s.article_id = a.id "
        "WHERE s.article_id IS NULL OR s.body_hash != a.body_hash"))
    if trusted:
        gone = [r[0] for r in conn.execute(
            "SELECT o.article_id FROM story_outbox o JOIN story_sketch s ON s.article_id = o.article_id "
            "LEFT JOIN articles a ON a.id = o.article_id WHERE o.level = 'copy' AND a.id IS NULL")]
    else:
        gone = [r[0] for r in conn.execute(
            "SELECT s.article_id FROM story_sketch s LEFT JOIN articles a ON a.id = s.article_id "
            "WHERE a.id IS NULL")]
    todo = list(current)
    if not gone and not todo:
        if not trusted or conn.execute("SELECT 1 FROM story_outbox WHERE level='copy' LIMIT 1").fetchone():
            with writing(lib, derived=True):
                db.outbox_done(conn, "copy")
        return 0
    with writing(lib, derived=True):
        bulk = len(todo) > BULK_DF or not _df_current(conn)
        for aid in gone + todo:
            _forget(conn, aid, count=not bulk)
        if bulk:
            # Random-order inserts into an index bigger than the page cache were the
            # copy stage's growth: index once, after.
            conn.execute("DROP INDEX IF EXISTS story_shingle_ha")
            conn.execute("DROP INDEX IF EXISTS story_shingle_a")
        for i in range(0, len(todo), 200):
            chunk = todo[i:i + 200]
            for aid, body in lib.store.bodies(chunk).items():
                sh = shingles(body)
                conn.executemany("INSERT INTO story_shingle(h, article_id) VALUES (?, ?)",
                                 ((h, aid) for h in sh))
                if not bulk:
                    conn.executemany("INSERT INTO story_shingle_df(h, df) VALUES (?, 1) "
                                     "ON CONFLICT(h) DO UPDATE SET df = df + 1", ((h,) for h in sh))
                conn.execute("INSERT OR REPLACE INTO story_sketch(article_id, body_hash, shingles) "
                             "VALUES (?, ?, ?)", (aid, current[aid], len(sh)))
        if bulk:
            conn.execute("CREATE INDEX IF NOT EXISTS story_shingle_ha ON story_shingle(h, article_id)")
            conn.execute("CREATE INDEX IF NOT EXISTS story_shingle_a ON story_shingle(article_id)")
            _recount_df(conn)
            _pairs_bulk(conn, set(todo))
        else:
            _pairs_each(conn, todo)
        db.outbox_done(conn, "copy")
    return len(todo)


def _put_pair(conn, x: str, y: str, shared: int, sizes: dict[str, int]) -> None:
    small = min(sizes.get(x, 0), sizes.get(y, 0))
    if small and shared / small >= CANDIDATE:
        a, b = sorted((x, y))
        conn.execute("INSERT OR REPLACE INTO story_pair(a, b, shared, containment) VALUES (?, ?, ?, ?)",
                     (a, b, shared, shared / small))


def _pairs_bulk(conn, new: set[str]) -> None:
    """Candidate pairs of many new articles at once: the shingles that are neither
    unique nor boilerplate read in one ordered pass, pairs counted in memory (a
    self-join grouped in SQL spent most of its time in a temporary B-tree)."""
    sizes = dict(conn.execute("SELECT article_id, shingles FROM story_sketch"))
    num: dict[str, int] = {}
    names: list[str] = []
    counts: Counter = Counter()
    group: list[int] = []
    last = None
    rows = conn.execute(
        "SELECT s.h, s.article_id FROM story_shingle_df d JOIN story_shingle s ON s.h = d.h "
        "WHERE d.df BETWEEN 2 AND ? ORDER BY s.h", (BOILERPLATE_DF - 1,))
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
            _put_pair(conn, a, b, shared, sizes)


def _pairs_each(conn, todo: list[str]) -> None:
    """Candidate pairs of a few new articles: each one's shingles looked up."""
    sizes: dict[str, int] = {}
    new = set(todo)
    for aid in todo:
        hashes = [r[0] for r in conn.execute(
            "SELECT d.h FROM story_shingle s JOIN story_shingle_df d ON d.h = s.h "
            "WHERE s.article_id=? AND d.df < ?", (aid, BOILERPLATE_DF))]
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
            _put_pair(conn, aid, other, shared, sizes)


def _forget(conn, aid: str, count: bool = True) -> None:
    if count:  # (a bulk pass recounts every shingle afterwards instead)
        conn.execute("UPDATE story_shingle_df SET df = df - 1 WHERE h IN "
                     "(SELECT h FROM story_shingle WHERE article_id=?)", (aid,))
    conn.execute("DELETE FROM story_shingle WHERE article_id=?", (aid,))
    conn.execute("DELETE FROM story_pair WHERE a=?", (aid,))  # two indexed deletes, not one OR
    conn.execute("DELETE FROM story_pair WHERE b=?", (aid,))
    conn.execute("DELETE FROM story_sketch WHERE article_id=?", (aid,))


# -- deciding -------------------------------------------------------------------------
def _parse_date(value: str | None) -> _date | None:
    if not value:
        return None
    try:
        return _date.fromisoformat(value[:10])
    except ValueError:
        return None


def article_refs(lib, aid: str) -> list:
    """The article's EntityRefs, or [] when the entity stage has not run (or is absent)."""
    fn = getattr(lib, "article_entities", None)
    if fn is None:
        try:
            from .store.entities import queries as api
        except ImportError:
            return []

        def fn(a):
            return api.article_entities(lib.store.conn, a)
    try:
        return list(fn(aid))
    except Exception:  # no entity tables yet in this library
        return []


def find_entity(lib, name: str):
    """EntityInfo for a name or alias, or None (also when there are no entities)."""
    fn = getattr(lib, "find_entity", None)
    if fn is None:
        try:
            from .store.entities import queries as api
        except ImportError:
            return None

        def fn(n):
            return api.find_entity(lib.store.conn, n)
    try:
        info = fn(name)
    except Exception:
        return None
    if info is not None or not name.strip():
        return info
    return _by_part_of_name(lib, name.strip())


def _by_part_of_name(lib, name: str):
    """``Chang`` -> Gordon Chang, ``Maxwell`` -> David Maxwell: a surname (or the
    family name first, ``Kim``) answers for the most widespread entity whose
    name ends (or starts) with it; people and organisations only."""
    fn = getattr(lib, "library_entities", None)
    if fn is None:
        return None
    try:
        infos = fn()
    except Exception:
        return None
    want = name.casefold()
    best = None
    for info in infos:
        if info.type not in ("person", "organization"):
            continue
        spellings = [info.name, *info.aliases]
        if any(s.casefold().endswith(" " + want) or s.casefold().startswith(want + " ") for s in spellings):
            if best is None or (info.articles, info.mentions) > (best.articles, best.mentions):
                best = info
    return best


def entity_articles(lib, entity_id) -> list[str]:
    fn = getattr(lib, "entity_articles", None)
    if fn is None:
        try:
            from .store.entities import queries as api
        except ImportError:
            return []

        def fn(e):
            return api.entity_articles(lib.store.conn, e)
    try:
        return list(fn(entity_id))
    except Exception:
        return []


def entity_ids(lib, aid: str) -> set | None:
    """The article's entity ids, or None when the entity stage has not run for it."""
    ids = {r.entity_id for r in article_refs(lib, aid) if getattr(r, "type", None) != "other"}
    return ids or None


@dataclass
class PairEvidence:
    a: str
    b: str
    shared: int
    containment: float
    days_apart: int | None
    entity_overlap: float | None
    same_story: bool
    reason: str

    def to_json(self) -> dict:
        return {"a": self.a, "b": self.b, "shared_shingles": self.shared,
                "containment": round(self.containment, 3), "days_apart": self.days_apart,
                "entity_overlap": None if self.entity_overlap is None else round(self.entity_overlap, 3),
                "same_story": self.same_story, "reason": self.reason}


def judge(a: str, b: str, shared: int, containment: float, dates: dict, ents: dict) -> PairEvidence:
    da, db = dates.get(a), dates.get(b)
    days = abs((da - db).days) if da and db else None
    ea, eb = ents.get(a), ents.get(b)
    overlap = len(ea & eb) / len(ea | eb) if ea and eb else None

    def ev(same, why):
        return PairEvidence(a, b, shared, containment, days, overlap, same, why)

    if containment >= NEAR_COPY and shared >= MIN_SHARED:
        return ev(True, "near copy")
    if containment < SHARED_PASSAGES or shared < MIN_SHARED:
        return ev(False, "too little shared text")
    if days is not None and days > MAX_DAYS:
        return ev(False, f"{days} days apart")
    if overlap is not None and overlap < MIN_ENTITY_OVERLAP:
        return ev(False, "different people and places")
    return ev(True, "shared passages")


def evidence(lib, ids: Sequence[str] | None = None) -> list[PairEvidence]:
    """Every candidate pair (of these articles, or all) with the decision taken on it."""
    conn = lib.store.conn
    if ids is None:
        pairs = conn.execute("SELECT a, b, shared, containment FROM story_pair").fetchall()
    else:
        # Two indexed look-ups, not one OR (which scans every pair).
        pairs = conn.execute("SELECT a, b, shared, containment FROM story_pair WHERE a IN "
                             "(SELECT value FROM json_each(?1)) UNION "
                             "SELECT a, b, shared, containment FROM story_pair WHERE b IN "
                             "(SELECT value FROM json_each(?1))",
                             (json.dumps(list(ids)),)).fetchall()
    ids = sorted({x for p in pairs for x in p[:2]})
    dates = {i: _parse_date(d) for i, d in _dates(conn, ids).items()}
    ents = {i: entity_ids(lib, i) for i in ids}
    return [judge(a, b, s, c, dates, ents) for a, b, s, c in pairs]


def _dates(conn, ids: Sequence[str]) -> dict[str, str | None]:
    if not ids:
        return {}
    return dict(conn.execute("SELECT id, date FROM articles WHERE id IN "
                             "(SELECT value FROM json_each(?))", (json.dumps(list(ids)),)))


def _day(value: str | None) -> int | None:
    d = _parse_date(value)
    return d.toordinal() if d else None


def _params() -> ev.Params:
    return ev.Params(threshold=STORY_THRESHOLD)


def copy_links(lib, ids: Sequence[str] | None = None) -> dict[str, set[str]]:
    """Article -> the articles it is a copy of (or that copy it): accepted shingle pairs
    (of these articles, or all)."""
    links: dict[str, set[str]] = {}
    for e in evidence(lib, ids):
        if e.same_story:
            links.setdefault(e.a, set()).add(e.b)
            links.setdefault(e.b, set()).add(e.a)
    return links


def _entity_rows(conn) -> int:
    try:
        return conn.execute("SELECT count(*) FROM entity_state").fetchone()[0]
    except Exception:
        return 0


def _entities_ready(conn, ids: Sequence[str] | None = None) -> set[str]:
    """Articles (of these) whose entity mentions are current (the entity stage
    has run on their body); empty when the stage never ran. (Reads the entity
    stage's state table: there is no api function for it yet.)"""
    sql = ("SELECT s.article_id FROM entity_state s JOIN articles a ON a.id = s.article_id "
           "AND a.body_hash = s.body_hash")
    try:
        if ids is None:
            return {r[0] for r in conn.execute(sql)}
        return {r[0] for r in conn.execute(sql + " WHERE s.article_id IN (SELECT value FROM json_each(?))",
                                           (json.dumps(list(ids)),))}
    except Exception:
        return set()


def _entity_mentions(conn, aid: str, title: str, body: str) -> list[ev.EntityMention]:
    try:
        from .store.entities import queries as api

        refs = api.article_entities(conn, aid)
    except Exception:
        return []
    words = list(re.finditer(r"\S+", body))
    lead_end = words[min(len(words), ev.LEAD_WORDS) - 1].end() if words else 0
    folded = title.casefold()
    out = []
    for r in refs:
        if getattr(r, "type", None) == "other":
            continue
        out.append(ev.EntityMention(
            str(r.entity_id), r.count,
            in_title=any(t.casefold() in folded for _, _, t in r.mentions if len(t) > 2),
            in_lead=any(st < lead_end for st, _, _ in r.mentions)))
    return out


def _features(conn, aid: str, title: str, body: str, with_entities: bool) -> tuple[dict, bool]:
    f = ev.term_counts(title, body)
    if with_entities:
        ents = ev.entity_centrality(_entity_mentions(conn, aid, title, body))
        f.update(ents)
        return f, bool(ents)
    return f, False


PARALLEL_MIN = 5000  # articles before term counting is worth a pool of processes


def _counts_of(pairs: list[tuple[str, str, str]]) -> dict[str, dict]:
    return {aid: ev.term_counts(title, body) for aid, title, body in pairs}


def _term_counts_all(lib, ids: list[str], size: int = 500):
    """(chunk, {id: Article}, {id: term counts}) for every article, in chunks.

    Counting terms is most of a regroup and needs no database: with many
    articles, a single-threaded process (the CLI, not the TUI: forking a
    process with threads can copy a held lock) forks a pool for it, a few
    chunks in flight so memory stays bounded."""
    chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
    cores = os.cpu_count() or 1
    if len(ids) < PARALLEL_MIN or cores < 2 or threading.active_count() != 1 \
            or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in chunks:
            arts = lib.store.get_many(chunk)
            yield chunk, arts, _counts_of([(a, x.title, x.body) for a, x in arts.items()])
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(cores, 4), mp_context=multiprocessing.get_context("fork")) as pool:
        pending = collections.deque()
        for chunk in chunks:
            arts = lib.store.get_many(chunk)
            pending.append((chunk, arts, pool.submit(_counts_of, [(a, x.title, x.body) for a, x in arts.items()])))
            if len(pending) > 2 * cores:
                c, a, fut = pending.popleft()
                yield c, a, fut.result()
        while pending:
            c, a, fut = pending.popleft()
            yield c, a, fut.result()


def _corrections(conn) -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    """The user's corrections, the last word on each pair winning:
    (article -> articles it must not share a story with, pairs that must)."""
    last: dict[frozenset, tuple[str, str, str]] = {}
    for kind, a, b in db.corrections(conn):
        last[frozenset((a, b))] = (kind, a, b)
    cannot: dict[str, set[str]] = {}
    must = []
    for kind, a, b in last.values():
        if kind == "apart":
            cannot.setdefault(a, set()).add(b)
            cannot.setdefault(b, set()).add(a)
        else:
            must.append((a, b))
    return cannot, must


def _arrival(conn) -> list[tuple[str, str]]:
    return conn.execute("SELECT id, body_hash FROM articles ORDER BY added_at, rowid").fetchall()


def _apply_must(conn, must: list[tuple[str, str]]) -> None:
    """Merged stories stay merged: fold the later story's key into the earlier one's."""
    for a, b in must:
        keys = db.story_keys(conn, [a, b])
        ka, kb = keys.get(a), keys.get(b)
        if ka and kb and ka != kb:
            db.rekey(conn, kb, ka)


def _unplace(conn, aid: str) -> None:
    key = db.drop_member(conn, aid)
    db.drop_doc(conn, aid)
    if key == aid:
        rest = conn.execute("SELECT m.article_id FROM story_member m JOIN story_doc d ON d.article_id = m.article_id "
                            "WHERE m.story_id=? ORDER BY d.seq LIMIT 1", (aid,)).fetchone()
        if rest:
            db.rekey(conn, aid, rest[0])


def place(lib, params: ev.Params | None = None) -> int:
    """Place new and changed articles (and those whose entities arrived since)
    into stories, one at a time, from the term table. Returns how many."""
    conn = lib.store.conn
    ensure_schema(conn)
    p = params or _params()
    arrival = db.unplaced(conn)  # new or changed, in arrival order
    gone = db.gone(conn)
    # Articles whose entities arrived after they were placed: only looked for when the
    # entity stage has run since (its state table changed size).
    sig = str(_entity_rows(conn))
    if sig != (lib.store.meta_get("stories.entity_rows") or "0"):
        arrival += [x for x in db.without_entities_ready(conn) if x[0] not in dict(arrival)]
    current = dict(arrival)
    todo = [a for a, _ in arrival]
    ready = _entities_ready(conn, todo) if todo else set()
    if not gone and not todo:
        if (sig != (lib.store.meta_get("stories.entity_rows") or "0") or not db.outbox_trusted(conn, "event")
                or conn.execute("SELECT 1 FROM story_outbox WHERE level='event' LIMIT 1").fetchone()):
            with writing(lib, derived=True):
                lib.store.meta_set("stories.entity_rows", sig)
                db.outbox_done(conn, "event")
        return 0
    if len(todo) > BULK_PLACE and len(todo) > db.doc_count(conn):
        regroup(lib, from_scratch=True)  # mostly new: all at once is faster
        return len(todo)
    state = db.doc_state_of(conn, todo)
    links = copy_links(lib, todo)
    cannot, must = _corrections(conn)
    with writing(lib, derived=True):
        for aid in gone + [a for a in todo if a in state]:
            _unplace(conn, aid)
        seq = db.next_seq(conn)
        for i in range(0, len(todo), 200):
            chunk = todo[i:i + 200]
            arts = lib.store.get_many(chunk)
            for aid in chunk:
                art = arts.get(aid)
                if art is not None:
                    place_one(conn, art.id, art.title, art.body, art.date, current[aid], seq,
                              aid in ready, p, links.get(aid, ()), cannot.get(aid, ()))
                    seq += 1
        _apply_must(conn, must)
        lib.store.meta_set("stories.entity_rows", sig)
        db.outbox_done(conn, "event")
    return len(todo)


BULK_PLACE = 2000


def place_one(conn, aid: str, title: str, body: str, date: str | None, body_hash: str, seq: int,
              with_entities: bool, p: ev.Params, copies=(), refuse=()) -> str:
    """One article into its story (the index look-up and the decision); returns the story key."""
    feats, has_e = _features(conn, aid, title, body, with_entities)
    n = db.doc_count(conn) + 1
    df = db.df_of(conn, feats)
    df = {t: df.get(t, 0) + 1 for t in feats}
    feats = ev.keep_strongest(feats, df, n)
    vec = ev.weigh(feats, df, n)
    day = _day(date)
    refused = set(db.story_keys(conn, list(refuse)).values()) if refuse else set()
    key = None
    score = None  # the event score it joined by (None: a copy, or a story of its own)
    if copies:
        for k in db.story_keys(conn, list(copies)).values():
            if k not in refused:
                key = k
                break
    if key is None:
        query = {t: vec[t] for t in ev.query_terms(vec, df, n, p)}
        cands = db.candidates(conn, query, p.candidates)
        if cands:
            # The regroup's rule: a story whose best candidate, with the best date
            # evidence, falls short of the threshold cannot reach it, so only the
            # stories left are read in full (reading every candidate's story was
            # most of the time at 100,000 articles).
            cdocs = db.docs(conn, cands)
            dfc = db.df_of(conn, {t for f, _, _ in cdocs.values() for t in f})
            for t in feats:
                dfc[t] = df[t]
            floor = p.threshold / max(p.near_bonus, 1.0)
            keys_of = db.story_keys(conn, cands)
            keys = {keys_of[c] for c, (f, d, _) in cdocs.items() if c in keys_of
                    and ev.cosine(vec, ev.weigh(f, dfc, n)) * ev.date_factor(day, d, p) >= floor} - refused
            mem = db.story_members(conn, sorted(keys), p.max_members)
            docs = db.docs(conn, [m for ms in mem.values() for m in ms])
            dfm = db.df_of(conn, {t for f, _, _ in docs.values() for t in f})
            for t in feats:
                dfm[t] = df[t]
            near = {k: [ev.Member(ev.weigh(docs[m][0], dfm, n), docs[m][1]) for m in ms if m in docs]
                    for k, ms in mem.items()}
            key, score = ev.choose(vec, day, near, p, refused)
    key = key or aid
    db.put_doc(conn, aid, body_hash, seq, day, has_e, feats, ev.strongest(vec, p.posting_terms))
    db.set_member(conn, aid, key)
    # Only a weak join can make a story two events: a copy, or an article much like
    # the story, changes nothing the check would see (and the check costs most).
    if key != aid and score is not None and score < p.recheck_below * p.threshold:
        key = _recheck(conn, aid, key, n, p, copies)
    return key


def _recheck(conn, aid: str, key: str, n: int, p: ev.Params, copies) -> str:
    """After an article joins a story: is the story now two look-alike events?"""
    size = conn.execute("SELECT count(*) FROM story_member WHERE story_id=?", (key,)).fetchone()[0]
    if not p.split_min <= size <= p.split_max_new:
        return key
    mem = db.story_members(conn, [key], size).get(key, [])[::-1]  # arrival order
    docs = db.docs(conn, mem)
    mem = [m for m in mem if m in docs]
    df = db.df_of(conn, {t for f, _, _ in docs.values() for t in f})
    vecs = [ev.weigh(docs[m][0], df, n) for m in mem]
    _, must = _corrections(conn)
    must_of: dict[str, set[str]] = {}
    for a, b in must:
        must_of.setdefault(a, set()).add(b)
        must_of.setdefault(b, set()).add(a)
    links = {aid: set(copies)} if copies else {}
    story_of = {m: key for m in mem}
    moved = _check_split(story_of, mem, vecs, p, links, must_of, [docs[m][1] for m in mem])
    if moved and key in moved:
        return key  # never: the first member stays in the first half
    for m in moved:
        db.set_member(conn, m, moved[0])
    return story_of[aid]


def regroup(lib, from_scratch: bool = False, params: ev.Params | None = None) -> dict[str, str]:
    """Bring stories up to date and return {article id: story key} for the
    articles in stories of two or more. ``from_scratch``: rebuild the term table
    and every story from the store, in arrival order, with the final idf (the
    user's corrections are replayed)."""
    conn = lib.store.conn
    ensure_schema(conn)
    if not from_scratch:
        place(lib, params)
        return _grouped(conn)
    p = params or _params()
    links = copy_links(lib)
    cannot, must = _corrections(conn)
    ready = _entities_ready(conn)
    order = _arrival(conn)
    feats: dict[str, dict] = {}
    has_e: dict[str, bool] = {}
    days: dict[str, int | None] = {}
    ids = [a for a, _ in order]
    for chunk, arts, counts in _term_counts_all(lib, ids):
        for aid, art in arts.items():
            f = counts[aid]
            has_e[aid] = False
            if aid in ready:
                ents = ev.entity_centrality(_entity_mentions(conn, aid, art.title, art.body))
                f.update(ents)
                has_e[aid] = bool(ents)
            feats[aid] = f
            days[aid] = _day(art.date)
    n = len(feats)
    df: dict[str, int] = {}
    for f in feats.values():
        for t in f:
            df[t] = df.get(t, 0) + 1
    kept = {}
    for a in list(feats):  # popped as truncated: at 100k the full features are most of the memory
        kept[a] = ev.keep_strongest(feats.pop(a), df, n)
    df = {}
    for f in kept.values():
        for t in f:
            df[t] = df.get(t, 0) + 1
    g = ev.Grouper(df, n, p, cannot=cannot)
    seen: set[str] = set()
    for aid in ids:
        if aid in kept:
            g.add(ev.EventDoc(aid, kept[aid], days[aid]), link_to=[x for x in links.get(aid, ()) if x in seen])
            seen.add(aid)
    must_of: dict[str, set[str]] = {}
    for a, b in must:
        must_of.setdefault(a, set()).add(b)
        must_of.setdefault(b, set()).add(a)
    for sid, mem in list(g.members.items()):
        if p.split_min <= len(mem) <= p.split_max:
            _check_split(g.story_of, mem, [g.vecs[m] for m in mem], p, links, must_of, [days[m] for m in mem])
    hashes = dict(order)
    with writing(lib, derived=True):
        db.clear_docs(conn)
        db.bulk_put(conn, ((a, hashes[a], i, days[a], has_e[a], kept[a]) for i, a in enumerate(ids) if a in kept),
                    df, ((t, a) for a in ids if a in kept for t in ev.strongest(g.vecs[a], p.posting_terms)))
        db.replace_members(conn, g.story_of)
        _apply_must(conn, must)
        lib.store.meta_set("stories.entity_rows", str(_entity_rows(conn)))
        db.outbox_done(conn, "event")
    return _grouped(conn)


def _check_split(story_of: dict[str, str], mem: list[str], vecs: list[dict], p: ev.Params,
                 links: dict[str, set[str]], must_of: dict[str, set[str]],
                 days: list[int | None] | None = None) -> list[str]:
    """Split a story found to be two look-alike events (copies and the user's merges
    kept together); the second half's key is its first member. Returns the moved ids."""
    pos = {m: i for i, m in enumerate(mem)}
    together = [(pos[a], pos[b]) for a in mem for b in (links.get(a, set()) | must_of.get(a, set()))
                if b in pos]
    half = ev.two_events(vecs, p, together, days)
    if half is None:
        return []
    if 0 in half:
        # The story keeps its key (its first member): the half without it moves.
        # (Moving the half with the key would relabel it with the key it had.)
        half = [k for k in range(len(mem)) if k not in set(half)]
    moved = [mem[k] for k in sorted(half)]
    for m in moved:
        story_of[m] = moved[0]
    return moved


def _grouped(conn) -> dict[str, str]:
    member = db.members(conn)
    size: dict[str, int] = {}
    for k in member.values():
        size[k] = size.get(k, 0) + 1
    return {a: k for a, k in member.items() if size[k] > 1}


def refresh(lib) -> dict[str, str]:
    # Stories are derived and cached in the store; a read-only library works
    # them out in a private copy instead (reading never needs to write).
    lib.store.use_private_copy()
    update(lib)
    return regroup(lib)


# -- corrections --------------------------------------------------------------------------
class StoryError(ValueError):
    """A correction that cannot be made, said plainly."""


def split(lib, aid: str) -> Story:
    """Take an article out of its story; it stays out across regrouping (until merged back)."""
    conn = lib.store.conn
    story = story_of(lib, aid)
    if len(story.articles) < 2:
        raise StoryError("that article is alone in its story already")
    with writing(lib):
        for m in story.articles:
            if m != aid:
                db.add_correction(conn, "apart", aid, m)
        key = db.story_keys(conn, [aid]).get(aid, aid)
        if key == aid:
            rest = [m for m in story.articles if m != aid]
            keys = db.story_keys(conn, rest)
            nxt = min(rest, key=lambda m: conn.execute("SELECT seq FROM story_doc WHERE article_id=?",
                                                       (m,)).fetchone()[0])
            for m in rest:
                if keys.get(m) == aid:
                    db.set_member(conn, m, nxt)
        db.set_member(conn, aid, aid)
    return story_of(lib, aid, refresh_first=False)


def merge(lib, a: str, b: str) -> Story:
    """Make the stories of two articles (or story ids) one; it stays one across regrouping."""
    conn = lib.store.conn
    sa, sb = story_of(lib, a), story_of(lib, b)
    if sa.id == sb.id:
        raise StoryError("those are one story already")
    cannot, _ = _corrections(conn)
    with writing(lib):
        for x in sa.articles:
            for y in sb.articles:
                if y in cannot.get(x, ()):
                    db.add_correction(conn, "together", x, y)
        db.add_correction(conn, "together", sa.id, sb.id)
        _apply_must(conn, [(sa.id, sb.id)])
    return story_of(lib, sa.id, refresh_first=False)


# -- reading ----------------------------------------------------------------------------
def _story(sid_rows: list, links: dict[str, set[str]] | None) -> Story:
    rows = sid_rows
    titles = [(r.title, r.id) for r in rows]
    best = ev.best_title([t for t, _ in titles])
    ids = [r.id for r in rows]
    copies = []
    if links:
        inside, seen = set(ids), set()
        for i in ids:
            if i in seen or not links.get(i):
                continue
            comp, stack = [], [i]
            seen.add(i)
            while stack:
                x = stack.pop()
                comp.append(x)
                for y in links.get(x, ()):
                    if y in inside and y not in seen:
                        seen.add(y)
                        stack.append(y)
            if len(comp) > 1:
                copies.append(sorted(comp, key=ids.index))
    return Story(rows[0].id, titles[best][0] if titles else "", ids,
                 sorted({r.source for r in rows if r.source}),
                 [{"id": r.id, "title": r.title, "date": r.date, "source": r.source} for r in rows],
                 copies)


def stories(lib, *, refresh_first: bool = True, min_size: int = 1) -> list[Story]:
    """Every story, biggest first, singletons included (``min_size=2`` for groups only)."""
    member = refresh(lib) if refresh_first else _grouped(lib.store.conn)
    links = copy_links(lib)
    rows = lib.store.rows(sort="date-asc")
    by_story: dict[str, list] = {}
    for r in rows:
        by_story.setdefault(member.get(r.id, r.id), []).append(r)
    out = [_story(rs, links) for rs in by_story.values() if len(rs) >= min_size]
    out.sort(key=lambda s: (-len(s.articles), s.title.casefold(), s.id))
    return out


def story_of(lib, aid: str, *, refresh_first: bool = True) -> Story:
    """The story an article belongs to (itself alone when it has no other versions)."""
    conn = lib.store.conn
    if refresh_first:
        refresh(lib)
    key = db.story_keys(conn, [aid]).get(aid, aid)
    ids = [r[0] for r in conn.execute("SELECT article_id FROM story_member WHERE story_id=?", (key,))] or [aid]
    rows = lib.store.rows(sort="date-asc", ids=ids)
    if not rows:
        return Story(aid, "", [aid])
    return _story(rows, copy_links(lib))


_CAPS = re.compile(r"[A-Z][\w’'\-]+(?:[ \t]+(?:of[ \t]+|the[ \t]+|for[ \t]+)?[A-Z][\w’'\-]+)+")


def _names_in_text(body: str) -> dict[str, str]:
    """Without entity data: capitalised multi-word phrases, folded key -> as written."""
    out: dict[str, str] = {}
    for m in _CAPS.finditer(body):
        name = re.split(r"[’']s\b", m.group())[0].strip()
        words = name.split()
        while words and words[0] in {"The", "Per", "As", "But", "And", "In", "On", "At", "For"}:
            words.pop(0)
        if len(words) >= 2:
            name = " ".join(words)
            out.setdefault(name.casefold(), name)
    return out


def version_differences(lib, story_id_or_article: str) -> list[dict]:
    """For each version of a story: the entities and quotes no other version has.

    ``[{"id", "title", "source", "date", "adds": {"entities": [names], "quotes":
    [quote json]}}]``, oldest first. Entities come from the entity store when it
    has run, else from capitalised names in the text."""
    from .quotes import extract_quotes, normalize_quote, quotes_overlap

    story = story_of(lib, story_id_or_article)
    arts = lib.store.get_many(story.articles)
    names: dict[str, dict[str, str]] = {}
    source = "entities"
    for aid, art in arts.items():
        refs = article_refs(lib, aid)
        if refs:
            names[aid] = {r.entity_id: r.name for r in refs if getattr(r, "type", None) != "other"}
        else:
            source = "text"
            names[aid] = _names_in_text(art.body)
    quotes = {aid: extract_quotes(art.body, aid, article_refs(lib, aid) or None) for aid, art in arts.items()}
    folded = {aid: " ".join(normalize_quote(art.body)) for aid, art in arts.items()}
    out = []
    for aid in story.articles:
        art = arts[aid]
        others = [o for o in story.articles if o != aid]
        seen_elsewhere = set().union(*(names[o].keys() for o in others)) if others else set()
        new_names = sorted({v for k, v in names[aid].items() if k not in seen_elsewhere}, key=str.casefold)
        new_quotes = []
        for q in quotes[aid]:
            if any(quotes_overlap(q.text, oq.text) for o in others for oq in quotes[o]):
                continue
            words = " ".join(normalize_quote(q.text))
            if any(words and words in folded[o] for o in others):
                continue  # printed by the other version too, just not as a quote we found
            new_quotes.append(q.to_json())
        out.append({"id": aid, "title": art.title, "source": art.source, "date": art.date,
                    "adds": {"entities": new_names if others else [],
                             "quotes": new_quotes if others else []},
                    "entities_from": source})
    return out
