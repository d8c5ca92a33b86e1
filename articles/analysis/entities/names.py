"""The vocabulary of names: types, trimming, matching keys, junk, name variants.

Pure string work (no spaCy), shared by the span rules, the resolver and the
queries (the rules on spans and lines around them are ``span_rules``).
Trimming only ever moves a span's ends inward, so a cleaned mention still
points at the exact characters of the body it came from.
"""

from __future__ import annotations

import unicodedata
from ...text import lazyre  # patterns compiled on first use: importing this module is cheap

# What users see; spaCy labels missing here (DATE, MONEY, CARDINAL, ...) are dropped.
LABEL_TYPES = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
    "EVENT": "event",
    "WORK_OF_ART": "other",
    "LAW": "other",
    "PRODUCT": "other",
    "LANGUAGE": "other",
}
TYPES = ("person", "organization", "place", "group", "event", "other")
# The Whoosh field each type is searched through (index/schema.py ENTITY_FIELDS).
TYPE_FIELDS = {"person": "person", "organization": "org", "place": "place", "group": "group",
               "event": "event", "other": "other"}
TYPE_ALIASES = {"org": "organization", "organisation": "organization", "orgs": "organization",
                "people": "person", "gpe": "place", "loc": "place", "location": "place",
                "norp": "group"}

# A word that makes a name an organisation whatever spaCy said (it calls
# "the Daily Beast" a building and "The Daily Beast" a work of art).
ORG_WORDS = frozenset("""
inc corp corporation company co ltd plc llc group holdings institute institution university
college school academy foundation council committee commission party association agency bank
ministry department office union centre center studies society club fc news times post journal
daily herald tribune gazette guardian telegraph mail express chronicle observer magazine press
network broadcasting fund trust authority board court army navy police league federation
organisation organization airlines airways motors records studios reuters bbc cnn nbc cbs abc
associated bureau service services industries systems technologies labs laboratories
story wire insider weekly review
""".split())

# Last words that make a name a body, never a place ("the Sea Org", "Port Commission";
# not "bank": the West Bank).
ORG_HEADS = frozenset("org inc corp corporation ltd plc llc party committee commission ministry agency "
                      "association foundation institute police department university college".split())

# Capitalised words spaCy often tags alone that name nothing by themselves.
GENERIC = frozenset("""
north south east west northern southern eastern western state states home news world
government president minister mr mrs ms dr sir chapter section page share email
gmt utc bst cet cest est edt pst pdt cst cdt mst mdt aest aedt jst
""".split())

_LEAD = set(" \t\n\u00a0\"'“”‘’«»‹›([{<-–—―‐‑‒…/,;:!?*•·|#")
_TRAIL = set(" \t\n\u00a0\"“”‘«»‹›([{<)]}>-–—―‐‑‒…/,;:!?*•·|#")
_THE = lazyre.compile(r"(?i)the\s+")
_HONORIFIC = lazyre.compile(r"(?:Mr|Mrs|Ms|Miss|Dr|Prof|Mr\.|Mrs\.|Ms\.|Dr\.|Prof\.)\s+(?=[A-Z])")
_TRAIL_WORD = lazyre.compile(r"(?i)\s+(?:and|or|of|for|the|in|on|at|to|by|&)$")
_ABBREV = lazyre.compile(r"(?:^|\s)(?:(?:[A-Za-z]\.){2,}|Jr\.|Sr\.|Inc\.|Co\.|Ltd\.|Corp\.|Bros\.|St\.)$")
_POSSESSIVE_TAIL = ("'s", "’s", "'S", "’S")
_INNER_POSSESSIVE = lazyre.compile(r"(?:'s|’s)\s+")
_DASHES = lazyre.compile(r"[-‐‑‒–—―_]+")
_KEY_DROP = lazyre.compile(r"[.\"“”„«»‹›()\[\]{}]")
_WS = lazyre.compile(r"\s+")
_JUNK_CHARS = lazyre.compile(r"\s/\s|/$|^/|\||@|https?:|www\.|\n\s*\n")
_HYPHEN_SUFFIX = lazyre.compile(r"-[a-z]{1,5}\b")


def extend_hyphen_suffix(body: str, start: int, end: int, label: str) -> int:
    """spaCy often stops a Korean name at the hyphen ("Moon Jae" of "Moon Jae-in")."""
    if label == "PERSON":
        m = _HYPHEN_SUFFIX.match(body, end)
        if m:
            return m.end()
    return end


def trim(body: str, start: int, end: int, keep_possessive: bool = False) -> tuple[int, int]:
    """Move the span's ends inward past what is not part of the name (a
    trailing "’s" too, unless ``keep_possessive``: "McDonald's")."""
    s, e = start, end
    while True:
        before = (s, e)
        while s < e and body[s] in _LEAD:
            s += 1
        while s < e and body[e - 1] in _TRAIL:
            e -= 1
        text = body[s:e]
        m = _THE.match(text)
        if m and m.end() < len(text):
            s += m.end()
            text = body[s:e]
        m = _HONORIFIC.match(text)
        if m and m.end() < len(text):
            s += m.end()
            text = body[s:e]
        if text.endswith(_POSSESSIVE_TAIL) and len(text) > 2 and not keep_possessive:
            e -= 2
        elif text.endswith(("'", "’")) and text[:-1].endswith(("s", "S")):
            e -= 1  # plural possessive: "the States’"
        else:
            m = _TRAIL_WORD.search(text)
            if m:
                e = s + m.start()
            elif text.endswith(".") and not _ABBREV.search(text):
                e -= 1
        if (s, e) == before:
            return s, e


def inner_possessive(text: str) -> int | None:
    """Offset of the "’s " inside a name ("Trump’s White House"), else None."""
    m = _INNER_POSSESSIVE.search(text)
    return m.start() if m and m.start() > 0 else None


def display(text: str) -> str:
    """A span's text as a name to show: one line, plain quotes."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return _WS.sub(" ", text).strip()


def key(name: str) -> str:
    """Matching key: "Kim Jong-un", "KIM JONG UN" and "the Kim Jong Un" agree;
    "U.S." and "US" agree."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").replace("‘", "'").replace("&", " and ")
    text = _DASHES.sub(" ", text.casefold())
    text = _KEY_DROP.sub("", text)
    text = _WS.sub(" ", text).strip()
    if text.startswith("the "):
        text = text[4:]
    if text.endswith("'s"):
        text = text[:-2].rstrip()
    return text


def is_junk(text: str, label: str) -> bool:
    """Names not worth a sidebar line: numbers, lowercase words, boilerplate."""
    if label not in LABEL_TYPES:
        return True
    name = display(text)
    if len(name) < 2 or not any(ch.isalpha() for ch in name):
        return True
    if not any(ch.isupper() for ch in name):
        return True  # "bonhomie", "inter-korean"
    if _JUNK_CHARS.search(text):
        return True
    words = name.split()
    if len(words) > 8:
        return True
    if key(name) in GENERIC:
        return True
    return False


def vote_type(label_counts: dict[str, int], name: str) -> str:
    """The entity's type: majority of its full-form mentions, corrected by
    organisation words where spaCy is known to stumble."""
    type_counts: dict[str, int] = {}
    for label, n in label_counts.items():
        t = LABEL_TYPES.get(label)
        if t:
            type_counts[t] = type_counts.get(t, 0) + n
    if not type_counts:
        return "other"
    order = {t: i for i, t in enumerate(TYPES)}
    best = max(type_counts, key=lambda t: (type_counts[t], -order[t]))
    words = key(name).split()
    org_word = any(w in ORG_WORDS for w in words)
    if org_word and best in ("other", "event"):
        return "organization"
    if org_word and best == "place":
        fac = label_counts.get("FAC", 0)
        if fac >= label_counts.get("GPE", 0) + label_counts.get("LOC", 0):
            return "organization"
    if best == "place" and len(words) > 1 and words[-1] in ORG_HEADS:
        return "organization"  # "the Sea Org", "Westfold Harbour Commission": the head word says a body
    if best == "person" and any(w in ORG_WORDS for w in words):
        return "organization"  # "BBC Sport", "Raw Story", "the Gazette": no person's name has such a word
    if len(words) > 1 and facility_head(words) and best in ("organization", "person", "other"):
        return "place"  # "Fisht Stadium", "Museum of Flight": a facility, as spaCy's FAC
    return best


# Where a name is a facility: typed a place, as spaCy's FAC label is.
FACILITY_WORDS = frozenset("museum planetarium memorial mosque base "
                           "stadium airport station hall tower towers bridge street road avenue square "
                           "boulevard lane highway motorway arena cathedral palace castle".split())
# "Space Center", "Convention Centre": a centre that is a site (a "Research Center" is a body).
_SITE_CENTRE = frozenset("space convention exhibition visitor visitors shopping science".split())


def facility_head(words: list[str]) -> bool:
    """Whether a name's head (its last word, or the word before "of": "Museum of
    Flight") is a facility word: the name is of a building or a site."""
    head = words[:words.index("of")] if "of" in words[1:] else words
    if not head:
        return False
    if head[-1] in ("center", "centre") and len(head) > 1:
        return head[-2] in _SITE_CENTRE
    return head[-1] in FACILITY_WORDS


# Legal forms of companies, written after the name; not part of what it is called.
LEGAL_SUFFIXES = frozenset("ltd limited inc incorporated plc llc llp lp corp co gmbh ag sa nv bv pty "
                           "srl spa oy ab as asa kk".split())


def without_legal_suffix(k: str) -> str:
    """A matching key without a trailing legal form: "tallgrass distribution ltd"
    -> "tallgrass distribution"; a name that is nothing else stays."""
    toks = k.split()
    while len(toks) > 1 and toks[-1] in LEGAL_SUFFIXES:
        toks.pop()
    if toks and toks[-1] == "and" and len(toks) > 1:  # "Smith and Co"
        toks.pop()
    out = " ".join(toks)
    return out if len(out) > 2 else k


def same_given_name(a: str, b: str) -> bool:
    """Given names (matching-key tokens) that can be one person's: equal, an
    initial of the other ("j" / "john"), or a short form that begins it ("ben" / "benjamin")."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) == 1:
        return long_.startswith(short)
    return len(short) >= 3 and long_.startswith(short)


def normalise_type(value: str) -> str:
    t = value.strip().lower()
    t = TYPE_ALIASES.get(t, t)
    if t not in TYPES:
        raise ValueError(f"unknown entity type {value!r}; use one of: {', '.join(TYPES)}")
    return t
