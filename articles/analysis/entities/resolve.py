"""Steps 2 and 3 of entity resolution, as decisions over plain records (no SQL).

2. per article, resolve short forms to the full name the article used
   ("Kim" -> "Kim Jong Un", "Maxwell" -> "David Maxwell", "Beast" -> "Daily Beast"),
   and give each name the type it has *in that article*, with how sure we are;
3. across the library, group names by matching key ("Kim Jong-un" == "Kim Jong Un"),
   link a lone surname to the one person it clearly means, replay the user's
   corrections over the clusters, and list each entity's aliases.

The library-wide step is kept incrementally by ``articles.store.entities.upkeep``,
which reads and writes the tables and asks this module what to decide.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

from . import names
from .spans import PLACE_LABELS, Mention

# Abbreviations that name the same thing as a longer name the library also uses.
KNOWN_ALIASES = {
    "us": "united states", "usa": "united states", "u s": "united states",
    "uk": "united kingdom", "un": "united nations", "eu": "european union",
    "uae": "united arab emirates", "dprk": "north korea", "ussr": "soviet union",
}


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
    located = {m.key for m in mentions if m.locative}
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
            if m.label in PLACE_LABELS:
                # "Paris" of "Valeska Paris": a place elsewhere in the library, but
                # here never written where a place goes ("in Paris", "to Paris").
                return m.key in tagged_person or m.key not in place_keys or m.key not in located
            return True
        if len(m.text) > 1 and m.text.isupper():
            return False  # "UN" is not short for "UN Security Council"
        if m.label == "PERSON" and n > 1 and ftoks[:n] == toks:
            return False  # "Andy Warhol" is not short for "Andy Warhol Foundation"
        top = full_labels[full].most_common(1)[0][0]
        return m.label not in PLACE_LABELS and top not in PLACE_LABELS + ("NORP",)

    resolved: dict[str, str] = {}
    # Longer names first, so "Kim Jong" can lean on "Kim Jong Un" before "Kim" leans on either.
    for k in sorted(full_labels, key=lambda k: -len(k.split())):
        n = len(k.split())
        mine = [m for m in mentions if m.key == k]
        # A name the article mostly calls a place is no short form of an organisation's
        # name ("United States" of "United States Navy"), whatever one stray label says.
        # (Names of two words and more: a single word the model calls a place is
        # often a company's or a movement's short name, "Ubisoft", and is left to the other rules.)
        placed = n > 1 and full_labels[k].most_common(1)[0][0] in PLACE_LABELS
        cands = [f for f in multi if len(f.split()) > n and any(allowed(m, f) for m in mine)
                 and not (placed and not is_person(f) and full_labels[f].most_common(1)[0][0] not in PLACE_LABELS)]
        if not cands:
            continue
        at = first_at[k]

        def rank(f: str) -> tuple:
            return (first_at[f] <= at, counts[f], -abs(first_at[f] - at))

        best = max(cands, key=rank)
        resolved[k] = resolved.get(best, best)

    # Variants of one person's name in one article: middle names and initials
    # ("Eric Kirkpatrick" / "Eric Allen Kirkpatrick", "J. Smith" / "John Smith"),
    # a short given name ("Ben Banky" / "Benjamin David Banky"). The fuller one names them.
    people = [k for k in multi if is_person(k) and k not in resolved]
    for k in sorted(people, key=lambda k: len(k.split())):
        toks = k.split()
        for f in sorted(people, key=lambda f: -len(f.split())):
            ftoks = f.split()
            if f == k or len(ftoks) < len(toks) or ftoks[-1] != toks[-1] or f in resolved:
                continue
            if names.same_given_name(toks[0], ftoks[0]) and (len(ftoks) > len(toks) or ftoks[0] != toks[0]) \
                    and all(t in ftoks[1:-1] or len(t) == 1 for t in toks[1:-1]):
                resolved[k] = f
                break
    for m in mentions:
        # "International Labour Organisation (ILO)": the bracket gives the short form.
        if m.alias_of and m.key not in resolved and m.alias_of in full_labels:
            resolved[m.key] = resolved.get(m.alias_of, m.alias_of)
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


# -- step 2b: the type and how sure we are, per article ---------------------------
_TYPE_LABEL = {"person": "PERSON", "organization": "ORG", "place": "GPE", "group": "NORP",
               "event": "EVENT", "other": "PRODUCT"}


def article_types(mentions: list[Mention], prior) -> dict[str, tuple[str, float]]:
    """For each name (form) of one article: the label it has *in this article*
    and a confidence in 0..1.

    The article's own mentions vote (short forms too: "Kamen said" makes "Dean
    Kamen" a person); the library's evidence (``prior(form)`` -> a type or None,
    from other articles) decides only when the article's vote is one mention or
    a tie. So a name can be a place in one article and a club in another.
    Confidence grows with the mentions, their agreement, a full (several-word)
    name and the model's own finding, not a rule's or a capitals line's."""
    by_form: dict[str, list[Mention]] = defaultdict(list)
    for m in mentions:
        by_form[m.form or m.key].append(m)
    out = {}
    for form, ms in by_form.items():
        # The full name's own mentions vote; short forms ("Maxwell", which the
        # model often calls a company) only break a tie or stand alone.
        full = [m for m in ms if not m.short] or ms
        labels = Counter(m.label for m in full)
        top2 = labels.most_common(2)
        if len(top2) > 1 and top2[0][1] == top2[1][1]:
            labels.update(m.label for m in ms if m.short)
        name = max((m.text for m in ms if not m.short), key=len, default=ms[0].text)
        t = names.vote_type(dict(labels), name)
        if t == "person" and any(m.thing for m in ms) and not any(m.title or m.cued for m in ms):
            t = "organization"  # "Diageo, which owns ...": people are "who", companies "which"
        types = Counter(names.LABEL_TYPES.get(m.label, "other") for m in ms)
        agree = types[t] / len(ms) if t in types else 0.0
        top2 = types.most_common(2)
        weak_vote = len(full) == 1 or (len(top2) > 1 and top2[0][1] == top2[1][1])
        p = prior(form) if weak_vote else None
        if p and p != t and p in types:
            t = p
        elif p and p != t and len(ms) == 1:
            t = p
        conf = 0.25 + 0.15 * min(len(ms), 4) + 0.15 * (agree >= 0.99) + 0.1 * (len(form.split()) > 1)
        if all(m.weak for m in ms):
            conf -= 0.2
        if t == "person" and len(form.split()) == 1:
            conf -= 0.15  # news names a person in full first; a lone word the model calls a person often is not one
        out[form] = (_TYPE_LABEL.get(t, "PRODUCT"), round(max(0.05, min(conf, 1.0)), 2))
    return out


# -- step 3: across the library, decided over plain records -----------------------
# Names join a *group* by matching key (abbreviations like "US" by KNOWN_ALIASES);
# a lone surname group may *link* to the one person it clearly means; the user's
# corrections then merge, rename, retype or hide whole clusters.
def group_of(form: str) -> str:
    """The library-wide group of a name: known abbreviations, and a company's
    legal form dropped ("TallGrass Distribution Ltd." joins "TallGrass Distribution")."""
    return KNOWN_ALIASES.get(form) or names.without_legal_suffix(form)


def is_place(counts: tuple[int, int] | None) -> bool:
    """Whether (articles tagging a key a place, a person) say the library mostly calls it a place."""
    return bool(counts) and counts[0] >= 2 and counts[0] > counts[1]


def is_person(counts: tuple[int, int] | None) -> bool:
    return bool(counts) and counts[1] >= 2 and counts[1] > counts[0]


def dominant_person(cands: list[tuple[str, int]]) -> str | None:
    """Of the people (key, articles) a lone surname may mean, most widespread
    first: the one that clearly dominates, else None. (The context must still
    agree before the surname is linked to it.)"""
    if not cands:
        return None
    top = cands[0][1]
    second = cands[1][1] if len(cands) > 1 else 0
    if len(cands) == 1 or (top >= 2 and top >= 3 * second):
        return cands[0][0]
    return None


def replay(rules: list[tuple[str, str, str | None]], root_of: Callable[[str], str | None],
           name_type_of: Callable[[str], tuple[str, str]]) -> dict[str, dict]:
    """Replay the corrections (action, target key, value) in order over the
    clusters they name. ``root_of(group key)`` is the group's link root (None
    when there is no such group); ``name_type_of(root)`` its name and type.
    Returns, per cluster a correction touched: its link roots, name, type,
    hidden flag and extra aliases."""
    clusters: dict[str, dict] = {}
    owner: dict[str, str] = {}  # link root -> cluster root
    renamed: dict[str, str] = {}  # key of a new name -> cluster root

    def cluster(root: str) -> dict:
        while root in owner and owner[root] != root:
            root = owner[root]
        return clusters[root]

    def find(k: str) -> dict | None:
        for g in (k, KNOWN_ALIASES.get(k)):
            if not g:
                continue
            lr = root_of(g)
            if lr is None:
                continue
            if lr not in owner:
                name, type_ = name_type_of(lr)
                owner[lr] = lr
                clusters[lr] = {"key": lr, "roots": [lr], "name": name, "type": type_, "hidden": False,
                                "extra": []}
            return cluster(lr)
        root = renamed.get(k)
        return cluster(root) if root else None

    for action, target, value in rules:
        c = find(target)
        if c is None:
            continue
        if action == "merge" and value is not None:
            other = find(value)
            if other is not None and other is not c:
                c["roots"] += other["roots"]
                c["extra"] += ([other["name"]] if other["name"] else []) + other["extra"]
                owner[other["key"]] = c["key"]
                del clusters[other["key"]]
        elif action == "rename" and value:
            if c["name"] not in c["extra"]:
                c["extra"].append(c["name"])
            c["name"] = value
            if find(names.key(value)) is None:
                renamed.setdefault(names.key(value), c["key"])
        elif action == "retype" and value in names.TYPES:
            c["type"] = value
            c["retyped"] = True
        elif action == "hide":
            c["hidden"] = True
        elif action == "unhide":
            c["hidden"] = False
    for c in clusters.values():
        c["roots"] = sorted(c["roots"])
    return clusters


def aliases(name: str, type_: str, members: list[tuple[str, str, dict]], extra: list[str]) -> list[tuple[str, str]]:
    """(alias, key) pairs: the name, each other spelling (most used first), "The X"
    when written so, earlier names, the names of what was merged in, the keys.
    ``members`` are the entity's groups as (key, name, stats), its own first."""
    seen: dict[str, str] = {}
    out: list[tuple[str, str]] = []

    def add(alias: str) -> None:
        alias = names.display(alias)
        if alias and alias not in seen:
            seen[alias] = names.key(alias)
            out.append((alias, seen[alias]))

    add(name)
    surf: Counter = Counter()
    for _, _, stats in members:
        surf.update(stats["surfaces"])
    for s in sorted(surf, key=lambda s: (-surf[s], s)):
        add(s)
    if type_ in ("organization", "other") and any(stats["the"] for _, _, stats in members):
        add("The " + name)
    for a in extra:
        add(a)
    for _, gname, _ in members[1:]:
        add(gname)
    keys = set()
    for _, _, stats in members:
        keys.update(stats["keys"])
    for k in sorted(keys):
        if k not in {key for _, key in out}:
            add(k)
    return out
