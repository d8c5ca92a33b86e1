"""Entity dossiers and follows: everything the library knows about one name.

A dossier lists every article mentioning the entity, oldest first, each with
the sentence of its first mention; mentions per month; the entities most often
mentioned alongside; and the entity's quotes. It uses the entity store when the
entity stage has run, and otherwise finds the name as written in the text
(whole words, any case), so it still works on a library imported with
``--no-entities``.

Following an entity records its name (not its id, so merges and rebuilds of the
entity tables keep the follow pointing at the right entity); the unread count
is the number of unread articles that mention it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass, field

from ..analysis.sentences import paragraph_spans, sentence_spans
from ..store.entities import queries as entities
from ..store import Store
from ..store import bodies as body_search
from ..store import follows as table
from ..store.writing import writing
from ..text import sanitize_line
from ..text.cut import widen_to_quotes
from .entity_lookup import find_entity
from .quotes import library_quotes

CO_MENTIONED = 10


class DossierError(LookupError):
    """Nothing in the library answers to that name."""


@dataclass
class Subject:
    """What a dossier is about: an entity, or a name found only as text."""

    name: str
    type: str | None = None
    entity_id: int | str | None = None
    aliases: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"id": self.entity_id, "name": self.name, "type": self.type, "aliases": self.aliases}


def _name_pattern(names) -> re.Pattern:
    alts = sorted({n for n in names if n}, key=len, reverse=True)
    return re.compile(r"(?<![\w’'])(?:" + "|".join(re.escape(a) for a in alts) + r")(?![\w])",
                      re.IGNORECASE)


def resolve_subject(store: Store, name: str) -> Subject:
    info = find_entity(store, name)
    if info is not None:
        return Subject(info.name, info.type, info.entity_id, list(info.aliases))
    clean = sanitize_line(name)
    if not clean:
        raise DossierError("an entity name is needed")
    return Subject(clean)


def _mentions(store: Store, subject: Subject) -> dict[str, list[tuple[int, int]]]:
    """article id -> mention spans in its body."""
    out: dict[str, list[tuple[int, int]]] = {}
    if subject.entity_id is not None:
        return entities.entity_mention_spans(store.conn, subject.entity_id)
    rx = _name_pattern([subject.name])
    for aid, body in body_search.bodies_with_word(store.conn, subject.name.split()[0]):
        spans = [m.span() for m in rx.finditer(body)]
        if spans:
            out[aid] = spans
    return out


def _sentence_at(body: str, pos: int) -> tuple[int, int]:
    sentences = sentence_spans(body)
    for s, e in sentences:
        if s <= pos < e:
            # Never a line that starts or ends inside a quotation.
            para = next(((ps, pe) for ps, pe in paragraph_spans(body) if ps <= s < pe), None)
            return widen_to_quotes(body, s, e, sentences, para)
    return pos, pos


def dossier(store: Store, name: str, *, lock: threading.Lock | None = None) -> dict:
    """The dossier of ``name`` as one JSON-ready dict (see the module doc)."""
    subject = resolve_subject(store, name)
    mentions = _mentions(store, subject)
    if not mentions:
        raise DossierError(f"no article mentions {name!r}")
    rows = store.rows(sort="date-asc", ids=list(mentions))
    arts = store.get_many([r.id for r in rows])
    items, timeline = [], Counter()
    timeline_articles = Counter()
    co = Counter()
    co_names: dict = {}
    for r in rows:
        art = arts[r.id]
        spans = sorted(mentions[r.id])
        s, e = _sentence_at(art.body, spans[0][0])
        items.append({"id": r.id, "title": r.title, "source": r.source, "date": r.date,
                      "read": r.read, "mentions": len(spans),
                      "sentence": art.body[s:e], "sentence_start": s, "sentence_end": e,
                      "mention_spans": [list(sp) for sp in spans]})
        month = r.date[:7] if r.date else "undated"
        timeline[month] += len(spans)
        timeline_articles[month] += 1
    # One query for every article's entities (not article_entities per article).
    try:
        pairs = entities.co_mentioned(store.conn, list(mentions), subject.entity_id)
    except sqlite3.Error:  # no entity tables yet (imported with --no-entities)
        pairs = []
    for _aid, eid, ename, etype in pairs:
        co[eid] += 1
        co_names[eid] = (ename, etype)
    theirs = [q for q in library_quotes(store, speaker=subject.name, lock=lock) if q.article in mentions]
    months = sorted(m for m in timeline if m != "undated") + (["undated"] if "undated" in timeline else [])
    return {
        "entity": subject.to_json() | {"articles": len(items),
                                       "mentions": sum(i["mentions"] for i in items)},
        "articles": items,
        "timeline": [{"month": m, "mentions": timeline[m], "articles": timeline_articles[m]}
                     for m in months],
        "co_mentioned": [{"id": eid, "name": co_names[eid][0], "type": co_names[eid][1], "articles": n}
                         for eid, n in sorted(co.items(), key=lambda kv: (-kv[1], co_names[kv[0]][0]))
                         [:CO_MENTIONED]],
        "quotes": [q.to_json() for q in theirs],
    }


def sparkline(timeline: list[dict], width: int = 24) -> str:
    """The timeline as block characters, one per month (dated months only)."""
    values = [t["mentions"] for t in timeline if t["month"] != "undated"][-width:]
    if not values:
        return ""
    bars = "▁▂▃▄▅▆▇█"
    top = max(values)
    return "".join(bars[min(len(bars) - 1, (v * (len(bars) - 1) + top - 1) // top)] if v else " "
                   for v in values)


# -- follows ------------------------------------------------------------------------
def follow(store: Store, name: str, *, lock: threading.Lock | None = None) -> dict:
    """Follow an entity (its canonical name when known). Returns the follow's row."""
    subject = resolve_subject(store, name)
    if not _mentions(store, subject):
        raise DossierError(f"no article mentions {name!r}; nothing to follow")
    with writing(store, lock):
        table.put_follow(store.conn, subject.name)
    return next(f for f in follows(store) if table.name_key(f["name"]) == table.name_key(subject.name))


def unfollow(store: Store, name: str, *, lock: threading.Lock | None = None) -> bool:
    keys = {table.name_key(name)}
    info = find_entity(store, name)
    if info is not None:
        keys.add(table.name_key(info.name))
    with writing(store, lock):
        n = table.drop_follows(store.conn, keys)
    return n > 0


def follows(store: Store) -> list[dict]:
    """Followed entities with article and unread counts, in the order they were followed."""
    out = []
    for name, _created in table.followed(store.conn):
        subject = resolve_subject(store, name)
        ids = list(_mentions(store, subject))
        unread = store.count("read=0 AND id IN (SELECT value FROM json_each(?))",
                             (json.dumps(ids),)) if ids else 0
        out.append({"name": subject.name, "type": subject.type, "entity_id": subject.entity_id,
                    "articles": len(ids), "unread": unread})
    return out
