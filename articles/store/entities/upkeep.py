"""Keeping the derived entity tables up to date, incrementally (store layer: the SQL).

Names join a *group* by matching key; a lone surname group may *link* to the
one person it clearly means; the user's corrections then merge, rename, retype
or hide whole clusters (the decisions are ``articles.analysis.entities.resolve``'s,
over the rows read here). Each stage is stored, so a change is followed only
as far as it actually reaches:
  articles -> their groups -> tokens of those groups (surname links)
  -> the corrections (replayed whole: there are few) -> the entities involved
  -> the articles whose index fields differ.
A full rebuild is the same code with every article marked dirty, and gives the
same tables.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ...analysis.entities import resolve
from ...analysis.entities import spans as spans_
from ...analysis.entities import names
from ...analysis.entities.spans import PLACE_LABELS, Mention
from . import schema
from .queries import index_fields

_BIG = 500  # ids per json_each() argument


def _j(items) -> str:
    return json.dumps(sorted(items) if isinstance(items, set) else list(items), ensure_ascii=False)


def _chunks(items, n: int = _BIG):
    items = sorted(items) if isinstance(items, set) else list(items)
    for i in range(0, len(items), n):
        yield items[i:i + n]


class _PlaceKeys:
    """The set of keys the library mostly calls a place, read lazily; remembers
    which keys each article consulted so a flip can send it back for resolving."""

    def __init__(self, conn: sqlite3.Connection, cache: dict[str, bool]):
        self.conn = conn
        self.cache = cache  # shared by the articles of one pass: the counts are settled by then
        self.probed: set[str] = set()

    def _counts(self, k: str) -> tuple[int, int] | None:
        self.probed.add(k)
        if k not in self.cache:
            row = self.conn.execute("SELECT place, person FROM entity_keys WHERE key = ?", (k,)).fetchone()
            self.cache[k] = tuple(row) if row else None
        return self.cache[k]

    def __contains__(self, k: str) -> bool:
        return resolve.is_place(self._counts(k))

    def prior(self, k: str) -> str | None:
        """What the library mostly calls this name (a prior, not a verdict)."""
        c = self._counts(k)
        return "place" if resolve.is_place(c) else "person" if resolve.is_person(c) else None


@dataclass
class _Run:
    """What one update has touched so far."""

    touched: set[str] = field(default_factory=set)    # articles re-resolved
    groups: set[str] = field(default_factory=set)     # groups whose mentions changed
    before: dict[str, dict] = field(default_factory=dict)  # index fields before, per article


def _process(conn: sqlite3.Connection, ids: list[str], run: _Run) -> set[str]:
    """Take back what these articles contributed, clean and resolve them again
    from the cache. Returns articles elsewhere whose resolution consulted a key
    whose place-or-person evidence just flipped."""
    new = [a for a in ids if a not in run.before]
    for chunk in _chunks(new):
        got = index_fields(conn, chunk)
        for aid in chunk:
            run.before[aid] = got.get(aid, {})
    run.touched.update(ids)
    delta: Counter = Counter()  # (key, "place"|"person") -> change in article count
    for chunk in _chunks(ids):
        arg = _j(chunk)
        for aid, contrib in conn.execute(
                "SELECT article_id, contrib FROM entity_done WHERE article_id IN (SELECT value FROM json_each(?))",
                (arg,)):
            c = json.loads(contrib)
            delta.update({(k, "place"): -1 for k in c["place"]})
            delta.update({(k, "person"): -1 for k in c["person"]})
            run.groups.update(c["groups"])
            conn.executemany("DELETE FROM entity_probes WHERE key = ? AND article_id = ?",
                             ((k, aid) for k in c["probes"]))
        for table in ("entity_spans", "entity_mentions", "entity_done", "entity_state", "entity_dirty"):
            conn.execute(f"DELETE FROM {table} WHERE article_id IN (SELECT value FROM json_each(?))", (arg,))

    cleaned: dict[str, tuple[str, list[Mention]]] = {}
    for chunk in _chunks(ids):
        for aid, body, bhash, spans in conn.execute(
                "SELECT a.id, a.body, a.body_hash, c.spans FROM articles a "
                "JOIN entity_cache c ON c.body_hash = a.body_hash "
                "WHERE a.id IN (SELECT value FROM json_each(?))", (_j(chunk),)):
            ms = spans_.clean_spans(body, json.loads(spans))
            cleaned[aid] = (bhash, ms or [])  # spans that do not fit this body: no mentions
    place_of: dict[str, set[str]] = {}
    person_of: dict[str, set[str]] = {}
    for aid, (_, ms) in cleaned.items():
        place_of[aid] = {m.key for m in ms if m.label in PLACE_LABELS}
        person_of[aid] = {m.key for m in ms if m.label == "PERSON"}
        delta.update({(k, "place"): 1 for k in place_of[aid]})
        delta.update({(k, "person"): 1 for k in person_of[aid]})

    flipped: set[str] = set()
    keys = {k for (k, _), n in delta.items() if n}
    for chunk in _chunks(keys):
        old = {k: (p, q) for k, p, q in conn.execute(
            "SELECT key, place, person FROM entity_keys WHERE key IN (SELECT value FROM json_each(?))",
            (_j(chunk),))}
        rows = []
        for k in chunk:
            p, q = old.get(k, (0, 0))
            np_, nq = p + delta[(k, "place")], q + delta[(k, "person")]
            if resolve.is_place((p, q)) != resolve.is_place((np_, nq)) or \
                    resolve.is_person((p, q)) != resolve.is_person((np_, nq)):
                flipped.add(k)
            rows.append((k, np_, nq))
        conn.executemany("INSERT OR REPLACE INTO entity_keys(key, place, person) VALUES (?,?,?)", rows)
        conn.execute("DELETE FROM entity_keys WHERE place <= 0 AND person <= 0 "
                     "AND key IN (SELECT value FROM json_each(?))", (_j(chunk),))

    span_rows, done_rows, state_rows, probe_rows = [], [], [], []
    place_cache: dict[str, tuple | None] = {}
    for aid, (bhash, ms) in cleaned.items():
        places = _PlaceKeys(conn, place_cache)
        groups = set()
        resolved = resolve.resolve_article(ms, places)
        typed = resolve.article_types(resolved, places.prior)
        for m in resolved:
            g = resolve.group_of(m.form)
            groups.add(g)
            label, conf = typed[m.form or m.key]
            span_rows.append((aid, m.start, m.end, m.text, label, m.key, g, int(m.short), int(m.the_prefix),
                              conf, m.title or None))
        run.groups |= groups
        contrib = {"place": sorted(place_of[aid]), "person": sorted(person_of[aid]),
                   "groups": sorted(groups), "probes": sorted(places.probed)}
        done_rows.append((aid, bhash, json.dumps(contrib, ensure_ascii=False)))
        state_rows.append((aid, bhash))
        probe_rows += [(k, aid) for k in places.probed]
    conn.executemany("INSERT OR IGNORE INTO entity_spans(article_id, start, end, text, label, key, grp, short, "
                     "the_prefix, conf, title) VALUES (?,?,?,?,?,?,?,?,?,?,?)", span_rows)
    conn.executemany("INSERT INTO entity_done(article_id, body_hash, contrib) VALUES (?,?,?)", done_rows)
    conn.executemany("INSERT INTO entity_state(article_id, body_hash) VALUES (?,?)", state_rows)
    conn.executemany("INSERT OR IGNORE INTO entity_probes(key, article_id) VALUES (?,?)", probe_rows)

    again: set[str] = set()
    for chunk in _chunks(flipped):
        again.update(r[0] for r in conn.execute(
            "SELECT DISTINCT article_id FROM entity_probes WHERE key IN (SELECT value FROM json_each(?))",
            (_j(chunk),)))
    return again - set(ids)


def _recount_groups(conn: sqlite3.Connection, groups: set[str]) -> tuple[set[str], set[str]]:
    """Re-vote name and type of these groups from their mentions. Returns the
    tokens whose surname links may have changed, and the entities the groups were in."""
    tokens: set[str] = set()
    was_in: set[str] = set()
    for chunk in _chunks(groups):
        arg = _j(chunk)
        old = {}
        for k, n, f, la, ek in conn.execute(
                "SELECT key, ntok, first, last, entity_key FROM entity_groups "
                "WHERE key IN (SELECT value FROM json_each(?))", (arg,)):
            old[k] = (n, f, la)
            if ek is not None:
                was_in.add(ek)
        full_labels: dict[str, Counter] = defaultdict(Counter)
        all_labels: dict[str, Counter] = defaultdict(Counter)
        surfaces: dict[str, Counter] = defaultdict(Counter)
        all_surfaces: dict[str, Counter] = defaultdict(Counter)
        the: dict[str, bool] = defaultdict(bool)
        keys: dict[str, set] = defaultdict(set)
        arts: dict[str, set] = defaultdict(set)
        for g, aid, label, k, text, short, the_prefix in conn.execute(
                "SELECT grp, article_id, label, key, text, short, the_prefix FROM entity_spans "
                "WHERE grp IN (SELECT value FROM json_each(?))", (arg,)):
            shown = names.display(text)
            all_labels[g][label] += 1
            all_surfaces[g][shown] += 1
            arts[g].add(aid)
            if not short:
                full_labels[g][label] += 1
                surfaces[g][shown] += 1
                keys[g].add(k)
                the[g] = the[g] or bool(the_prefix)
        rows = []
        for g in chunk:
            toks = g.split()
            if g in old:
                n, f, la = old[g]
                tokens.update({f, la} if n > 1 else {g})
            if g not in arts:
                continue
            tokens.update({toks[0], toks[-1]} if len(toks) > 1 else {g})
            surf = surfaces[g] or all_surfaces[g]
            name = max(surf, key=lambda s: (surf[s], len(s), s))
            type_ = names.vote_type(dict(full_labels[g] or all_labels[g]), name)
            stats = {"surfaces": dict(surfaces[g]), "the": int(the[g]), "keys": sorted(keys[g] | {g})}
            rows.append((g, len(toks), toks[0], toks[-1], name, type_, len(arts[g]),
                         json.dumps(stats, ensure_ascii=False, sort_keys=True)))
        conn.execute("DELETE FROM entity_groups WHERE key IN (SELECT value FROM json_each(?)) "
                     "AND key NOT IN (SELECT DISTINCT grp FROM entity_spans WHERE grp IN "
                     "(SELECT value FROM json_each(?)))", (arg, arg))
        conn.executemany(
            "INSERT INTO entity_groups(key, ntok, first, last, name, type, articles, stats) VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT(key) DO UPDATE SET name=excluded.name, type=excluded.type, "
            "articles=excluded.articles, stats=excluded.stats", rows)
    return tokens, was_in


def _relink(conn: sqlite3.Connection, tokens: set[str]) -> set[str]:
    """An article that only ever says "Blair" means the Blair the library knows,
    when one person of that name clearly dominates. Returns groups whose link changed."""
    changed = set()
    for t in sorted(tokens):
        row = conn.execute("SELECT type, link FROM entity_groups WHERE key = ? AND ntok = 1", (t,)).fetchone()
        if row is None:
            continue
        link = None
        if row[0] == "person":
            cands = conn.execute(
                "SELECT key, articles FROM entity_groups WHERE ntok > 1 AND type = 'person' "
                "AND (first = ? OR last = ?) ORDER BY articles DESC, key", (t, t)).fetchall()
            best = resolve.dominant_person(cands)
            if best is not None and _context_agrees(conn, t, best):
                link = best
        if link != row[1]:
            conn.execute("UPDATE entity_groups SET link = ? WHERE key = ?", (link, t))
            changed.add(t)
    return changed


# Names an article must share with the full name's articles before its lone
# surname is taken to mean that person ("Bush" in a story on wildlife law is not
# the footballer the library knows).
CONTEXT_SHARED = 2


def _context_agrees(conn: sqlite3.Connection, surname: str, full: str) -> bool:
    """Whether every article that says only ``surname`` shares at least
    CONTEXT_SHARED other names with the articles of ``full``."""
    arts = [r[0] for r in conn.execute("SELECT DISTINCT article_id FROM entity_spans WHERE grp = ?", (surname,))]
    for aid in arts:
        shared = conn.execute(
            "SELECT count(DISTINCT s.grp) FROM entity_spans s WHERE s.article_id = ? AND s.grp NOT IN (?, ?) "
            "AND s.grp IN (SELECT o.grp FROM entity_spans o WHERE o.article_id IN "
            "(SELECT f.article_id FROM entity_spans f WHERE f.grp = ?))",
            (aid, surname, full, full)).fetchone()[0]
        if shared < CONTEXT_SHARED:
            return False
    return True


def load_rules(conn: sqlite3.Connection) -> list[tuple[str, str, str | None]]:
    return [tuple(r) for r in conn.execute("SELECT action, target, value FROM entity_rules ORDER BY id")]


def _replay(conn: sqlite3.Connection) -> dict[str, dict]:
    """The corrections replayed over the groups as they now stand (resolve.replay)."""
    def root_of(g: str) -> str | None:
        row = conn.execute("SELECT coalesce(link, key) FROM entity_groups WHERE key = ?", (g,)).fetchone()
        return None if row is None else row[0]

    def name_type_of(root: str) -> tuple[str, str]:
        return conn.execute("SELECT name, type FROM entity_groups WHERE key = ?", (root,)).fetchone()

    return resolve.replay(load_rules(conn), root_of, name_type_of)


def update(conn: sqlite3.Connection, full: bool = False) -> list[str]:
    """Bring the entity tables up to date with the dirty articles and the
    corrections; with ``full``, re-derive everything from the cache (no spaCy).
    Returns the ids of articles whose entity index fields changed. Call inside a transaction."""
    run = _Run()
    full = full or schema.needs_rebuild(conn)
    if full:
        ids = [r[0] for r in conn.execute("SELECT id FROM articles")]
        for chunk in _chunks(ids):
            got = index_fields(conn, chunk)
            run.before.update({aid: got.get(aid, {}) for aid in chunk})
        schema.reset(conn)
    todo = [r[0] for r in conn.execute("SELECT article_id FROM entity_dirty")]
    while todo:
        todo = sorted(_process(conn, todo, run))

    tokens, was_in = _recount_groups(conn, run.groups)
    moved = set(run.groups) | _relink(conn, tokens)

    # The corrections, replayed; clusters whose outcome differs from last time are touched.
    new_replay = _replay(conn)
    row = conn.execute("SELECT result FROM entity_replay WHERE id = 1").fetchone()
    old_replay = json.loads(row[0]) if row else {}
    affected_entities: set[str] = set(was_in)
    changed_roots: set[str] = set()
    for k in set(old_replay) | set(new_replay):
        if old_replay.get(k) != new_replay.get(k):
            affected_entities.add(k)
            for c in (old_replay.get(k), new_replay.get(k)):
                if c:
                    changed_roots.update(c["roots"])
    conn.execute("INSERT OR REPLACE INTO entity_replay(id, result) VALUES (1, ?)",
                 (json.dumps(new_replay, ensure_ascii=False, sort_keys=True),))
    final = {r: c["key"] for c in new_replay.values() for r in c["roots"]}

    # Which entity each touched group now belongs to.
    for chunk in _chunks(changed_roots):
        arg = _j(chunk)
        moved.update(r[0] for r in conn.execute(
            "SELECT key FROM entity_groups WHERE key IN (SELECT value FROM json_each(?)) "
            "OR link IN (SELECT value FROM json_each(?))", (arg, arg)))
    reassigned: set[str] = set()
    for chunk in _chunks(moved):
        rows = conn.execute("SELECT key, coalesce(link, key), entity_key FROM entity_groups "
                            "WHERE key IN (SELECT value FROM json_each(?))", (_j(chunk),)).fetchall()
        updates = []
        for g, lr, ek in rows:
            nk = final.get(lr, lr)
            affected_entities.add(nk)
            if ek is not None:
                affected_entities.add(ek)
            if nk != ek:
                updates.append((nk, g))
                reassigned.add(g)
        conn.executemany("UPDATE entity_groups SET entity_key = ? WHERE key = ?", updates)
    if full:
        affected_entities.update(r[0] for r in conn.execute("SELECT key FROM entities"))

    # Each touched entity, as it now stands.
    plans: dict[str, tuple] = {}
    empty: set[str] = set()  # entities nothing belongs to any more
    visible_change: set[str] = set()
    old_aliases_of: dict[int, list[str]] = defaultdict(list)

    def _plan(ek: str, members: list, old) -> None:
        # The entity's own group first: its votes name the entity.
        members.sort(key=lambda m: m[0] != ek)
        if not members:
            plans[ek] = (old[0] if old else None, None)
            empty.add(ek)
            return
        c = new_replay.get(ek)
        name, type_ = (c["name"], c["type"]) if c else (members[0][1], members[0][2])
        hidden = bool(c and c["hidden"])
        mem = [(k, n, json.loads(s)) for k, n, _, s in members]
        aliases = resolve.aliases(name, type_, mem, c["extra"] if c else [])
        old_aliases = old_aliases_of.get(old[0], []) if old else None
        same = old is not None and (old[1], old[2], bool(old[3]), old_aliases) == \
            (name, type_, hidden, [a for a, _ in aliases])
        # The index holds the spellings as a set: a new order alone sends nobody back.
        if old is not None and (old[2], bool(old[3]), sorted(old_aliases)) != \
                (type_, hidden, sorted(a for a, _ in aliases)):
            visible_change.add(old[0])
        plans[ek] = (old[0] if old else None, None if same else (name, type_, hidden, aliases))

    for chunk in _chunks(affected_entities):
        arg = _j(chunk)
        grouped: dict[str, list] = defaultdict(list)
        for row in conn.execute("SELECT entity_key, key, name, type, stats FROM entity_groups "
                                "WHERE entity_key IN (SELECT value FROM json_each(?)) ORDER BY key", (arg,)):
            grouped[row[0]].append(row[1:])
        olds = {r[0]: r[1:] for r in conn.execute(
            "SELECT key, id, name, type, hidden FROM entities WHERE key IN (SELECT value FROM json_each(?))", (arg,))}
        for eid, alias in conn.execute(
                "SELECT entity_id, alias FROM entity_aliases WHERE entity_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY rowid", (json.dumps([o[0] for o in olds.values()]),)):
            old_aliases_of[eid].append(alias)
        for ek in chunk:
            _plan(ek, grouped.get(ek, []), olds.get(ek))

    # Articles whose fields may change, measured before anything is written.
    candidates: set[str] = set()
    for chunk in _chunks(reassigned):
        candidates.update(r[0] for r in conn.execute(
            "SELECT DISTINCT article_id FROM entity_spans WHERE grp IN (SELECT value FROM json_each(?))",
            (_j(chunk),)))
    for eid in visible_change:
        candidates.update(r[0] for r in conn.execute(
            "SELECT DISTINCT article_id FROM entity_mentions WHERE entity_id = ?", (eid,)))
    candidates -= set(run.before)
    for chunk in _chunks(candidates):
        got = index_fields(conn, chunk)
        run.before.update({aid: got.get(aid, {}) for aid in chunk})

    gone = []
    for ek, (eid, plan) in plans.items():
        if plan is None:
            if eid is not None and ek in empty:
                gone.append(eid)
            continue
        name, type_, hidden, aliases = plan
        if eid is None:
            eid = conn.execute("INSERT INTO entities(key, name, type, hidden) VALUES (?,?,?,?)",
                               (ek, name, type_, int(hidden))).lastrowid
        else:
            conn.execute("UPDATE entities SET name=?, type=?, hidden=? WHERE id=?", (name, type_, int(hidden), eid))
        conn.execute("DELETE FROM entity_aliases WHERE entity_id = ?", (eid,))
        conn.executemany("INSERT OR IGNORE INTO entity_aliases(entity_id, alias, alias_key) VALUES (?,?,?)",
                         ((eid, a, k) for a, k in aliases))
    # Mentions: fresh for re-resolved articles, re-pointed for groups that moved.
    insert = ("INSERT OR IGNORE INTO entity_mentions(article_id, entity_id, start, end, text) "
              "SELECT s.article_id, e.id, s.start, s.end, s.text FROM entity_spans s "
              "JOIN entity_groups g ON g.key = s.grp JOIN entities e ON e.key = g.entity_key ")
    for chunk in _chunks(run.touched):
        conn.execute(insert + "WHERE s.article_id IN (SELECT value FROM json_each(?))", (_j(chunk),))
    for chunk in _chunks(reassigned):
        arg = _j(chunk)
        conn.execute("DELETE FROM entity_mentions WHERE (article_id, start, end) IN (SELECT article_id, start, end "
                     "FROM entity_spans WHERE grp IN (SELECT value FROM json_each(?)))", (arg,))
        conn.execute(insert + "WHERE s.grp IN (SELECT value FROM json_each(?))", (arg,))
    conn.executemany("DELETE FROM entities WHERE id = ?", ((i,) for i in gone))

    changed = []
    ids = sorted(run.before)
    for chunk in _chunks(ids):
        after = index_fields(conn, chunk)
        changed += [aid for aid in chunk if run.before[aid] != after.get(aid, {})]
    return changed
