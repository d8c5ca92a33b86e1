"""Text structure without a model: paragraphs (non-empty lines) and rough
sentences, as offsets into the body.  Quotes, dossiers and the reader's
sentence cuts all read a body this way."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache


_SENT_END = re.compile(r"[.!?…]+[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])|\n+")
_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Sen|Rep|Gov|Gen|Prof|Jr|Sr|Inc|Ltd|Co|Corp|vs|No|"
                     r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z]|\b(?:[A-Z]\.)+[A-Z])\.$")


# The quote finder and the dossier ask for the same body's spans many times
# (once per quote, per attribution, per sentence looked up): a dossier of a
# frequent name spent a quarter of its time cutting the same bodies again.
# The cache holds tuples (never handed out to be changed); callers get a list.
_CACHED = 32


def paragraph_spans(body: str) -> list[tuple[int, int]]:
    """Non-empty lines (feeds and saved pages use single newlines between paragraphs)."""
    return list(_paragraphs(body))


def sentence_spans(body: str) -> list[tuple[int, int]]:
    """Rough sentence boundaries (no model needed): ends at . ! ? before a capital,
    never after common abbreviations or initials, and always at a newline."""
    return list(_sentences(body))


@lru_cache(maxsize=_CACHED)
def _paragraphs(body: str) -> tuple[tuple[int, int], ...]:
    spans, pos = [], 0
    for line in body.split("\n"):
        end = pos + len(line)
        s = pos + (len(line) - len(line.lstrip()))
        e = pos + len(line.rstrip())
        if e > s:
            spans.append((s, e))
        pos = end + 1
    return tuple(spans)


@lru_cache(maxsize=_CACHED)
def _sentences(body: str) -> tuple[tuple[int, int], ...]:
    spans = []
    for ps, pe in _paragraphs(body):
        start = ps
        for m in _SENT_END.finditer(body, ps, pe):
            head = body[start:m.start() + 1].rstrip("\"”’)] ")
            if _ABBREV.search(head):
                continue
            end = m.start() + len(m.group().rstrip())
            if end > start:
                spans.append((start, end))
            start = m.end()
        if pe > start:
            spans.append((start, pe))
    return tuple(spans)


def enclosing(spans: Sequence[tuple[int, int]], pos: int) -> tuple[int, int] | None:
    for s, e in spans:
        if s <= pos < e:
            return s, e
    return None
