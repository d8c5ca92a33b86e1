"""What a news outlet looks like, and when two names are one outlet.

A name counts as an outlet only when it looks like one: a small generic list of
wire agencies and major outlets (``KNOWN_OUTLETS``; generic, not tuned to any
data set), a newspaper-style name ("The X Times/Post/News/...", "Daily X",
"Sunday X"), or a web host.  ``outlet_key`` makes names comparable ("The Daily
Beast", "Daily Beast" and "thedailybeast.com" all give "dailybeast").  Pure;
the credit rules in ``articles.analysis.provenance`` are built on it.
"""

from __future__ import annotations

import re

from ..text import lazyre  # patterns compiled on first use: importing this module is cheap

# -- what an outlet looks like -----------------------------------------------------------
# A generic list of wire agencies and major outlets, as users would recognise them
# (not taken from any evaluation data). Compared by outlet_key (case, spaces,
# punctuation and a leading "The" do not matter).
KNOWN_OUTLETS = (
    "Reuters", "Associated Press", "AP", "AFP", "Agence France-Presse", "UPI", "Bloomberg",
    "Press Association", "PA Media", "dpa", "ANSA", "EFE", "Xinhua", "Yonhap", "Kyodo", "TASS",
    "RIA Novosti", "Interfax", "AAP", "PTI", "ANI", "IANS",
    "BBC", "CNN", "NBC", "CBS", "ABC", "NPR", "PBS", "MSNBC", "CNBC", "Fox", "ITV", "Sky",
    "Channel 4", "NHK", "CBC", "RTE", "Al Jazeera", "Deutsche Welle", "France 24", "Euronews",
    "Politico", "Axios", "Vox", "Vice", "Slate", "Salon", "BuzzFeed", "HuffPost", "Huffington Post",
    "The Atlantic", "The Economist", "The Guardian", "The Independent", "The Telegraph",
    "The Hill", "Newsweek", "USA Today", "Forbes", "Fortune", "MarketWatch", "Business Insider",
    "Wired", "TechCrunch", "The Verge", "ProPublica", "Le Monde", "Der Spiegel", "Bild",
    "El País", "Haaretz", "Evening Standard", "Toronto Star", "Mail on Sunday",
)
# Last words of newspaper-style names ("The Baltimore Sun", "Global News").
_SUFFIXES = {
    "times", "post", "news", "journal", "herald", "beast", "story", "wire", "press", "network",
    "tv", "radio", "tribune", "gazette", "telegraph", "guardian", "observer", "chronicle",
    "magazine", "monitor", "courier", "express", "mail", "insider", "reporter", "weekly",
    "bulletin", "dispatch", "examiner", "inquirer", "sentinel", "register", "television",
    "broadcasting", "newspaper", "mirror", "daily", "online", "media", "channel", "sun",
    "agency",  # only as "News Agency" / "Press Agency" (see is_outlet)
}
# "the Post", "the Beast": one word after "the" is an outlet only for these.
_SINGLE = {
    "times", "post", "beast", "guardian", "telegraph", "independent", "gazette", "herald",
    "journal", "courier", "tribune", "observer", "chronicle", "economist", "mirror", "mail",
    "express", "sun", "inquirer", "examiner",
}
_HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "sir", "lord", "lady", "dame", "president",
               "minister", "senator", "professor", "prof"}
_FIRST = {"daily", "sunday", "weekly", "evening", "morning"}  # "Daily Beast", "Sunday Times"
# Words that make a capitalised name an organisation or a place, not a person.
NOT_PERSON = {
    "watch", "institute", "foundation", "council", "commission", "committee", "agency", "office",
    "department", "ministry", "bank", "fund", "university", "centre", "center", "group",
    "association", "organization", "organisation", "nations", "union", "board", "authority",
    "service", "police", "court", "party", "government", "corporation", "company", "inc", "ltd",
    "society", "trust", "programme", "program", "house", "senate", "congress", "parliament",
    "army", "navy", "force", "forces", "north", "south", "east", "west", "new", "united",
    "republic", "kingdom", "states", "state", "city", "county", "province", "island", "islands",
    "america", "europe", "africa", "asia", "korea", "china", "russia", "january", "february",
    "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "research", "consulting", "consultants", "partners", "capital", "securities", "analytics",
    "associates", "labs", "systems", "technologies", "media", "international", "global",
}
LEADING = {  # sentence openers that a subject-position name must not start with
    "as", "but", "and", "so", "in", "on", "at", "for", "meanwhile", "however", "yet", "then",
    "now", "earlier", "later", "last", "this", "that", "when", "while", "after", "before",
}
_ALIASES = {
    "ap": "associatedpress", "apnews": "associatedpress", "theassociatedpress": "associatedpress",
    "afp": "agencefrancepresse", "nyt": "newyorktimes", "nytimes": "newyorktimes",
    "wsj": "wallstreetjournal", "washpost": "washingtonpost", "ft": "financialtimes",
    "huffingtonpost": "huffpost", "pa": "pressassociation", "pamedia": "pressassociation",
    "dw": "deutschewelle",
}
_TLDS = {"com", "net", "org", "news", "info", "co", "uk", "us", "ca", "au", "de", "fr", "in",
         "ie", "nz", "io", "tv", "online"}
HOST = lazyre.compile(r"^(?:https?://)?(?:www\.)?((?:[a-z0-9\-]+\.)*[a-z][a-z0-9\-]*\.[a-z]{2,6})(?:[/:?#].*)?$",
                   re.I)


def outlet_key(name: str | None) -> str:
    """A comparable key for an outlet name or web host: "The Daily Beast",
    "Daily Beast" and "thedailybeast.com" all give "dailybeast"."""
    if not name:
        return ""
    s = name.strip().casefold()
    m = HOST.match(s) if " " not in s else None
    if m:
        labels = m.group(1).split(".")
        while len(labels) > 1 and labels[-1] in _TLDS:
            labels.pop()
        s = labels[-1]
    s = re.sub(r"[^\w]+", "", s.replace("’", "'")).replace("_", "")
    if s.startswith("the") and len(s) > 5:
        s = s[3:]
    return _ALIASES.get(s, s)


KNOWN_KEYS = {outlet_key(n) for n in KNOWN_OUTLETS}
_GENERIC_TAILS = ("news", "online", "media", "com")


def outlets_match(a: str | None, b: str | None) -> bool:
    """Whether two outlet names / hosts name the same outlet ("BBC" ~ "BBC News",
    "Daily Beast" ~ "thedailybeast.com")."""
    ka, kb = outlet_key(a), outlet_key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    for tail in _GENERIC_TAILS:
        if ka + tail == kb or kb + tail == ka:
            return True
    return False


def _core(key: str) -> str:
    for tail in _GENERIC_TAILS:
        if key.endswith(tail) and len(key) - len(tail) >= 3:
            return key[:-len(tail)]
    return key


def is_own_outlet(outlet: str | None, own: str | None) -> bool:
    """Whether ``outlet`` is the article's own outlet ``own`` or one of its
    programmes ("BBC Radio" in a "BBC News" article, "the Gazette" in the
    "Sample Gazette")."""
    ko, kw = outlet_key(outlet), outlet_key(own)
    if not ko or not kw:
        return False
    if outlets_match(ko, kw):
        return True
    core = _core(kw)
    return (len(core) >= 3 and ko.startswith(core)) or (len(ko) >= 4 and kw.endswith(ko))


def is_outlet(name: str | None) -> bool:
    """Whether a capitalised name looks like a news outlet (see the module doc)."""
    if not name:
        return False
    raw = " ".join(name.split())
    if HOST.match(raw) and " " not in raw and "." in raw:
        return True
    had_the = raw[:4].casefold() == "the "
    words = (raw[4:] if had_the else raw).split()
    if not words:
        return False
    if outlet_key(raw) in KNOWN_KEYS:
        return True
    low = [w.casefold().strip(".,") for w in words]
    if any(w in _HONORIFICS for w in low):
        return False  # "told the Sunday Times Mr Campbell would ...": the name ran on
    if len(low) == 1:
        return had_the and low[0] in _SINGLE
    if low[-1] == "agency":
        return low[-2] in ("news", "press")
    if low[-1] in _SUFFIXES:
        return True
    return low[0] in _FIRST and len(low) <= 3 and all(w[:1].isupper() for w in words)


def person_like(name: str) -> bool:
    """Two or three capitalised words with nothing organisation- or place-like."""
    words = name.split()
    if not 2 <= len(words) <= 3 or words[0].casefold() == "the":
        return False
    return all(re.fullmatch(r"[A-Z][a-z'’\-]+\.?|[A-Z]\.", w) for w in words) and \
        not any(w.casefold().strip(".") in NOT_PERSON for w in words)
