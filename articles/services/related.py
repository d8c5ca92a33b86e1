"""Related articles: the other articles most like this one, and why.

Two kinds of evidence, both explained to the reader:

* wording: Whoosh's more-like-this over the body (terms weighted against the
  whole library), reported as the key terms the two articles share;
* entities: the people, organisations and places both mention, each weighted by
  how rare it is in the library (sharing "Gordon Chang" says more than sharing
  "United States").

With no entity data the ranking is by wording alone; with no search index, by
entities alone.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field

import index as search_index
from index import SearchIndex

from ..store import Store
from .entity_lookup import article_refs, entity_articles
from .stories import refresh as refresh_stories

TEXT_WEIGHT = 0.6
ENTITY_WEIGHT = 0.4
KEY_TERMS = 20
CANDIDATES = 60
# Words too common to explain anything (the index keeps them for phrase search).
_DULL = set("""
he his him she her hers they them their theirs it its we our you your i me my who whom whose
which what that this these those there here has have had having was were been being is are be
do does did done said says say also would could should will can may might must shall not no
one two new more most many much very just than then so such own other into over about after
before out up down off only even still back well year years mr ms mrs
""".split())


@dataclass
class Related:
    id: str
    title: str
    source: str | None
    date: str | None
    score: float
    shared_entities: list[str] = field(default_factory=list)
    shared_terms: list[str] = field(default_factory=list)
    same_story: bool = False

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "source": self.source, "date": self.date,
                "score": round(self.score, 4), "shared_entities": self.shared_entities,
                "shared_terms": self.shared_terms, "same_story": self.same_story}


def _key_terms(ix: SearchIndex, text: str, n: int = KEY_TERMS) -> list[str]:
    try:
        terms = search_index.key_terms(ix, text, n * 2)
    except search_index.SearchIndexError:
        return []
    dull = _DULL | set(search_index.analyse(" ".join(sorted(_DULL))))
    return [t for t in terms if t not in dull and not t.isdigit()][:n]


def _by_wording(ix: SearchIndex | None, aid: str, body: str) -> tuple[dict[str, float], bool]:
    """Scores by wording (best 1.0), and whether the index could be used."""
    if ix is None:
        return {}, False
    try:
        scores = search_index.more_like_this(ix, aid, body, top=CANDIDATES, numterms=25)
    except search_index.SearchIndexError:  # no usable index: entities alone
        return {}, False
    if scores is None:  # not indexed yet
        return {}, True
    top = max(scores.values(), default=0.0)
    return ({k: v / top for k, v in scores.items()} if top > 0 else {}), True


def _by_entities(store: Store, aid: str) -> tuple[dict[str, float], dict[str, list[str]]]:
    refs = [r for r in article_refs(store, aid) if r.type != "other"]
    if not refs:
        return {}, {}
    total = max(store.count(), 1)
    weights, shared = defaultdict(float), defaultdict(list)
    norm = 0.0
    for r in refs:
        others = [o for o in entity_articles(store, r.entity_id) if o != aid]
        idf = math.log(1 + total / (len(others) + 1))
        norm += idf
        for o in others:
            weights[o] += idf
            shared[o].append((idf, r.name))
    names = {o: [n for _, n in sorted(v, key=lambda x: (-x[0], x[1]))] for o, v in shared.items()}
    return ({o: w / norm for o, w in weights.items()} if norm else {}), names


def related(store: Store, ix: SearchIndex | None, aid: str, limit: int = 10, *,
            lock: threading.Lock | None = None) -> list[Related]:
    """The ``limit`` articles most related to ``aid``, best first.  ``ix``: the
    search index brought up to date, or None when there is no usable one (then
    by entities alone)."""
    art = store.get(aid)
    if art is None:
        return []
    text_scores, indexed = _by_wording(ix, aid, art.body)
    ent_scores, ent_names = _by_entities(store, aid)
    wt = TEXT_WEIGHT if ent_scores else 1.0
    we = ENTITY_WEIGHT if text_scores else 1.0
    combined = {i: wt * text_scores.get(i, 0.0) + we * ent_scores.get(i, 0.0)
                for i in set(text_scores) | set(ent_scores)}
    best = sorted(combined.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    arts = store.get_many([i for i, _ in best])
    mine_terms: set[str] = set()
    surface: dict[str, str] = {}
    if indexed:
        mine_terms = set(_key_terms(ix, art.body))
        surface = search_index.surface_terms(art.body)
    story = refresh_stories(store, lock)
    out = []
    for i, score in best:
        other = arts.get(i)
        if other is None:
            continue
        terms: list[str] = []
        if indexed and mine_terms:
            theirs = _key_terms(ix, other.body)
            terms = [surface.get(t, t) for t in theirs if t in mine_terms][:8]
        same = aid in story and story.get(i) == story.get(aid)
        out.append(Related(i, other.title, other.source, other.date, score,
                           ent_names.get(i, [])[:8], terms, same))
    return out
