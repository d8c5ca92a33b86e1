"""Provenance: where an article credits another report ("who reported it first").

Journalists credit other reports in a handful of set forms: "according to a
report from <author>, writing at <outlet>", "according to <outlet>'s article
<title>", "as (first) reported by <outlet>", "<outlet> reported", "told
<outlet>", "(via <outlet>)", "in an interview with <outlet>", "<outlet>, citing
<outlet>", wire credits ("WASHINGTON (AP) —"). ``find_credits`` finds those
with rules over the text and returns one record per credited report (outlet,
author, title, each possibly None) with the character span of its evidence.

Precision comes first: "according to the police" or "according to John Smith,
a farmer" quote a *source*, not a report, and are not credits. A name counts as
an outlet only when it looks like one: a small generic list of wire agencies
and major outlets (``KNOWN_OUTLETS``; generic, not tuned to any data set), a
newspaper-style name ("The X Times/Post/News/Journal/Herald/Beast/Story/...",
"Daily X", "Sunday X"), or a web host. A person is only credited as an author
when a report cue says so ("a report by <person>", "<person>, writing at
<outlet>", "<outlet>'s <person> reported").

Pure: plain text (and optionally entity spans as plain records) in, plain
records out; no store, no Library, no spaCy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from ..text import lazyre  # patterns compiled on first use: importing this module is cheap
from .outlets import (HOST, KNOWN_KEYS, LEADING, NOT_PERSON, is_outlet, is_own_outlet, outlet_key,
                      outlets_match, person_like)

# Bump when the rules change what they find: stored credits found by older rules are redone.
RULES_VERSION = 2

__all__ = ["RULES_VERSION", "Credit", "find_credits"]

# -- the grammar ----------------------------------------------------------------------------
# A capitalised word; a dot only inside (U.S.), an apostrophe unless it is a possessive 's.
# Digits only as a whole word ("Radio 4"); a final dot only after an initial ("U.S.", "J.").
_W = r"(?:\d+\b|[A-Z][\w\-]*(?:\.(?=\w)[\w\-]*|['’](?!s\b)[\w]*)*(?:(?<=\b[A-Z])\.)?)"
_NAME = (rf"(?:[Tt]he[ \t\u00a0\u202f]+)?{_W}(?:[ \t\u00a0\u202f]+(?:(?:of|and|&|for|de|on(?=[ \t]Sunday))"
         rf"[ \t\u00a0\u202f]+)?{_W}){{0,5}}")
# (Not "feature" or "coverage": "a feature by <film-maker>", "Sky's coverage of the awards".)
_NOUN = (r"(?:report|article|story|piece|column|op-ed|investigation|analysis|exclusive|dispatch|"
         r"interview|editorial|podcast|reporting)")
_ADJ = (r"(?:(?:new|recent|latest|earlier|exclusive|previous|original|detailed|lengthy|separate|"
        r"bombshell|damning|published|weekend|Sunday|Monday|Tuesday|Wednesday|Thursday|Friday|"
        r"Saturday)[ \t\u00a0\u202f]+){0,2}")
_TITLE = (r"(?:“(?P<tq1>[^”\n]{3,200})”|\"(?P<tq2>[^\"\n]{3,200})\"|‘(?P<tq3>[^’\n]{3,200})’"
          r"|(?P<tu>[A-Z][^\n]{8,200}?)(?=[.!?][\"”’]?(?:\s|$)|\n|$))")
_WRITING = rf"(?:,?[ \t\u00a0\u202f]*(?i:writing|reporting)[ \t\u00a0\u202f]+(?i:at|for|in)[ \t\u00a0\u202f]+(?P<w>{_NAME}))"
_POSS = rf"(?:['’]s[ \t\u00a0\u202f]+(?P<y>{_NAME}))"
_VERBS = (r"(?:says|said|suggests|suggested|claims|claimed|notes|noted|reads|read|found|finds|"
          r"reported|reports|states|stated|revealed|reveals|showed|shows|adds|added|quoted|quotes|"
          r"cited|cites|alleges|alleged|argues|argued|explains|explained|describes|described|"
          r"continues|continued|details|detailed|concluded|concludes|indicated|indicates)")
_WIRES = r"AP|Reuters|AFP|UPI|PA|dpa|DPA|Bloomberg|Xinhua|Yonhap|Kyodo|TASS|AAP|ANSA|EFE|PTI|IANS|ANI"

_PATTERNS: list[tuple[str, re.Pattern]] = [
    # "according to a report from Gordon Chang, writing at the Daily Beast";
    # "a Sunday report from The Daily Beast"; "a report by Reuters' Jane Doe"
    ("report-from", lazyre.compile(
        rf"\b(?i:a|an|the)[ \t\u00a0\u202f]+{_ADJ}(?i:{_NOUN})s?[ \t\u00a0\u202f]+(?:(?i:published|broadcast|aired)[ \t\u00a0\u202f]+)?"
        rf"(?P<prep>(?i:from|by|in))[ \t\u00a0\u202f]+(?P<x>{_NAME}){_POSS}?{_WRITING}?")),
    # "according to Market Watch's article <title>"; "the Times' report titled “...”"
    ("possessive-work", lazyre.compile(
        rf"(?P<x>{_NAME})['’]s?[ \t\u00a0\u202f]+(?:(?P<y>{_NAME})[ \t\u00a0\u202f]+)?{_ADJ}(?i:{_NOUN})\b"
        rf"(?:[ \t\u00a0\u202f]*,?[ \t\u00a0\u202f]*(?:(?i:titled|headlined|entitled|called)[ \t\u00a0\u202f]*,?[ \t\u00a0\u202f]*)?:?[ \t\u00a0\u202f]*{_TITLE})?")),
    # "The Daily Beast report suggests"; "the Beast report notes"
    ("outlet-work", lazyre.compile(
        rf"(?P<x>{_NAME})[ \t\u00a0\u202f]+{_ADJ}(?i:{_NOUN})[ \t\u00a0\u202f]+(?:(?i:also|further|then)[ \t\u00a0\u202f]+)?(?i:{_VERBS})\b")),
    # "according to Raw Story"; "according to Jane Doe, writing for The Post"
    ("according-to", lazyre.compile(
        rf"(?i:\baccording[ \t\u00a0\u202f]+to)[ \t\u00a0\u202f]+(?P<x>{_NAME}){_POSS}?"
        rf"(?:{_WRITING}|,?[ \t\u00a0\u202f]+(?i:of|at|from|with)[ \t\u00a0\u202f]+(?P<o>{_NAME}))?")),
    # "as (first) reported by Global News"; "first reported in The Times"
    ("reported-by", lazyre.compile(
        rf"(?i:\b(?:(?:as|first|originally|initially|previously|earlier|exclusively|also|was|were|"
        rf"been|is|has|had)[ \t\u00a0\u202f]+)*(?:reported|revealed|disclosed|broken)[ \t\u00a0\u202f]+(?:first[ \t\u00a0\u202f]+)?)"
        rf"(?P<prep>(?i:by|in))[ \t\u00a0\u202f]+(?P<x>{_NAME}){_POSS}?{_WRITING}?")),
    # "Writing in the Guardian, Mr Brown said"; "Jane Doe, writing for The Post"
    ("writing", lazyre.compile(rf"(?i:\bwriting)[ \t\u00a0\u202f]+(?i:in|for|at)[ \t\u00a0\u202f]+(?P<w>{_NAME})")),
    # "Per NBC News, ..."; "as per the Herald"
    ("per", lazyre.compile(rf"(?:^|(?<=[\s(]))(?:(?i:as)[ \t\u00a0\u202f]+)?(?i:per)[ \t\u00a0\u202f]+(?P<x>{_NAME})")),
    # "told Reuters"; "in an interview with CNN"; "speaking to the BBC"
    ("told", lazyre.compile(rf"(?i:\btold)[ \t\u00a0\u202f]+(?P<x>{_NAME})")),
    ("interview", lazyre.compile(
        rf"(?i:\b(?:in|during)[ \t\u00a0\u202f]+an?[ \t\u00a0\u202f]+(?:[\w\-]+[ \t\u00a0\u202f]+)?interview[ \t\u00a0\u202f]+with"
        rf"|\b(?:speaking|spoke|talking|talked)[ \t\u00a0\u202f]+(?:to|with))[ \t\u00a0\u202f]+(?P<x>{_NAME})")),
    # "Reuters reported"; "The Times first reported"; "with Reuters reporting Wednesday"
    ("outlet-reported", lazyre.compile(
        rf"(?P<x>{_NAME})(?:{_POSS})?[ \t\u00a0\u202f]+(?:(?i:has|had|have|was|first|also|earlier|previously|"
        rf"exclusively|originally|later)[ \t\u00a0\u202f]+)*(?i:reported|reports|reporting|revealed|"
        rf"broke[ \t\u00a0\u202f]+the[ \t\u00a0\u202f]+(?:news|story)|was[ \t\u00a0\u202f]+first[ \t\u00a0\u202f]+to[ \t\u00a0\u202f]+report)\b"
        # not a broadcaster's own results: "Sky reported a 10% rise in profits"
        rf"(?![ \t\u00a0\u202f]+(?:(?:a|an|its|record|higher|lower|net|pre-tax|annual|quarterly|"
        rf"first-half|full-year|strong|weak)[ \t\u00a0\u202f]+)*(?:[\d$£€]|profit|loss|revenue|sales|"
        rf"earnings|income|turnover|rise|fall|drop|increase|decline|growth|deficit|surplus))")),
    # "(via The Verge)"; "h/t Raw Story"
    ("via", lazyre.compile(rf"\((?i:via|h/t|hat[ \t\u00a0\u202f]+tip:?)[ \t\u00a0\u202f]+(?P<x>{_NAME}|[\w\-]+(?:\.[\w\-]+)+)\)"
                       rf"|(?i:\bh/t|\bhat[ \t\u00a0\u202f]+tip)[ \t\u00a0\u202f]*:?[ \t\u00a0\u202f]+(?:to[ \t\u00a0\u202f]+)?(?P<x2>{_NAME})")),
    # "Yonhap, citing a government source"; "citing a report in the Guardian"
    ("citing", lazyre.compile(
        rf"(?i:\b(?:citing|quoting))[ \t\u00a0\u202f]+(?:(?i:a|an|the)[ \t\u00a0\u202f]+)?{_ADJ}"
        rf"(?:(?i:{_NOUN})s?[ \t\u00a0\u202f]+(?i:from|by|in)[ \t\u00a0\u202f]+)?(?P<x>{_NAME})?")),
    # "SEOUL, June 1 (Reuters) —"; "(AP) —" at the start of a paragraph
    ("wire", lazyre.compile(rf"(?m)^[ \t\u00a0\u202f]*(?:[A-Z][\w .,'’\-]{{0,40}}[ \t\u00a0\u202f]*)?\((?P<x>{_WIRES})\)[ \t\u00a0\u202f]*[—–\-]")),
]
_SUBJECT_BEFORE = lazyre.compile(rf"(?P<s>{_NAME}),?[ \t\u00a0\u202f]*$")
_SENTENCE_END = lazyre.compile(r"[.!?][\"”’)]*\s+(?=[\"“‘(]?[A-Z])|\n")
_WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}


@dataclass(frozen=True)
class Credit:
    """One credited report. ``start``/``end``: the span of the (first) evidence
    in the text; ``spans``: every place the same report is credited; ``via``:
    the outlet through which the article got it ("According to Raw Story, The
    Daily Beast report suggests": the Daily Beast, via Raw Story)."""

    outlet: str | None
    author: str | None
    title: str | None
    start: int
    end: int
    kind: str
    via: str | None = None
    spans: tuple[tuple[int, int], ...] = field(default=())

    def to_json(self, text: str | None = None) -> dict:
        out = {"outlet": self.outlet, "author": self.author, "title": self.title,
               "via": self.via, "kind": self.kind, "start": self.start, "end": self.end}
        if text is not None:
            out["evidence"] = text[self.start:self.end]
        return out


def _clean(name: str | None) -> str | None:
    if not name:
        return None
    name = " ".join(name.split()).strip(" ,;:")
    if name.endswith(".") and not re.search(r"(?:^|\s)(?:[A-Z]\.)+$", name):
        name = name.rstrip(".")  # "told the BBC." ends a sentence; "U.S." keeps its dot
    name = re.sub(r"[ \t\u00a0\u202f]+(?:of|and|&|for|de)$", "", name)
    return name or None


def _strip_the(name: str) -> str:
    return name[4:] if name[:4].casefold() == "the " else name


# A name ending in one of these is an event or a body, not the outlet it starts
# with ("told the Financial Times Media Conference").
_EVENTS = {"conference", "summit", "awards", "award", "festival", "forum", "committee", "inquiry",
           "hearing", "meeting", "congress", "convention", "show", "dinner", "assembly", "panel",
           "lecture", "debate", "programme", "prize", "fair", "expo", "exhibition",
           # ... or a firm or body that shares an outlet's name ("the Economist Intelligence Unit")
           "unit", "group", "institute", "foundation", "council", "commission", "association",
           "society", "bank", "fund", "university", "supplement", "company", "corporation"}


def _outlet_prefix(name: str | None, ents) -> str | None:
    """The longest leading part of ``name`` that is an outlet ("Reuters Monday" -> "Reuters")."""
    name = _clean(name)
    if not name:
        return None
    words = name.split()
    if len(words) > 1 and words[-1].casefold() in _EVENTS:
        return None
    for j in range(len(words), 0, -1):
        cand = " ".join(words[:j])
        if is_outlet(cand) and not ents.person_only(cand):
            return cand
    return None


def _outlet_suffix(name: str | None, ents) -> str | None:
    """The longest trailing part of ``name`` that is an outlet ("On Monday Reuters" -> "Reuters")."""
    name = _clean(name)
    if not name:
        return None
    words = name.split()
    if len(words) > 1 and words[0] in ("A", "An"):
        words = words[1:]  # "A Financial Times report said"
    for i in range(len(words)):
        cand = " ".join(words[i:])
        if cand.casefold() in ("the",):
            continue
        if is_outlet(cand) and not ents.person_only(cand):
            if i > 0 and words[i - 1].casefold() == "the":
                cand = "the " + cand
            return cand
    return None


def _person_suffix(name: str | None, ents) -> str | None:
    """A person's name at the end of ``name`` ("As Gordon Chang" -> "Gordon Chang")."""
    name = _clean(name)
    if not name:
        return None
    words = name.split()
    while words and words[0].casefold() in LEADING:
        words.pop(0)
    for i in range(max(len(words) - 3, 0), len(words)):
        cand = " ".join(words[i:])
        if ents.is_person(cand) or (not ents.any and person_like(cand)):
            return cand
    return None


class _Entities:
    """Optional entity spans (from an NER pass) as plain records: anything with
    (start, end, label) as attributes, keys or a tuple. Used only to tell people
    from organisations; without them the rules decide alone."""

    def __init__(self, text: str, records):
        self.people: set[str] = set()
        self.orgs: set[str] = set()
        self.any = False
        for r in records or ():
            if isinstance(r, dict):
                s, e, lab = r.get("start"), r.get("end"), r.get("label") or r.get("type")
            elif isinstance(r, tuple):
                s, e, lab = r[0], r[1], r[2]
            else:
                s, e = getattr(r, "start", None), getattr(r, "end", None)
                lab = getattr(r, "label", None) or getattr(r, "type", None)
            if not isinstance(s, int) or not isinstance(e, int) or not 0 <= s < e <= len(text):
                continue
            self.any = True
            words = " ".join(text[s:e].split()).casefold()
            lab = str(lab or "").casefold()
            if lab in ("person", "per"):
                self.people.add(words)
            elif lab in ("org", "organization", "organisation", "norp"):
                self.orgs.add(words)

    def is_person(self, name: str) -> bool:
        return " ".join(name.split()).casefold() in self.people

    def person_only(self, name: str) -> bool:
        key = " ".join(name.split()).casefold()
        return key in self.people and outlet_key(name) not in KNOWN_KEYS


def _title_of(m: re.Match) -> str | None:
    gd = m.groupdict()
    for g in ("tq1", "tq2", "tq3"):
        if gd.get(g):
            return gd[g].strip()
    t = gd.get("tu")
    if not t:
        return None
    t = t.strip()
    first = t.split()[0].casefold().strip(",")
    # An unquoted headline: at least three words, not a date or a clause ("Tuesday said ...").
    if len(t.split()) < 3 or first in _WEEKDAYS or first in NOT_PERSON & {
            "january", "february", "march", "april", "june", "july", "august", "september",
            "october", "november", "december"}:
        return None
    return t.rstrip(" ,;:.")


def _interpret(kind: str, m: re.Match, text: str, ents: _Entities):
    """(outlet, author, title, via) for one match, or None when it is not a credit."""
    gd = m.groupdict()
    x = _clean(gd.get("x") or gd.get("x2"))
    y = _clean(gd.get("y"))
    w = _clean(gd.get("w"))
    o = _clean(gd.get("o"))
    writing = _outlet_prefix(w, ents) if w else None

    def author_of(name):
        if not name:
            return None
        return name if ents.is_person(name) or (not ents.any and person_like(name)) else None

    if kind == "wire":
        return x, None, None, None
    if kind == "writing":
        if not writing:
            return None
        before = _SUBJECT_BEFORE.search(text[max(0, m.start() - 120):m.start()])
        return writing, _person_suffix(before.group("s"), ents) if before else None, None, None
    if kind in ("report-from", "reported-by"):
        outlet = _outlet_prefix(x, ents)
        if outlet:
            if outlet != x and not y:
                # "a report by Reuters Monday": the name ran on past the outlet.
                pass
            return outlet, author_of(y) if y else None, None, None
        if writing:
            return writing, _person_suffix(x, ents), None, None
        if gd.get("prep", "").casefold() == "by" and not y:
            # "a report by Jane Doe": an author, no outlet (never "reported in <place>").
            tail = text[m.end():m.end() + 3]
            if not tail.startswith(("'s", "’s")):
                author = author_of(x)
                if author:
                    return None, author, None, None
        return None
    if kind == "possessive-work":
        outlet = _outlet_suffix(x, ents)
        if not outlet:
            return None
        return outlet, author_of(y), _title_of(m), None
    if kind == "outlet-work":
        outlet = _outlet_suffix(x, ents)
        if not outlet or outlet != x and not _strip_the(x).endswith(_strip_the(outlet)):
            return None
        return (outlet, None, None, None)
    if kind == "according-to":
        left, sep, right = (x or "").partition(" of ")
        if sep and author_of(left) and _outlet_prefix(right, ents) == _clean(right):
            # "according to Jane Doe of Latin Trade Magazine": the name ran on through "of".
            return _clean(right), left, None, None
        outlet = _outlet_prefix(x, ents)
        if outlet and outlet == x:
            return outlet, author_of(y), None, None
        if writing:
            return writing, _person_suffix(x, ents), None, None
        if o:
            o_outlet = _outlet_prefix(o, ents)
            if o_outlet and author_of(x):
                # "according to Jane Doe of the Herald": a reporter, credited with her paper.
                return o_outlet, x, None, None
        if outlet:
            return outlet, None, None, None
        return None
    if kind in ("told", "interview", "per"):
        outlet = _outlet_prefix(x, ents)
        return (outlet, None, None, None) if outlet else None
    if kind == "outlet-reported":
        outlet = _outlet_suffix(x, ents)
        if not outlet:
            return None
        return outlet, author_of(y), None, None
    if kind == "via":
        if x and "." in x and " " not in x and HOST.match(x):
            return x, None, None, None
        outlet = _outlet_prefix(x, ents)
        return (outlet, None, None, None) if outlet else None
    if kind == "citing":
        cited = _outlet_prefix(x, ents) if x else None
        before = _SUBJECT_BEFORE.search(text[max(0, m.start() - 120):m.start()])
        subject = _outlet_suffix(before.group("s"), ents) if before else None
        if cited:
            return cited, None, None, subject
        if subject:
            return subject, None, None, None
        return None
    return None


def _sentence_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in _SENTENCE_END.finditer(text)]


def _same_report(a: Credit, b: Credit) -> bool:
    ka, kb = outlet_key(a.outlet), outlet_key(b.outlet)
    if ka and kb:
        short, long_ = sorted((ka, kb), key=len)
        if not (ka == kb or (len(short) >= 4 and long_.endswith(short)) or outlets_match(ka, kb)):
            return False
    elif ka or kb:
        # An author-only credit joins its outlet's credit when the authors agree.
        if not (a.author and b.author and a.author.casefold() == b.author.casefold()):
            return False
    else:
        return bool(a.author and b.author and a.author.casefold() == b.author.casefold())
    if a.author and b.author and a.author.casefold() != b.author.casefold():
        return False
    if a.title and b.title and a.title.casefold() != b.title.casefold():
        return False
    return True


def _merge(a: Credit, b: Credit) -> Credit:
    outlet = max((x for x in (a.outlet, b.outlet) if x), key=lambda s: len(_strip_the(s)), default=None)
    start, end = a.start, a.end
    if b.start < a.end and a.start < b.end:  # two readings of one passage: its whole span
        start, end = min(a.start, b.start), max(a.end, b.end)
    return replace(a, outlet=outlet, author=a.author or b.author, title=a.title or b.title,
                   via=a.via or b.via, start=start, end=end, spans=a.spans + b.spans)


def find_credits(text: str, entities: Iterable | None = None,
                 exclude_outlets: Iterable[str] = ()) -> list[Credit]:
    """Every report ``text`` credits, in order of first mention, one record per
    report. ``entities``: optional NER spans (start, end, label) to tell people
    from organisations. ``exclude_outlets``: the article's own outlet(s) ("Vance
    told the Gazette" in the Gazette is not a credit)."""
    if not text:
        return []
    ents = _Entities(text, entities)
    found: list[tuple[int, int, str, str | None, str | None, str | None, str | None]] = []
    for kind, pat in _PATTERNS:
        for m in pat.finditer(text):
            got = _interpret(kind, m, text, ents)
            if got is None:
                continue
            outlet, author, title, via = got
            outlet = _clean(outlet)
            if outlet and outlet[:4] == "the ":
                outlet = outlet[4:]  # "told the BBC": the outlet is "BBC"
            if outlet is None and author is None:
                continue
            parts = outlet.split(" and ") if outlet and " and " in outlet else []
            if len(parts) == 2 and all(is_outlet(p) for p in parts):
                # "the reports in the Sunday Times and Sunday Telegraph": two outlets.
                for part in parts:
                    found.append((m.start(), m.end(), kind, _clean(part), None, None, via))
                continue
            found.append((m.start(), m.end(), kind, outlet, author, title, via))
    # Nested matches of one credit (according-to inside report-from): keep the widest.
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    credits: list[Credit] = []
    for start, end, kind, outlet, author, title, via in found:
        credits.append(Credit(outlet, author, title, start, end, kind, via, ((start, end),)))
    # "According to Raw Story, The Daily Beast report suggests": the second is via the first.
    starts = _sentence_starts(text)

    def sentence(pos: int) -> int:
        lo = 0
        for s in starts:
            if s <= pos:
                lo = s
            else:
                break
        return lo

    with_via = []
    for c in credits:
        if c.via is None and c.kind in ("outlet-work", "possessive-work", "report-from") and c.outlet:
            for d in credits:
                if d is c or d.kind != "according-to" or not d.outlet or d.start >= c.start:
                    continue
                if sentence(d.start) == sentence(c.start) and not _same_report(c, d) \
                        and d.end <= c.start:
                    c = replace(c, via=d.outlet)
        with_via.append(c)
    own = [o for o in exclude_outlets if o]
    merged: list[Credit] = []
    for c in with_via:
        if c.outlet and any(is_own_outlet(c.outlet, o) for o in own):
            continue
        if c.via and any(is_own_outlet(c.via, o) for o in own):
            c = replace(c, via=None)
        for i, prev in enumerate(merged):
            if _same_report(prev, c):
                merged[i] = _merge(prev, c)
                break
        else:
            merged.append(c)
    # An outlet credited only by name ("Raw Story") that another credit came via stays;
    # "via" names are normalised to the merged outlet's spelling.
    names = {outlet_key(c.outlet): c.outlet for c in merged if c.outlet}
    return [replace(c, via=names.get(outlet_key(c.via), c.via)) if c.via else c for c in merged]
