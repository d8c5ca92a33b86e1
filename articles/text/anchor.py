"""Text anchors: find a marked passage again in a changed copy of its text.

A highlight keeps its exact text, some context either side and the offset it
was made at. When the article's body changes (an edited copy re-imported), the
passage is looked for by its text, not its offset: every place the text occurs
is scored by how much of the context still surrounds it, the offset breaking
ties. Failing an exact match, the same words with any whitespace between them
(a re-wrapped paragraph) are accepted. No match at all means orphaned.
"""

from __future__ import annotations

import re

__all__ = ["CONTEXT", "make_anchor", "find_anchor", "find_passage"]

# Characters of context kept either side of a passage.
CONTEXT = 32


def find_passage(body: str, text: str) -> tuple[int, int] | None:
    """The first place ``text`` occurs in ``body``, exactly or with its whitespace
    spelled otherwise; None when it is not there."""
    at = body.find(text)
    if at >= 0:
        return at, at + len(text)
    spans = _loose_matches(body, text)
    return spans[0] if spans else None


def make_anchor(body: str, start: int, end: int) -> tuple[str, str, str]:
    """(text, prefix, suffix) of body[start:end]."""
    return body[start:end], body[max(0, start - CONTEXT):start], body[end:end + CONTEXT]


def _loose_matches(body: str, text: str) -> list[tuple[int, int]]:
    words = text.split()
    if not words:
        return []
    pattern = r"\s+".join(re.escape(w) for w in words)
    return [(m.start(), m.end()) for m in re.finditer(pattern, body)]


def _common_tail(a: str, b: str) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b)):
        if x != y:
            break
        n += 1
    return n


def _common_head(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def find_anchor(body: str, text: str, prefix: str, suffix: str, hint: int) -> tuple[int, int] | None:
    """Where the anchored passage is in ``body`` now, or None (orphaned)."""
    if not text:
        return None
    spans = []
    at = body.find(text)
    while at >= 0:
        spans.append((at, at + len(text)))
        at = body.find(text, at + 1)
    if not spans:
        spans = _loose_matches(body, text)
    if not spans:
        return None

    def score(span):
        s, e = span
        ctx = _common_tail(body[max(0, s - len(prefix)):s], prefix) + _common_head(body[e:e + len(suffix)], suffix)
        return (-ctx, abs(s - hint))

    return min(spans, key=score)
