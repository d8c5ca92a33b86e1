"""Is this library article the report a credit names?  Pure matching of a
credit (``articles.analysis.provenance``) against one candidate article: outlet
(its source or the host of its URL: "Daily Beast" ~ "thedailybeast.com"),
author, title and shared words, and not newer than the crediting article."""

from __future__ import annotations

import difflib
import re
from datetime import date as _date, timedelta
from urllib.parse import urlsplit

from .outlets import outlets_match
from .provenance import Credit

# How alike a candidate's words must be to the crediting article's (overlap
# coefficient of content words): a re-report shares the event's names and terms.
SAME_TOPIC = 0.2
SAME_TITLE = 0.8  # a credited headline this close names the article by itself
TITLE_WITH_OUTLET = 0.55
DATE_SLACK = 1  # days: a credited report may carry a date one day later (time zones)

_WORD = re.compile(r"[^\W\d_][\w’'\-]{3,}|\d[\d,.]*\d|\d")
_STOP = set("""
about above after again against also among another because been before being below between
both could does doing down during each either every from further have having here into itself
just more most much must neither never once only other ought over said same says should since
some such than that their theirs them then there these they this those through under until upon
very were what when where which while whom whose will with within without would year years your
according report reported told week weeks month months today yesterday tomorrow people time
""".split())


def own_outlet(source: str | None, url: str | None) -> str:
    """An article's own outlet: its source, else its URL's host."""
    if source:
        return source
    if url:
        try:
            return urlsplit(url).hostname or ""
        except ValueError:
            return ""
    return ""


def host(url: str | None) -> str:
    try:
        return urlsplit(url).hostname or "" if url else ""
    except ValueError:
        return ""


def words(text: str) -> set[str]:
    # The headline and lead: where a re-report and its original share the event's names.
    return {w.casefold().replace("’", "'") for w in _WORD.findall(text[:2000])} - _STOP


def topic(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def title_sim(a: str, b: str) -> float:
    fa = " ".join(re.findall(r"\w+", a.casefold()))
    fb = " ".join(re.findall(r"\w+", b.casefold()))
    if not fa or not fb:
        return 0.0
    return difflib.SequenceMatcher(None, fa, fb).ratio()


def day(value: str | None) -> _date | None:
    try:
        return _date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def surname_match(credited: str | None, author: str | None) -> bool:
    if not credited or not author:
        return False
    last = credited.split()[-1].casefold()
    return len(last) >= 3 and re.search(rf"\b{re.escape(last)}\b", author.casefold()) is not None


def match_score(credit: Credit, when: _date | None, mine: set[str], title: str, author: str | None,
                date: str | None, source: str | None, url: str | None, theirs: set[str]) -> float | None:
    """How well a candidate (its title, author, date, source, url and words) answers
    ``credit`` made by an article dated ``when`` with words ``mine``; None when it
    cannot be the credited report."""
    d = day(date)
    if when and d and d > when + timedelta(days=DATE_SLACK):
        return None  # newer than the article crediting it: not the credited report
    same_outlet = bool(credit.outlet) and (
        outlets_match(credit.outlet, source) or
        (bool(url) and outlets_match(credit.outlet, host(url))))
    t_sim = title_sim(credit.title, title) if credit.title else 0.0
    by_author = surname_match(credit.author, author)
    shared = topic(mine, theirs)
    if credit.outlet and not same_outlet and t_sim < SAME_TITLE:
        return None
    ok = (t_sim >= SAME_TITLE or (same_outlet and t_sim >= TITLE_WITH_OUTLET)
          or (same_outlet and shared >= SAME_TOPIC) or (by_author and shared >= SAME_TOPIC))
    if credit.author and author and not by_author and t_sim < SAME_TITLE:
        ok = False  # the report is by someone else
    if not ok:
        return None
    return t_sim * 2 + shared + (0.5 if by_author else 0) + (0.5 if same_outlet else 0)
