"""The rules on spans, names and lines that clean what the model found: titles
and roles before a name, reporting verbs, captions, brackets, possessives,
table rows and capitals lines, datelines, sports teams, products and craft.

Pure string work (no spaCy), used by ``spans`` (and ``truecase`` by ``extract``);
the vocabulary of names and types they lean on is ``names``'.
"""

from __future__ import annotations

import re

from ...text import lazyre  # patterns compiled on first use: importing this module is cheap
from .names import FACILITY_WORDS, ORG_WORDS

# Titles and roles written before a name ("Constable Tim Fanning", "Defender
# Hassan Abbas") or after an organisation ("State Department Spokesperson"):
# the words themselves, generic and small. A name is never only a title.
TITLES = frozenset("""
president vice prime minister chancellor secretary senator congressman congresswoman representative
governor mayor councillor councilman councilwoman ambassador envoy consul judge justice magistrate
attorney prosecutor lawyer barrister solicitor sheriff constable sergeant officer inspector detective
superintendent commissioner chief captain lieutenant colonel general major admiral commander marshal
corporal private king queen prince princess duke duchess lord lady sir dame baron baroness emperor
sultan sheikh pope cardinal archbishop bishop reverend rev father pastor rabbi imam
professor prof emeritus doctor dr mr mrs ms miss mx
director chairman chairwoman chairperson chair ceo cfo coo founder president-elect
spokesman spokeswoman spokesperson spokesmen analyst correspondent reporter editor columnist
coach manager defender striker midfielder goalkeeper forward winger fullback quarterback pitcher
captain skipper referee umpire player
actor actress singer rapper author novelist artist photographer curator illustrator
deputy acting former senior junior assistant associate executive interim
""".split())
# Short lowercase prefixes written with a hyphen before a name: "inter-Korean",
# "pro-Beijing", "anti-Trump". The word they make is not a name.
_HYPHEN_PREFIX = lazyre.compile(r"(?i)(?:inter|intra|pro|anti|post|pre|non|ex|mid|trans|pan|sub|super|neo|"
                            r"semi|multi|cross|extra|counter|un)-(?=\w)")
# Words that label a picture or a link, glued on before a colon: "Washington D.C. Image: ...".
CAPTION_WORDS = frozenset("image images photo photos photograph picture pictures video credit credits "
                          "caption source file archived".split())


# Name particles that start lowercase ("al-Assad", "de Gaulle", "van Gogh").
_PARTICLES = frozenset("al el ad ar as at ash az bin ibn bint da de del della der di do dos du la le "
                       "van von ter ten zu y".split())
NUMBER = lazyre.compile(r"^[\d.,:/%+-]+$")


_SAID_LEAD = lazyre.compile(r"(?:Said|Says|Added|Asked|Told|Wrote|Recalled|Explained)\s+(?=[A-Z])")
_QUOTE_NEXT = lazyre.compile(r',?\s*[“"‘:]')
_SENTENCE_GAP = lazyre.compile(r'(?:^|[.!?:;”"’]\s*|\n\s*)$')


def said_prefix(body: str, start: int, end: int) -> int:
    """Characters of a reporting verb that opens a sentence before a name and a
    quotation ("Said Haraldsen, “Ships ..."): the verb is no part of the name.
    Only before a quotation: "Said Jalili, Iran's negotiator" keeps its given name."""
    m = _SAID_LEAD.match(body, start, end)
    if not m or not _QUOTE_NEXT.match(body, end) or not _SENTENCE_GAP.search(body[max(0, start - 3):start]):
        return 0
    return m.end() - start


def title_prefix(text: str) -> int:
    """Characters of leading title and role words ("Constable ", "Vice President ")
    before a name of at least one capitalised word, else 0."""
    words = list(re.finditer(r"\S+", text))
    n = 0
    while n < len(words) - 1 and words[n].group().rstrip(".").casefold() in TITLES:
        n += 1
    if n == 0 or not words[n].group()[:1].isupper():
        return 0
    return words[n].start()


def role_suffix(text: str) -> int | None:
    """For "State Department Spokesperson": where the trailing role word starts,
    when what precedes it names an organisation; -1 when the whole name is a
    post ("National Intelligence Officer"); None when the last word is no role."""
    words = list(re.finditer(r"\S+", text))
    if len(words) < 2 or words[-1].group().casefold() not in TITLES:
        return None
    if any(w.group().casefold().strip(".,") in ORG_WORDS for w in words[:-1]):
        return words[-1].start()
    return -1


_APPOSITION = lazyre.compile(r",\s+(?:a|an|the|who|its|their|his|her)\s+(?:[\w.&-]+\s+){0,3}?([a-z-]+)\b")


# Nouns only people are ("a librarian", "an economist", "resident"), beside the titles:
# words of a trade in -ist or -ian, and a few common ones. Not "-er": a retailer is a company.
PERSON_NOUNS = frozenset("""
man woman boy girl mother father son daughter wife husband brother sister widow student pupil
resident citizen teacher nurse worker volunteer researcher scientist farmer fisherman lecturer
member leader owner founder organiser organizer campaigner activist survivor witness victim
democrat lawmaker legislator
""".split())
_TRADE = lazyre.compile(r"^[a-z]{3,}(?:ist|ian)$")


def person_noun(word: str) -> bool:
    """A title, a role or another noun only a person is ("librarian", "economist")."""
    w = word.casefold().strip(".,")
    return w in TITLES or w in PERSON_NOUNS or bool(_TRADE.match(w))


def person_cue(body: str, start: int, end: int) -> bool:
    """Whether the words around a name of two or three capitalised words say a
    person: a title or role right before it ("analyst Bruce Bennet") or in an
    apposition after it ("Bruce Bennet, an analyst with ..."; "..., who said")."""
    words = body[start:end].split()
    if not 2 <= len(words) <= 3 or not all(w[:1].isupper() and any(c.islower() for c in w)
                                           and "." not in w for w in words):
        return False
    if any(w.casefold().strip(".,") in ORG_WORDS or w.casefold() in FACILITY_WORDS for w in words):
        return False
    before = body[max(0, start - 30):start].split()
    # "ex-minister X", "co-founder X", and at a sentence's start "Pan-democrat X":
    # the noun after the last hyphen says who, the prefix only qualifies it.
    tail = before[-1].rsplit("-", 1)[-1] if before else ""
    if before and (before[-1].islower() or ("-" in before[-1] and tail.islower())) and person_noun(tail):
        return True
    m = _APPOSITION.match(body, end)
    if m and (person_noun(m.group(1)) or body[end:m.end()].split()[1] == "who"):
        return True
    return False


def caption_suffix(body: str, end: int, text: str) -> int | None:
    """Where a trailing caption word ("Image") starts when a colon follows the span."""
    if not body[end:end + 2].lstrip().startswith(":"):
        return None
    words = list(re.finditer(r"\S+", text))
    if len(words) > 1 and words[-1].group().casefold() in CAPTION_WORDS:
        return words[-1].start()
    return None


def hyphen_prefix(text: str) -> int:
    """Characters of a leading "inter-" / "pro-" word ("pro-Beijing DAB" -> 11); 0 if none."""
    m = _HYPHEN_PREFIX.match(text)
    if not m:
        return 0
    sp = text.find(" ", m.end())
    return len(text) if sp < 0 else sp + 1


def bracket_split(text: str) -> tuple[int, int, int] | None:
    """"International Labour Organisation (ILO": (end of the name, start and end
    of the bracketed short form), when the bracket holds one capitalised word."""
    m = re.search(r"\s*\(\s*([A-Z][\w.&-]*)\s*\)?\s*$", text)
    if not m or m.start() == 0:
        return None
    return m.start(), m.start(1), m.end(1)


def possessive_is_name(body: str, start: int, end: int) -> bool:
    """Whether the "’s" ending body[start:end] belongs to the name ("McDonald's"):
    somewhere in the body the same spelling ends a clause or stands before a
    verb or a conjunction, where a possessive could not."""
    text = body[start:end]
    pos = 0
    while True:
        i = body.find(text, pos)
        if i < 0:
            return False
        pos = i + 1
        after = body[i + len(text):i + len(text) + 12]
        if re.match(r"(?:[.,;:!?)\]]|\s+(?:and|or|is|was|has|had|said|says|will|would|did|does|\'s)\b)", after):
            return True


def tabular_line(line: str) -> bool:
    """A line of a table or a score sheet: mostly numbers and one-letter columns."""
    toks = line.split()
    if len(toks) < 3:
        return False
    short = sum(1 for t in toks if NUMBER.match(t) or (len(t) <= 3 and t.isupper()) or t in "-–|")
    return sum(1 for t in toks if NUMBER.match(t)) >= 2 and short / len(toks) >= 0.4


def caps_line(line: str) -> bool:
    """A headline, dateline or section label written in capitals."""
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) / len(letters) > 0.8


def junk_shape(name: str) -> bool:
    """Names of a shape no real name has: "W L PCT GB", "Group C", a lowercase word."""
    words = name.split()
    if sum(1 for w in words if len(w) <= 3 and w.isupper()) >= 3:
        return True  # column heads: "W L PCT GB", "Team P W D L"
    if len(words) == 2 and len(words[1]) == 1 and words[1].isupper() and len(words[0]) > 2:
        return True  # "Group C", "Pool B"
    first = words[0] if words else ""
    if first[:1].islower():
        lead = re.split(r"[-'’]", first)[0]
        if lead not in _PARTICLES and not (len(first) > 1 and first[1].isupper()):
            return True  # "inter-Korean"; not "al-Assad", "de Gaulle", "eBay"
    return False


_DATELINE = lazyre.compile(
    r"(?m)^[ \t]*([A-Z][A-Z.'’-]+(?:[ ]+[A-Z][A-Z.'’-]+){0,3})"  # LONDON, NEW YORK
    r"(?:,[ ]*[A-Z][A-Za-z.]+)?"                                # , Calif.
    r"[ ]*(?:\([ ]*([A-Z][\w.&’' ]{1,30}?)[ ]*\)[ ]*)?"       # (Reuters)
    r"(?:[-–—]+|:)[ ]")


def datelines(body: str) -> list[tuple[int, int, str]]:
    """(start, end, spaCy label) of the place (and agency) a dateline opens a
    paragraph with: "JERUSALEM — ...", "LONDON (Reuters) - ...". Words of three
    letters or fewer alone are not taken (a "US -" could be anything)."""
    out = []
    for m in _DATELINE.finditer(body):
        if len(m.group(1).replace(".", "")) < 4:
            continue
        out.append((m.start(1), m.end(1), "GPE"))
        if m.group(2):
            out.append((m.start(2), m.end(2), "ORG"))
    return out


def _recase(word: str) -> str:
    # Same length, character for character: spans found in the copy are offsets into the original.
    out = [word[0]]
    for ch in word[1:]:
        low = ch.lower()
        out.append(low if len(low) == 1 else ch)
    return "".join(out)


_CAPS_WORD = lazyre.compile(r"[A-Z][A-Z'’]{3,}")
_LEAD_CAPS = lazyre.compile(r"(?m)^[ \t]*(?:[A-Z][A-Z'’.-]{3,}[ ]?)+(?=[ ,(—–-])")


def truecase(text: str) -> str:
    """The text with capitals lines ("ITALY BEAT SLOVAKIA") and leading dateline
    words ("JERUSALEM —") in title case, the same length as the text: a tagger
    trained on running prose finds names there it misses in capitals. Words of
    three letters or fewer stay as they are ("UAE", "BBC")."""
    if not any(c.isupper() for c in text):
        return text
    parts = []
    pos = 0
    for line in text.splitlines(keepends=True):
        if caps_line(line):
            line = _CAPS_WORD.sub(lambda m: _recase(m.group()), line)
        else:
            m = _LEAD_CAPS.match(line)
            if m:
                line = _CAPS_WORD.sub(lambda w: _recase(w.group()), line[:m.end()]) + line[m.end():]
        parts.append(line)
        pos += len(line)
    out = "".join(parts)
    return out if len(out) == len(text) else text


# -- a place's name used for its sports team ------------------------------------------
# "Belgium beat Panama 3-0", "Tunisia's goalkeeper": in a match report a country
# or a city names a team. Words of sport reporting, generic and small.
_SCORE = lazyre.compile(r"\b\d{1,3}\s?[-–]\s?\d{1,3}\b")
_SPORT_WORDS = lazyre.compile(r"\b(?:match|matches|goal|goals|scored|coach|striker|goalkeeper|midfielder|defender|"
                          r"tournament|league|cup|final|semi-final|quarter-final|championship|kick-off|penalty|"
                          r"innings|wickets?|try|tries|touchdown|season|fixture|draw|halftime|half-time|"
                          r"referee|squad|captain|qualifier|group stage)\b")
_TEAM_AFTER = lazyre.compile(r"(?:\s+\d{1,3}\s?[-–]\s?\d{1,3}\b|\s+(?:beat|beats|defeated|drew|lost|won|thrashed|"
                         r"edged|overcame|trailed|led|scored|equalised|equalized|qualified|advance[sd]?|"
                         r"play|plays|played|face|faces|faced|host|hosts|hosted)\b|['’]s\s+(?:coach|"
                         r"goalkeeper|keeper|captain|striker|defender|midfielder|manager|squad|team|side|"
                         r"players?|fans|supporters|goal|win|victory|defeat|opener)\b)")
_TEAM_BEFORE = lazyre.compile(r"(?:\b(?:beat|beating|defeated|against|versus|vs\.?|v\.?|over|with|drew with|"
                          r"lost to|face|facing|play|playing)|\d{1,3}\s?[-–]\s?\d{1,3})\s+$")


def sports_report(body: str) -> bool:
    """A match report: scores and the words of sport, several times."""
    low = body[:20000].lower()
    return len(_SCORE.findall(low)) >= 1 and len(_SPORT_WORDS.findall(low)) >= 4


def team_cue(body: str, start: int, end: int) -> bool:
    """Whether this place's name stands for a team here: a score or a match verb
    beside it, or "’s coach" after it (call only inside a sports report)."""
    return bool(_TEAM_AFTER.match(body, end) or _TEAM_BEFORE.search(body[max(0, start - 20):start]))


_ADJ_SUFFIX = lazyre.compile(r"-(?:like|style|esque|based|born|bred|era|led|backed|made|owned|run|"
                         r"funded|linked|themed|inspired|related|specific|wide)$")


def adjective_suffix(text: str) -> bool:
    """"Warhol-like", "Texas-based": a name made an adjective; not a mention of it."""
    return bool(_ADJ_SUFFIX.search(text))


_PRODUCT_CODE = lazyre.compile(r"^[A-Za-z]{2,}-?\d+[A-Za-z]?$")


_VESSEL = lazyre.compile(r"^(?:(?:the\s+)?(?:Space\s+)?Shuttles?|USS|USNS|HMS|HMAS|HMCS|HMNZS|RMS|MV|INS)(?:\s+[A-Z]\S*)*$")


def vessel(text: str) -> bool:
    """A ship or a spacecraft by its prefix ("USS Carl Vinson", "HMS Belfast", "Space
    Shuttle Atlantis"): a thing, neither who nor where."""
    return bool(_VESSEL.match(text)) and (" " in text or text.endswith(("Shuttle", "Shuttles")))


def product_code(text: str) -> bool:
    """Letters then digits, as models and missions are named ("IE6", "STS-134")."""
    return bool(_PRODUCT_CODE.match(text)) and not text[:1].islower()
