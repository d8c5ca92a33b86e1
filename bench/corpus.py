"""A synthetic library of any size made from the shared BBC corpus.

Each BBC article is replicated with a distinct origin and small text changes so
no two copies share a body hash (the store would drop them as duplicates) and
the vocabulary keeps growing with the library, as a real news archive's does:
paragraphs are rotated, and a closing line names three made-up words drawn
from a fixed pool. Dates and outlets are assigned deterministically so date
ranges and source: queries have something to select.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from articles.model import Draft
from articles.text import sanitize, sanitize_line

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
BBC = SHARED / "corpora" / "bbc"
OUTLETS = ("BBC News", "BBC Sport", "The Courier", "Daily Ledger", "Northern Post",
           "Harbour Times", "Evening Standard Review", "Metro Wire")
_FIRST_DAY = date(2004, 1, 1)
_DAYS = 7600  # to early 2024
_POOL_SIZE = 60_000
_SYLLABLES = ("ka", "ri", "to", "mel", "van", "os", "ter", "lu", "bro", "zen", "dal", "fi",
              "gor", "ne", "qua", "sil", "pra", "ux", "wen", "yor", "cid", "hal", "mon", "ep")


class CorpusMissing(RuntimeError):
    pass


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # sport/199.txt


def load_bbc(root: Path = BBC) -> list[tuple[str, str, str]]:
    """(relative path, title, body) for every BBC article, in a fixed order."""
    if not root.is_dir():
        raise CorpusMissing(f"the BBC corpus is not at {root}")
    out = []
    for p in sorted(root.glob("*/*.txt")):
        text = _decode(p.read_bytes())
        title, _, body = text.partition("\n")
        out.append((f"{p.parent.name}/{p.name}", sanitize_line(title), sanitize(body.strip())))
    if not out:
        raise CorpusMissing(f"no articles under {root}")
    return out


def _word_pool(seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < _POOL_SIZE:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _vary(body: str, copy: int, rng: random.Random, pool: list[str]) -> str:
    paras = [p for p in body.split("\n\n") if p.strip()] or [body]
    if copy and len(paras) > 2:
        k = copy % (len(paras) - 1)
        # Keep the lead paragraph first: it is what snippets fall back to.
        paras = paras[:1] + paras[1 + k:] + paras[1:1 + k]
    extra = ", ".join(rng.choice(pool) for _ in range(3))
    return "\n\n".join(paras) + f"\n\nFiled under {extra}."


def drafts(n: int, base: list[tuple[str, str, str]] | None = None) -> Iterator[Draft]:
    """``n`` distinct drafts: copy 0 of every BBC article, then copy 1, ..."""
    base = base if base is not None else load_bbc()
    pool = _word_pool()
    for i in range(n):
        copy, j = divmod(i, len(base))
        rel, title, body = base[j]
        origin = f"bench:{copy}:{rel}"
        h = int.from_bytes(hashlib.blake2b(origin.encode(), digest_size=8).digest(), "big")
        rng = random.Random(h)
        day = _FIRST_DAY + timedelta(days=h % _DAYS)
        yield Draft(
            title=title if copy == 0 else f"{title} ({copy})",
            body=_vary(body, copy, rng, pool),
            origin=origin,
            source=OUTLETS[(h >> 16) % len(OUTLETS)],
            date=day.isoformat(),
        )


def write_files(n: int, folder: Path, start: int = 0) -> list[Path]:
    """The same drafts as Markdown files with front matter (so the outlet and
    date survive the file import path), for measuring ``Library.add``; drafts
    before ``start`` are skipped."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, d in enumerate(drafts(n)):
        if i < start:
            continue
        sub = folder / f"{i // 1000:03d}"
        sub.mkdir(exist_ok=True)
        p = sub / f"{i:06d}.md"
        p.write_text(f"---\ntitle: {d.title}\nsource: {d.source}\ndate: {d.date}\n---\n\n{d.body}\n",
                     encoding="utf-8")
        paths.append(p)
    return paths
