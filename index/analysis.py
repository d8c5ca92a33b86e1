"""Index-time analysis without Whoosh's Token generator chain.

Whoosh's StemmingAnalyzer runs every word through four chained generators
(tokenizer, lowercase, stop words, stemmer) that pass one mutable Token object
along: about half of the writer's CPU time for our schema. ``FastPositions``
computes the same postings directly: one regex pass, and a per-process cache
from each surface word to its indexed term (or to "stop word"), so a word seen
before costs one dict lookup.

The output is exactly what ``Positions.word_values`` yields for the same
analyzer (terms, frequencies, weights, encoded positions, including the stop
filter's renumbering); tests/test_analysis.py checks it over the BBC corpus.
Any analyzer or value this does not recognise goes through the stock path, and
query parsing and highlighting keep using the field's analyzer as before.

The schema is pickled into the index's table of contents, so this class must
stay importable under this name (or INDEX_VERSION be bumped).
"""

from __future__ import annotations

import re

from whoosh.analysis import LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.analysis.analyzers import CompositeAnalyzer
from whoosh.analysis.morph import StemFilter
from whoosh.fields import TEXT
from whoosh.formats import Positions

from .codec import RawPositions

# Surface words remembered per analyzer; cleared when full (a news archive has
# a few hundred thousand distinct word forms, mostly names and numbers).
_CACHE_MAX = 500_000
_STOP = object()


class _Plan:
    """The parts of a Tokenizer|Lowercase|Stop|Stem chain, and the word cache."""

    __slots__ = ("words", "stops", "minsize", "maxsize", "stem", "ignore", "cache", "bcache")

    def __init__(self, tokenizer, stop, stemmer):
        self.words = _words_function(tokenizer.expression)
        self.stops = stop.stops
        self.minsize = stop.min
        self.maxsize = stop.max
        self.stem = stemmer.stemfn
        self.ignore = stemmer.ignore
        self.cache: dict[str, object] = {}
        self.bcache: dict[str, object] = {}

    def term(self, word: str):
        """The indexed term for a surface word, or _STOP."""
        text = word.lower()
        if (len(text) < self.minsize or (self.maxsize is not None and len(text) > self.maxsize)
                or text in self.stops):
            return _STOP
        return text if text in self.ignore else self.stem(text)

    def term_bytes(self, word: str):
        term = self.term(word)
        return term if term is _STOP else term.encode("utf-8")


# Whoosh's tokenizer patterns (the default one first) with their group made non-capturing.
_NON_CAPTURING = {
    r"[\w\*]+(\.?[\w\*]+)*": r"[\w\*]+(?:\.?[\w\*]+)*",
    r"\w+(\.?\w+)*": r"\w+(?:\.?\w+)*",
}


def _words_function(expression):
    """text -> list of every match of the tokenizer's expression, in order.
    findall is the fast way, but returns groups when the pattern has any; the
    known patterns' one group only repeats, so it is made non-capturing."""
    if expression.groups == 0:
        return expression.findall
    plain = _NON_CAPTURING.get(expression.pattern)
    if plain is not None:
        return re.compile(plain, expression.flags).findall
    return lambda text: [m.group() for m in expression.finditer(text)]


def _plan_for(analyzer) -> _Plan | None:
    """A plan when the analyzer is exactly the chain we reproduce, else None."""
    if type(analyzer) is not CompositeAnalyzer:
        return None
    items = analyzer.items
    if len(items) != 4:
        return None
    tok, low, stop, stem = items
    if not (type(tok) is RegexTokenizer and not tok.gaps and type(low) is LowercaseFilter
            and type(stop) is StopFilter and stop.renumber and type(stem) is StemFilter):
        return None
    return _Plan(tok, stop, stem)


# Keyed by the analyzer object: an unpickled schema has its own analyzer objects,
# each gets its plan (and cache) once per process.
_plans: dict[int, tuple[object, _Plan | None]] = {}


def _plan(analyzer) -> _Plan | None:
    hit = _plans.get(id(analyzer))
    if hit is not None and hit[0] is analyzer:
        return hit[1]
    plan = _plan_for(analyzer)
    if len(_plans) > 64:
        _plans.clear()
    _plans[id(analyzer)] = (analyzer, plan)
    return plan


def analyse(plan: _Plan, value: str, encoded: bool = False) -> dict:
    """term -> positions, in order of first occurrence, as the Token chain gives them
    (terms as UTF-8 bytes when ``encoded``, as the index stores them).

    The tokenizer numbers every match; the stop filter (renumber=True) keeps the
    first kept word's number and numbers the kept words after it consecutively."""
    cache = plan.bcache if encoded else plan.cache
    if len(cache) > _CACHE_MAX:
        cache.clear()
    term_of = plan.term_bytes if encoded else plan.term
    poses: dict[str, list[int]] = {}
    pos = -1
    for i, word in enumerate(plan.words(value)):
        term = cache.get(word)
        if term is None:
            term = cache[word] = term_of(word)
        if term is _STOP:
            continue
        pos = i if pos < 0 else pos + 1
        lst = poses.get(term)
        if lst is None:
            poses[term] = [pos]
        else:
            lst.append(pos)
    return poses


class FastPositions(RawPositions):
    """Positions whose index-time word_values skips the Token chain (see module doc)."""

    def word_values(self, value, analyzer, **kwargs):
        plan = _plan(analyzer) if isinstance(value, str) else None
        if plan is None or len(kwargs) > ("mode" in kwargs):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        yield from self._values(analyse(plan, value))

    def _values(self, postings: dict):
        fb = self.field_boost
        encode = self.encode
        one = _ONE_POSITION
        for w, poslist in postings.items():
            n = len(poslist)
            if n == 1:  # most terms of a text: their encodings are reused
                pos = poslist[0]
                v = one.get(pos)
                if v is None:
                    v = one[pos] = encode(poslist)
            else:
                v = encode(poslist)
            # float(n) * fb: the stock path sums a 1.0 boost per token, then scales.
            yield (w, n, float(n) * fb, v)


# RawPositions.encode([p]) by p (a few bytes each; texts rarely pass 20,000 words).
_ONE_POSITION: dict[int, bytes] = {}


class FastText(TEXT):
    """TEXT whose index() takes FastPositions' path with terms encoded once
    per distinct word (Whoosh encodes every term of every document)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if type(self.format) is Positions:  # phrase=True; positions stored raw (codec.py)
            self.format = FastPositions(field_boost=self.format.field_boost)

    def index(self, value, **kwargs):
        fmt = self.format
        if type(fmt) is FastPositions and isinstance(value, str) and not kwargs:
            plan = _plan(self.analyzer)
            if plan is not None:
                return fmt._values(analyse(plan, value, encoded=True))
        return super().index(value, **kwargs)
