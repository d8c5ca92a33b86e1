"""Parsing queries, ranking hits and cutting snippets."""

from __future__ import annotations

import re

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from .schema import ENTITY_FIELDS

if TYPE_CHECKING:
    from whoosh.query import Query

# Whoosh's query parser is imported by make_parser, not here: the results and
# snippet code below is pure Python, and the TUI's first screen needs neither.

DEFAULT_FIELDS = ["title", "body", "source", "author"]
FIELD_ALIASES = {
    "org": ["organization", "organisation", "orgs"],
    "person": ["people", "who"],
    "place": ["gpe", "loc", "location", "where"],
    "group": ["norp"],
    "entity": ["ent", "entities"],
}


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
    total_exact: bool = True  # False: ``total`` is Whoosh's estimate

    def to_json(self) -> dict:
        return {"query": self.query, "total": self.total, "total_exact": self.total_exact,
                "suggestion": self.suggestion, "hits": [h.to_json() for h in self.hits]}

    def total_label(self) -> str:
        n = f"{self.total:,} match{'es' if self.total != 1 else ''}"
        return n if self.total_exact else "about " + n


@cache
def _fuzzy_plugin_class():
    from whoosh.qparser import FuzzyTermPlugin

    class _FuzzyPlugin(FuzzyTermPlugin):
        """``word~`` with a one-letter fixed prefix unless ``~n/m`` says otherwise:
        with none, Whoosh compares the word with every term of every default field
        (seconds on a large library); people rarely misspell the first letter."""

        def create(self, parser, match):
            node = super().create(parser, match)
            if not match.group("prefix"):
                node.prefixlength = 1
            return node

    return _FuzzyPlugin


def make_parser(schema):
    from whoosh.qparser import FieldAliasPlugin, GtLtPlugin, MultifieldParser
    from whoosh.qparser.dateparse import DateParserPlugin

    _FuzzyPlugin = _fuzzy_plugin_class()
    parser = MultifieldParser(DEFAULT_FIELDS, schema, fieldboosts={"title": 2.0})
    parser.add_plugin(_FuzzyPlugin())
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
    # Leaf by leaf: Whoosh's Query.existing_terms reuses its ``fieldname``
    # argument as a loop variable, so on a compound query it drops every leaf
    # whose field differs from the last term seen: `lighthouse` found
    # title terms only, and body-only matches got no highlights or snippet marks.
    pairs = set()
    for leaf in q.leaves():
        try:
            pairs |= leaf.existing_terms(reader, expand=True)
        except Exception:
            pairs |= set(leaf.all_terms())
    return _terms_of(pairs)


# The token pattern of Whoosh's RegexTokenizer, which every analyzer here starts with.
_WORD = re.compile(r"\w+(?:\.?\w+)*")
_BLANKS = str.maketrans("\n\t\r\f\v", "     ")
# word (lowercased) -> its analysed form, shared by every search: analysing the
# words of 20 bodies through Whoosh's token pipeline on each query cost more
# than the search itself, and news vocabulary repeats. _SURFACES maps back:
# analysed form -> the words seen with it.
_FORMS: dict[str, str] = {}
_SURFACES: dict[str, set[str]] = {}
_FORMS_MAX = 300_000


def _analyse_missing(words: set[str], analyzer) -> None:
    missing = words.difference(_FORMS)
    if not missing:
        return
    if len(_FORMS) + len(missing) > _FORMS_MAX:
        _FORMS.clear()
        _SURFACES.clear()
        missing = words
    missing = list(missing)
    joined = " ".join(missing)
    # Each word is a single token already, so the analyser yields one token
    # per word; chars map it back in case a filter ever drops one.
    starts = {}
    pos = 0
    for w in missing:
        starts[pos] = w
        pos += len(w) + 1
    for tok in analyzer(joined, chars=True, removestops=False, mode="index"):
        w = starts.get(tok.startchar)
        if w is not None:
            _FORMS[w] = tok.text
    for w in missing:
        form = _FORMS.setdefault(w, w)
        _SURFACES.setdefault(form, set()).add(w)


def term_spans(text: str, terms: Iterable[str], analyzer) -> list[tuple[int, int]]:
    """Character spans in ``text`` whose analysed form is one of ``terms``
    (a word also counts when its plain lowercase form is a term, which is how
    unstemmed entity-field terms find their words in the body)."""
    wanted = set(terms)
    if not wanted or not text:
        return []
    words = set(map(str.lower, _WORD.findall(text)))
    _analyse_missing(words, analyzer)
    hits = words & wanted
    for t in wanted:
        surfaces = _SURFACES.get(t)
        if surfaces:
            hits |= words & surfaces
    if not hits:
        return []
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in sorted(hits, key=len, reverse=True))
                         + r")\b", re.IGNORECASE)
    return [m.span() for m in pattern.finditer(text)]


def cut_snippet(text: str, spans: Sequence[tuple[int, int]], *, width: int = 220,
                fragments: int = 2, surround: int = 60) -> Snippet | None:
    """Up to ``fragments`` windows of about ``width`` characters around the
    densest runs of matches, joined by " … ", with the match spans inside them."""
    if not spans:
        return None
    candidates = []
    for i, (s, _e) in enumerate(spans):
        start = max(0, s - surround)
        end = min(len(text), start + width)
        inside = [sp for sp in spans[i:] if sp[1] <= end]
        distinct = len({text[a:b].lower() for a, b in inside})
        candidates.append((distinct, len(inside), -start, start, end, inside))
    candidates.sort(reverse=True)
    chosen: list[tuple[int, int, list]] = []
    for *_score, start, end, inside in candidates:
        if all(end <= cs or start >= ce for cs, ce, _ in chosen):
            chosen.append((start, end, inside))
            if len(chosen) == fragments:
                break
    chosen.sort()
    out: list[str] = []
    out_spans: list[tuple[int, int]] = []
    pos = 0
    for start, end, inside in chosen:
        # Whole words at the edges, never cutting into a match.
        if start > 0:
            sp = text.find(" ", start, inside[0][0])
            if sp != -1:
                start = sp + 1
        if end < len(text):
            sp = text.rfind(" ", inside[-1][1], end)
            if sp != -1:
                end = sp
        if out:
            out.append(" … ")
            pos += 3
        frag = text[start:end].translate(_BLANKS)
        out.append(frag)
        out_spans += [(a - start + pos, b - start + pos) for a, b in inside]
        pos += len(frag)
    return Snippet("".join(out), out_spans)


def _terms_of(pairs) -> frozenset[str]:
    terms: set[str] = set()
    for fieldname, text in pairs:
        if fieldname in ("title", "body") or fieldname in ENTITY_FIELDS or fieldname == "entity":
            terms.add(text.decode("utf-8") if isinstance(text, bytes) else str(text))
    return frozenset(terms)


def _rank(searcher, q: Query, want: int, sort: str):
    """([(docnum, score)] best first, total, exact?, matched terms) for the
    first ``want`` hits: by the numpy engine when it knows the query, else by
    Whoosh's own matchers."""
    from .fastsearch import Unsupported, engine_for

    try:
        ranked = engine_for(searcher).search(q, want, sortedby="datesort" if sort == "date" else None)
    except Unsupported:
        pass
    else:
        return list(zip(ranked.docnums, ranked.scores)), ranked.total, True, _terms_of(ranked.terms)
    kwargs = {"limit": want}
    if sort == "date":
        kwargs.update(sortedby="datesort", reverse=True)
    results = searcher.search(q, **kwargs)
    page = [(h.docnum, float(h.score) if h.score is not None else 0.0) for h in results]
    # Counting every match of a common word costs as much as ranking them; past
    # the first page an estimate is what a reader needs ("about 23,000").
    exact = results.has_exact_length() or len(page) < want
    total = len(results) if exact else results.estimated_length()
    return page, total, exact, query_terms(q, searcher.reader())


def run_search(searcher, parser, qstring: str, *, limit: int, offset: int, sort: str,
               load: Callable[[Sequence[str]], dict], snippet_chars: int = 220) -> SearchResults:
    q = parse(parser, qstring)
    want = max(offset + limit, 1)
    try:
        ranked, total, exact, terms = _rank(searcher, q, want, sort)
    except Exception as exc:
        raise QueryError(f"cannot run query {qstring!r}: {exc}") from exc
    page = [(searcher.stored_fields(docnum)["id"], score) for docnum, score in ranked[offset:want]]
    articles = load([aid for aid, _ in page])
    analyzer = searcher.schema["body"].analyzer
    hits: list[Hit] = []
    for aid, score in page:
        art = articles.get(aid)
        if art is None:  # index ahead of the store; the outbox will repair it
            continue
        snip = cut_snippet(art.body, term_spans(art.body, terms, analyzer), width=snippet_chars) \
            or Snippet(_lead(art.body, snippet_chars))
        hits.append(Hit(art.id, art.title, art.source, art.date, score, snip))
    return SearchResults(qstring, total, suggest(searcher, q, qstring), hits, terms,
                         total_exact=exact)


def suggest(searcher, q: Query, qstring: str) -> str | None:
    """'Did you mean': words of the query absent from every body, corrected
    against the body vocabulary. Fuzzy and wildcard queries already search
    around the word, so they get no suggestion."""
    if any(ch in qstring for ch in "~*?"):
        return None
    reader = searcher.reader()
    try:
        body_words = [text for field, text in q.all_terms() if field == "body"]
    except Exception:
        body_words = []
    # The corrector walks the whole body vocabulary; only pay for that when
    # some word really is missing.
    if not any(reader.doc_frequency("body", w) == 0 for w in body_words):
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
