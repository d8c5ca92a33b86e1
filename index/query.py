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

    _FuzzyPlugin = _fuzzy_plugin_class()
    parser = MultifieldParser(DEFAULT_FIELDS, schema, fieldboosts={"title": 2.0})
    parser.add_plugin(_FuzzyPlugin())
    parser.add_plugin(GtLtPlugin())
    # No DateParserPlugin: rewrite_dates turns every date: clause into a
    # datesort range before the parser sees it.
    parser.add_plugin(FieldAliasPlugin(FIELD_ALIASES))
    return parser


# Fields a query may name besides the entity fields and their aliases.
QUERY_FIELDS = ("title", "body", "source", "author", "date", "url", "tag", "note")

# A quoted phrase (skipped by the checks below), or a field name before a colon.
_QUOTED_OR_FIELD = re.compile(r'"[^"]*"|(?<![\w.])([A-Za-z_]+):')
_DATE_VALUE = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")
# date: followed by a range, a comparison or one value; quoted phrases are
# matched first so that a date inside one is left alone.
_DATE_CLAUSE = re.compile(
    r'"[^"]*"'
    r'|(?<![\w.])date:(?:(?P<open>[\[{])\s*(?:(?P<lo>[^\s\]}]+)\s+)?TO\s*(?P<hi>[^\s\]}]*)\s*(?P<close>[\]}])'
    r'|(?P<op>>=|<=|>|<)?(?P<value>[^\s()]*))',
    re.IGNORECASE)
_DATE_HELP = "a date is YYYY, YYYY-MM or YYYY-MM-DD"


def _known_fields() -> set[str]:
    names = set(QUERY_FIELDS) | set(ENTITY_FIELDS) | {"entity"}
    for canonical, aliases in FIELD_ALIASES.items():
        names.add(canonical)
        names.update(aliases)
    return names


def check_syntax(qstring: str) -> None:
    """Raise QueryError saying what is wrong and where (a 1-based column) for the
    mistakes Whoosh's parser forgives by matching nothing: an unclosed quote,
    unbalanced parentheses, an unknown field, a field without a value, an
    operator with nothing after it."""
    if qstring.count('"') % 2:
        col = qstring.rfind('"') + 1
        raise QueryError(f'unclosed quote at column {col}: add the closing "')
    depth = 0
    # Quoted phrases masked (same length, so columns stay right): their words are not syntax.
    outside = re.sub(r'"[^"]*"', lambda m: "q" * len(m.group()), qstring)
    for i, ch in enumerate(outside):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise QueryError(f"unbalanced parentheses: ')' at column {i + 1} closes nothing")
    if depth > 0:
        col = outside.rfind("(") + 1
        raise QueryError(f"unbalanced parentheses: '(' at column {col} is never closed")
    known = _known_fields()
    for m in _QUOTED_OR_FIELD.finditer(qstring):
        name = m.group(1)
        if name is None:
            continue
        if name.lower() not in known:
            fields = ", ".join(sorted((set(QUERY_FIELDS) | set(FIELD_ALIASES)) - {"url"}))
            raise QueryError(f"unknown field {name!r} at column {m.start(1) + 1}: fields are {fields} "
                             f'(to search for the words, put them in quotes: "{name}:…")')
        rest = qstring[m.end():]
        if not rest or rest[0].isspace() or rest[0] == ")":
            raise QueryError(f"{name}: at column {m.start(1) + 1} has no value: write {name}:WORD "
                             f'or {name}:"a phrase"')
    words = outside.split()
    if words and words[-1] in ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"):
        col = outside.rstrip().rfind(words[-1]) + 1
        raise QueryError(f"{words[-1]} at column {col} has nothing after it")
    if words and words[0] in ("AND", "OR", "ANDNOT", "ANDMAYBE"):
        raise QueryError(f"{words[0]} at column {outside.find(words[0]) + 1} has nothing before it")


def _date_bounds(value: str, col: int, clause: str) -> tuple[int, int]:
    """The first and last day (as YYYYMMDD numbers) a date of any granularity
    covers: 2023 → 20230101..20231231, 2023-03 → 20230301..20230331."""
    m = _DATE_VALUE.match(value.strip('"'))
    if not m:
        raise QueryError(f"{clause} at column {col}: {value!r} is not a date ({_DATE_HELP})")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    if month is None:
        return year * 10000 + 101, year * 10000 + 1231
    mo = int(month)
    if not 1 <= mo <= 12:
        raise QueryError(f"{clause} at column {col}: month {mo} is not 1 to 12")
    if day is None:
        return year * 10000 + mo * 100 + 1, year * 10000 + mo * 100 + 31
    d = int(day)
    if not 1 <= d <= 31:
        raise QueryError(f"{clause} at column {col}: day {d} is not 1 to 31")
    return (year * 10000 + mo * 100 + d,) * 2


# Day numbers bounding every real date; 0 (undated) lies outside them, so an
# undated article never matches a date clause.
_FIRST_DAY, _LAST_DAY = 1, 99991231


def rewrite_dates(qstring: str) -> str:
    """Every date: clause as an exact day range over the YYYYMMDD datesort
    column. Whoosh's date parser compares instants at the precision the user
    typed, so 'date:[2023-03-01 TO 2023-03-20]' matched all of 2023 and
    'date:<2023-03-15' the days after it; day numbers compare exactly."""

    def one(m: re.Match) -> str:
        if m.group(0).startswith('"'):
            return m.group(0)
        col = m.start() + 1
        if m.group("open"):
            lo_s, hi_s = m.group("lo"), m.group("hi")
            lo = _FIRST_DAY
            hi = _LAST_DAY
            if lo_s and lo_s.lower() not in ("*", "now"):
                a, b = _date_bounds(lo_s, col, m.group(0))
                lo = b + 1 if m.group("open") == "{" else a
            if hi_s and hi_s.lower() not in ("*", "now"):
                a, b = _date_bounds(hi_s, col, m.group(0))
                hi = a - 1 if m.group("close") == "}" else b
        else:
            value, op = m.group("value"), m.group("op")
            if not value:
                raise QueryError(f"date: at column {col} has no value: {_DATE_HELP}")
            a, b = _date_bounds(value, col, m.group(0))
            lo, hi = {None: (a, b), ">": (b + 1, _LAST_DAY), ">=": (a, _LAST_DAY),
                      "<": (_FIRST_DAY, a - 1), "<=": (_FIRST_DAY, b)}[op]
        return f"datesort:[{lo} TO {hi}]"

    return _DATE_CLAUSE.sub(one, qstring)


def parse(parser, qstring: str) -> Query:
    if not qstring.strip():
        raise QueryError("empty query")
    check_syntax(qstring)
    try:
        q = parser.parse(rewrite_dates(qstring))
    except QueryError:
        raise
    except Exception as exc:  # Whoosh's plugins raise bare ValueErrors
        raise QueryError(f"cannot parse query {qstring!r}: {exc}") from exc
    if q is None or _is_empty(q) or _only_stop_words(q, qstring):
        raise QueryError(f"{qstring!r} has only words too common to search for (like 'the', 'of'): "
                         "add a word that names something, or quote a phrase")
    return q


def _only_stop_words(q, qstring: str) -> bool:
    """Plain words whose every one the body analyser drops (the, of, and): the
    query then only looks them up in source and author names, which is never
    what was meant."""
    if '"' in qstring or _QUOTED_OR_FIELD.search(qstring):  # a phrase or a field: meant
        return False
    try:
        terms = list(q.all_terms())
    except Exception:
        return False
    return bool(terms) and not any(f in ("title", "body") for f, _ in terms)


def _is_empty(q) -> bool:
    from whoosh import query as wq

    if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        return True
    if isinstance(q, wq.CompoundQuery):
        return all(_is_empty(sub) for sub in q.subqueries)
    return False


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


def matching_ids(searcher, parser, qstring: str) -> list[str]:
    q = parse(parser, qstring)
    try:
        ranked, _, _, _ = _rank(searcher, q, max(searcher.doc_count_all(), 1), "relevance")
    except Exception as exc:
        raise QueryError(f"cannot run query {qstring!r}: {exc}") from exc
    return [searcher.stored_fields(docnum)["id"] for docnum, _ in ranked]


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
    return SearchResults(qstring, total, suggest(searcher, q, qstring, load), hits, terms,
                         total_exact=exact)


# A word of the query: letters only, outside quotes, not a field name or operator.
_PLAIN_WORD = re.compile(r'"[^"]*"|\b[A-Za-z_]+:\S*|(?<![\w~*?])([A-Za-z][A-Za-z\'-]*[A-Za-z])(?![\w~*?:])')
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}
# How many articles to read to learn how a stem is spelled in the library.
_SPELL_DOCS = 5


def _docs_with(reader, term: str, n: int) -> list[int]:
    try:
        postings = reader.postings("body", term)
    except Exception:
        return []
    out = []
    while postings.is_active() and len(out) < n:
        out.append(postings.id())
        postings.next()
    return out


def _surfaces(searcher, stem: str, load, analyzer, n: int = _SPELL_DOCS) -> dict[str, int]:
    """The words spelled in the library that analyse to ``stem``, with counts,
    read from a few articles that hold it: a suggestion must be a word people
    wrote ("dockworkers"), never the stem the index keeps ("dockwork")."""
    docnums = _docs_with(searcher.reader(), stem, n)
    ids = [searcher.stored_fields(d)["id"] for d in docnums]
    counts: dict[str, int] = {}
    for art in load(ids).values():
        lowered = [w.lower() for w in _WORD.findall(f"{art.title}\n{art.body}")]
        _analyse_missing(set(lowered), analyzer)
        for w in lowered:
            if _FORMS.get(w) == stem:
                counts[w] = counts.get(w, 0) + 1
    return counts


def suggest(searcher, q: Query, qstring: str, load=None) -> str | None:
    """'Did you mean': each plain word of the query that the library never
    spells is replaced by the nearest real word it does, the commoner first.
    A word counts as never spelled when its stem is absent, or when its stem
    is rare and none of the few articles holding that stem writes the word
    ("goverment" shares the stem "gover" with "governess", one article).
    Fuzzy and wildcard queries already search around the word: no suggestion."""
    from whoosh.support.levenshtein import distance

    if any(ch in qstring for ch in "~*?"):
        return None
    reader = searcher.reader()
    analyzer = searcher.schema["body"].analyzer
    changed = False

    def fix(m: re.Match) -> str:
        nonlocal changed
        word = m.group(1)
        if word is None or word in _OPERATORS:
            return m.group(0)
        lower = word.lower()
        _analyse_missing({lower}, analyzer)
        stem = _FORMS.get(lower, lower)
        if not stem or len(lower) < 4:
            return word
        df = reader.doc_frequency("body", stem)
        if df > _SPELL_DOCS:
            return word
        if df and load is not None and lower in _surfaces(searcher, stem, load, analyzer):
            return word
        maxdist = 1 if len(stem) < 6 else 2
        try:
            # Around the stem and the word as typed: a misspelling stems
            # differently ("dockwrkers" -> "dockwrker") from the word it misses.
            near = {t.decode("utf-8") if isinstance(t, bytes) else t
                    for form in {stem, lower}
                    for t in reader.terms_within("body", form, maxdist, prefix=1)}
        except Exception:
            return word
        scored = []
        for cand in near:
            if cand == stem:
                continue
            cdf = reader.doc_frequency("body", cand)
            # An existing word is only corrected towards a much commoner one.
            if df and cdf < 5 * df:
                continue
            scored.append((min(distance(stem, cand), distance(lower, cand)), -cdf, cand))
        if not scored:
            return word
        scored.sort()
        best = scored[0][2]
        spelled = best
        if load is not None:
            counts = _surfaces(searcher, best, load, analyzer)
            if counts:
                spelled = min(counts, key=lambda w: (distance(lower, w), -counts[w], w))
        changed = True
        return spelled.capitalize() if word[:1].isupper() else spelled

    fixed = _PLAIN_WORD.sub(fix, qstring)
    return fixed if changed and fixed.strip().lower() != qstring.strip().lower() else None


def _lead(body: str, n: int) -> str:
    text = " ".join(body.split())
    if len(text) <= n:
        return text
    cut = text.rfind(" ", 0, n)
    return text[: cut if cut > 0 else n] + " …"
