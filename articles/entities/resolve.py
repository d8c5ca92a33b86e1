"""From spaCy's raw spans to one named entity per real-world name.

Three steps, all without spaCy:

1. per article, clean each span (trim, split "Trump’s White House", drop junk);
2. per article, resolve short forms to the full name the article used
   ("Kim" -> "Kim Jong Un", "Maxwell" -> "David Maxwell", "Beast" -> "Daily Beast");
3. across the library, group names by matching key ("Kim Jong-un" == "Kim Jong Un"),
   link lone surnames to the one person they clearly mean, vote on the type,
   and replay the user's corrections.

Steps 1-2 are local to an article; step 3 is kept incrementally (see
``update``), so one new article or one correction costs work in proportion to
what it touches, not to the library. ``update(full=True)`` derives everything
again and gives the same tables.
"""

from __future__ import annotations

import json
import re
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
    title: str = ""  # the title or role written before the name ("Constable")
    alias_of: str = ""  # key of the name this bracketed short form was given for ("ILO")
    weak: bool = False  # found by a rule, or in a capitals line, not by the model in prose
    thing: bool = False  # the words after it say a company or a thing, not a person ("X, which ...")
    cued: bool = False  # the words around it say a person ("librarian X", "X, an economist")
    locative: bool = False  # written after "in", "to", "from" ...: where, not who

    @property
    def tokens(self) -> list[str]:
        return self.key.split()


# -- step 1: cleaning ----------------------------------------------------------
def _line_at(body: str, pos: int) -> str:
    a = body.rfind("\n", 0, pos) + 1
    b = body.find("\n", pos)
    return body[a:b if b >= 0 else len(body)]


def _shape(body: str, start: int, end: int, label: str) -> list[tuple[int, int, str, str, str]]:
    """One raw span -> [(start, end, label, title, alias_of-marker)]: trimmed,
    titles and roles off, a bracketed short form split off, furniture words off.
    Offsets only move inward (or split), so every piece is exact body text."""
    end = names.extend_hyphen_suffix(body, start, end, label)
    if label != "PERSON" and body[end:end + 2] in names._POSSESSIVE_TAIL and \
            names.possessive_is_name(body, start, end + 2):
        end += 2  # the model stopped before the "'s" of "McKinley's said"
    keep_s = body[start:end].rstrip().endswith(names._POSSESSIVE_TAIL) and \
        names.possessive_is_name(body, start, start + len(body[start:end].rstrip()))
    s, e = names.trim(body, start, end, keep_possessive=keep_s)
    out = []
    title = ""
    cued = False
    for _ in range(3):  # each rule may expose another
        if s >= e:
            return out
        text = body[s:e]
        before = (s, e, label)
        cut = names.hyphen_prefix(text)
        if cut:
            s, e = names.trim(body, s + cut, e, keep_possessive=keep_s)
            continue
        cut = names.said_prefix(body, s, e) if label == "PERSON" else 0
        if cut:
            s += cut  # "Said Haraldsen, “...": the verb opened the sentence
            continue
        cut = names.title_prefix(text)
        if cut:
            rest = text[cut:].split()
            if label == "PERSON" or (2 <= len(rest) <= 3 and label in ("ORG", "GPE", "NORP", "FAC")
                                     and not any(w.casefold() in names.ORG_WORDS for w in rest)):
                title = names.display(text[:cut])
                s, label = s + cut, "PERSON"
                continue
        if label in ("ORG", "GPE", "FAC", "WORK_OF_ART", "PRODUCT") and names.person_cue(body, s, e):
            label, cued = "PERSON", True  # "Bruce Bennet, an analyst with ...", "analyst Bruce Bennet"
            continue
        if label != "PERSON":
            cut = names.role_suffix(text)
            if cut == -1:
                return out  # a post, not an organisation: "National Intelligence Officer"
            if cut is not None:
                e = s + cut
                s, e = names.trim(body, s, e)
                continue
        cut = names.caption_suffix(body, e, text)
        if cut is not None:
            s, e = names.trim(body, s, s + cut)
            continue
        words = text.split()
        if len(words) > 1 and names._NUMBER.match(words[-1]):
            s, e = names.trim(body, s, s + text.rstrip().rfind(" "))  # "Sweden 1"
            continue
        br = names.bracket_split(text)
        if br is not None:
            ns, ne = names.trim(body, s, s + br[0])
            if ns < ne:
                out.append((ns, ne, label, title, ""))
                out.append((s + br[1], s + br[2], label, "", "alias"))
            return out
        if (s, e, label) == before:
            break
    if s < e:
        out.append((s, e, label, title, "cued" if cued else ""))
    return out


_SECTION = re.compile(r"[ \t]*((?:\S+[ \t]+){0,2}\S+)[ \t]+[-–—|:][ \t]")


def _section_label_end(body: str, line_start: int) -> int:
    """End of a section label opening a capitals line ("RUGBY UNION - ", "TENNIS - "), else -1."""
    m = _SECTION.match(body, line_start)
    return m.end(1) if m and "\n" not in m.group(0) else -1


_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z]{3,}(?![\w'’-])")
_BRACKET_GAP = re.compile(r"\s*[(\[]\s*$")
_ACRONYM_AFTER = re.compile(r"[ \t]*\([ \t]*([A-Z][A-Z0-9&.]{1,9})[ \t]*\)")


def clean_spans(body: str, spans: Iterable[list]) -> list[Mention] | None:
    """Trimmed, junk-free mentions; None when the cached spans do not fit this body."""
    raw: list[Mention] = []
    spans = list(spans)
    for start, end, label, text in spans:
        if body[start:end] != text:
            return None
    # A name never runs across a line break ("LISBON FINAL\n\nATHENS"): the pieces go on alone.
    pieces_ = []
    for start, end, label, text in spans:
        if "\n" not in text:
            pieces_.append([start, end, label, text])
            continue
        pos = start
        for part in text.split("\n"):
            if part.strip():
                pieces_.append([pos, pos + len(part), label, part])
            pos += len(part) + 1
    spans = pieces_
    # Datelines ("JERUSALEM —", "LONDON (Reuters) -"): what the model found there
    # takes the dateline's type; what it missed is added, as weak mentions.
    dated = {(s, e): label for s, e, label in names.datelines(body)}
    for sp in spans:
        lab = dated.get((sp[0], sp[1]))
        if lab:
            sp[2] = lab
    taken = [(s, e) for s, e, _, _ in spans]
    extra = [[s, e, label, body[s:e]] for (s, e), label in dated.items()
             if not any(a < e and s < b for a, b in taken)]
    lines: dict[int, tuple[bool, bool]] = {}
    for start, end, label, text in spans + extra:
        ls = body.rfind("\n", 0, start) + 1
        if ls not in lines:
            line = _line_at(body, start)
            lines[ls] = (names.tabular_line(line), names.caps_line(line))
        tabular, caps = lines[ls]
        if tabular:
            continue  # a table row or a score sheet: its words are column heads and labels
        piece = body[start:end]
        if caps and re.search(r"\s[-–—]\s", piece):
            continue  # "RUGBY UNION - LITTLE": a section label run into a headline
        if caps and end <= _section_label_end(body, ls):
            continue  # "TENNIS - ...": the label before the headline
        # "World Trade Federation (WTF)": the bracketed capitals right after a name are its short form.
        pieces = _shape(body, start, end, label)
        prev = None
        for s, e, lab, title, marker in pieces:
            m = Mention(s, e, body[s:e], lab, names.key(body[s:e]), title=title,
                        weak=caps or [start, end, label, text] in extra, cued=marker == "cued")
            if marker == "alias" and prev is not None:
                m.alias_of = prev.key
            prev = m
            raw.append(m)
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
                    out.append(Mention(s, e, body[s:e], label, names.key(body[s:e]), weak=m.weak))
        else:
            out.append(m)
    out.sort(key=lambda m: m.start)
    starts = {m.start for m in out}
    for m in list(out):
        # "the World Trade Federation (WTF)": the model often leaves the bracket out.
        b = _ACRONYM_AFTER.match(body, m.end)
        if b and m.label != "PERSON" and len(m.tokens) > 1 and b.start(1) not in starts:
            out.append(Mention(b.start(1), b.end(1), b.group(1), m.label, names.key(b.group(1)),
                               alias_of=m.key, weak=m.weak))
    out.sort(key=lambda m: m.start)
    for prev, m in zip(out, out[1:]):
        if (not m.alias_of and len(m.text) >= 2 and m.text.replace(".", "").replace("&", "").isupper()
                and len(prev.tokens) > 1 and _BRACKET_GAP.match(body[prev.end:m.start])
                and body[m.end:m.end + 1] in ")]"):
            m.alias_of = prev.key
    if names.sports_report(body):
        # In a match report a place's name that plays, scores or has a coach is
        # its team, and is so wherever this article names it.
        teams = {m.key for m in out if m.label in _PLACE_LABELS and names.team_cue(body, m.start, m.end)}
        for m in out:
            if m.key in teams and m.label in _PLACE_LABELS:
                m.label = "ORG"
    # A capitalised common noun the model took for a name ("Iodine", "Homeopathy"):
    # one word, no longer name of the article contains it, and the article
    # writes it in lower case elsewhere.
    in_longer = {t for m in out if len(m.tokens) > 1 for t in m.tokens}
    singles = {m.text for m in out if len(m.tokens) == 1 and not m.alias_of and m.key not in in_longer
               and m.text[:1].isupper() and m.text[1:].islower()}
    common = set()
    if singles:
        lower = set(_LOWER_WORD.findall(body))
        common = {t for t in singles if t.lower() in lower}
    for m in out:
        if len(m.tokens) == 1 and names.product_code(m.text):
            m.label = "PRODUCT"  # "IE6", "STS-134", "B-17": a model or a mission, not who or where
        elif names.vessel(m.text):
            m.label = "PRODUCT"  # "Space Shuttle Discovery", "HMS Belfast": a craft
    out = _propagate(body, out, common)
    out = _city_state(body, out)
    kept = []
    last_end = -1
    for m in out:
        if m.text in common:
            continue
        if m.start < last_end or names.is_junk(m.text, m.label) or not m.key \
                or names.junk_shape(names.display(m.text)) or names.adjective_suffix(m.text):
            continue
        m.the_prefix = body[max(0, m.start - 4):m.start] == "The "
        m.locative = bool(_LOCATIVE.search(body, max(0, m.start - 12), m.start))
        m.thing = bool(_THING_AFTER.match(body, m.end)) or (
            # "drinks firm Diageo", "investment bank Barings" (never "leader": "Labour leader Starmer")
            len(m.tokens) == 1 and bool(_THING_BEFORE.search(body, max(0, m.start - 24), m.start)))
        kept.append(m)
        last_end = m.end
    return _nested(kept)


# "University of Texas", "Irving, Texas", "North and South Korea": a name that
# begins a phrase of its own inside a longer name, after "of", "the", "and" or a comma.
_NEST_LEAD = re.compile(r"(?:,\s+|\s+(?:of|the|and|for|at|in|de)\s+)$")
_NEST_WORD = r"(?<![\w'’.&-]){}(?![\w'’&-])"


def _nested(kept: list[Mention]) -> list[Mention]:
    """Names inside longer names, as mentions of their own (weak, the rule's):
    a name the article writes alone elsewhere (same label as there), or a US
    state or similar region, that begins a phrase inside a longer name. Never
    inside a person's name ("David Maxwell" holds no "Maxwell" mention); at the
    longer name's first character only before more capitalised words."""
    alone: dict[str, Counter] = defaultdict(Counter)
    for m in kept:
        if len(m.text) >= 2 and m.text[:1].isupper() and not m.weak and "\n" not in m.text:
            alone[m.text][m.label] += 1
    found: list[Mention] = []
    for m in kept:
        if m.label == "PERSON" or " " not in m.text:
            continue
        taken: list[tuple[int, int]] = []
        # Longest names first, so "South Korea" wins over "Korea".
        cands = [(t, c.most_common(1)[0][0]) for t, c in alone.items() if t != m.text and t in m.text]
        for t, label in sorted(cands, key=lambda x: -len(x[0])):
            for hit in re.finditer(_NEST_WORD.format(re.escape(t)), m.text):
                a, b = hit.start(), hit.end()
                if any(x < b and a < y for x, y in taken):
                    continue
                if a == 0:
                    # "Andy Warhol Foundation", "Google Science Fair": a name the
                    # article writes alone, qualifying the capitalised words after it.
                    if not re.match(r"\s+[A-Z]", m.text[b:]):
                        continue
                    if label == m.label != "ORG" and " " not in t:
                        continue  # "Kowloon West", "Warhol Polaroid": one word of a place's own name
                elif not _NEST_LEAD.search(m.text[:a]):
                    continue
                taken.append((a, b))
                found.append(Mention(m.start + a, m.start + b, t, label, names.key(t), weak=True))
        for hit in re.finditer(r"(?:,\s+|\s+of\s+)((?:[A-Z][\w.]*\s?){1,3})", m.text):
            a, b = hit.start(1), hit.start(1) + len(hit.group(1).rstrip())
            k = names.key(m.text[a:b])
            if k in _REGIONS and not any(x < b and a < y for x, y in taken):
                taken.append((a, b))
                found.append(Mention(m.start + a, m.start + b, m.text[a:b], "GPE", k, weak=True))
    if not found:
        return kept
    return sorted(kept + found, key=lambda m: (m.start, -m.end))


_LOCATIVE = re.compile(r"\b(?:in|at|to|from|near|into|across|outside|inside|around|via)\s+(?:the\s+)?$")


# Words that are names of people and of days or months ("May", "August"): never spread.
_CALENDAR = frozenset("january february march april may june july august september october november december "
                      "monday tuesday wednesday thursday friday saturday sunday".split())


# After a name: words only a company or a thing takes ("which", "said it", "its shares").
_THING_AFTER = re.compile(r"(?:,\s+which\b|\s+(?:said|says|added)\s+it\b|['’]s?\s+(?:shares|share price|"
                          r"brands?|products|profits?|sales|shareholders|chief executive|headquarters|"
                          r"subsidiary|takeover|stake)\b|,\s+(?:a|an|the|one of)\s+(?:[\w'’.&-]+\s+){0,4}?"
                          r"(?:firms?|compan(?:y|ies)|brands?|retailers?|manufacturers?|producers?|distillers?|"
                          r"brewers?|conglomerates?|carriers?|airlines?|insurers?|lenders?)\b)")
# Before a name: a word that introduces a company ("drinks firm X", "investment bank X").
_THING_BEFORE = re.compile(r"\b(?:firm|company|giant|retailer|brand|chain|carrier|airline|insurer|lender|"
                           r"bank|conglomerate|producer|distiller|brewer|supplier)\s+$")


# States and provinces news writes after a town ("Houston, Texas"): the pair is one place's name.
_REGIONS = frozenset(names.key(r) for r in """Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|
Delaware|Florida|Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|
Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|
New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|
South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|
Wyoming|D.C.|Ontario|Quebec|British Columbia|Alberta|Manitoba|Saskatchewan|Nova Scotia|New Brunswick|
New South Wales|Queensland|Victoria|Tasmania""".replace("\n", "").split("|"))


def _city_state(body: str, out: list[Mention]) -> list[Mention]:
    """"Houston, Texas": a place followed by ", " and a state or province is one
    mention of the town (its key stays the town's, so it joins "Houston")."""
    merged: list[Mention] = []
    skip = False
    for a, b in zip(out, out[1:] + [None]):
        if skip:
            skip = False
            continue
        if (b is not None and a.label in _PLACE_LABELS and b.label in _PLACE_LABELS
                and body[a.end:b.start] == ", " and b.key in _REGIONS and a.key not in _REGIONS
                and not (b.end < len(body) and body[b.end:b.end + 2] in (", ",) and
                         body[b.end + 2:b.end + 3].isupper())):  # "Ohio, Texas, Utah": a list
            merged.append(Mention(a.start, b.end, body[a.start:b.end], a.label, a.key, weak=a.weak))
            skip = True
            continue
        merged.append(a)
    return merged


def _propagate(body: str, out: list[Mention], common: set[str]) -> list[Mention]:
    """The model tags a name in one sentence and not in the next ("Montalvo said",
    "Montalvo was"); one article means one thing by one spelling, so each other
    occurrence of a name it tagged (as a whole word, outside tables, capitals
    lines and other mentions) is a mention too, with the label the name had most."""
    labels: dict[str, Counter] = defaultdict(Counter)
    for m in out:
        if not m.weak and not m.alias_of and m.text not in common and len(m.text) >= 3 \
                and m.key not in _CALENDAR \
                and m.text[:1].isupper() and "\n" not in m.text:
            labels[m.text][m.label] += 1
    if not labels:
        return out
    taken = sorted((m.start, m.end) for m in out)
    starts = [a for a, _ in taken]
    import bisect

    def free(s: int, e: int) -> bool:
        i = bisect.bisect_left(starts, e)
        return not (i > 0 and taken[i - 1][1] > s)

    added = []
    lines: dict[int, bool] = {}
    for text, c in labels.items():
        label = c.most_common(1)[0][0]
        pos = 0
        while True:
            i = body.find(text, pos)
            if i < 0:
                break
            pos = i + len(text)
            j = i + len(text)
            if (i > 0 and (body[i - 1].isalnum() or body[i - 1] in "-'’")) or \
                    (j < len(body) and (body[j].isalnum() or body[j] in "-")):
                continue
            if not free(i, j):
                continue
            ls = body.rfind("\n", 0, i) + 1
            if ls not in lines:
                line = _line_at(body, i)
                lines[ls] = names.tabular_line(line) or names.caps_line(line)
            if lines[ls]:
                continue
            added.append(Mention(i, j, text, label, names.key(text), weak=True))
            k = bisect.bisect_left(starts, i)
            starts.insert(k, i)
            taken.insert(k, (i, j))
    if not added:
        return out
    return sorted(out + added, key=lambda m: m.start)


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
            if m.label in _PLACE_LABELS:
                # "Paris" of "Valeska Paris": a place elsewhere in the library, but
                # here never written where a place goes ("in Paris", "to Paris").
                return m.key in tagged_person or m.key not in place_keys or m.key not in located
            return True
        if len(m.text) > 1 and m.text.isupper():
            return False  # "UN" is not short for "UN Security Council"
        if m.label == "PERSON" and n > 1 and ftoks[:n] == toks:
            return False  # "Andy Warhol" is not short for "Andy Warhol Foundation"
        top = full_labels[full].most_common(1)[0][0]
        return m.label not in _PLACE_LABELS and top not in _PLACE_LABELS + ("NORP",)

    resolved: dict[str, str] = {}
    # Longer names first, so "Kim Jong" can lean on "Kim Jong Un" before "Kim" leans on either.
    for k in sorted(full_labels, key=lambda k: -len(k.split())):
        n = len(k.split())
        mine = [m for m in mentions if m.key == k]
        # A name the article mostly calls a place is no short form of an organisation's
        # name ("United States" of "United States Navy"), whatever one stray label says.
        # (Names of two words and more: a single word the model calls a place is
        # often a company's or a movement's short name, "Ubisoft", and is left to the other rules.)
        placed = n > 1 and full_labels[k].most_common(1)[0][0] in _PLACE_LABELS
        cands = [f for f in multi if len(f.split()) > n and any(allowed(m, f) for m in mine)
                 and not (placed and not is_person(f) and full_labels[f].most_common(1)[0][0] not in _PLACE_LABELS)]
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


# -- step 3: across the library, kept up to date incrementally ------------------
# Names join a *group* by matching key (abbreviations like "US" by KNOWN_ALIASES);
# a lone surname group may *link* to the one person it clearly means; the user's
# corrections then merge, rename, retype or hide whole clusters. Each stage is
# stored, so a change is followed only as far as it actually reaches:
#   articles -> their groups -> tokens of those groups (surname links)
#   -> the corrections (replayed whole: there are few) -> the entities involved
#   -> the articles whose index fields differ.
# A full rebuild is the same code with every article marked dirty.
LAYOUT = "4"  # 3: per-article type in entity_spans.label; conf and title columns;
# 4: mentions keyed by (start, end): a name inside a longer one may start with it
_BIG = 500  # ids per json_each() argument


def group_of(form: str) -> str:
    """The library-wide group of a name: known abbreviations, and a company's
    legal form dropped ("TallGrass Distribution Ltd." joins "TallGrass Distribution")."""
    return KNOWN_ALIASES.get(form) or names.without_legal_suffix(form)


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
        return _is_place(self._counts(k))

    def prior(self, k: str) -> str | None:
        """What the library mostly calls this name (a prior, not a verdict)."""
        c = self._counts(k)
        return "place" if _is_place(c) else "person" if _is_person(c) else None


def _is_place(counts: tuple[int, int] | None) -> bool:
    return bool(counts) and counts[0] >= 2 and counts[0] > counts[1]


def _is_person(counts: tuple[int, int] | None) -> bool:
    return bool(counts) and counts[1] >= 2 and counts[1] > counts[0]


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
    from .api import index_fields

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
            ms = clean_spans(body, json.loads(spans))
            cleaned[aid] = (bhash, ms or [])  # spans that do not fit this body: no mentions
    place_of: dict[str, set[str]] = {}
    person_of: dict[str, set[str]] = {}
    for aid, (_, ms) in cleaned.items():
        place_of[aid] = {m.key for m in ms if m.label in _PLACE_LABELS}
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
            if _is_place((p, q)) != _is_place((np_, nq)) or _is_person((p, q)) != _is_person((np_, nq)):
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
        resolved = resolve_article(ms, places)
        typed = article_types(resolved, places.prior)
        for m in resolved:
            g = group_of(m.form)
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
            if cands:
                top = cands[0][1]
                second = cands[1][1] if len(cands) > 1 else 0
                if (len(cands) == 1 or (top >= 2 and top >= 3 * second)) and _context_agrees(conn, t, cands[0][0]):
                    link = cands[0][0]
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
    """Replay the corrections in order over the clusters they name. Returns, per
    cluster a correction touched: its link roots, name, type, hidden flag and extra aliases."""
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
            row = conn.execute("SELECT coalesce(link, key) FROM entity_groups WHERE key = ?", (g,)).fetchone()
            if row is None:
                continue
            lr = row[0]
            if lr not in owner:
                name, type_ = conn.execute("SELECT name, type FROM entity_groups WHERE key = ?", (lr,)).fetchone()
                owner[lr] = lr
                clusters[lr] = {"key": lr, "roots": [lr], "name": name, "type": type_, "hidden": False,
                                "extra": []}
            return cluster(lr)
        root = renamed.get(k)
        return cluster(root) if root else None

    for action, target, value in load_rules(conn):
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


def _aliases(name: str, type_: str, members: list[tuple[str, str, dict]], extra: list[str]) -> list[tuple[str, str]]:
    """(alias, key) pairs: the name, each other spelling (most used first), "The X"
    when written so, earlier names, the names of what was merged in, the keys."""
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


def _reset(conn: sqlite3.Connection) -> None:
    """Forget everything derived (entity ids stay, for stable ids) and mark every article dirty."""
    for table in ("entity_spans", "entity_groups", "entity_keys", "entity_probes", "entity_done",
                  "entity_state", "entity_mentions", "entity_aliases", "entity_replay"):
        conn.execute(f"DELETE FROM {table}")
    migrate(conn)
    conn.execute("INSERT OR IGNORE INTO entity_dirty(article_id) SELECT id FROM articles")
    conn.execute("INSERT INTO meta(key, value) VALUES('entity_layout', ?) "
                 "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (LAYOUT,))


def migrate(conn: sqlite3.Connection) -> None:
    """Columns and keys later layouts gave the derived tables of an older library
    (called by _reset, with the tables empty)."""
    from .schema import SCHEMA

    for table in ("entity_spans", "entity_mentions"):
        keyed = {r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[5]}
        if keyed and "end" not in keyed:
            # Layout 4 keys mentions by (start, end); derived rows only, rebuilt from the cache.
            conn.execute(f"DROP TABLE {table}")
    if any(conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (t,)).fetchone() is None
           for t in ("entity_spans", "entity_mentions")):
        for stmt in SCHEMA.split(";"):
            if "entity_spans" in stmt or "entity_mentions" in stmt:
                if stmt.strip().startswith("CREATE"):
                    conn.execute(stmt)
    cols = {r[1] for r in conn.execute("PRAGMA table_info(entity_spans)")}
    for col, decl in (("conf", "REAL NOT NULL DEFAULT 0.5"), ("title", "TEXT")):
        if col not in cols:
            conn.execute(f"ALTER TABLE entity_spans ADD COLUMN {col} {decl}")


def needs_rebuild(conn: sqlite3.Connection) -> bool:
    """True for a library whose entity tables predate incremental upkeep (or were never built)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'entity_layout'").fetchone()
    return row is None or row[0] != LAYOUT


def update(conn: sqlite3.Connection, full: bool = False) -> list[str]:
    """Bring the entity tables up to date with the dirty articles and the
    corrections; with ``full``, re-derive everything from the cache (no spaCy).
    Returns the ids of articles whose entity index fields changed. Call inside a transaction."""
    from .api import index_fields

    run = _Run()
    full = full or needs_rebuild(conn)
    if full:
        ids = [r[0] for r in conn.execute("SELECT id FROM articles")]
        for chunk in _chunks(ids):
            got = index_fields(conn, chunk)
            run.before.update({aid: got.get(aid, {}) for aid in chunk})
        _reset(conn)
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
        aliases = _aliases(name, type_, mem, c["extra"] if c else [])
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


def build(conn: sqlite3.Connection) -> list[str]:
    """Recompute every entity table from the cache and the rules (ids kept)."""
    return update(conn, full=True)
