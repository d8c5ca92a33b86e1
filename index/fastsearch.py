"""Ranked search over Whoosh's own postings, a whole posting list at a time.

Whoosh walks the postings of a query one document at a time through a tree of
Python matcher objects; at 100,000 articles a common word is tens of thousands
of method calls per field. This module reads the same postings (Whoosh's term
dictionary and posting files, through its reader objects) and scores them with
the same BM25F formula and the same statistics, but with numpy over whole
posting lists: a query becomes a few array operations over one slot per
document, the ranking is the same as Whoosh's (ties to the lower document
number, as Whoosh breaks them) and every total is exact.

It understands the queries Newsdesk's parser makes: terms, AND / OR / NOT /
ANDMAYBE, phrases, and multi-term queries (prefix, wildcard, fuzzy, ranges,
dates). Anything else raises ``Unsupported`` and the caller lets Whoosh run it.
"""

from __future__ import annotations

import io
import pickle
from datetime import datetime
from math import log
import struct
import threading
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, _lenfield
from whoosh.query.positional import Phrase
from whoosh.scoring import BM25F
from whoosh.util.numeric import _length_byte_cache, from_sortable
from whoosh.support.levenshtein import distance
from whoosh.util.times import datetime_to_long

from .codec import NdCodec, RawPositions

_BYTE_TO_LENGTH = np.array(_length_byte_cache, dtype=np.float64)
_INT = struct.Struct("!i")
# Scores equal to this many decimals are ties (sums taken in another order can
# differ in the last bit), broken by document number as Whoosh does.
_TIE_DECIMALS = 9


class Unsupported(Exception):
    """A query this engine does not evaluate; Whoosh's own search runs it."""


@dataclass
class Ranked:
    docnums: list[int]  # global document numbers, best first
    scores: list[float]
    total: int  # exact number of matching live documents
    terms: set[tuple[str, bytes]]  # (field, term) pairs the query matched


@dataclass
class _Postings:
    ids: np.ndarray  # global docnums, ascending
    weights: np.ndarray  # float64
    vlens: np.ndarray | None = None  # each posting's value length in bytes, when asked for
    vdata: bytes | None = None  # the values one after another
    df: int = 0  # document frequency as Whoosh counts it (deleted documents too)

    def positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(flat positions, each posting's count, each posting's start in flat)
        of RawPositions values."""
        flat = np.frombuffer(self.vdata, dtype="<u4").astype(np.int64)
        counts = self.vlens // 4
        starts = np.cumsum(counts) - counts
        return flat, counts, starts


class _Result:
    """A query node's matches: a mask over all documents and their scores
    (zero outside the mask)."""

    __slots__ = ("mask", "score")

    def __init__(self, mask: np.ndarray, score: np.ndarray):
        self.mask = mask
        self.score = score


def _decode_nd_postings(raw: bytes, want_values: bool) -> _Postings:
    """One posting list written by ``NdCodec``: each block's ids, weights and
    values are sliced out as raw arrays, nothing is unpickled but the small
    block headers."""
    if raw[:4] != WHOOSH3_HEADER_MAGIC:
        raise Unsupported("unknown postings format")
    bio = io.BytesIO(raw)
    load = pickle.load
    id_chunks: list[bytes] = []
    w_chunks: list[bytes] = []
    vl_chunks: list[bytes] = []
    vd_chunks: list[bytes] = []
    pos = 4
    end = len(raw)
    while pos < end:
        length = _INT.unpack_from(raw, pos)[0]
        last = length < 0
        length = -length if last else length
        bio.seek(pos + 4)
        count = load(bio)[0]
        d = bio.tell()
        pos = pos + 4 + length
        id_chunks.append(raw[d:d + 4 * count])
        w_chunks.append(raw[d + 4 * count:d + 8 * count])
        if want_values:
            vl_chunks.append(raw[d + 8 * count:d + 12 * count])
            vd_chunks.append(raw[d + 12 * count:pos])
        if last:
            break
    ids = np.frombuffer(b"".join(id_chunks), dtype="<u4").astype(np.int64)
    weights = np.frombuffer(b"".join(w_chunks), dtype="<f4").astype(np.float64)
    if not want_values:
        return _Postings(ids, weights)
    vlens = np.frombuffer(b"".join(vl_chunks), dtype="<u4").astype(np.int64)
    return _Postings(ids, weights, vlens, b"".join(vd_chunks))


def _within_one(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance of a and b at most 1."""
    if a == b:
        return True
    i = 0
    m = min(len(a), len(b))
    while i < m and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (
            i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:])
    if len(a) == len(b) + 1:
        return a[i + 1:] == b[i:]
    if len(b) == len(a) + 1:
        return a[i:] == b[i + 1:]
    return False


class Engine:
    """Evaluates queries against one Whoosh searcher (one index generation).
    Per-document arrays it needs (deletions, field lengths, columns) are read
    once and kept for the life of the searcher."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = searcher.schema
        self.weighting = searcher.weighting
        self.n = self.reader.doc_count_all()
        self.leaves = list(self.reader.leaf_readers())
        live = np.ones(self.n, dtype=bool)
        for leaf, base in self.leaves:
            if leaf.has_deletions():
                dead = np.fromiter(leaf.deleted_docs_set, dtype=np.int64)
                live[dead + base] = False
        self.live = live
        self._lengths: dict[str, np.ndarray] = {}
        self._columns: dict[str, np.ndarray] = {}
        # One search at a time: Whoosh's posting files are shared file objects
        # (seek, then read), and the TUI searches from worker threads.
        self._lock = threading.Lock()
        self._matched: set[tuple[str, bytes]] = set()
        self._avgfl: dict[str, float] = {}
        self._prefix_words: dict[tuple[str, str], list[tuple[bytes, str]]] = {}

    # -- per-document arrays ---------------------------------------------------
    def lengths(self, fieldname: str) -> np.ndarray:
        """Each document's length of the field as Whoosh's scorer sees it
        (quantised to a byte, 1 where none is recorded)."""
        arr = self._lengths.get(fieldname)
        if arr is None:
            arr = np.zeros(self.n, dtype=np.uint8)
            for leaf, base in self.leaves:
                count = leaf.doc_count_all()
                col = leaf._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
                if col is None:
                    continue
                have = min(count, col._count)
                raw = col._dbfile.get(col._basepos, have)
                arr[base:base + have] = np.frombuffer(raw, dtype=np.uint8)
            lengths = _BYTE_TO_LENGTH[arr]
            lengths[arr == 0] = 1.0  # searcher.doc_field_length(docnum, field, 1)
            self._lengths[fieldname] = arr = lengths
        return arr

    def column(self, fieldname: str) -> np.ndarray:
        """An integer field's column for every document, as the numbers
        indexed (Whoosh stores them shifted to sort unsigned)."""
        arr = self._columns.get(fieldname)
        if arr is None:
            field = self.schema[fieldname]
            arr = np.zeros(self.n, dtype=np.int64)
            shift = (1 << (field.bits - 1)) if field.signed else 0
            for leaf, base in self.leaves:
                count = leaf.doc_count_all()
                col = leaf.column_reader(fieldname, translate=False)
                if not hasattr(col, "_fixedlen"):  # a segment without the column
                    values = leaf.column_reader(fieldname, translate=True)
                    arr[base:base + count] = [values[i] or 0 for i in range(count)]
                    continue
                size = col._fixedlen
                have = min(count, col._count)
                raw = col._dbfile.get(col._basepos, have * size)
                arr[base:base + have] = np.frombuffer(raw, dtype=">" + col._typecode).astype(np.int64) - shift
                arr[base + have:base + count] = from_sortable(field.numtype, field.bits, field.signed,
                                                              col._unpack(col._defaultbytes)[0])
            self._columns[fieldname] = arr
        return arr

    def day_stamps(self) -> np.ndarray:
        """Each document's date as Whoosh's DATETIME long (midnight of its
        day, which is what the index holds), -1 where undated."""
        arr = self._columns.get("_day_stamps")
        if arr is None:
            days = self.column("datesort")
            uniq, inverse = np.unique(days, return_inverse=True)
            stamps = np.array([datetime_to_long(datetime(d // 10000, d // 100 % 100, d % 100))
                               if d > 0 else -1 for d in uniq.tolist()], dtype=np.int64)
            self._columns["_day_stamps"] = arr = stamps[inverse]
        return arr

    # -- postings ---------------------------------------------------------------
    def postings(self, fieldname: str, text: bytes, want_values: bool = False) -> _Postings | None:
        parts: list[_Postings] = []
        for leaf, base in self.leaves:
            if not isinstance(leaf.codec(), NdCodec):
                raise Unsupported("a segment written by another codec")
            terms = leaf._terms
            try:
                info = terms.term_info(fieldname, text)
            except Exception:  # TermNotFound: not in this segment
                continue
            if info.is_inlined():
                ids, ws, vs = info.inlined_postings()
                vs = [v or b"" for v in vs] if want_values else None
                p = _Postings(np.asarray(ids, dtype=np.int64), np.asarray(ws, dtype=np.float64),
                              np.asarray([len(v) for v in vs], dtype=np.int64) if want_values else None,
                              b"".join(vs) if want_values else None)
            else:
                offset, length = info.extent()
                if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves it unpacked
                    length = length[0]
                p = _decode_nd_postings(terms._postfile.get(offset, length), want_values)
            p.ids = p.ids + base
            p.df = info.doc_frequency()
            parts.append(p)
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return _Postings(np.concatenate([p.ids for p in parts]),
                         np.concatenate([p.weights for p in parts]),
                         np.concatenate([p.vlens for p in parts]) if want_values else None,
                         b"".join(p.vdata for p in parts) if want_values else None,
                         sum(p.df for p in parts))

    def _term_scores(self, fieldname: str, text: bytes, p: _Postings) -> np.ndarray:
        field = self.schema[fieldname]
        if not field.scorable:
            return p.weights
        w = self.weighting
        if type(w) is BM25F:
            # BM25FScorer's statistics, without building one (its setup reads
            # the term's info from every segment again).
            idf = log(self.n / (p.df + 1)) + 1
            avgfl = self._avgfl.get(fieldname)
            if avgfl is None:
                avgfl = self._avgfl[fieldname] = self.searcher.avg_field_length(fieldname) or 1
            b, k1 = w._field_B.get(fieldname, w.B), w.K1
        else:
            scorer = w.scorer(self.searcher, fieldname, text)
            idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
        fl = self.lengths(fieldname)[p.ids]
        tf = p.weights
        # whoosh.scoring.bm25, one posting list at a time.
        return idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))

    def _empty(self) -> _Result:
        return _Result(np.zeros(self.n, dtype=bool), np.zeros(self.n))

    # -- query nodes ---------------------------------------------------------------
    def evaluate(self, q) -> _Result:
        if isinstance(q, wq.Term):
            return self._term(q.fieldname, q.text, q.boost)
        if isinstance(q, Phrase):
            return self._phrase(q)
        if isinstance(q, wq.MultiTerm):
            return self._multiterm(q)
        if isinstance(q, wq.NumericRange):
            if q.fieldname == "date" and "datesort" in self.schema:
                return self._date_range(q)
            if q.fieldname == "datesort":
                return self._day_range(q)
            return self.evaluate(q._compile_query(self.reader))
        if isinstance(q, wq.ConstantScoreQuery):
            child = self.evaluate(q.child)
            return _Result(child.mask, np.where(child.mask, q.score, 0.0))
        if isinstance(q, wq.AndNot):
            pos = self.evaluate(q.a)
            neg = self.evaluate(q.b)
            mask = pos.mask & ~neg.mask
            return _Result(mask, np.where(mask, pos.score, 0.0))
        if isinstance(q, wq.AndMaybe):
            req = self.evaluate(q.a)
            opt = self.evaluate(q.b)
            return _Result(req.mask, np.where(req.mask, req.score + opt.score, 0.0))
        if isinstance(q, wq.Not):
            child = self.evaluate(q.query)
            return _Result(~child.mask, (~child.mask).astype(np.float64))
        if isinstance(q, wq.And) and type(q) is wq.And:
            return self._and(q)
        if isinstance(q, wq.Or) and type(q) in (wq.Or, wq.DefaultOr):
            if q.minmatch or q.scale:
                raise Unsupported("Or with minmatch or scale")
            return self._or(q)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return self._empty()
        raise Unsupported(type(q).__name__)

    def _boosted(self, r: _Result, boost: float) -> _Result:
        if boost != 1.0:
            r.score = r.score * boost
        return r

    def _term(self, fieldname: str, text, boost: float = 1.0) -> _Result:
        if fieldname not in self.schema:
            return self._empty()
        field = self.schema[fieldname]
        try:
            btext = field.to_bytes(text)
        except ValueError:
            return self._empty()
        p = self.postings(fieldname, btext)
        res = self._empty()
        if p is None:
            return res
        self._matched.add((fieldname, btext))
        s = self._term_scores(fieldname, btext, p)
        if boost != 1.0:
            s = s * boost
        res.mask[p.ids] = True
        res.score[p.ids] = s
        return res

    def _and(self, q) -> _Result:
        subs = q.subqueries
        if not subs:
            return self._empty()
        # A NOT among the subqueries is Whoosh's InverseMatcher: it matches
        # the other documents and adds 1.0 to their score, as here.
        results = [self.evaluate(s) for s in subs]
        mask = results[0].mask.copy()
        score = results[0].score.copy()
        for r in results[1:]:
            mask &= r.mask
            score += r.score
        r = _Result(mask, np.where(mask, score, 0.0))
        return self._boosted(r, q.boost) if len(subs) > 1 else r

    def _or(self, q) -> _Result:
        subs = q.subqueries
        if not subs:
            return self._empty()
        if any(isinstance(s, wq.Not) for s in subs):
            raise Unsupported("NOT inside OR")
        results = [self.evaluate(s) for s in subs]
        mask = results[0].mask.copy()
        score = results[0].score.copy()
        for r in results[1:]:
            mask |= r.mask
            score += r.score
        r = _Result(mask, score)
        return self._boosted(r, q.boost) if len(subs) > 1 else r

    def _day_range(self, q) -> _Result:
        """A range over YYYYMMDD day numbers (what date: clauses become) from the
        column, as a constant-score match like Whoosh's."""
        days = self.column("datesort")
        mask = days > 0
        if q.start is not None:
            mask &= (days > q.start) if q.startexcl else (days >= q.start)
        if q.end is not None:
            mask &= (days < q.end) if q.endexcl else (days <= q.end)
        return _Result(mask, np.where(mask, float(q.boost), 0.0))

    def _date_range(self, q) -> _Result:
        """A date range from the per-document day column instead of Whoosh's
        OR of trie terms: the same documents, each scored by the range's
        boost, as Whoosh's constant-score range does."""
        stamps = self.day_stamps()
        mask = stamps >= 0
        if q.start is not None:
            start = self.schema["date"].prepare_number(q.start)
            mask &= (stamps > start) if q.startexcl else (stamps >= start)
        if q.end is not None:
            end = self.schema["date"].prepare_number(q.end)
            mask &= (stamps < end) if q.endexcl else (stamps <= end)
        return _Result(mask, np.where(mask, float(q.boost), 0.0))

    def _expand(self, q) -> list[bytes]:
        if isinstance(q, wq.FuzzyTerm):
            return self._fuzzy_words(q)
        return [w for w in q._btexts(self.reader) if w]

    def _fuzzy_words(self, q) -> list[bytes]:
        """Whoosh's FuzzyTerm expansion (Damerau-Levenshtein within maxdist,
        sharing the prefix), without walking its automaton in Python: the
        field's words with the prefix are listed once per searcher, and only
        those of a possible length are compared."""
        field = self.schema[q.fieldname]
        prefix = q.text[:q.prefixlength]
        key = (q.fieldname, prefix)
        words = self._prefix_words.get(key)
        if words is None:
            if len(self._prefix_words) > 64:
                self._prefix_words.clear()
            words = [(b, field.from_bytes(b)) for b in self.reader.expand_prefix(q.fieldname, prefix)]
            self._prefix_words[key] = words
        text, maxdist = q.text, q.maxdist
        n = len(text)
        out = []
        for b, w in words:
            if abs(len(w) - n) > maxdist:
                continue
            if (maxdist == 1 and _within_one(w, text)) or (maxdist != 1 and distance(w, text, limit=maxdist) <= maxdist):
                out.append(b)
        return out

    def _multiterm(self, q) -> _Result:
        fieldname = q.field()
        if fieldname not in self.schema:
            return self._empty()
        words = self._expand(q)
        if not words:
            return self._empty()
        if len(words) == 1:
            # Whoosh runs a single expansion as a plain term (its boost dropped).
            return self._term(fieldname, words[0])
        mask = np.zeros(self.n, dtype=bool)
        score = np.zeros(self.n)
        for w in words:
            r = self._term(fieldname, w)
            mask |= r.mask
            score += r.score
        return self._boosted(_Result(mask, score), q.boost)

    def _phrase(self, q) -> _Result:
        fieldname = q.fieldname
        res = self._empty()
        if fieldname not in self.schema:
            return res
        field = self.schema[fieldname]
        if not field.format or not field.format.supports("positions"):
            raise Unsupported("phrase on a field without positions")
        if q.slop != 1:
            raise Unsupported("phrase with slop")
        if not isinstance(field.format, RawPositions):
            raise Unsupported("positions not stored as raw arrays")
        words = []
        for word in q.words:
            try:
                words.append(field.to_bytes(word))
            except ValueError:
                return res
        if not words:
            return res
        plists = []
        for w in words:
            p = self.postings(fieldname, w, want_values=True)
            if p is None:
                return res
            plists.append(p)
        if len(words) == 1:
            cand = plists[0].ids
            matched = cand
        else:
            cand = plists[0].ids
            for p in plists[1:]:
                cand = np.intersect1d(cand, p.ids, assume_unique=True)
                if not len(cand):
                    return res
            matched = self._verify_phrase(plists, cand)
        if not len(matched):
            return res
        score = np.zeros(self.n)
        for w, p in zip(words, plists):
            self._matched.add((fieldname, w))
            s = self._term_scores(fieldname, w, p)
            idx = np.searchsorted(p.ids, matched)
            score[matched] += s[idx]
        res.mask[matched] = True
        res.score = score
        return self._boosted(res, q.boost)

    @staticmethod
    def _verify_phrase(plists: list[_Postings], cand: np.ndarray) -> np.ndarray:
        """The candidates where the words stand one after another (Whoosh's
        SpanNear2 with slop 1: word k at the first word's position + k), all
        candidates at once: every (candidate, position - k) of word k, and the
        pairs all words share."""
        shared = None
        for k, p in enumerate(plists):
            flat, counts, starts = p.positions()
            idx = np.searchsorted(p.ids, cand)
            c = counts[idx]
            owner = np.repeat(np.arange(len(cand), dtype=np.int64), c)
            # Each candidate's run of positions, gathered from the flat array.
            gather = np.repeat(starts[idx] - (np.cumsum(c) - c), c) + np.arange(int(c.sum()))
            keys = (owner << 32) + (flat[gather] - k)
            shared = keys if shared is None else np.intersect1d(shared, keys, assume_unique=True)
            if not len(shared):
                return cand[:0]
        return cand[np.unique(shared >> 32)]

    # -- ranking ---------------------------------------------------------------------
    def search(self, q, limit: int, *, sortedby: str | None = None) -> Ranked:
        with self._lock:
            self._matched = set()
            res = self.evaluate(q)
            matched = self._matched
        mask = res.mask & self.live
        docs = np.flatnonzero(mask)
        total = int(len(docs))
        scores = res.score[docs]
        if sortedby is not None:
            key = self.column(sortedby)[docs]
            # Newest first; the better match first within a day.
            order = np.lexsort((docs, -np.round(scores, _TIE_DECIMALS), -key))[:limit]
        else:
            rounded = np.round(scores, _TIE_DECIMALS)
            if total > limit:
                kth = np.partition(rounded, total - limit)[total - limit]
                keep = np.flatnonzero(rounded >= kth)
                order = keep[np.lexsort((docs[keep], -rounded[keep]))][:limit]
            else:
                order = np.lexsort((docs, -rounded))
        return Ranked(docs[order].tolist(), scores[order].tolist(), total, matched)


def engine_for(searcher) -> Engine:
    """The engine kept on a searcher, made on first use."""
    eng = getattr(searcher, "_newsdesk_engine", None)
    if eng is None:
        eng = Engine(searcher)
        searcher._newsdesk_engine = eng
    return eng
