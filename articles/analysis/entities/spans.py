"""Step 1 of entity resolution: from spaCy's raw spans to clean mentions, per article.

Trim each span, take titles and roles off ("Constable Tim Fanning"), split
"Trump’s White House", find datelines and names the model tagged once but
the article writes again, and drop junk (table rows, section labels, furniture).
Pure string work over one body and its cached spans: no spaCy, no SQL.
Offsets only move inward (or split), so every mention is exact body text.

The steps after this one: ``resolve`` (short forms within one article, the
per-article type, and the library-wide decisions over plain records), then
``articles.store.entities.upkeep`` (keeping the derived tables up to date).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from . import names, span_rules

PLACE_LABELS = ("GPE", "LOC")

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
            span_rules.possessive_is_name(body, start, end + 2):
        end += 2  # the model stopped before the "'s" of "McKinley's said"
    keep_s = body[start:end].rstrip().endswith(names._POSSESSIVE_TAIL) and \
        span_rules.possessive_is_name(body, start, start + len(body[start:end].rstrip()))
    s, e = names.trim(body, start, end, keep_possessive=keep_s)
    out = []
    title = ""
    cued = False
    for _ in range(3):  # each rule may expose another
        if s >= e:
            return out
        text = body[s:e]
        before = (s, e, label)
        cut = span_rules.hyphen_prefix(text)
        if cut:
            s, e = names.trim(body, s + cut, e, keep_possessive=keep_s)
            continue
        cut = span_rules.said_prefix(body, s, e) if label == "PERSON" else 0
        if cut:
            s += cut  # "Said Haraldsen, “...": the verb opened the sentence
            continue
        cut = span_rules.title_prefix(text)
        if cut:
            rest = text[cut:].split()
            if label == "PERSON" or (2 <= len(rest) <= 3 and label in ("ORG", "GPE", "NORP", "FAC")
                                     and not any(w.casefold() in names.ORG_WORDS for w in rest)):
                title = names.display(text[:cut])
                s, label = s + cut, "PERSON"
                continue
        if label in ("ORG", "GPE", "FAC", "WORK_OF_ART", "PRODUCT") and span_rules.person_cue(body, s, e):
            label, cued = "PERSON", True  # "Bruce Bennet, an analyst with ...", "analyst Bruce Bennet"
            continue
        if label != "PERSON":
            cut = span_rules.role_suffix(text)
            if cut == -1:
                return out  # a post, not an organisation: "National Intelligence Officer"
            if cut is not None:
                e = s + cut
                s, e = names.trim(body, s, e)
                continue
        cut = span_rules.caption_suffix(body, e, text)
        if cut is not None:
            s, e = names.trim(body, s, s + cut)
            continue
        words = text.split()
        if len(words) > 1 and span_rules.NUMBER.match(words[-1]):
            s, e = names.trim(body, s, s + text.rstrip().rfind(" "))  # "Sweden 1"
            continue
        br = span_rules.bracket_split(text)
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
    spans = _join_split_name(body, pieces_)
    # Datelines ("JERUSALEM —", "LONDON (Reuters) -"): what the model found there
    # takes the dateline's type; what it missed is added, as weak mentions.
    dated = {(s, e): label for s, e, label in span_rules.datelines(body)}
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
            lines[ls] = (span_rules.tabular_line(line), span_rules.caps_line(line))
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
    if span_rules.sports_report(body):
        # In a match report a place's name that plays, scores or has a coach is
        # its team, and is so wherever this article names it.
        teams = {m.key for m in out if m.label in PLACE_LABELS and span_rules.team_cue(body, m.start, m.end)}
        for m in out:
            if m.key in teams and m.label in PLACE_LABELS:
                m.label = "ORG"
    # A capitalised common noun the model took for a name ("Iodine", "Homeopathy"):
    # one word, no longer name of the article contains it, and the article
    # writes it in lower case elsewhere.
    in_longer = {t for m in out if len(m.tokens) > 1 for t in m.tokens}
    singles = {m.text for m in out if len(m.tokens) == 1 and not m.alias_of and m.key not in in_longer
               and m.text[:1].isupper() and m.text[1:].islower()}
    lower = set(_LOWER_WORD.findall(body))
    common = {t for t in singles if t.lower() in lower}
    for m in out:
        if len(m.tokens) == 1 and span_rules.product_code(m.text):
            m.label = "PRODUCT"  # "IE6", "STS-134", "B-17": a model or a mission, not who or where
        elif span_rules.vessel(m.text):
            m.label = "PRODUCT"  # "Space Shuttle Discovery", "HMS Belfast": a craft
    out = _propagate(body, out, common, lower)
    out = _city_state(body, out)
    kept = []
    last_end = -1
    for m in out:
        if m.text in common:
            continue
        if m.start < last_end or names.is_junk(m.text, m.label) or not m.key \
                or span_rules.junk_shape(names.display(m.text)) or span_rules.adjective_suffix(m.text):
            continue
        m.the_prefix = body[max(0, m.start - 4):m.start] == "The "
        m.locative = bool(_LOCATIVE.search(body, max(0, m.start - 12), m.start))
        m.thing = bool(_THING_AFTER.match(body, m.end)) or (
            # "drinks firm Diageo", "investment bank Barings" (never "leader": "Labour leader Starmer")
            len(m.tokens) == 1 and bool(_THING_BEFORE.search(body, max(0, m.start - 24), m.start))) or (
            # "posted to Twitter", "messages on Twitter", "its Instagram account": a platform, not a person
            len(m.tokens) == 1 and bool(_PLATFORM_BEFORE.search(body, max(0, m.start - 40), m.start)
                                        or _PLATFORM_AFTER.match(body, m.end)))
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
            if (k in _REGIONS or k in _COUNTRIES) and not any(x < b and a < y for x, y in taken):
                taken.append((a, b))
                # "Evansville, Indiana, United States" also names "Indiana, United States".
                rest = m.text[b:].split(", ")[1:]
                if k in _REGIONS and rest and all(names.key(r) in _COUNTRIES for r in rest):
                    b = len(m.text)
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


# Where a one-word name is a platform or a site people post on: "posted to X",
# "messages on X", "X account". People are written and tweeted to, never posted on or to.
_PLATFORM_BEFORE = re.compile(r"\b(?:(?:posted|posting|posts|uploaded|tweeted|published|shared|wrote|written|"
                              r"messages?|comments?|hashtags?|videos?|photos?|trending|live|accounts?)"
                              r"\s+(?:[\w#'’-]+\s+){0,2}?(?:on|via)|(?:posted|uploaded)\s+(?:it\s+)?to)\s+$")
_PLATFORM_AFTER = re.compile(r"\s+(?:account|accounts|users?|followers|feed|page|posts?|hashtag|handle|"
                             r"profile|app|channel|livestream)\b")


# States and provinces news writes after a town ("Houston, Texas"): the pair is one place's name.
_REGIONS = frozenset(names.key(r) for r in """Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|
Delaware|Florida|Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|
Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|
New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|
South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|
Wyoming|D.C.|Ontario|Quebec|British Columbia|Alberta|Manitoba|Saskatchewan|Nova Scotia|New Brunswick|
New South Wales|Queensland|Victoria|Tasmania""".replace("\n", "").split("|"))


# Countries news writes after a town or a region ("Herat, Afghanistan"); the last part of a place's name.
_COUNTRIES = frozenset(names.key(r) for r in """Afghanistan|Albania|Algeria|Andorra|Angola|Argentina|Armenia|
Australia|Austria|Azerbaijan|Bahrain|Bangladesh|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|Bosnia|Botswana|
Brazil|Brunei|Bulgaria|Burkina Faso|Burma|Burundi|Cambodia|Cameroon|Canada|Chad|Chile|China|Colombia|Congo|
Costa Rica|Croatia|Cuba|Cyprus|Czech Republic|Czechia|Denmark|Djibouti|Dominican Republic|Ecuador|Egypt|
El Salvador|England|Eritrea|Estonia|Ethiopia|Fiji|Finland|France|Gabon|Gambia|Germany|Ghana|Greece|
Guatemala|Guinea|Guyana|Haiti|Honduras|Hungary|Iceland|India|Indonesia|Iran|Iraq|Ireland|Israel|Italy|
Ivory Coast|Jamaica|Japan|Kazakhstan|Kenya|Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|
Libya|Lithuania|Luxembourg|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|Mauritania|Mauritius|Mexico|
Moldova|Monaco|Mongolia|Montenegro|Morocco|Mozambique|Myanmar|Namibia|Nepal|Netherlands|New Zealand|
Nicaragua|Niger|Nigeria|North Korea|North Macedonia|Northern Ireland|Norway|Oman|Pakistan|Palestine|Panama|
Papua New Guinea|Paraguay|Peru|Philippines|Poland|Portugal|Qatar|Romania|Russia|Rwanda|Saudi Arabia|
Scotland|Senegal|Serbia|Sierra Leone|Singapore|Slovakia|Slovenia|Somalia|South Africa|South Korea|
South Sudan|Spain|Sri Lanka|Sudan|Sweden|Switzerland|Syria|Taiwan|Tajikistan|Tanzania|Thailand|Togo|
Tunisia|Turkey|Turkmenistan|Uganda|Ukraine|United Arab Emirates|UAE|United Kingdom|UK|U.K.|United States|
US|U.S.|USA|Uruguay|Uzbekistan|Venezuela|Vietnam|Wales|Yemen|Zambia|Zimbabwe""".replace("\n", "").split("|"))
_WASHINGTON = names.key("Washington")


def _city_state(body: str, out: list[Mention]) -> list[Mention]:
    """"Houston, Texas", "Herat, Afghanistan", "Evansville, Indiana, United
    States": a place followed by ", " and its state or country is one mention of
    the place (its key stays the first part's, so it joins "Houston"). Each part
    must be wider than the one before (town, region, country), so a list of
    states or of countries ("Ohio, Texas, Utah", "France, Germany") stays a list."""
    def rank(m: Mention) -> int:
        return 2 if m.key in _COUNTRIES else 1 if m.key in _REGIONS else 0

    merged: list[Mention] = []
    i = 0
    while i < len(out):
        a = out[i]
        if a.label not in PLACE_LABELS:
            merged.append(a)
            i += 1
            continue
        # "Washington, D.C.": the city is also a state's name; D.C. says which.
        level = 0 if a.key == _WASHINGTON else rank(a)
        end, j = a.end, i + 1
        while j < len(out):
            b = out[j]
            if b.label not in PLACE_LABELS or body[end:b.start] != ", " or rank(b) <= level:
                break
            level, end, j = rank(b), b.end, j + 1
        if level == 1 and body[end:end + 2] == ", " and body[end + 2:end + 3].isupper():
            j = i + 1  # "Brackley, Ohio, Texas, Utah": a list of states, not a town's state
        if j > i + 1:
            merged.append(Mention(a.start, end, body[a.start:end], a.label, a.key, weak=a.weak))
        else:
            merged.append(a)
            j = i + 1
        i = j
    return merged


_WORD = re.compile(r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+)?")
_SPLIT_LABELS = ("GPE", "LOC", "FAC", "ORG")
# Last words of places and bodies, not surnames ("Kentish Town", "Mecca Bingo" stay what the model said).
_PLACE_HEADS = frozenset("town city village county valley island islands bay lake river mountain mountains park "
                         "hill hills heights beach coast port harbour harbor bingo".split())


def _join_split_name(body: str, spans: list[list]) -> list[list]:
    """"Valeska Paris": the model sometimes splits a person's two names into two
    one-word places or organisations, side by side. Two one-word spans the model
    found next to each other, one space apart, are one name, and two names
    written so are a given name and a surname: a person. Not when either word
    is a country or a region ("Ukraine Russia talks"), nor when the article
    tags the first word alone elsewhere (it is a name of its own there), nor
    after "in", "to", "from" (where, not who), nor before a place's or a body's
    last word ("Kentish Town"). Demonyms (NORP) never: "Liberal Democrat"."""
    if len(spans) < 2:
        return spans
    spans = sorted(spans, key=lambda sp: sp[0])
    alone = Counter(sp[3] for sp in spans)
    out: list[list] = []
    i = 0
    while i < len(spans):
        a = spans[i]
        b = spans[i + 1] if i + 1 < len(spans) else None
        if (b is not None and b[0] == a[1] + 1 and body[a[1]] == " " and a[2] in _SPLIT_LABELS
                and b[2] in _SPLIT_LABELS and _WORD.fullmatch(a[3]) and _WORD.fullmatch(b[3])
                and b[3].casefold() not in _PLACE_HEADS and b[3].casefold() not in names.ORG_WORDS
                and b[3].casefold() not in names.FACILITY_WORDS
                and not _LOCATIVE.search(body, max(0, a[0] - 12), a[0])
                and names.key(a[3]) not in _COUNTRIES | _REGIONS and names.key(b[3]) not in _COUNTRIES | _REGIONS):
            pair = a[3] + " " + b[3]
            firsts = sum(1 for j in range(len(spans) - 1) if spans[j][3] == a[3]
                         and spans[j + 1][3] == b[3] and spans[j + 1][0] == spans[j][1] + 1)
            if alone[a[3]] == firsts:
                out.append([a[0], b[1], "PERSON", pair])
                i += 2
                continue
        out.append(a)
        i += 1
    return out


def _propagate(body: str, out: list[Mention], common: set[str], lower: set[str]) -> list[Mention]:
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
    # "Steve Whitmore, a spokesman, ..." then "Whitmore stated": news names a
    # person in full once and by surname after, and the model often misses the
    # bare surname. The surname of a full name the model called a person is a
    # mention of that person wherever the article writes it alone, unless the
    # model tagged that word alone itself (then its own label spreads, above)
    # or the article writes it in lower case too ("Jobs", "jobs").
    surnames: dict[str, Counter] = {}
    for m in out:
        if m.label != "PERSON" or m.weak or m.alias_of or "\n" in m.text:
            continue
        words = m.text.split()
        last = words[-1] if len(words) > 1 else ""
        if len(last) >= 3 and last[:1].isupper() and last[1:].islower() and last.isalpha() \
                and last not in labels and names.key(last) not in _CALENDAR and last.lower() not in lower:
            surnames[last] = Counter({"PERSON": 1})
    labels.update(surnames)
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
                lines[ls] = span_rules.tabular_line(line) or span_rules.caps_line(line)
            if lines[ls]:
                continue
            added.append(Mention(i, j, text, label, names.key(text), weak=True))
            k = bisect.bisect_left(starts, i)
            starts.insert(k, i)
            taken.insert(k, (i, j))
    if not added:
        return out
    return sorted(out + added, key=lambda m: m.start)
