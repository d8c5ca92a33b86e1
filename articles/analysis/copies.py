"""Copies: reprints, wire copies and re-reports, found by shared passages.

Each body becomes a set of hashed five-word shingles; a fixed quarter of them
(hash mod 4, so the same quarter for every article) is kept in the store with
an index on the hash, which makes finding candidates for a new article one SQL
join.  A candidate pair is a copy when enough of the smaller article's
shingles are shared (containment) and, where known, the dates are close and
the entities overlap.  Pure: the hashing and the judging, no SQL.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date as _date

SHINGLE = 5
SAMPLE = 4  # keep shingles whose hash is 0 mod SAMPLE
# Containment of the smaller article's shingles in the other's.
NEAR_COPY = 0.5  # a reprint: same story whatever else is known
SHARED_PASSAGES = 0.12  # a re-report: same story if dates and entities agree
MIN_SHARED = 4  # sampled shingles (~16 five-word runs) so one stock phrase never links
CANDIDATE = 0.05  # pairs worth remembering for later decisions
MAX_DAYS = 7
MIN_ENTITY_OVERLAP = 0.15
# Shingles found in this many articles are boilerplate (site footers, bylines).
BOILERPLATE_DF = 25

_WORD = re.compile(r"[\w’']+")

_WORD_HASH: dict[str, int] = {}  # word as written -> its 64-bit hash (a cache)
_MUL = 0x100000001B3  # odd: every word position moves every bit above it
SKETCH_VERSION = "2"  # stored sketches made by another shingle hash are made again


def _word_hash(w: str) -> int:
    h = _WORD_HASH.get(w)
    if h is None:
        h = int.from_bytes(hashlib.blake2b(w.casefold().replace("’", "'").encode("utf-8"),
                                           digest_size=8).digest(), "big")
        if len(_WORD_HASH) < 1_000_000:
            _WORD_HASH[w] = h
    return h


def shingles(body: str, k: int = SHINGLE, sample: int = SAMPLE) -> set[int]:
    """Sampled hashed k-word shingles (signed 64-bit, as SQLite stores integers).

    Each word is hashed once (cached) and a shingle's hash is a polynomial of its
    words' hashes, finished with a bit mixer, in numpy over the whole body: hashing
    every five-word run's text was most of the copy stage's time.  numpy is
    imported here, not with the module: the commands that only read copies
    (quotes, dossier, related) never hash, and importing numpy was a fifth of
    their process's time."""
    import numpy as np

    mul = np.uint64(_MUL)
    words = _WORD.findall(body)
    m = len(words) - k + 1
    if m <= 0:
        return set()
    wh = np.fromiter((_word_hash(w) for w in words), dtype=np.uint64, count=len(words))
    h = np.zeros(m, dtype=np.uint64)
    for i in range(k):
        h = h * mul + wh[i:i + m]  # wraps modulo 2**64, as meant
    h ^= h >> np.uint64(30)  # splitmix64's finaliser: the low bits (the sample) depend on all
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    h = h[h % np.uint64(sample) == 0]
    return set(h.view(np.int64).tolist())


def parse_date(value: str | None) -> _date | None:
    if not value:
        return None
    try:
        return _date.fromisoformat(value[:10])
    except ValueError:
        return None


@dataclass
class PairEvidence:
    a: str
    b: str
    shared: int
    containment: float
    days_apart: int | None
    entity_overlap: float | None
    same_story: bool
    reason: str

    def to_json(self) -> dict:
        return {"a": self.a, "b": self.b, "shared_shingles": self.shared,
                "containment": round(self.containment, 3), "days_apart": self.days_apart,
                "entity_overlap": None if self.entity_overlap is None else round(self.entity_overlap, 3),
                "same_story": self.same_story, "reason": self.reason}


def judge(a: str, b: str, shared: int, containment: float, dates: dict, ents: dict) -> PairEvidence:
    da, db = dates.get(a), dates.get(b)
    days = abs((da - db).days) if da and db else None
    ea, eb = ents.get(a), ents.get(b)
    overlap = len(ea & eb) / len(ea | eb) if ea and eb else None

    def ev(same, why):
        return PairEvidence(a, b, shared, containment, days, overlap, same, why)

    if containment >= NEAR_COPY and shared >= MIN_SHARED:
        return ev(True, "near copy")
    if containment < SHARED_PASSAGES or shared < MIN_SHARED:
        return ev(False, "too little shared text")
    if days is not None and days > MAX_DAYS:
        return ev(False, f"{days} days apart")
    if overlap is not None and overlap < MIN_ENTITY_OVERLAP:
        return ev(False, "different people and places")
    return ev(True, "shared passages")


def copy_groups(ids: list[str], links: dict[str, set[str]]) -> list[list[str]]:
    """The groups of copies among ``ids`` (linked components of two or more), each
    in the order of ``ids``."""
    copies = []
    inside, seen = set(ids), set()
    for i in ids:
        if i in seen or not links.get(i):
            continue
        comp, stack = [], [i]
        seen.add(i)
        while stack:
            x = stack.pop()
            comp.append(x)
            for y in links.get(x, ()):
                if y in inside and y not in seen:
                    seen.add(y)
                    stack.append(y)
        if len(comp) > 1:
            copies.append(sorted(comp, key=ids.index))
    return copies
