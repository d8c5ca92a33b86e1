"""The index's public operations over a ``SearchIndex``: search, more-like-this,
key terms and match spans.  Callers outside ``index/`` use these (through
``index``'s package namespace) and never touch a Whoosh searcher, schema or
document number: codec, fast search and bulk writers stay private here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence

from .core import SearchIndex
from .query import SearchResults, matching_ids as _matching_ids, run_search, term_spans
from .schema import make_schema

__all__ = ["search", "matching_ids", "more_like_this", "key_terms", "match_spans", "surface_terms", "analyse"]


@functools.cache
def _body_analyzer():
    # The schema's own analyzer rather than the open index's: the same analysis
    # (an index of another schema version is rebuilt), and it needs no index.
    return make_schema()["body"].analyzer


def search(index: SearchIndex, query: str, *, limit: int, offset: int = 0, sort: str = "relevance",
           load: Callable[[Sequence[str]], dict]) -> SearchResults:
    """Run a user's query; ``load(ids)`` returns the stored articles by id (for
    titles and snippets).  Raises QueryError, or SearchIndexError if the index
    cannot be opened."""
    return run_search(index.searcher(), index.query_parser(), query, limit=limit, offset=offset, sort=sort, load=load)


def matching_ids(index: SearchIndex, query: str) -> list[str]:
    """Every article id the query matches, best first (no snippets, no store
    reads): for counting a saved search's unread articles.  Raises QueryError."""
    return _matching_ids(index.searcher(), index.query_parser(), query)


def more_like_this(index: SearchIndex, article_id: str, text: str, *, top: int,
                   numterms: int = 25) -> dict[str, float] | None:
    """Other articles worded like ``article_id`` (whose body is ``text``): id ->
    score.  None when the index does not hold the article (yet)."""
    searcher = index.searcher()
    docnum = searcher.document_number(id=article_id)
    if docnum is None:
        return None
    hits = searcher.more_like(docnum, "body", text=text, top=top, numterms=numterms)
    return {h["id"]: float(h.score or 0.0) for h in hits if h["id"] != article_id}


def key_terms(index: SearchIndex, text: str, n: int) -> list[str]:
    """The ``n`` analysed body terms of ``text`` that best tell it apart from the
    rest of the library, best first.  Raises SearchIndexError without an index."""
    searcher = index.searcher()
    return [t for t, _ in searcher.key_terms_from_text("body", text, numterms=n)]


def analyse(text: str) -> list[str]:
    """``text`` as the body field's terms (stemmed, lowercased)."""
    return [tok.text for tok in _body_analyzer()(text)]


def surface_terms(text: str) -> dict[str, str]:
    """Analysed term -> the first word in ``text`` that produced it (sanction -> sanctions)."""
    out: dict[str, str] = {}
    for tok in _body_analyzer()(text, chars=True, mode="index"):
        out.setdefault(tok.text, text[tok.startchar:tok.endchar])
    return out


def match_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Where a search's terms occur in ``text`` (for highlighting).  Needs no
    open index, so a reader never waits for one being checked."""
    return term_spans(text, terms, _body_analyzer())
