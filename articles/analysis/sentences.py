"""Text structure without a model: paragraphs (non-empty lines) and rough
sentences, as offsets into the body.  Quotes, dossiers and the reader's
sentence cuts all read a body this way."""

from __future__ import annotations

import re
from collections.abc import Sequence


_SENT_END = re.compile(r"[.!?…]+[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])|\n+")
_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Sen|Rep|Gov|Gen|Prof|Jr|Sr|Inc|Ltd|Co|Corp|vs|No|"
                     r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z]|\b(?:[A-Z]\.)+[A-Z])\.$")


def paragraph_spans(body: str) -> list[tuple[int, int]]:
    """Non-empty lines (feeds and saved pages use single newlines between paragraphs)."""
    spans, pos = [], 0
    for line in body.split("\n"):
        end = pos + len(line)
        s = pos + (len(line) - len(line.lstrip()))
        e = pos + len(line.rstrip())
        if e > s:
            spans.append((s, e))
        pos = end + 1
    return spans


def sentence_spans(body: str) -> list[tuple[int, int]]:
    """Rough sentence boundaries (no model needed): ends at . ! ? before a capital,
    never after common abbreviations or initials, and always at a newline."""
    spans = []
    for ps, pe in paragraph_spans(body):
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
    return spans


def enclosing(spans: Sequence[tuple[int, int]], pos: int) -> tuple[int, int] | None:
    for s, e in spans:
        if s <= pos < e:
            return s, e
    return None
