"""Parsing queries, ranking hits and cutting snippets."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from whoosh import highlight
from whoosh.qparser import (
    FieldAliasPlugin,
    FuzzyTermPlugin,
    GtLtPlugin,
    MultifieldParser,
    OrGroup,  # noqa: F401
)
from whoosh.qparser.dateparse import DateParserPlugin
from whoosh.query import Query

from .schema import ENTITY_FIELDS

DEFAULT_FIELDS = ["title", "body", "source", "author"]
FIELD_ALIASES = {
    "org": ["organization", "organisation", "orgs"],
    "person": ["people", "who"],
    "place": ["gpe", "loc", "location", "where"],
    "group": ["norp"],
    "entity": ["ent", "entities"],
}
# Markers the formatter puts around matches; sanitized text never contains them.
_OPEN, _CLOSE = "\x02", "\x03"


class QueryError(ValueError):
    """A query Whoosh cannot make sense of, with a message for people."""


@dataclass
class Snippet:
    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)  # offsets into text

    def to_json(self) -> dict:
        return {"text": self.text, "spans": [list(s) for s in self.spans]}


@dataclass
class Hit:
    id: str
    title: str
    source: str | None
    date: str | None
    score: float
    snippet: Snippet

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "source": self.source, "date": self.date,
                "score": round(self.score, 4), "snippet": self.snippet.text,
                "snippet_spans": [list(s) for s in self.snippet.spans]}


@dataclass
class SearchResults:
    query: str
    total: int
    suggestion: str | None
    hits: list[Hit]
    terms: frozenset[str] = frozenset()  # analysed terms, for highlighting in the reader

    def to_json(self) -> dict:
        return {"query": self.query, "total": self.total, "suggestion": self.suggestion,
                "hits": [h.to_json() for h in self.hits]}


class _MarkFormatter(highlight.Formatter):
    between = " … "

    def format_token(self, text, token, replace=False):
        return _OPEN + highlight.get_text(text, token, replace) + _CLOSE


def split_marks(marked: str) -> Snippet:
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    start = None
    for ch in marked:
        if ch == _OPEN:
            start = pos
        elif ch == _CLOSE:
            if start is not None:
                spans.append((start, pos))
            start = None
        else:
            out.append(" " if ch in "\n\t" else ch)
            pos += 1
    return Snippet("".join(out), spans)


def make_parser(schema):
    parser = MultifieldParser(DEFAULT_FIELDS, schema, fieldboosts={"title": 2.0})
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(GtLtPlugin())
    parser.add_plugin(DateParserPlugin(free=False))
    parser.add_plugin(FieldAliasPlugin(FIELD_ALIASES))
    return parser


def parse(parser, qstring: str) -> Query:
    if not qstring.strip():
        raise QueryError("empty query")
    try:
        q = parser.parse(qstring)
    except Exception as exc:  # date plugin and friends raise bare ValueErrors
        raise QueryError(f"cannot parse query {qstring!r}: {exc}") from exc
    if q is None or q.is_empty() if hasattr(q, "is_empty") else False:
        raise QueryError(f"query {qstring!r} has no searchable words")
    return q


def query_terms(q: Query, reader) -> frozenset[str]:
    """Analysed text terms the query matches in this index (wildcards expanded)."""
    terms: set[str] = set()
    try:
        pairs = q.existing_terms(reader, expand=True)
    except Exception:
        pairs = q.all_terms()
    for fieldname, text in pairs:
        if fieldname in ("title", "body") or fieldname in ENTITY_FIELDS or fieldname == "entity":
            terms.add(text.decode("utf-8") if isinstance(text, bytes) else str(text))
    return frozenset(terms)


def term_spans(text: str, terms: Iterable[str], analyzer) -> list[tuple[int, int]]:
    """Character spans in ``text`` whose analysed form is one of ``terms``."""
    wanted = set(terms)
    if not wanted or not text:
        return []
    spans = []
    for tok in analyzer(text, chars=True, removestops=False, mode="index"):
        if tok.text in wanted:
            spans.append((tok.startchar, tok.endchar))
    return spans


def run_search(searcher, parser, qstring: str, *, limit: int, offset: int, sort: str,
               load: Callable[[Sequence[str]], dict], snippet_chars: int = 220) -> SearchResults:
    q = parse(parser, qstring)
    want = offset + limit
    kwargs = {"limit": max(want, 1)}
    if sort == "date":
        kwargs.update(sortedby="date", reverse=True)
    try:
        results = searcher.search(q, **kwargs)
    except Exception as exc:
        raise QueryError(f"cannot run query {qstring!r}: {exc}") from exc
    page = list(results[offset:want])
    ids = [h["id"] for h in page]
    articles = load(ids)
    results.fragmenter = highlight.ContextFragmenter(maxchars=snippet_chars, surround=60)
    results.formatter = _MarkFormatter()
    hits: list[Hit] = []
    for h in page:
        art = articles.get(h["id"])
        if art is None:  # index ahead of the store; the outbox will repair it
            continue
        marked = h.highlights("body", text=art.body, top=2) or ""
        snip = split_marks(marked) if marked else Snippet(_lead(art.body, snippet_chars))
        hits.append(Hit(art.id, art.title, art.source, art.date,
                        float(h.score) if h.score is not None else 0.0, snip))
    terms = query_terms(q, searcher.reader())
    return SearchResults(qstring, len(results), suggest(searcher, q, qstring), hits, terms)


def suggest(searcher, q: Query, qstring: str) -> str | None:
    """'Did you mean': words of the query absent from every body, corrected
    against the body vocabulary. Fuzzy and wildcard queries already search
    around the word, so they get no suggestion."""
    if any(ch in qstring for ch in "~*?"):
        return None
    try:
        corrected = searcher.correct_query(
            q, qstring, correctors={"body": searcher.corrector("body")}, prefix=1)
    except Exception:
        return None
    if corrected.query != q and corrected.string.strip().lower() != qstring.strip().lower():
        return corrected.string
    return None


def _lead(body: str, n: int) -> str:
    text = " ".join(body.split())
    if len(text) <= n:
        return text
    cut = text.rfind(" ", 0, n)
    return text[: cut if cut > 0 else n] + " …"
