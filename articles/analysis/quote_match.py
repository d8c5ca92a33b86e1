"""Quotes across articles: the same words printed by several outlets, and
who each credits them to (overlap of folded wording, conflicting speakers)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .quotes import Quote


_NORM_DROP = re.compile(r"[^\w\s]")


def normalize_quote(text: str) -> list[str]:
    """Words of a quote with case, punctuation and typographic quotes folded."""
    text = text.replace("’", "'").replace("‘", "'").casefold()
    return _NORM_DROP.sub(" ", text).split()


def _shingles(words: list[str], k: int = 4) -> set[tuple[str, ...]]:
    if len(words) < k:
        return {tuple(words)} if words else set()
    return {tuple(words[i:i + k]) for i in range(len(words) - k + 1)}


def quotes_overlap(a: str, b: str, threshold: float = 0.6) -> bool:
    """True when most of the shorter quote's wording occurs in the other (one
    outlet often quotes a sentence of the longer passage another printed)."""
    wa, wb = normalize_quote(a), normalize_quote(b)
    if min(len(wa), len(wb)) < 4:
        return wa == wb and bool(wa)
    sa, sb = _shingles(wa), _shingles(wb)
    small = min(len(sa), len(sb))
    return small > 0 and len(sa & sb) / small >= threshold


# Shorter stock phrases ("I didn't have a clue") are said by many people.
CONFLICT_MIN_WORDS = 8


def flag_conflicts(quotes: Sequence[Quote]) -> None:
    """Mark quotes whose words other articles attribute to a different speaker.

    ``also_attributed_to`` lists every other attribution of the same words
    (``[{"article", "speaker"}]``); ``conflict`` is set when one of them names
    another speaker. Quotes without a speaker never raise a conflict."""
    index: dict[tuple[str, ...], list[int]] = {}
    shingled = []
    for i, q in enumerate(quotes):
        sh = _shingles(normalize_quote(q.text))
        shingled.append(sh)
        for s in sh:
            index.setdefault(s, []).append(i)
    for i, q in enumerate(quotes):
        seen: set[int] = set()
        for s in shingled[i]:
            seen.update(index.get(s, ()))
        for j in sorted(seen):
            other = quotes[j]
            if j == i or other.article == q.article or not quotes_overlap(q.text, other.text):
                continue
            entry = {"article": other.article, "speaker": other.speaker}
            if entry not in q.also_attributed_to:
                q.also_attributed_to.append(entry)
            if q.speaker and other.speaker and not _same_speaker(q, other) \
                    and min(q.words, other.words) >= CONFLICT_MIN_WORDS:
                q.conflict = True


def _same_speaker(a: Quote, b: Quote) -> bool:
    """One speaker named two ways: same entity, or one name's words inside the
    other's (``Blair`` / ``Tony Blair``, ``Euronext`` / ``Paris-based Euronext``)."""
    if a.speaker_entity is not None and b.speaker_entity is not None:
        if a.speaker_entity == b.speaker_entity:
            return True
    wa, wb = set(normalize_quote(a.speaker or "")), set(normalize_quote(b.speaker or ""))
    return bool(wa and wb) and (wa <= wb or wb <= wa)


# -- over a library -------------------------------------------------------------------
def speaker_matches(q: Quote, name: str, entity=None) -> bool:
    """Does the quote's speaker answer to ``name`` (an EntityInfo when known)?"""
    if q.speaker is None:
        return False
    if entity is not None:
        if q.speaker_entity is not None and str(q.speaker_entity) == str(entity.entity_id):
            return True
        names = {entity.name.casefold(), *(a.casefold() for a in entity.aliases)}
        if q.speaker.casefold() in names:
            return True
    want = name.casefold().strip()
    have = q.speaker.casefold()
    return have == want or have.endswith(" " + want) or have.startswith(want + " ")
