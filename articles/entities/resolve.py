"""From spaCy's raw spans to one named entity per real-world name.

Three steps, all without spaCy:

1. per article, clean each span (trim, split "Trump’s White House", drop junk);
2. per article, resolve short forms to the full name the article used
   ("Kim" -> "Kim Jong Un", "Maxwell" -> "David Maxwell", "Beast" -> "Daily Beast");
3. across the library, group names by matching key ("Kim Jong-un" == "Kim Jong Un"),
   link lone surnames to the one person they clearly mean, vote on the type,
   and replay the user's corrections.

The result replaces the entities/aliases/mentions tables in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from . import names

# Abbreviations that name the same thing as a longer name the library also uses.
KNOWN_ALIASES = {
    "us": "united states", "usa": "united states", "u s": "united states",
    "uk": "united kingdom", "un": "united nations", "eu": "european union",
    "uae": "united arab emirates", "dprk": "north korea", "ussr": "soviet union",
}
_PLACE_LABELS = ("GPE", "LOC")


@dataclass
class Mention:
    start: int
    end: int
    text: str  # exactly body[start:end]
    label: str
    key: str
    form: str = ""  # key of the full name this mention stands for
    short: bool = False
    the_prefix: bool = False  # "The Daily Beast": the body wrote a capital "The" before it

    @property
    def tokens(self) -> list[str]:
        return self.key.split()


# -- step 1: cleaning ----------------------------------------------------------
def clean_spans(body: str, spans: Iterable[list]) -> list[Mention] | None:
    """Trimmed, junk-free mentions; None when the cached spans do not fit this body."""
    raw: list[Mention] = []
    for start, end, label, text in spans:
        if body[start:end] != text:
            return None
        end = names.extend_hyphen_suffix(body, start, end, label)
        s, e = names.trim(body, start, end)
        if s < e:
            raw.append(Mention(s, e, body[s:e], label, names.key(body[s:e])))
    known = {m.key for m in raw}
    for m in raw:
        toks = m.tokens
        if len(toks) > 1:
            known.update((toks[0], toks[-1]))
    out: list[Mention] = []
    for m in raw:
        cut = names.inner_possessive(m.text)
        if cut is not None and names.key(m.text[:cut]) in known:
            # "Trump’s White House": the possessor is someone the article names;
            # the rest is a name of its own if anything is left of it.
            owner = next((o.label for o in raw if o.key == names.key(m.text[:cut])), "PERSON")
            parts = [(m.start, m.start + cut, owner)]
            rest = m.start + cut + 2
            parts.append((rest, m.end, m.label))
            for s, e, label in parts:
                s, e = names.trim(body, s, e)
                if s < e:
                    out.append(Mention(s, e, body[s:e], label, names.key(body[s:e])))
        else:
            out.append(m)
    kept = []
    last_end = -1
    for m in sorted(out, key=lambda m: m.start):
        if m.start < last_end or names.is_junk(m.text, m.label) or not m.key:
            continue
        m.the_prefix = body[max(0, m.start - 4):m.start] == "The "
        kept.append(m)
        last_end = m.end
    return kept


# -- step 2: short forms within one article -------------------------------------
def _surface_tokens(text: str) -> list[str]:
    return names.display(names._DASHES.sub(" ", text)).split()


def resolve_article(mentions: list[Mention], place_keys: set[str]) -> list[Mention]:
    """Point each short form at the full name it abbreviates; drop name fragments."""
    full_labels: dict[str, Counter] = defaultdict(Counter)
    first_at: dict[str, int] = {}
    counts: Counter = Counter()
    surfaces: dict[str, list[str]] = {}
    tagged_person = {m.key for m in mentions if m.label == "PERSON"}
    for m in mentions:
        full_labels[m.key][m.label] += 1
        first_at.setdefault(m.key, m.start)
        counts[m.key] += 1
        surfaces.setdefault(m.key, _surface_tokens(m.text))
    multi = [k for k in full_labels if len(k.split()) > 1]

    def is_person(k: str) -> bool:
        c = full_labels[k]
        return c["PERSON"] > 0 and c["PERSON"] >= max(c.values())

    def allowed(m: Mention, full: str) -> bool:
        toks, ftoks = m.tokens, full.split()
        n = len(toks)
        if ftoks[:n] == toks:
            fsurf = surfaces[full][:n]
        elif ftoks[-n:] == toks:
            fsurf = surfaces[full][-n:]
        else:
            return False
        short_surf = _surface_tokens(m.text)
        # "UN" is not the "Un" of Kim Jong Un.
        for a, b in zip(short_surf, fsurf):
            if len(a) > 1 and a.isupper() and not b.isupper():
                return False
        if m.label == "NORP":
            return False
        if is_person(full):
            if m.label in _PLACE_LABELS:
                return m.key in tagged_person or m.key not in place_keys
            return True
        if len(m.text) > 1 and m.text.isupper():
            return False  # "UN" is not short for "UN Security Council"
        top = full_labels[full].most_common(1)[0][0]
        return m.label not in _PLACE_LABELS and top not in _PLACE_LABELS + ("NORP",)

    resolved: dict[str, str] = {}
    # Longer names first, so "Kim Jong" can lean on "Kim Jong Un" before "Kim" leans on either.
    for k in sorted(full_labels, key=lambda k: -len(k.split())):
        n = len(k.split())
        mine = [m for m in mentions if m.key == k]
        cands = [f for f in multi if len(f.split()) > n and any(allowed(m, f) for m in mine)]
        if not cands:
            continue
        at = first_at[k]

        def rank(f: str) -> tuple:
            return (first_at[f] <= at, counts[f], -abs(first_at[f] - at))

        best = max(cands, key=rank)
        resolved[k] = resolved.get(best, best)

    person_inner = set()
    for f in multi:
        if is_person(f):
            person_inner.update(f.split()[1:-1])
    out = []
    for m in mentions:
        if m.key in resolved:
            m.form, m.short = resolved[m.key], True
        else:
            m.form = m.key
            if len(m.tokens) == 1 and m.key in person_inner:
                continue  # "Jong" alone: a piece of a name, not a name
        out.append(m)
    return out


# -- step 3: across the library -------------------------------------------------
@dataclass
class Cluster:
    key: str
    keys: set[str] = field(default_factory=set)
    mentions: list[tuple[str, Mention]] = field(default_factory=list)  # (article id, mention)
    name: str = ""
    type: str = "other"
    hidden: bool = False
    extra_aliases: list[str] = field(default_factory=list)

    def articles(self) -> set[str]:
        return {aid for aid, _ in self.mentions}

    def label_counts(self) -> Counter:
        full = Counter(m.label for _, m in self.mentions if not m.short)
        return full or Counter(m.label for _, m in self.mentions)

    def surfaces(self) -> Counter:
        return Counter(names.display(m.text) for _, m in self.mentions if not m.short)


class _Clusters:
    def __init__(self):
        self.by_key: dict[str, Cluster] = {}
        self.root: dict[str, str] = {}

    def add(self, aid: str, m: Mention) -> None:
        root = self.root.get(m.form) or KNOWN_ALIASES.get(m.form, m.form)
        c = self.by_key.get(root)
        if c is None:
            c = self.by_key[root] = Cluster(root, {root})
        c.mentions.append((aid, m))
        if not m.short:
            c.keys.add(m.key)
            self.root.setdefault(m.key, root)
        self.root.setdefault(m.form, root)
        self.root.setdefault(root, root)

    def find(self, k: str) -> Cluster | None:
        root = self.root.get(k)
        return self.by_key.get(root) if root else None

    def merge(self, keep: Cluster, gone: Cluster) -> None:
        if keep is gone:
            return
        keep.keys |= gone.keys
        keep.mentions += gone.mentions
        keep.extra_aliases += [gone.name] + gone.extra_aliases if gone.name else gone.extra_aliases
        for k, r in list(self.root.items()):
            if r == gone.key:
                self.root[k] = keep.key
        del self.by_key[gone.key]


def _link_surnames(clusters: _Clusters) -> None:
    """An article that only ever says "Blair" means the Blair the library knows,
    when one person of that name clearly dominates; otherwise leave it alone."""
    people: dict[str, list[Cluster]] = defaultdict(list)
    for c in clusters.by_key.values():
        toks = c.key.split()
        if len(toks) > 1 and c.type == "person":
            for t in {toks[0], toks[-1]}:
                people[t].append(c)
    for c in list(clusters.by_key.values()):
        if len(c.key.split()) != 1 or c.type != "person" or c.key not in people:
            continue
        cands = sorted(people[c.key], key=lambda p: len(p.articles()), reverse=True)
        top = len(cands[0].articles())
        second = len(cands[1].articles()) if len(cands) > 1 else 0
        if len(cands) == 1 or (top >= 2 and top >= 3 * second):
            clusters.merge(cands[0], c)


def _name_and_type(c: Cluster) -> None:
    surf = c.surfaces() or Counter(names.display(m.text) for _, m in c.mentions)
    c.name = max(surf, key=lambda s: (surf[s], len(s), s))
    c.type = names.vote_type(dict(c.label_counts()), c.name)


def _apply_rules(clusters: _Clusters, rules: list[tuple[str, str, str | None]]) -> None:
    for action, target, value in rules:
        c = clusters.find(target)
        if c is None:
            continue
        if action == "merge" and value is not None:
            other = clusters.find(value)
            if other is not None and other is not c:
                name, type_ = c.name, c.type
                clusters.merge(c, other)
                c.name, c.type = name, type_
        elif action == "rename" and value:
            if c.name not in c.extra_aliases:
                c.extra_aliases.append(c.name)
            c.name = value
            clusters.root.setdefault(names.key(value), c.key)
        elif action == "retype" and value in names.TYPES:
            c.type = value
        elif action == "hide":
            c.hidden = True
        elif action == "unhide":
            c.hidden = False


def load_rules(conn: sqlite3.Connection) -> list[tuple[str, str, str | None]]:
    return [tuple(r) for r in conn.execute("SELECT action, target, value FROM entity_rules ORDER BY id")]


def build(conn: sqlite3.Connection) -> tuple[set[str], list[str]]:
    """Recompute every entity table from the cache and the rules.

    Returns (ids of articles with mentions derived, ids whose cached spans did not fit).
    Call inside a transaction.
    """
    rows = conn.execute(
        "SELECT a.id, a.body, a.body_hash, c.spans FROM articles a "
        "JOIN entity_cache c ON c.body_hash = a.body_hash").fetchall()
    cleaned: dict[str, list[Mention]] = {}
    hashes: dict[str, str] = {}
    misfits: list[str] = []
    place_articles: Counter = Counter()
    person_articles: Counter = Counter()
    for aid, body, bhash, spans in rows:
        ms = clean_spans(body, json.loads(spans))
        if ms is None:
            misfits.append(aid)
            continue
        cleaned[aid], hashes[aid] = ms, bhash
        place_articles.update({m.key for m in ms if m.label in _PLACE_LABELS})
        person_articles.update({m.key for m in ms if m.label == "PERSON"})
    place_keys = {k for k, n in place_articles.items() if n >= 2 and n > person_articles[k]}

    clusters = _Clusters()
    for aid, ms in cleaned.items():
        for m in resolve_article(ms, place_keys):
            clusters.add(aid, m)
    for c in clusters.by_key.values():
        _name_and_type(c)
    _link_surnames(clusters)
    _apply_rules(clusters, load_rules(conn))
    _write(conn, clusters, hashes)
    return set(hashes), misfits


def _aliases(c: Cluster) -> list[tuple[str, str]]:
    """(alias, key) pairs: the name, each other spelling, "The X" when written so."""
    seen: dict[str, str] = {}
    out: list[tuple[str, str]] = []

    def add(alias: str) -> None:
        alias = names.display(alias)
        if alias and alias not in seen:
            seen[alias] = names.key(alias)
            out.append((alias, seen[alias]))

    add(c.name)
    for s, _ in c.surfaces().most_common():
        add(s)
    if c.type in ("organization", "other") and any(m.the_prefix for _, m in c.mentions if not m.short):
        add("The " + c.name)
    for a in c.extra_aliases:
        add(a)
    for k in sorted(c.keys):
        if k not in {key for _, key in out}:
            add(k)
    return out


def _write(conn: sqlite3.Connection, clusters: _Clusters, hashes: dict[str, str]) -> None:
    existing = dict(conn.execute("SELECT key, id FROM entities"))
    conn.execute("DELETE FROM entity_mentions")
    conn.execute("DELETE FROM entity_aliases")
    keep: set[int] = set()
    mention_rows, alias_rows = [], []
    for c in clusters.by_key.values():
        if not c.mentions:
            continue
        eid = existing.get(c.key)
        if eid is None:
            eid = conn.execute("INSERT INTO entities(key, name, type, hidden) VALUES (?,?,?,?)",
                               (c.key, c.name, c.type, int(c.hidden))).lastrowid
        else:
            conn.execute("UPDATE entities SET name=?, type=?, hidden=? WHERE id=?",
                         (c.name, c.type, int(c.hidden), eid))
        keep.add(eid)
        mention_rows += [(aid, eid, m.start, m.end, m.text) for aid, m in c.mentions]
        alias_rows += [(eid, a, k) for a, k in _aliases(c)]
    gone = [i for i in existing.values() if i not in keep]
    conn.executemany("DELETE FROM entities WHERE id=?", ((i,) for i in gone))
    conn.executemany("INSERT OR IGNORE INTO entity_mentions(article_id, entity_id, start, end, text) "
                     "VALUES (?,?,?,?,?)", mention_rows)
    conn.executemany("INSERT OR IGNORE INTO entity_aliases(entity_id, alias, alias_key) VALUES (?,?,?)",
                     alias_rows)
    conn.execute("DELETE FROM entity_state")
    conn.executemany("INSERT INTO entity_state(article_id, body_hash) VALUES (?,?)", hashes.items())
