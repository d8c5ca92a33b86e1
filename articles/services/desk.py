"""Working on a story: notes, highlights, saved searches and batch searches.

Use cases over the store (store/notes.py, store/highlights.py, store/saved.py);
searching is handed in as a callable so this module needs no index of its own.
Every bad input is a ``LibraryError`` saying what was wrong.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Iterable

from ..model import Article
from ..store import LibraryError, Store
from ..store import highlights as hl_store
from ..store import notes as notes_store
from ..store import saved as saved_store
from ..text import sanitize_line
from ..text.anchor import find_anchor, find_passage, make_anchor

__all__ = ["add_note", "remove_note", "notes_json", "add_highlight", "remove_highlight",
           "highlights_json", "save_search", "remove_saved", "saved_names", "saved_searches", "saved_query",
           "batch", "batch_lines"]


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


# -- notes ---------------------------------------------------------------------
def _clean_text(text: str, what: str) -> str:
    clean = str(text).strip()
    if not clean:
        raise LibraryError(f"{what} cannot be empty")
    return clean


def add_note(store: Store, art: Article, text: str) -> dict:
    now = time.time()
    clean = _clean_text(text, "a note")
    nid = notes_store.add_note(store, art.id, clean, now)
    return {"id": nid, "text": clean, "created": _iso(now)}


def remove_note(store: Store, art: Article, note_id: int) -> None:
    if not notes_store.remove_note(store, art.id, int(note_id)):
        raise LibraryError(f"article {art.id} has no note {note_id}")


def notes_json(store: Store, article_id: str) -> list[dict]:
    return [{"id": i, "text": t, "created": _iso(c)}
            for i, t, c in notes_store.article_notes(store, article_id)]


# -- highlights ----------------------------------------------------------------
def _row_json(row, body: str) -> dict:
    hid, aid, text, prefix, suffix, start, note, created = row
    where = find_anchor(body, text, prefix, suffix, start)
    return {"id": hid, "article_id": aid, "start": where[0] if where else None,
            "end": where[1] if where else None, "text": text, "note": note,
            "orphaned": where is None, "created": _iso(created)}


def add_highlight(store: Store, art: Article, text: str, note: str | None = None,
                  start: int | None = None, end: int | None = None) -> dict:
    """Highlight ``text`` (its first occurrence), or body[start:end] when offsets are given."""
    body = art.body
    if start is not None and end is not None:
        if not 0 <= start < end <= len(body):
            raise LibraryError(f"no passage {start}..{end} in article {art.id}")
        span = (start, end)
    else:
        passage = _clean_text(text, "the highlighted passage")
        span = find_passage(body, passage)
        if span is None:
            raise LibraryError(f"article {art.id} does not contain the passage {passage[:60]!r}")
    note = note.strip() if note and note.strip() else None
    exact, prefix, suffix = make_anchor(body, *span)
    hid = hl_store.add_highlight(store, art.id, exact, prefix, suffix, span[0], note, time.time())
    return next(h for h in highlights_json(store, art) if h["id"] == hid)


def remove_highlight(store: Store, art: Article, highlight_id: int) -> None:
    if not hl_store.remove_highlight(store, art.id, int(highlight_id)):
        raise LibraryError(f"article {art.id} has no highlight {highlight_id}")


def highlights_json(store: Store, art: Article) -> list[dict]:
    """The article's highlights anchored in its current body (an edited copy
    re-imported moves them; one whose text is gone is orphaned, still listed)."""
    return [_row_json(r, art.body) for r in hl_store.article_highlights(store, art.id)]


def all_highlights_json(store: Store, load: Callable[[list[str]], dict]) -> list[dict]:
    rows = hl_store.all_highlights(store)
    arts = load(sorted({r[1] for r in rows}))
    out = []
    for r in rows:
        art = arts.get(r[1])
        if art is None:
            continue
        doc = _row_json(r, art.body)
        doc["title"] = art.title
        out.append(doc)
    return out


# -- saved searches --------------------------------------------------------------
def save_search(store: Store, name: str, query: str, check: Callable[[str], object]) -> bool:
    """Save ``query`` under ``name``; ``check(query)`` raises on a bad query, so
    nothing unusable is kept."""
    try:
        clean = saved_store.clean_name(name)
    except ValueError as exc:
        raise LibraryError(str(exc)) from None
    if not query.strip():
        raise LibraryError("a saved search needs a query")
    check(query)
    return saved_store.save_search(store, clean, query.strip(), time.time())


def remove_saved(store: Store, name: str) -> None:
    if not saved_store.remove_search(store, " ".join(str(name).split())):
        raise LibraryError(f"no saved search named {name!r}")


def saved_names(store: Store) -> list[tuple[str, str]]:
    return saved_store.saved_searches(store)


def saved_searches(store: Store, matching_ids: Callable[[str], list[str]], error_types: tuple) -> list[dict]:
    """Each saved search with its hits now: total and unread (a query that no
    longer parses has none)."""
    out = []
    for name, query in saved_names(store):
        try:
            ids = matching_ids(query)
        except error_types:
            ids = []
        unread = store.unread_count(ids) if ids else 0
        out.append({"name": name, "query": query, "total": len(ids), "unread": unread})
    return out


def saved_query(store: Store, name: str) -> str:
    found = dict(saved_names(store)).get(" ".join(str(name).split()))
    if found is None:
        raise LibraryError(f"no saved search named {name!r}")
    return found


# -- batch search ----------------------------------------------------------------
def batch(lines: Iterable[str], search: Callable[..., object], limit: int, error_types: tuple) -> dict:
    """``batch_lines`` with each query's total and top ``limit`` hits from ``search``."""

    def run(query: str) -> dict:
        res = search(query, limit=limit)
        return {"total": res.total, "hits": [{"id": h.id, "title": h.title, "score": round(h.score, 4)}
                                             for h in res.hits]}

    return batch_lines(lines, run, error_types)


# Bidi embedding, override and isolate controls: harmless to the index but they
# reorder what the line's report shows, so a query holding one is refused.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _line_problem(query: str) -> str | None:
    """Why a batch line is not a query (a control or bidi character in it), or None."""
    for col, ch in enumerate(query, 1):
        if ch == "\t":
            continue
        if unicodedata.category(ch) == "Cc" or ch in _BIDI:
            return f"contains a control character (U+{ord(ch):04X} at column {col}): a query is plain text"
    return None


def batch_lines(lines: Iterable[str | bytes], run: Callable[[str], dict], error_types: tuple) -> dict:
    """One query per line: each good line's result from ``run(query)``, each bad
    one with its line number and why (not UTF-8, a control character, a query
    that does not parse), and the skipped ones (blank, ``#`` comments) with
    theirs. Lines may be given as bytes (a file read raw), so that one line
    that is not UTF-8 is reported alone instead of being searched garbled."""
    queries, failed, skipped = [], [], []
    for n, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a byte-order mark some editors write
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                shown = sanitize_line(raw.decode("utf-8", errors="replace")).strip()
                failed.append({"line": n, "query": shown,
                               "error": f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"})
                continue
        query = raw.strip()
        if not query:
            skipped.append({"line": n, "reason": "blank"})
            continue
        if query.startswith("#"):
            skipped.append({"line": n, "reason": "comment"})
            continue
        problem = _line_problem(query)
        if problem:
            failed.append({"line": n, "query": sanitize_line(query), "error": problem})
            continue
        try:
            result = run(query)
        except error_types as exc:
            failed.append({"line": n, "query": query, "error": str(exc)})
            continue
        queries.append({"line": n, "query": query, **result})
    return {"queries": queries, "failed": failed, "skipped": skipped}
