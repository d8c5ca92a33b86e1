"""Stories: articles that report the same story, grouped.

Two articles are one story when they share passages of text (outlets
re-reporting one source, wire copy with small edits), not merely the same
people: five articles about Kim and Trump at different events share almost no
five-word runs, while a re-report shares whole quoted sentences.

How: each body becomes a set of hashed five-word shingles; a fixed quarter of
them (hash mod 4, so the same quarter for every article) is kept in the store
with an index on the hash, which makes finding candidates for a new article one
SQL join. A candidate pair is linked when enough of the smaller article's
shingles are shared (containment) and, where known, the dates are close and the
entities overlap. Stories are the connected groups of linked articles.

The shingle table is updated incrementally (only new or changed bodies are
hashed); grouping is recomputed from the stored candidate pairs, which is
cheap, so entity data that arrives later is taken into account.
"""

from __future__ import annotations

import hashlib
import json
import re
from contextlib import contextmanager
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date as _date

from .store import EXTRA_SCHEMAS

SCHEMA = """
CREATE TABLE IF NOT EXISTS story_sketch (
    article_id TEXT PRIMARY KEY,
    body_hash TEXT NOT NULL,
    shingles INTEGER NOT NULL  -- sampled shingles stored for this article
);
CREATE TABLE IF NOT EXISTS story_shingle (h INTEGER NOT NULL, article_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS story_shingle_h ON story_shingle(h);
CREATE INDEX IF NOT EXISTS story_shingle_a ON story_shingle(article_id);
-- Candidate pairs (a < b) with the shared sampled shingles.
CREATE TABLE IF NOT EXISTS story_pair (
    a TEXT NOT NULL, b TEXT NOT NULL, shared INTEGER NOT NULL, containment REAL NOT NULL,
    PRIMARY KEY (a, b)
);
CREATE TABLE IF NOT EXISTS story_member (article_id TEXT PRIMARY KEY, story_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS story_member_story ON story_member(story_id);
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


@dataclass
class Story:
    id: str
    title: str
    articles: list[str]  # oldest first
    sources: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "articles": self.articles,
                "size": len(self.articles), "sources": self.sources}


@contextmanager
def writing(lib):
    """A store transaction under the library's write lock (the TUI writes from
    worker threads over one connection; imports hold the same lock)."""
    lock = getattr(lib, "_write_lock", None)
    if lock is None:
        with lib.store.transaction():
            yield
        return
    with lock, lib.store.transaction():
        yield


def ensure_schema(conn) -> None:
    """Create the tables when this module was imported after the store opened."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name='story_member'").fetchone() is None:
        conn.executescript(SCHEMA)


def shingles(body: str, k: int = SHINGLE, sample: int = SAMPLE) -> set[int]:
    """Sampled hashed k-word shingles (signed 64-bit, as SQLite stores integers)."""
    words = [w.casefold().replace("’", "'") for w in _WORD.findall(body)]
    out = set()
    for i in range(len(words) - k + 1):
        digest = hashlib.blake2b(" ".join(words[i:i + k]).encode("utf-8"), digest_size=8).digest()
        h = int.from_bytes(digest, "big", signed=True)
        if h % sample == 0:
            out.add(h)
    return out


# -- keeping the sketches current ----------------------------------------------------
def update(lib) -> int:
    """Hash new and changed bodies, drop deleted ones, refresh candidate pairs.
    Returns how many articles were (re)sketched."""
    conn = lib.store.conn
    ensure_schema(conn)
    current = dict(conn.execute("SELECT id, body_hash FROM articles"))
    known = dict(conn.execute("SELECT article_id, body_hash FROM story_sketch"))
    gone = [a for a in known if a not in current]
    todo = [a for a, h in current.items() if known.get(a) != h]
    if not gone and not todo:
        return 0
    with writing(lib):
        for aid in gone + todo:
            _forget(conn, aid)
        for i in range(0, len(todo), 200):
            chunk = todo[i:i + 200]
            for aid, body in lib.store.bodies(chunk).items():
                sh = shingles(body)
                conn.executemany("INSERT INTO story_shingle(h, article_id) VALUES (?, ?)",
                                 ((h, aid) for h in sh))
                conn.execute("INSERT OR REPLACE INTO story_sketch(article_id, body_hash, shingles) "
                             "VALUES (?, ?, ?)", (aid, current[aid], len(sh)))
        sizes = dict(conn.execute("SELECT article_id, shingles FROM story_sketch"))
        new = set(todo)
        for aid in todo:
            hashes = [h for h, df in conn.execute(
                "SELECT h, count(*) FROM story_shingle WHERE h IN "
                "(SELECT h FROM story_shingle WHERE article_id=?) GROUP BY h", (aid,))
                if df < BOILERPLATE_DF]
            rows = conn.execute(
                "SELECT article_id, count(*) FROM story_shingle WHERE h IN "
                "(SELECT value FROM json_each(?)) AND article_id != ? GROUP BY article_id",
                (json.dumps(hashes), aid)).fetchall()
            for other, shared in rows:
                if other in new and other < aid:
                    continue  # the pair is found from the other side
                small = min(sizes.get(aid, 0), sizes.get(other, 0))
                if small == 0:
                    continue
                c = shared / small
                if c >= CANDIDATE:
                    a, b = sorted((aid, other))
                    conn.execute("INSERT OR REPLACE INTO story_pair(a, b, shared, containment) "
                                 "VALUES (?, ?, ?, ?)", (a, b, shared, c))
    return len(todo)


def _forget(conn, aid: str) -> None:
    conn.execute("DELETE FROM story_shingle WHERE article_id=?", (aid,))
    conn.execute("DELETE FROM story_pair WHERE a=? OR b=?", (aid, aid))
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
            from .entities import api
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
            from .entities import api
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
            from .entities import api
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


def evidence(lib) -> list[PairEvidence]:
    """Every candidate pair with the decision taken on it (for explaining groupings)."""
    conn = lib.store.conn
    pairs = conn.execute("SELECT a, b, shared, containment FROM story_pair").fetchall()
    ids = sorted({x for p in pairs for x in p[:2]})
    dates = {i: _parse_date(d) for i, d in _dates(conn, ids).items()}
    ents = {i: entity_ids(lib, i) for i in ids}
    return [judge(a, b, s, c, dates, ents) for a, b, s, c in pairs]


def _dates(conn, ids: Sequence[str]) -> dict[str, str | None]:
    if not ids:
        return {}
    return dict(conn.execute("SELECT id, date FROM articles WHERE id IN "
                             "(SELECT value FROM json_each(?))", (json.dumps(list(ids)),)))


def regroup(lib) -> dict[str, str]:
    """Group linked articles (union-find over accepted pairs) and persist
    article -> story id. A story's id is its oldest article's id."""
    conn = lib.store.conn
    parent: dict[str, str] = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for ev in evidence(lib):
        if ev.same_story:
            ra, rb = find(ev.a), find(ev.b)
            if ra != rb:
                parent[ra] = rb
    groups: dict[str, list[str]] = {}
    for x in list(parent):
        groups.setdefault(find(x), []).append(x)
    order = {r[0]: i for i, r in enumerate(conn.execute(
        "SELECT id FROM articles ORDER BY date IS NULL, date, added_at, id"))}
    member: dict[str, str] = {}
    for ids in groups.values():
        if len(ids) < 2:
            continue
        lead = min(ids, key=lambda i: order.get(i, 1 << 30))
        for i in ids:
            member[i] = lead
    old = dict(conn.execute("SELECT article_id, story_id FROM story_member"))
    if old != member:
        with writing(lib):
            conn.execute("DELETE FROM story_member")
            conn.executemany("INSERT INTO story_member(article_id, story_id) VALUES (?, ?)",
                             member.items())
    return member


def refresh(lib) -> dict[str, str]:
    update(lib)
    return regroup(lib)


# -- reading ----------------------------------------------------------------------------
def stories(lib, *, refresh_first: bool = True, min_size: int = 1) -> list[Story]:
    """Every story, biggest first, singletons included (``min_size=2`` for groups only)."""
    member = refresh(lib) if refresh_first else dict(
        lib.store.conn.execute("SELECT article_id, story_id FROM story_member"))
    rows = lib.store.rows(sort="date-asc")
    by_story: dict[str, list] = {}
    for r in rows:
        by_story.setdefault(member.get(r.id, r.id), []).append(r)
    out = []
    for sid, rs in by_story.items():
        if len(rs) < min_size:
            continue
        lead = next((r for r in rs if r.id == sid), rs[0])
        sources = sorted({r.source for r in rs if r.source})
        out.append(Story(sid, lead.title, [r.id for r in rs], sources))
    out.sort(key=lambda s: (-len(s.articles), s.title.casefold(), s.id))
    return out


def story_of(lib, aid: str, *, refresh_first: bool = True) -> Story:
    """The story an article belongs to (itself alone when it has no other versions)."""
    member = refresh(lib) if refresh_first else dict(
        lib.store.conn.execute("SELECT article_id, story_id FROM story_member"))
    sid = member.get(aid, aid)
    ids = [a for a, s in member.items() if s == sid] or [aid]
    rows = lib.store.rows(sort="date-asc", ids=ids)
    lead = next((r for r in rows if r.id == sid), rows[0] if rows else None)
    return Story(sid, lead.title if lead else "", [r.id for r in rows],
                 sorted({r.source for r in rows if r.source}))


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
