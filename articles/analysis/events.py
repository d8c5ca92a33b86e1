"""Event similarity and story decisions, on plain records.

A *story* is one event reported by any number of outlets in their own words.
What tells two events of the same kind apart (two earthquakes, two shootings)
is not their vocabulary, which they share, but the rare words, names, places,
numbers and dates each one has. So an article becomes a weighted term vector:

* terms from title, lead and body, the title and the lead counting extra
  (that is where a report states its event), with sublinear tf and idf over the
  library, so a word every earthquake report uses weighs little and a town's
  name or a magnitude weighs a lot; numbers get a further boost;
* canonical entities (when the entity stage has run) as extra features,
  weighted by how central each is to the article (in the title, in the lead,
  how often mentioned) rather than one unit per passing mention;
* the date as separate evidence: close dates help, dates far apart count
  against, an unknown date does neither.

An article joins the existing story its vector is most like, scored as the
average link to the story's members (mixed with the best single link, so a
story whose coverage drifts over days still takes a report like its nearest
member), when that score clears a threshold; otherwise it starts a story.
Candidates come from an inverted index on each article's strongest terms, so
a new article is compared only with the few articles most like it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# A general English stop list plus the verbs of reporting every news story has.
STOP = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more
most my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves said says say saying told tell according reported report
reports reporting one two new also like get got may might must shall us mr mrs ms per via
year years day days time week weeks month months today yesterday tomorrow monday tuesday wednesday
thursday friday saturday sunday news people many much made make makes around since still even
""".split())

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)*")


def _stem(w: str) -> str:
    """Plural and possessive endings only: 'quakes' and 'quake' are one term,
    while words keep enough of themselves to stay rare where they are rare."""
    if "'" in w or "’" in w:
        w = re.split(r"['’]", w)[0]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


_TERM: dict[str, str] = {}  # word as written -> its term ("" for a stop word); a cache


def _term(w: str) -> str:
    t = w.casefold()
    if t[0].isdigit():
        t = "#" + t.replace(",", "")  # numbers: their own namespace ("#7.6", "#2011")
    else:
        t = _stem(t)
        if len(t) < 2 or t in STOP:
            t = ""
    if len(_TERM) < 500_000:
        _TERM[w] = t
    return t


def tokens(text: str) -> list[str]:
    get = _TERM.get
    out = []
    for w in _TOKEN.findall(text):
        t = get(w)
        if t is None:
            t = _term(w)
        if t:
            out.append(t)
    return out


TITLE_WEIGHT = 2.0  # on top of the title's words in the body
LEAD_WEIGHT = 1.0   # on top of the lead's words in the body
LEAD_WORDS = 60
NUMBER_BOOST = 1.5
NAME_BOOST = 1.5
IDF_POWER = 1.5  # rarer words weigh more than plain idf gives them
ENTITY_WEIGHT = 1.0
KEEP_TERMS = 120  # the strongest features kept per article (the rest move a cosine little)


_NAME = re.compile(r"(?<![.!?\n\"“‘:] )(?<!^)\b([A-Z][^\W\d_]+)")


_LOWER = re.compile(r"\b[a-z][^\W\d_]+")


_STEM: dict[str, str] = {}  # a cache of _stem over folded words


def _stem_cached(w: str) -> str:
    t = _STEM.get(w)
    if t is None:
        t = _stem(w)
        if len(_STEM) < 500_000:
            _STEM[w] = t
    return t


def names_in(body: str) -> set[str]:
    """Words the body writes capitalised inside a sentence and never in lower
    case: names of people, places, organisations (the evidence that tells one
    event from another of its kind), found without any model."""
    caps = {_stem_cached(w.casefold()) for w in set(_NAME.findall(body))}
    lower = {_stem_cached(w) for w in set(_LOWER.findall(body))}
    return caps - lower - STOP


def _mark(toks: list[str], names: set[str]) -> list[str]:
    """Each name also as a feature of its own ("!name"), beside the plain word,
    so two articles still match on the word when only one writes it as a name."""
    out = []
    for t in toks:
        out.append(t)
        if t in names:
            out.append("!" + t)
    return out


def term_counts(title: str, body: str) -> dict[str, float]:
    """Weighted term frequencies: body once, plus the title and the lead again.
    Names are their own features ("!name"), boosted in ``weigh``."""
    names = names_in(body)
    body_toks = _mark(tokens(body), names)
    tf: Counter = Counter(body_toks)
    title_toks = _mark(tokens(title), names)
    for t in title_toks:
        tf[t] += TITLE_WEIGHT
    # The lead is the body's opening, after the title when the body repeats it.
    start = len(title_toks) if title_toks and body_toks[:len(title_toks)] == title_toks else 0
    for t in body_toks[start:start + LEAD_WORDS]:
        tf[t] += LEAD_WEIGHT
    return dict(tf)


@dataclass
class EntityMention:
    """One canonical entity as it occurs in one article (from the entity stage)."""

    key: str  # canonical id, as a string
    count: int
    in_title: bool = False
    in_lead: bool = False


def entity_centrality(mentions: Iterable[EntityMention]) -> dict[str, float]:
    """How central each entity is to the article: named in the title or the
    lead counts most; further mentions add slowly (log), so a name dropped once
    in passing weighs a fraction of the article's subject."""
    out = {}
    for m in mentions:
        w = 0.5 + 0.5 * math.log1p(max(m.count - 1, 0))
        if m.in_title:
            w += 1.5
        if m.in_lead:
            w += 1.0
        out["@" + m.key] = w
    return out


@dataclass
class EventDoc:
    id: str
    features: dict[str, float]  # weighted tf of terms ("word", "#number") and entities ("@id")
    day: int | None = None  # proleptic ordinal of the date, None when unknown


def idf(df: int, n: int) -> float:
    return math.log((n + 1) / (df + 0.5))


def weigh(features: Mapping[str, float], df: Mapping[str, int], n: int) -> dict[str, float]:
    """The unit tf-idf vector of an article's features."""
    v = {}
    for t, tf in features.items():
        w = (1.0 + math.log(tf)) if tf >= 1 else tf
        w *= idf(df.get(t, 0), n) ** IDF_POWER
        if t[0] == "#":
            w *= NUMBER_BOOST
        elif t[0] == "!":
            w *= NAME_BOOST
        elif t[0] == "@":
            w *= ENTITY_WEIGHT
        if w > 0:
            v[t] = w
    norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
    return {t: x / norm for t, x in v.items()}


def query_terms(vec: Mapping[str, float], df: Mapping[str, int], n: int, p: "Params") -> list[str]:
    """The terms to look an article's neighbours up by: its strongest, leaving out
    those too common to be evidence (their posting lists are what would grow)."""
    cap = max(100, p.query_df * n)
    return [t for t in strongest(vec, p.query_terms * 2) if df.get(t, 0) <= cap][:p.query_terms]


def strongest(vec: Mapping[str, float], k: int) -> list[str]:
    return [t for t, _ in sorted(vec.items(), key=lambda kv: -kv[1])[:k]]


def cosine(u: Mapping[str, float], v: Mapping[str, float]) -> float:
    if len(u) > len(v):
        u, v = v, u
    get = v.get
    return sum([x * get(t, 0.0) for t, x in u.items()])


@dataclass
class Params:
    threshold: float = 0.15  # story score needed to join
    avg_weight: float = 0.5  # score = avg_weight * average link + (1 - avg_weight) * best link
    near_days: int = 3  # dates this close: the same event is likely
    near_bonus: float = 1.15
    far_days: int = 30  # dates further apart than this: a different event, almost surely
    far_factor: float = 0.4
    candidates: int = 30  # articles taken from the index per new article
    query_terms: int = 30  # of the new article's strongest terms, looked up in the index
    posting_terms: int = 25  # of each article's strongest terms, put in the index
    posting_scan: int = 300  # of each looked-up term's articles, the most recent this many are scored
    max_members: int = 40  # story members an article is compared with (its nearest by the index)
    cohesion: float = 0.0  # a story of 2+ also needs score >= cohesion * its members' own average link
    query_df: float = 0.005  # index look-ups use terms in at most this share of articles (at least 100):
    # rare terms are the evidence, and a common term's posting list grows with the library
    split_min: int = 4  # stories this big are checked for being two look-alike events
    split_ratio: float = 0.55  # split when the halves' mutual link < this * their own links
    # (on feature weights that divide the story, see ``_local``: 0.3 was for an idf within it)
    split_global: float = 2.0  # ... and their average link on the whole vectors < this * threshold
    split_max: int = 200  # bigger stories are not checked (the check is quadratic in members)
    split_max_new: int = 60  # the same, when one new article joins (its time budget)
    recheck_below: float = 2.0  # ... and only when it joined with a score below this * threshold
    split_weights: str = "divide"  # how story-local vectors weigh features ("idf": the older weighting)
    split_same_days: int | None = 3  # halves dated this close (their median days) are one event


def date_factor(a: int | None, b: int | None, p: Params) -> float:
    """Time as evidence: only when both dates are known."""
    if a is None or b is None:
        return 1.0
    d = abs(a - b)
    if d <= p.near_days:
        return p.near_bonus
    if d <= p.far_days:
        return 1.0
    return p.far_factor


@dataclass
class Member:
    vec: dict[str, float]
    day: int | None


def story_score(vec: Mapping[str, float], day: int | None, members: list[Member], p: Params) -> float:
    """Average link to the members (one dot product with their sum, the date
    evidence taken from the story's nearest dated member) mixed with the best
    single link (its own date evidence)."""
    if not members:
        return 0.0
    total: dict[str, float] = {}
    for m in members:
        for t, x in m.vec.items():
            total[t] = total.get(t, 0.0) + x
    days = [m.day for m in members if m.day is not None]
    avg = cosine(vec, total) / len(members) * story_date_factor(day, days, p)
    best = max(cosine(vec, m.vec) * date_factor(day, m.day, p) for m in members)
    return p.avg_weight * avg + (1 - p.avg_weight) * best


def story_date_factor(day: int | None, days: list[int], p: Params) -> float:
    """Date evidence against a story: its nearest dated member."""
    if day is None or not days:
        return 1.0
    return date_factor(day, min(days, key=lambda d: abs(d - day)), p)


def cohesion(members: list[Member], p: Params) -> float | None:
    """The average link among a story's own members (None for a story of one)."""
    if len(members) < 2:
        return None
    sims = [cosine(a.vec, b.vec) * date_factor(a.day, b.day, p)
            for i, a in enumerate(members) for b in members[i + 1:]]
    return sum(sims) / len(sims)


def choose(vec: Mapping[str, float], day: int | None, stories: Mapping[str, list[Member]],
           p: Params, refused: set[str] = frozenset()) -> tuple[str | None, float]:
    """The candidate story to join (and its score), or (None, best score)."""
    best, best_s = None, 0.0
    for sid, members in stories.items():
        if sid in refused:
            continue
        s = story_score(vec, day, members, p)
        if p.cohesion and s > best_s and s >= p.threshold:
            c = cohesion(members, p)
            if c is not None and s < p.cohesion * c:
                continue
        if s > best_s:
            best, best_s = sid, s
    if best_s >= p.threshold:
        return best, best_s
    return None, best_s


@dataclass
class Grouper:
    """Single-pass grouping in memory, with the final idf known up front (the
    from-scratch regroup). ``cannot[a]`` = articles ``a`` must not share a story
    with (the user's splits)."""

    df: Mapping[str, int]
    n: int
    p: Params = field(default_factory=Params)
    cannot: Mapping[str, set[str]] = field(default_factory=dict)
    story_of: dict[str, str] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    vecs: dict[str, dict[str, float]] = field(default_factory=dict)
    days: dict[str, int | None] = field(default_factory=dict)
    postings: dict[str, list[str]] = field(default_factory=dict)
    sums: dict[str, dict[str, float]] = field(default_factory=dict)  # story -> sum of member vectors
    story_days: dict[str, list[int]] = field(default_factory=dict)
    placed: dict[str, int] = field(default_factory=dict)  # article -> its place in arrival order

    def _score(self, vec, day, sid: str, best_link: float) -> float:
        """The story score of ``story_score``, with the average link as one dot product
        with the members' vector sum (the same number when dates are unknown; with
        dates, the date evidence comes from the story's nearest dated member)."""
        n = len(self.members[sid])
        avg = cosine(vec, self.sums[sid]) / n * story_date_factor(day, self.story_days[sid], self.p)
        return self.p.avg_weight * avg + (1 - self.p.avg_weight) * best_link

    def candidates(self, vec: Mapping[str, float]) -> list[str]:
        score: Counter = Counter()
        for t in query_terms(vec, self.df, self.n, self.p):
            w = vec[t]
            # The most recent articles under each term: a report's story is news of
            # its days, and a whole posting list grows with the library.
            for other in self.postings.get(t, ())[-self.p.posting_scan:]:
                score[other] += w * self.vecs[other].get(t, 0.0)
        return [a for a, _ in score.most_common(self.p.candidates)]

    def add(self, doc: EventDoc, link_to: Iterable[str] = ()) -> str:
        """Place one article; ``link_to``: earlier articles it is a copy of (joined outright
        unless the user split them apart). Returns its story id (a member's id)."""
        vec = weigh(doc.features, self.df, self.n)
        self.vecs[doc.id], self.days[doc.id] = vec, doc.day
        self.placed.setdefault(doc.id, len(self.placed))
        cands = self.candidates(vec)
        refused = {self.story_of[x] for x in self.cannot.get(doc.id, ()) if x in self.story_of}
        # A copy of articles in several stories joins the earliest placed of them,
        # the rule the incremental path follows too (``link_to`` is often a set,
        # whose order changes with the interpreter's hash seed).
        linked = {self.story_of[x] for x in link_to if x in self.story_of} - refused
        sid = min(linked, key=self.placed.__getitem__) if linked else None
        if sid is None:
            best_link: dict[str, float] = {}
            for c in cands:
                sim = cosine(vec, self.vecs[c]) * date_factor(doc.day, self.days[c], self.p)
                s = self.story_of[c]
                if sim > best_link.get(s, -1.0):
                    best_link[s] = sim
            best_s = 0.0
            # The average link is at most the best one: a story whose best link,
            # with the best date evidence, falls short cannot reach the threshold.
            floor = self.p.threshold / max(self.p.near_bonus, 1.0)
            for s, link in best_link.items():
                if s in refused or link < floor:
                    continue
                score = self._score(vec, doc.day, s, link)
                if score > best_s:
                    sid, best_s = s, score
            if best_s < self.p.threshold:
                sid = None
        if sid is None:
            sid = doc.id
            self.members[sid], self.sums[sid], self.story_days[sid] = [], {}, []
        self.story_of[doc.id] = sid
        self.members[sid].append(doc.id)
        acc = self.sums[sid]
        for t, x in vec.items():
            acc[t] = acc.get(t, 0.0) + x
        if doc.day is not None:
            self.story_days[sid].append(doc.day)
        for t in strongest(vec, self.p.posting_terms):
            self.postings.setdefault(t, []).append(doc.id)
        return sid


def keep_strongest(features: Mapping[str, float], df: Mapping[str, int], n: int,
                   k: int = KEEP_TERMS) -> dict[str, float]:
    """The article's ``k`` strongest features (what is stored for it)."""
    if len(features) <= k:
        return dict(features)
    w = weigh(features, df, n)
    return {t: features[t] for t in strongest(w, k)}


def best_title(titles: list[str]) -> int:
    """Index of the story's best headline: a real one (not cut short with "…",
    a headline's length) that shares most words with the others' headlines;
    the earliest on a tie."""
    toks = [set(tokens(t)) for t in titles]

    def real(t: str) -> bool:
        n = len(t.split())
        return not t.rstrip().endswith(("…", "...")) and 3 <= n <= 20

    best, best_key = 0, None
    for i, t in enumerate(titles):
        shared = sum(len(toks[i] & toks[j]) / (len(toks[i] | toks[j]) or 1)
                     for j in range(len(titles)) if j != i)
        key = (real(t), shared)
        if best_key is None or key > best_key:
            best, best_key = i, key
    return best


def _local(vecs: list[Mapping[str, float]], kind: str = "divide") -> list[dict[str, float]]:
    """The members' vectors reweighted *within the story*, by how well each
    feature can divide it in two: with ``q`` the share of members that have it,
    by sqrt(q(1 - q)), which is nothing for what all of them share (the kind of
    event: "earthquake", the team, the company), most for what half of them
    share (this quake's town and magnitude, that one's), and little for a word
    only a pair of reprints has (an idf within the story weighed those most,
    and bisected stories along their copies). Features only one member has are
    dropped: they tell nothing about how the members divide."""
    n = len(vecs)
    ld: Counter = Counter(t for v in vecs for t in v)
    out = []
    for v in vecs:
        if kind == "idf":
            w = {t: x * math.log((n + 1) / (ld[t] + 0.5)) for t, x in v.items() if ld[t] > 1}
        else:
            w = {t: x * math.sqrt(ld[t] / n * (1 - ld[t] / n)) for t, x in v.items() if ld[t] > 1}
        norm = math.sqrt(sum(x * x for x in w.values())) or 1.0
        out.append({t: x / norm for t, x in w.items()})
    return out


def two_events(vecs: list[Mapping[str, float]], p: Params,
               keep_together: Iterable[tuple[int, int]] = (),
               days: list[int | None] | None = None) -> list[int] | None:
    """Whether a story's members are two look-alike events: bisect them
    (2-means on the story-local vectors, seeded by the least similar pair) and
    split when the two halves are much less like each other than each is like
    itself. Returns the indices of the second half, or None.
    ``keep_together``: index pairs that must not end up apart (copies, merges).
    ``days``: the members' dates; two halves both dated within days of each
    other are one event told two ways, not two events."""
    n = len(vecs)
    if n < p.split_min:
        return None
    lv = _local(vecs, p.split_weights)
    sim = [[cosine(a, b) for b in lv] for a in lv]
    i, j = min(((i, j) for i in range(n) for j in range(i + 1, n)), key=lambda ij: sim[ij[0]][ij[1]])
    a_side, b_side = [i], [j]
    for _ in range(5):
        a2, b2 = [], []
        for k in range(n):
            sa = [sim[k][x] for x in a_side if x != k]
            sb = [sim[k][x] for x in b_side if x != k]
            ma = sum(sa) / len(sa) if sa else 0.0
            mb = sum(sb) / len(sb) if sb else 0.0
            (a2 if ma >= mb else b2).append(k)
        if not a2 or not b2 or (a2, b2) == (a_side, b_side):
            break
        a_side, b_side = a2, b2
    if len(a_side) < 2 or len(b_side) < 2:
        return None
    bs = set(b_side)
    if any((x in bs) != (y in bs) for x, y in keep_together):
        return None

    def link(xs, ys):
        ps = [sim[x][y] for x in xs for y in ys if x != y]
        return sum(ps) / len(ps) if ps else 0.0

    if days is not None and p.split_same_days is not None:
        da = sorted(days[k] for k in a_side if days[k] is not None)
        dbs = sorted(days[k] for k in b_side if days[k] is not None)
        if da and dbs and abs(da[len(da) // 2] - dbs[len(dbs) // 2]) <= p.split_same_days:
            return None
    own = (link(a_side, a_side) + link(b_side, b_side)) / 2
    if not (own > 0 and link(a_side, b_side) < p.split_ratio * own):
        return None
    # And the halves must be apart in the library's own terms too: their average
    # link on the whole vectors no more than a weak join (a small story of one
    # event can look divided once what all its members share is discounted).
    cross = [cosine(vecs[x], vecs[y]) for x in a_side for y in b_side]
    if sum(cross) / len(cross) > p.split_global * p.threshold:
        return None
    return b_side
