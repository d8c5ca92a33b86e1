"""Cutting text for display: at a word boundary, never inside a word, and a
passage around a position widened to the quotation it sits in."""

from __future__ import annotations

# Headlines run this long (a 199-character headline is real); beyond it a line is prose.
HEADLINE_MAX = 200


def cut_words(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` whole when it fits in ``limit`` characters, else cut at the last
    word boundary before it (a single over-long word is cut inside, as it must be)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = max(limit - len(ellipsis), 1)
    cut = text.rfind(" ", 0, room + 1)
    head = text[:cut] if cut > room // 3 else text[:room]
    return head.rstrip(" ,;:—–-") + ellipsis


def _marks(text: str) -> list[str]:
    """'open' / 'close' for each double quotation mark in ``text``. A straight
    quote opens after a space, a bracket or the start, before a non-space."""
    out = []
    for i, ch in enumerate(text):
        if ch == "“":
            out.append("open")
        elif ch == "”":
            out.append("close")
        elif ch == '"':
            before = text[i - 1] if i else " "
            after = text[i + 1] if i + 1 < len(text) else " "
            out.append("open" if (before.isspace() or before in "([—–-") and not after.isspace() else "close")
    return out


def widen_to_quotes(body: str, start: int, end: int, sentences: list[tuple[int, int]],
                    para: tuple[int, int] | None = None, most: int = 3) -> tuple[int, int]:
    """The sentence ``body[start:end]``, started earlier (at most ``most``
    sentences, never before its paragraph) when it begins inside a quotation:
    its first quotation mark closes one. A dossier line that starts mid-quote
    reads as the words of whoever is named next. Left as it is when the
    opening mark is not found close by."""
    p0 = para[0] if para is not None else 0
    idx = next((i for i, (s, _e) in enumerate(sentences) if s == start), None)
    marks = _marks(body[start:end])
    if idx is None or not marks or marks[0] != "close":
        return start, end
    for i in range(idx - 1, max(idx - 1 - most, -1), -1):
        s, e = sentences[i]
        if s < p0:
            break
        earlier = _marks(body[s:e])
        if earlier and earlier[-1] == "open":
            return s, end
        if earlier:  # a quotation closed and reopened: not this one's opening
            break
    return start, end
