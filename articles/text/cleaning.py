"""Turning a messy saved article (plain text) into a title, metadata and clean paragraphs.

Everything here is a pure function over strings.  The rules are general shapes,
not lists of known phrases from particular sites:

* metadata lines at the top (``date 2020-06-14``, ``Author: ...``, ``By Jane Doe``),
  possibly glued to the first body sentence on the same line;
* a breadcrumb trail (``Home / News / World / <headline>``) whose last segment is
  the headline;
* a headline on the first line (short, not ending like a sentence), kept once even
  when the page repeated it;
* site furniture: calls to action (subscribe, sign up, download the app, follow
  us, share, comment, log in/out), bullet form prompts, menu lines of glued
  CamelCase words, and the run of short unpunctuated lines that sites append
  after the article (``Similar Posts``, ``Trending Stocks`` ...).

Short lines *inside* the article (section subheads, captions) are kept: only the
leading and trailing blocks are trimmed by shape; inside the article a line must
also carry a call to action to be dropped.

Performance: every regex is applied either to a bounded prefix or to lines whose
length was checked first, and none has nested quantifiers, so a single
multi-megabyte line is processed in linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date as _date

from articles.text import sanitize
from articles.text.cut import HEADLINE_MAX

# Lines longer than this are never headlines, metadata or furniture: they are prose.
MAX_SHORT_LINE = 400
TITLE_MAX = 90  # derived titles are cut at a word boundary below this length

_HSPACE = re.compile(r"[^\S\n]+")  # horizontal whitespace, including NBSP and tabs
_BLANKS = re.compile(r"\n[^\S\n]*\n\s*")

# ---------------------------------------------------------------------------
# Dates

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH_RE = r"(?P<mon>[A-Za-z]{3,9})\.?"
_WEEKDAY_RE = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+)?"
_TIME_RE = r"(?:(?:T|,?\s+(?:at\s+)?)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?)?\s*(?:Z|[+-]\d{2}:?\d{2}|[A-Z]{2,4})?)?"
_DATE_PATTERNS = [
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _TIME_RE, re.I),
    re.compile(_WEEKDAY_RE + r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH_RE + r",?\s+(?P<y>\d{4})" + _TIME_RE, re.I),
    re.compile(_WEEKDAY_RE + _MONTH_RE + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})" + _TIME_RE, re.I),
]


def match_date(text: str) -> tuple[str, int] | None:
    """Parse a date at the very start of ``text``: (ISO date, length consumed) or None."""
    head = text[:80]
    for pattern in _DATE_PATTERNS:
        m = pattern.match(head)
        if not m:
            continue
        groups = m.groupdict()
        if "mon" in groups and groups["mon"] is not None:
            month = _MONTHS.get(groups["mon"].lower())
        else:
            month = int(groups["m"])
        if month is None:
            continue
        try:
            value = _date(int(groups["y"]), month, int(groups["d"]))
        except ValueError:
            continue
        end = m.end()
        # A date must end at a word boundary: "2020-06-145" is not a date.
        if end < len(head) and head[end].isalnum():
            continue
        return value.isoformat(), end
    return None


def parse_date(text: str | None) -> str | None:
    """Normalise a date string (ISO, ISO datetime, '14 June 2020', 'June 14, 2020') to YYYY-MM-DD."""
    if not text:
        return None
    text = " ".join(str(text).split())
    found = match_date(text)
    return found[0] if found else None


# ---------------------------------------------------------------------------
# Line shapes

_SENTENCE_END = ".!?…:;\"”’')]"
_BULLET = re.compile(r"^(?:[*•·▪‣◦-]|\d{1,2}[.)])\s+")
_GLUED = re.compile(r"[a-z][A-Z]")
_URLISH = re.compile(r"^(?:https?://|www\.)\S+$", re.I)

# Calls to action and page-chrome vocabulary.  Each alternative names a kind of
# site furniture (an action the reader is asked to take, or a chrome section),
# not a phrase from a particular site.  Matched against the lowercased line:
# re.I costs four times as much, on every short paragraph of every import.
_CTA = re.compile(
    r"\b(?:"
    r"subscri(?:be|bing|ption)s?|unsubscribe"
    r"|newsletters?"
    r"|sign(?:ed)?[ -]?(?:up|in|out)"
    r"|log[ -]?(?:in|out)|logout|login"
    r"|download\b.{0,40}\bapps?"
    r"|(?:get|install) (?:the|our) .{0,30}\bapp"
    r"|follow us|like us on|join us on"
    r"|share (?:this|on|via|article|story)|share$"
    r"|(?:post|leave|add|write|view|show|load) (?:a |your |the |all |more )?(?:comments?|reply|replies)"
    r"|comments? (?:policy|section)|\d+ comments?"
    r"|enter (?:a |your )?(?:valid )?e-?mail"
    r"|e-?mail address"
    r"|thank you for (?:subscribing|signing|registering|reading)"
    r"|read (?:more|the full|full)|continue reading|click here|tap here"
    r"|recommended (?:for you|stories|articles|reading)"
    r"|(?:similar|related|popular|latest|more) (?:posts|articles|stories|news|videos|content)"
    r"|trending(?: (?:now|stories|stocks|topics|news))?"
    r"|most (?:read|popular|viewed|shared)"
    r"|get (?:alerts|notifications|updates|the latest)"
    r"|set (?:preferences|alerts)"
    r"|advertisement|sponsored(?: content)?|skip to (?:main )?content|skip navigation"
    r"|all rights reserved|privacy policy|terms (?:of use|of service|and conditions)|cookie (?:policy|settings)"
    r"|watchlist|my (?:account|reads|profile)|redeem"
    r")\b"
)
_BREADCRUMB_SEP = re.compile(r" (?:/|>|›|»|→) ")


def _words(line: str) -> int:
    return len(line.split())


def _ends_like_sentence(line: str) -> bool:
    return bool(line) and line[-1] in _SENTENCE_END


def is_glued_menu(line: str) -> bool:
    """Menu items run together without spaces ('My ReadsWatchlistFeedbackLogout')."""
    if len(line) > 200 or _ends_like_sentence(line):
        return False
    return len(_GLUED.findall(line)) >= 3


# Furniture speaks to the reader ("your inbox", "follow us") or opens with the
# action it asks for ("Subscribe ...", "Click here ..."). A full sentence that
# does neither is reporting, whatever phrase it contains: "one of the
# country's most popular tourist destinations", "users can sign up from May".
_ADDRESS = re.compile(r"\b(?:you|your|yours|our|us|we)\b")
_PROSE_WORDS = 8


def _is_prose(line: str) -> bool:
    return _words(line) >= _PROSE_WORDS and _ends_like_sentence(line) and line.lstrip("\"“‘'(")[:1].isupper()


def has_call_to_action(line: str) -> bool:
    if len(line) > MAX_SHORT_LINE:
        return False
    low = line.lower()
    m = _CTA.search(low)
    if m is None:
        return False
    if _is_prose(line) and not _ADDRESS.search(low) and \
            not any(_opens_sentence(low, x.start()) for x in _CTA.finditer(low)):
        return False  # ordinary prose that merely uses the words
    return True


def cta_phrase(line: str) -> bool:
    """Whether the furniture vocabulary occurs in the (short) line at all."""
    return len(line) <= MAX_SHORT_LINE and bool(_CTA.search(line.lower()))


def _opens_sentence(low: str, at: int) -> bool:
    # "Download the app to ...": the phrase is the sentence's own first words (an imperative).
    return at == 0 or low[:at].rstrip().endswith((".", "!", "?", ":", "|", "-", "–", "—", "•"))


def is_furniture(line: str) -> bool:
    """Furniture wherever it appears: a short call to action, a form prompt, a glued menu."""
    if len(line) > MAX_SHORT_LINE:
        return False
    if is_glued_menu(line):
        return True
    if not has_call_to_action(line):
        return False
    short = _words(line) <= 12
    return (short and not _ends_like_sentence(line)) or (short and bool(_BULLET.match(line)))


def is_trailing_furniture(line: str) -> bool:
    """Furniture in the block after the article: looser, because nothing real follows."""
    if len(line) > MAX_SHORT_LINE:
        return False
    if is_furniture(line) or _URLISH.match(line):
        return True
    if has_call_to_action(line) and _words(line) <= 40:
        return True
    # Chrome headings and link lists: a few words, no sentence punctuation.
    return _words(line) <= 8 and not _ends_like_sentence(line)


def _is_strong_trailing(line: str) -> bool:
    return is_furniture(line) or bool(_URLISH.match(line)) or (has_call_to_action(line) and _words(line) <= 40)


def is_headline(line: str) -> bool:
    """Does this line look like a headline rather than the start of the prose?"""
    if not line or len(line) > 200 or _words(line) > 30:
        return False
    if line.endswith(("...", "…", "?", "!")):
        return True
    if line[-1] in ".,;:":
        return False
    # Two sentences ("Foo. Bar baz") is prose, not a headline.
    return not re.search(r"[a-z]{2}[.!?] [A-Z]", line)


# ---------------------------------------------------------------------------
# Metadata lines

_META_KEYS = {
    "title": "title",
    "headline": "title",
    "date": "date",
    "published": "date",
    "published on": "date",
    "published at": "date",
    "updated": "date",
    "posted": "date",
    "posted on": "date",
    "author": "author",
    "by": "author",
    "byline": "author",
    "writer": "author",
    "source": "source",
    "publisher": "source",
    "site": "source",
    "publication": "source",
    "url": "url",
    "link": "url",
    "canonical": "url",
}
_META_COLON = re.compile(r"^(?P<key>[A-Za-z][A-Za-z ]{0,15}?)\s*:\s*(?P<value>.*)$")
_META_BARE = re.compile(r"^(?P<key>date|published|updated|posted|url|link)\s+(?P<value>.*)$", re.I)
_BYLINE = re.compile(r"^[Bb][Yy]\s+(?P<value>[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|&|de|van|von|la|le|bin|al),?){0,6})$")


@dataclass
class _Meta:
    title: str | None = None
    date: str | None = None
    author: str | None = None
    source: str | None = None
    url: str | None = None

    def set(self, field_name: str, value: str) -> bool:
        value = value.strip().strip("\"'")
        if not value:
            return False
        if field_name == "date":
            iso = parse_date(value)
            if iso is None:
                return False
            value = iso
        if getattr(self, field_name) is None:
            setattr(self, field_name, value)
        return True


def take_metadata(line: str, meta: _Meta) -> str | None:
    """If ``line`` is (or starts with) a metadata entry, record it and return what is
    left of the line (``""`` when the whole line was metadata); None if it is not metadata."""
    if len(line) > MAX_SHORT_LINE:
        # Only a bare "date <date> <body...>" can start a long line.
        m = _META_BARE.match(line[:120])
        if m and m.group("key").lower() != "url":
            found = match_date(line[m.start("value") :])
            if found:
                meta.set("date", found[0])
                return line[m.start("value") + found[1] :].lstrip(" ,.-—|")
        return None
    m = _META_COLON.match(line)
    if m and m.group("key").strip().lower() in _META_KEYS:
        field_name = _META_KEYS[m.group("key").strip().lower()]
        if field_name == "date":
            found = match_date(m.group("value").strip())
            if found:
                meta.set("date", found[0])
                return m.group("value").strip()[found[1] :].lstrip(" ,.-—|")
            return None
        if field_name == "url" and not _URLISH.match(m.group("value").strip()):
            return None
        # "Source: the ministry said ..." is prose; metadata values are short.
        if _words(m.group("value")) > 12 and field_name != "title":
            return None
        return "" if meta.set(field_name, m.group("value")) else None
    m = _META_BARE.match(line)
    if m:
        key = m.group("key").lower()
        value = m.group("value")
        if key in ("url", "link"):
            token, _, rest = value.partition(" ")
            if _URLISH.match(token):
                meta.set("url", token)
                return rest.strip()
            return None
        found = match_date(value)
        if found:
            meta.set("date", found[0])
            return value[found[1] :].lstrip(" ,.-—|")
        return None
    m = _BYLINE.match(line)
    if m:
        meta.set("author", m.group("value").rstrip(","))
        return ""
    found = match_date(line)
    if found and found[1] >= len(line.rstrip()) - 1:
        meta.set("date", found[0])
        return ""
    return None


def split_breadcrumb(line: str) -> tuple[list[str], str] | None:
    """``Home / News / World / Headline`` -> (["Home", "News", "World"], "Headline").

    Returns None when the line is not a breadcrumb trail.  A trail must have at
    least two short crumbs (three words or fewer) before the last segment.
    """
    if len(line) > MAX_SHORT_LINE:
        return None
    parts = [p.strip() for p in _BREADCRUMB_SEP.split(line + " ")]
    parts = [p for p in parts if p]
    if len(parts) < 3:
        return None
    crumbs, last = parts[:-1], parts[-1]
    if all(_words(c) <= 3 and len(c) <= 30 for c in crumbs):
        if _words(last) <= 3 and len(last) <= 30:
            return crumbs + [last], ""  # the whole line is a trail
        return crumbs, last
    return None


# ---------------------------------------------------------------------------
# Paragraphs


def split_paragraphs(text: str) -> list[str]:
    """Split into paragraphs: blank lines separate paragraphs; within a block, each
    line is its own paragraph unless the block is hard-wrapped prose, which is joined."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _HSPACE.sub(" ", text)
    paragraphs: list[str] = []
    for block in _BLANKS.split(text):
        lines = [ln.strip() for ln in block.split("\n")]
        lines = [ln for ln in lines if ln]
        if not lines:
            continue
        if _is_hard_wrapped(lines):
            paragraphs.append(" ".join(lines))
        else:
            paragraphs.extend(lines)
    return paragraphs


def _is_hard_wrapped(lines: list[str]) -> bool:
    """Prose wrapped at a fixed column: 3+ lines, all but the last of similar
    medium length, most of them breaking mid-sentence."""
    if len(lines) < 3:
        return False
    body = lines[:-1]
    if max(len(ln) for ln in lines) > 100:
        return False
    medium = sum(1 for ln in body if 40 <= len(ln) <= 100)
    mid_sentence = sum(1 for ln in body if not _ends_like_sentence(ln))
    return medium >= 0.8 * len(body) and mid_sentence >= 0.5 * len(body)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def clean_paragraphs(paragraphs: list[str], protected: frozenset[int] | set[int] = frozenset()) -> tuple[list[str], list[str]]:
    """Remove site furniture from a list of paragraphs -> (kept, removed).

    ``protected`` indexes (code blocks from Markdown, say) are never removed.
    The trailing block is trimmed by looser rules than the middle of the text.
    """
    keep = [True] * len(paragraphs)
    for i, para in enumerate(paragraphs):
        if i not in protected and is_furniture(para):
            keep[i] = False
    # Trailing block: the run of furniture-shaped lines at the end.  Shape alone
    # (a few words, no full stop) also fits fixture lists and scores, so the block
    # is only cut from its first line that carries real evidence (a call to
    # action, a form prompt, a bare link); shape-only lines after it go too.
    start = len(paragraphs)
    i = len(paragraphs) - 1
    while i >= 0 and i not in protected and (not keep[i] or is_trailing_furniture(paragraphs[i])):
        i -= 1
    for j in range(i + 1, len(paragraphs)):
        if not keep[j] or _is_strong_trailing(paragraphs[j]):
            start = j
            break
    # Never cut the whole text: then the "block" is the article itself.
    if any(keep[:start]):
        for j in range(start, len(paragraphs)):
            keep[j] = False
    kept = [p for p, k in zip(paragraphs, keep) if k]
    removed = [p for p, k in zip(paragraphs, keep) if not k]
    return kept, removed


def derive_title(body: str, limit: int = TITLE_MAX) -> str:
    """A title for an article that has none: its first sentence, whole when it is
    no longer than a headline can be (a 199-character lead cut into the title and
    shown again below it read as a mistake), else cut at a word boundary."""
    first = body.strip().split("\n", 1)[0][: max(limit, HEADLINE_MAX) * 4]
    first = " ".join(first.split())
    if not first:
        return "Untitled"
    m = re.search(r"[a-z0-9)\]][.!?][\"”’]?(?= [A-Z“\"‘])", first)
    sentence = first[: m.end()] if m else first
    if len(sentence) <= max(limit, HEADLINE_MAX):
        return sentence.rstrip(" .")
    cut = sentence[:limit].rsplit(" ", 1)[0].rstrip(" ,;:—–-")
    return cut + "…"


@dataclass
class CleanResult:
    title: str
    body: str
    date: str | None = None
    author: str | None = None
    source: str | None = None
    url: str | None = None
    title_derived: bool = False  # True when no headline was found and the title was made from the text
    removed: list[str] = field(default_factory=list)  # furniture and metadata lines dropped


def clean_text(raw: str) -> CleanResult:
    """Clean one plain-text article: metadata, headline, furniture, whitespace."""
    paragraphs = split_paragraphs(sanitize(raw))
    meta = _Meta()
    removed: list[str] = []
    title: str | None = None

    # Leading block: metadata, breadcrumbs, furniture, then the headline.
    idx = 0
    scanned = 0
    while idx < len(paragraphs) and scanned < 8:
        para = paragraphs[idx]
        scanned += 1
        rest = take_metadata(para, meta)
        if rest is not None:
            removed.append(para[: len(para) - len(rest)].strip() if rest else para)
            if rest:
                paragraphs[idx] = rest  # metadata glued to the first body sentence
                break
            idx += 1
            continue
        crumb = split_breadcrumb(para)
        if crumb is not None:
            crumbs, last = crumb
            removed.append(" / ".join(crumbs))
            if last:
                paragraphs[idx] = last
                break
            idx += 1
            continue
        # Only strong signals here: the first line may be a headline that merely
        # mentions subscriptions or apps.
        if is_glued_menu(para) or (has_call_to_action(para) and (_words(para) <= 4 or _BULLET.match(para))):
            removed.append(para)
            idx += 1
            continue
        break
    paragraphs = paragraphs[idx:]

    if meta.title:
        title = meta.title
    elif len(paragraphs) >= 2 and is_headline(paragraphs[0]):
        title = paragraphs.pop(0)
    # Metadata lines straight after the headline ("By Jane Doe", "Published: ...").
    # (Bounded loops with slicing: a file of 100,000 identical lines must stay linear.)
    skip = 0
    while skip < min(len(paragraphs), 6) and len(paragraphs[skip]) <= MAX_SHORT_LINE:
        rest = take_metadata(paragraphs[skip], meta)
        if rest is None:
            break
        removed.append(paragraphs[skip])
        if rest:
            paragraphs[skip] = rest
            break
        skip += 1
    # A page that printed its headline twice.
    if title is not None:
        key = _norm(title)
        while skip < min(len(paragraphs), 6) and len(paragraphs[skip]) <= MAX_SHORT_LINE and _norm(paragraphs[skip]) == key:
            removed.append(paragraphs[skip])
            skip += 1
    paragraphs = paragraphs[skip:]

    kept, dropped = clean_paragraphs(paragraphs)
    removed.extend(dropped)
    body = "\n\n".join(kept)
    derived = False
    if not title:
        title = derive_title(body)
        derived = True
    return CleanResult(
        title=" ".join(title.split()),
        body=body,
        date=meta.date,
        author=meta.author,
        source=meta.source,
        url=meta.url,
        title_derived=derived,
        removed=removed,
    )
