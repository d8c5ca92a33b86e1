"""Reading entities back (what an article names, what the library names, by
name or alias, the index's entity fields), and recording the user's corrections.
Store layer: SQL over the entity tables, no spaCy (the TUI uses this)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...analysis.entities import names

# Between two names in one index field: a token of its own, so a phrase query
# cannot run from the end of one name into the start of the next.
FIELD_SEP = " _ "
_TYPE_ORDER = {t: i for i, t in enumerate(names.TYPES)}
# Confidence at or above which an entity is shown as sure (resolve.article_types).
SURE = 0.6
_LABEL_TYPE_ORDER = ("PERSON", "ORG", "GPE", "NORP", "EVENT", "PRODUCT")
# Mentions count only while they were derived from the article's current body.
_CURRENT = ("JOIN entity_state s ON s.article_id = m.article_id "
            "JOIN articles a ON a.id = m.article_id AND a.body_hash = s.body_hash")
# The same filter for the queries over every mention: the articles whose
# entities are current, found once. An article's body_hash sits after its body,
# so reading it once per mention (58,873 on BBC) walked each body's overflow
# pages again: the library's entity listing took twice as long.
_CURRENT_ONCE = ("WITH cur(article_id) AS MATERIALIZED (SELECT s.article_id FROM entity_state s "
                 "JOIN articles a ON a.id = s.article_id AND a.body_hash = s.body_hash) ")
_CURRENT_JOIN = "JOIN cur ON cur.article_id = m.article_id"


@dataclass
class EntityRef:
    """One entity as it occurs in one article."""

    entity_id: int
    name: str
    type: str
    count: int
    mentions: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, text) into body
    # How sure Newsdesk is of this entity in this article, 0..1; below SURE it
    # was found once, or by a weak signal (a rule, a capitals line, a split vote).
    confidence: float = 1.0
    titles: list[str] = field(default_factory=list)  # titles written before the name here ("Constable")

    @property
    def sure(self) -> bool:
        return self.confidence >= SURE

    def to_json(self) -> dict:
        return {"id": self.entity_id, "name": self.name, "type": self.type, "count": self.count,
                "mentions": [{"start": s, "end": e, "text": t} for s, e, t in self.mentions],
                "confidence": self.confidence, "sure": self.sure, "titles": self.titles}


@dataclass
class EntityInfo:
    """One entity across the library."""

    entity_id: int
    name: str
    type: str
    articles: int
    mentions: int
    aliases: list[str] = field(default_factory=list)
    hidden: bool = False
    confidence: float = 1.0  # the surest article's, raised when several articles found it

    @property
    def sure(self) -> bool:
        return self.confidence >= SURE

    def to_json(self) -> dict:
        return {"id": self.entity_id, "name": self.name, "type": self.type, "articles": self.articles,
                "mentions": self.mentions, "aliases": self.aliases, "hidden": self.hidden,
                "confidence": self.confidence, "sure": self.sure}


def _ids_json(ids: Sequence[str]) -> str:
    return json.dumps(list(ids))


def _aliases(conn: sqlite3.Connection, eids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    if not eids:
        return out
    for eid, alias in conn.execute(
            "SELECT entity_id, alias FROM entity_aliases "
            "WHERE entity_id IN (SELECT value FROM json_each(?)) ORDER BY rowid", (json.dumps(list(eids)),)):
        out[eid].append(alias)
    return out


def index_fields(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """Text for each Whoosh entity field of each article: names and aliases of
    the article's visible entities, by type, plus every one of them in "entity"."""
    ids = list(ids)
    if not ids:
        return {}
    per_article: dict[str, list[tuple[int, int]]] = defaultdict(list)
    eids: set[int] = set()
    for aid, eid, n in conn.execute(
            f"SELECT m.article_id, m.entity_id, count(*) FROM entity_mentions m {_CURRENT} "
            "JOIN entities e ON e.id = m.entity_id "
            "WHERE m.article_id IN (SELECT value FROM json_each(?)) AND e.hidden = 0 "
            "GROUP BY m.article_id, m.entity_id", (_ids_json(ids),)):
        per_article[aid].append((n, eid))
        eids.add(eid)
    if not eids:
        return {}
    types = dict(conn.execute("SELECT id, type FROM entities WHERE id IN (SELECT value FROM json_each(?))",
                              (json.dumps(sorted(eids)),)))
    aliases = _aliases(conn, sorted(eids))
    out: dict[str, dict[str, str]] = {}
    for aid, ents in per_article.items():
        fields: dict[str, list[str]] = defaultdict(list)
        for _, eid in sorted(ents, reverse=True):
            # Sorted: the index needs the set, and a new popularity order must not
            # look like a change that sends every article of the entity back to it.
            spellings = sorted(aliases.get(eid, []))
            fields[names.TYPE_FIELDS.get(types[eid], "other")] += spellings
            fields["entity"] += spellings
        out[aid] = {f: FIELD_SEP.join(v) for f, v in fields.items()}
    return out


def _span_extra(conn: sqlite3.Connection, alias: str = "sp") -> str:
    """The confidence and title columns, or NULLs in a library whose entity
    tables predate them (read before its next entity stage migrates it)."""
    cols = {r[1] for r in conn.execute("PRAGMA table_info(entity_spans)")}
    return (f"{alias}.conf" if "conf" in cols else "NULL") + ", " + (f"{alias}.title" if "title" in cols else "NULL")


def _retyped(conn: sqlite3.Connection) -> set[str]:
    """Keys of the entities whose type a correction set (it wins in every article)."""
    row = conn.execute("SELECT result FROM entity_replay WHERE id = 1").fetchone()
    if not row:
        return set()
    return {k for k, c in json.loads(row[0]).items() if c.get("retyped")}


def article_entities(conn: sqlite3.Connection, article_id: str) -> list[EntityRef]:
    """The article's visible entities, by type, then most mentioned first.

    The type is the one this article gives the name (its own mentions vote,
    the library's evidence as a prior), unless a correction retyped the entity;
    the confidence is the article's, raised when other articles found it too."""
    refs: dict[int, EntityRef] = {}
    labels: dict[int, Counter] = defaultdict(Counter)
    keys: dict[int, str] = {}
    for eid, ekey, name, type_, start, end, text, label, conf, title in conn.execute(
            f"SELECT e.id, e.key, e.name, e.type, m.start, m.end, m.text, sp.label, {_span_extra(conn)} "
            f"FROM entity_mentions m {_CURRENT} "
            "JOIN entities e ON e.id = m.entity_id "
            "LEFT JOIN entity_spans sp ON sp.article_id = m.article_id AND sp.start = m.start AND sp.end = m.end "
            "WHERE m.article_id = ? AND e.hidden = 0 ORDER BY m.start", (article_id,)):
        ref = refs.get(eid)
        if ref is None:
            ref = refs[eid] = EntityRef(eid, name, type_, 0, confidence=0.0)
            keys[eid] = ekey
        ref.mentions.append((start, end, text))
        ref.count += 1
        if label:
            labels[eid][label] += 1
        ref.confidence = max(ref.confidence, conf if conf is not None else 0.5)
        if title and title not in ref.titles:
            ref.titles.append(title)
    if refs:
        retyped = _retyped(conn)
        # Entities another article mentions too. EXISTS stops at the first
        # other article: counting them all cost ~7 ms an article on BBC (every
        # article names "Britain"), and the dossier asks for hundreds.
        seen_elsewhere = {eid for (eid,) in conn.execute(
            "SELECT j.value FROM json_each(?) j WHERE EXISTS ("
            f"SELECT 1 FROM entity_mentions m {_CURRENT} "
            "WHERE m.entity_id = j.value AND m.article_id != ?)",
            (json.dumps(list(refs)), article_id))}
        for eid, ref in refs.items():
            if labels[eid] and keys[eid] not in retyped:
                top = max(labels[eid], key=lambda lab: (labels[eid][lab], -_LABEL_TYPE_ORDER.index(lab)
                                                        if lab in _LABEL_TYPE_ORDER else -99))
                ref.type = names.LABEL_TYPES.get(top, ref.type)
            if eid in seen_elsewhere:
                ref.confidence = min(1.0, ref.confidence + 0.1)
            ref.confidence = round(ref.confidence, 2)
    return sorted(refs.values(), key=lambda r: (_TYPE_ORDER.get(r.type, 99), -r.count, r.name.casefold()))


def entity_articles(conn: sqlite3.Connection, entity_id: int) -> list[str]:
    """Ids of the articles mentioning the entity (under any of its names), newest first."""
    return [r[0] for r in conn.execute(
        f"SELECT DISTINCT m.article_id, a.date, a.added_at FROM entity_mentions m {_CURRENT} "
        "WHERE m.entity_id = ? ORDER BY a.date IS NULL, a.date DESC, a.added_at DESC, m.article_id",
        (int(entity_id),))]


def entity_mention_spans(conn: sqlite3.Connection, entity_id: int) -> dict[str, list[tuple[int, int]]]:
    """article id -> the (start, end) of each current mention of the entity, in one query
    (a dossier asked article_entities of every article, ~1 ms each)."""
    out: dict[str, list[tuple[int, int]]] = {}
    for aid, start, end in conn.execute(
            f"SELECT m.article_id, m.start, m.end FROM entity_mentions m {_CURRENT} "
            "WHERE m.entity_id = ? ORDER BY m.article_id, m.start", (int(entity_id),)):
        out.setdefault(aid, []).append((start, end))
    return out


def co_mentioned(conn: sqlite3.Connection, ids: Sequence[str],
                 exclude: int | None = None) -> list[tuple[str, int, str, str]]:
    """(article id, entity id, name, type) for each visible entity each article mentions."""
    return conn.execute(
        f"SELECT DISTINCT m.article_id, e.id, e.name, e.type FROM entity_mentions m {_CURRENT} "
        "JOIN entities e ON e.id = m.entity_id "
        "WHERE m.article_id IN (SELECT value FROM json_each(?)) AND e.hidden = 0 AND e.id != ?",
        (_ids_json(ids), -1 if exclude is None else int(exclude))).fetchall()


def library_entities(conn: sqlite3.Connection, type: str | None = None, limit: int | None = None,
                     include_hidden: bool = False) -> list[EntityInfo]:
    """Every entity with its article and mention counts, most widespread first."""
    where, args = [], []
    if type:
        where.append("e.type = ?")
        args.append(names.normalise_type(type))
    if not include_hidden:
        where.append("e.hidden = 0")
    conf = _span_extra(conn).split(",")[0]
    sql = (f"{_CURRENT_ONCE}SELECT e.id, e.name, e.type, e.hidden, count(DISTINCT m.article_id), "
           f"count(*), max({conf}) FROM entity_mentions m {_CURRENT_JOIN} JOIN entities e ON e.id = m.entity_id "
           "LEFT JOIN entity_spans sp ON sp.article_id = m.article_id AND sp.start = m.start AND sp.end = m.end "
           + ("WHERE " + " AND ".join(where) if where else "")
           + " GROUP BY e.id ORDER BY 5 DESC, 6 DESC, e.name COLLATE NOCASE")
    if limit is not None:
        sql += " LIMIT ?"
        args.append(int(limit))
    rows = conn.execute(sql, args).fetchall()
    aliases = _aliases(conn, [r[0] for r in rows])
    return [EntityInfo(eid, name, t, arts, ms, [a for a in aliases.get(eid, []) if a != name], bool(h),
                       _library_confidence(conf, arts))
            for eid, name, t, h, arts, ms, conf in rows]


def _library_confidence(conf: float | None, articles: int) -> float:
    conf = 0.5 if conf is None else conf
    return round(min(1.0, conf + (0.1 if articles > 1 else 0.0)), 2)


def entity_info(conn: sqlite3.Connection, eid: int) -> EntityInfo | None:
    row = conn.execute("SELECT id, name, type, hidden FROM entities WHERE id = ?", (eid,)).fetchone()
    if row is None:
        return None
    arts, ms, conf = conn.execute(
        f"SELECT count(DISTINCT m.article_id), count(*), max({_span_extra(conn).split(',')[0]}) "
        f"FROM entity_mentions m {_CURRENT} "
        "LEFT JOIN entity_spans sp ON sp.article_id = m.article_id AND sp.start = m.start AND sp.end = m.end "
        "WHERE m.entity_id = ?", (eid,)).fetchone()
    aliases = [a for a in _aliases(conn, [eid]).get(eid, []) if a != row[1]]
    return EntityInfo(row[0], row[1], row[2], arts, ms, aliases, bool(row[3]), _library_confidence(conf, arts))


def find_entity(conn: sqlite3.Connection, ref: str | int) -> EntityInfo | None:
    """By id, or by name or alias (case, hyphens, "the" and "’s" do not matter).
    When a spelling belongs to several entities, the most widespread wins."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        info = entity_info(conn, int(ref))
        if info is not None or isinstance(ref, int):
            return info
    k = names.key(str(ref))
    if not k:
        return None
    rows = conn.execute(
        "SELECT e.id FROM entities e WHERE e.key = ? OR lower(e.name) = lower(?) "
        "UNION SELECT entity_id FROM entity_aliases WHERE alias_key = ?", (k, str(ref).strip(), k)).fetchall()
    infos = [i for i in (entity_info(conn, r[0]) for r in rows) if i is not None]
    if not infos:
        return None
    return max(infos, key=lambda i: (not i.hidden, i.articles, i.mentions))


# -- corrections ----------------------------------------------------------------
def entity_key(conn: sqlite3.Connection, entity_id: int) -> str:
    """The matching key an entity was founded on (what corrections name it by)."""
    return conn.execute("SELECT key FROM entities WHERE id = ?", (entity_id,)).fetchone()[0]


def entity_id_of_key(conn: sqlite3.Connection, key: str) -> int | None:
    row = conn.execute("SELECT id FROM entities WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def add_rule(conn: sqlite3.Connection, action: str, key: str, value: str | None) -> None:
    """Record a checked correction (call inside a transaction, then bring the tables up to date)."""
    conn.execute("INSERT INTO entity_rules(action, target, value, created) VALUES (?,?,?,?)",
                 (action, key, value, time.time()))
