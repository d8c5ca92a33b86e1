"""Stories: articles that report the same event, grouped, at two levels.

A *story* is one event covered by any number of outlets in their own words; it
is decided by the event model in ``articles.analysis.events`` (weighted terms,
names and numbers, central entities, date evidence), placing each new article
into the story its nearest articles (found through a term table, never all
pairs) belong to, or starting one; a story found to be two look-alike events
(bisected on story-local idf) is split. Inside a story, *copies* are reprints,
wire copies and re-reports: articles sharing passages of text
(``articles.services.copies``). A copy always joins its original's story.

Everything is incremental (new or changed articles only) and rebuildable from
the store (``regroup(store, from_scratch=True)``); the user's splits and merges
are kept in their own table and replayed on every regroup.  The tables and
their SQL are in ``articles.store.stories``.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import re
import threading
from dataclasses import dataclass, field

from ..analysis import copies as cp
from ..analysis import events as ev
from ..store.entities import queries as entities
from ..store import Store, StoreError
from ..store import stories as db
from ..store.writing import writing
from .copies import copy_links, update

STORY_THRESHOLD = ev.Params().threshold  # module level, so the evaluation can sweep it


@dataclass
class Story:
    id: str
    title: str
    articles: list[str]  # oldest first
    sources: list[str] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)  # {"id", "title", "date", "source"}, oldest first
    copies: list[list[str]] = field(default_factory=list)  # groups of reprints / re-reports inside

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "articles": self.articles,
                "size": len(self.articles), "sources": self.sources,
                "timeline": self.timeline, "copies": self.copies}


def _day(value: str | None) -> int | None:
    d = cp.parse_date(value)
    return d.toordinal() if d else None


def _params() -> ev.Params:
    return ev.Params(threshold=STORY_THRESHOLD)


def _entity_mentions(conn, aid: str, title: str, body: str) -> list[ev.EntityMention]:
    # Only asked for articles the entity stage has run on (their tables exist).
    refs = entities.article_entities(conn, aid)
    words = list(re.finditer(r"\S+", body))
    lead_end = words[min(len(words), ev.LEAD_WORDS) - 1].end() if words else 0
    folded = title.casefold()
    out = []
    for r in refs:
        if r.type == "other":
            continue
        out.append(ev.EntityMention(
            str(r.entity_id), r.count,
            in_title=any(t.casefold() in folded for _, _, t in r.mentions if len(t) > 2),
            in_lead=any(st < lead_end for st, _, _ in r.mentions)))
    return out


def _features(conn, aid: str, title: str, body: str, with_entities: bool) -> tuple[dict, bool]:
    f = ev.term_counts(title, body)
    if with_entities:
        ents = ev.entity_centrality(_entity_mentions(conn, aid, title, body))
        f.update(ents)
        return f, bool(ents)
    return f, False


PARALLEL_MIN = 5000  # articles before term counting is worth a pool of processes


def _counts_of(pairs: list[tuple[str, str, str]]) -> dict[str, dict]:
    return {aid: ev.term_counts(title, body) for aid, title, body in pairs}


def _term_counts_all(store: Store, ids: list[str], size: int = 500):
    """(chunk, {id: Article}, {id: term counts}) for every article, in chunks.

    Counting terms is most of a regroup and needs no database: with many
    articles, a single-threaded process (the CLI, not the TUI: forking a
    process with threads can copy a held lock) forks a pool for it, a few
    chunks in flight so memory stays bounded."""
    chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
    cores = os.cpu_count() or 1
    if len(ids) < PARALLEL_MIN or cores < 2 or threading.active_count() != 1 \
            or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in chunks:
            arts = store.get_many(chunk)
            yield chunk, arts, _counts_of([(a, x.title, x.body) for a, x in arts.items()])
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(cores, 4), mp_context=multiprocessing.get_context("fork")) as pool:
        pending = collections.deque()
        for chunk in chunks:
            arts = store.get_many(chunk)
            pending.append((chunk, arts, pool.submit(_counts_of, [(a, x.title, x.body) for a, x in arts.items()])))
            if len(pending) > 2 * cores:
                c, a, fut = pending.popleft()
                yield c, a, fut.result()
        while pending:
            c, a, fut = pending.popleft()
            yield c, a, fut.result()


def _corrections(conn) -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    """The user's corrections, the last word on each pair winning:
    (article -> articles it must not share a story with, pairs that must)."""
    last: dict[frozenset, tuple[str, str, str]] = {}
    for kind, a, b in db.corrections(conn):
        last[frozenset((a, b))] = (kind, a, b)
    cannot: dict[str, set[str]] = {}
    must = []
    for kind, a, b in last.values():
        if kind == "apart":
            cannot.setdefault(a, set()).add(b)
            cannot.setdefault(b, set()).add(a)
        else:
            must.append((a, b))
    return cannot, must


def _apply_must(conn, must: list[tuple[str, str]]) -> None:
    """Merged stories stay merged: fold the later story's key into the earlier one's."""
    for a, b in must:
        keys = db.story_keys(conn, [a, b])
        ka, kb = keys.get(a), keys.get(b)
        if ka and kb and ka != kb:
            db.rekey(conn, kb, ka)


def _unplace(conn, aid: str) -> None:
    key = db.drop_member(conn, aid)
    db.drop_doc(conn, aid)
    if key == aid:
        rest = db.first_member(conn, aid)
        if rest:
            db.rekey(conn, aid, rest)


def place(store: Store, *, lock: threading.Lock | None = None, params: ev.Params | None = None) -> int:
    """Place new and changed articles (and those whose entities arrived since)
    into stories, one at a time, from the term table. Returns how many."""
    conn = store.conn
    p = params or _params()
    arrival = db.unplaced(conn)  # new or changed, in arrival order
    gone = db.gone(conn)
    # Articles whose entities arrived after they were placed: only looked for when the
    # entity stage has run since (its state table changed size).
    sig = str(db.entity_rows(conn))
    if sig != (store.meta_get("stories.entity_rows") or "0"):
        arrival += [x for x in db.without_entities_ready(conn) if x[0] not in dict(arrival)]
    current = dict(arrival)
    todo = [a for a, _ in arrival]
    ready = db.entities_ready(conn, todo) if todo else set()
    if not gone and not todo:
        if (sig != (store.meta_get("stories.entity_rows") or "0") or not db.outbox_trusted(conn, "event")
                or db.outbox_pending(conn, "event")):
            with writing(store, lock, derived=True):
                store.meta_set("stories.entity_rows", sig)
                db.outbox_done(conn, "event")
        return 0
    if len(todo) > BULK_PLACE and len(todo) > db.doc_count(conn):
        regroup(store, lock=lock, from_scratch=True)  # mostly new: all at once is faster
        return len(todo)
    state = db.doc_state_of(conn, todo)
    links = copy_links(store, todo)
    cannot, must = _corrections(conn)
    with writing(store, lock, derived=True):
        for aid in gone + [a for a in todo if a in state]:
            _unplace(conn, aid)
        seq = db.next_seq(conn)
        for i in range(0, len(todo), 200):
            chunk = todo[i:i + 200]
            arts = store.get_many(chunk)
            for aid in chunk:
                art = arts.get(aid)
                if art is not None:
                    place_one(conn, art.id, art.title, art.body, art.date, current[aid], seq,
                              aid in ready, p, links.get(aid, ()), cannot.get(aid, ()))
                    seq += 1
        _apply_must(conn, must)
        store.meta_set("stories.entity_rows", sig)
        db.outbox_done(conn, "event")
    return len(todo)


BULK_PLACE = 2000


def place_one(conn, aid: str, title: str, body: str, date: str | None, body_hash: str, seq: int,
              with_entities: bool, p: ev.Params, copies=(), refuse=()) -> str:
    """One article into its story (the index look-up and the decision); returns the story key."""
    feats, has_e = _features(conn, aid, title, body, with_entities)
    n = db.doc_count(conn) + 1
    df = db.df_of(conn, feats)
    df = {t: df.get(t, 0) + 1 for t in feats}
    feats = ev.keep_strongest(feats, df, n)
    vec = ev.weigh(feats, df, n)
    day = _day(date)
    refused = set(db.story_keys(conn, list(refuse)).values()) if refuse else set()
    key = None
    score = None  # the event score it joined by (None: a copy, or a story of its own)
    if copies:
        # A copy of articles in several stories joins the earliest placed of them
        # (a story's key is its earliest member), as the regroup does: the first
        # row of the look-up was whichever the database returned first.
        linked = set(db.story_keys(conn, list(copies)).values()) - refused
        if linked:
            seqs = {k: db.seq_or_none(conn, k) for k in linked}
            key = min(linked, key=lambda k: (seqs[k] is None, seqs[k] or 0, k))
    if key is None:
        query = {t: vec[t] for t in ev.query_terms(vec, df, n, p)}
        cands = db.candidates(conn, query, p.candidates)
        if cands:
            # The regroup's rule: a story whose best candidate, with the best date
            # evidence, falls short of the threshold cannot reach it, so only the
            # stories left are read in full (reading every candidate's story was
            # most of the time at 100,000 articles).
            cdocs = db.docs(conn, cands)
            dfc = db.df_of(conn, {t for f, _, _ in cdocs.values() for t in f})
            for t in feats:
                dfc[t] = df[t]
            floor = p.threshold / max(p.near_bonus, 1.0)
            keys_of = db.story_keys(conn, cands)
            keys = {keys_of[c] for c, (f, d, _) in cdocs.items() if c in keys_of
                    and ev.cosine(vec, ev.weigh(f, dfc, n)) * ev.date_factor(day, d, p) >= floor} - refused
            mem = db.story_members(conn, sorted(keys), p.max_members)
            docs = db.docs(conn, [m for ms in mem.values() for m in ms])
            dfm = db.df_of(conn, {t for f, _, _ in docs.values() for t in f})
            for t in feats:
                dfm[t] = df[t]
            near = {k: [ev.Member(ev.weigh(docs[m][0], dfm, n), docs[m][1]) for m in ms if m in docs]
                    for k, ms in mem.items()}
            key, score = ev.choose(vec, day, near, p, refused)
    key = key or aid
    db.put_doc(conn, aid, body_hash, seq, day, has_e, feats, ev.strongest(vec, p.posting_terms))
    db.set_member(conn, aid, key)
    # Only a weak join can make a story two events: a copy, or an article much like
    # the story, changes nothing the check would see (and the check costs most).
    if key != aid and score is not None and score < p.recheck_below * p.threshold:
        key = _recheck(conn, aid, key, n, p, copies)
    return key


def _recheck(conn, aid: str, key: str, n: int, p: ev.Params, copies) -> str:
    """After an article joins a story: is the story now two look-alike events?"""
    size = db.story_size(conn, key)
    if not p.split_min <= size <= p.split_max_new:
        return key
    mem = db.story_members(conn, [key], size).get(key, [])[::-1]  # arrival order
    docs = db.docs(conn, mem)
    mem = [m for m in mem if m in docs]
    df = db.df_of(conn, {t for f, _, _ in docs.values() for t in f})
    vecs = [ev.weigh(docs[m][0], df, n) for m in mem]
    _, must = _corrections(conn)
    must_of: dict[str, set[str]] = {}
    for a, b in must:
        must_of.setdefault(a, set()).add(b)
        must_of.setdefault(b, set()).add(a)
    links = {aid: set(copies)} if copies else {}
    story_of = {m: key for m in mem}
    moved = _check_split(story_of, mem, vecs, p, links, must_of, [docs[m][1] for m in mem])
    if moved and key in moved:
        return key  # never: the first member stays in the first half
    for m in moved:
        db.set_member(conn, m, moved[0])
    return story_of[aid]


def regroup(store: Store, *, lock: threading.Lock | None = None, from_scratch: bool = False,
            params: ev.Params | None = None) -> dict[str, str]:
    """Bring stories up to date and return {article id: story key} for the
    articles in stories of two or more. ``from_scratch``: rebuild the term table
    and every story from the store, in arrival order, with the final idf (the
    user's corrections are replayed)."""
    conn = store.conn
    if not from_scratch:
        place(store, lock=lock, params=params)
        return _grouped(conn)
    p = params or _params()
    links = copy_links(store)
    cannot, must = _corrections(conn)
    ready = db.entities_ready(conn)
    order = db.arrival(conn)
    feats: dict[str, dict] = {}
    has_e: dict[str, bool] = {}
    days: dict[str, int | None] = {}
    ids = [a for a, _ in order]
    for chunk, arts, counts in _term_counts_all(store, ids):
        for aid, art in arts.items():
            f = counts[aid]
            has_e[aid] = False
            if aid in ready:
                ents = ev.entity_centrality(_entity_mentions(conn, aid, art.title, art.body))
                f.update(ents)
                has_e[aid] = bool(ents)
            feats[aid] = f
            days[aid] = _day(art.date)
    n = len(feats)
    df: dict[str, int] = {}
    for f in feats.values():
        for t in f:
            df[t] = df.get(t, 0) + 1
    kept = {}
    for a in list(feats):  # popped as truncated: at 100k the full features are most of the memory
        kept[a] = ev.keep_strongest(feats.pop(a), df, n)
    df = {}
    for f in kept.values():
        for t in f:
            df[t] = df.get(t, 0) + 1
    g = ev.Grouper(df, n, p, cannot=cannot)
    seen: set[str] = set()
    for aid in ids:
        if aid in kept:
            g.add(ev.EventDoc(aid, kept[aid], days[aid]), link_to=[x for x in links.get(aid, ()) if x in seen])
            seen.add(aid)
    must_of: dict[str, set[str]] = {}
    for a, b in must:
        must_of.setdefault(a, set()).add(b)
        must_of.setdefault(b, set()).add(a)
    for sid, mem in list(g.members.items()):
        if p.split_min <= len(mem) <= p.split_max:
            _check_split(g.story_of, mem, [g.vecs[m] for m in mem], p, links, must_of, [days[m] for m in mem])
    hashes = dict(order)
    with writing(store, lock, derived=True):
        db.clear_docs(conn)
        db.bulk_put(conn, ((a, hashes[a], i, days[a], has_e[a], kept[a]) for i, a in enumerate(ids) if a in kept),
                    df, ((t, a) for a in ids if a in kept for t in ev.strongest(g.vecs[a], p.posting_terms)))
        db.replace_members(conn, g.story_of)
        _apply_must(conn, must)
        store.meta_set("stories.entity_rows", str(db.entity_rows(conn)))
        db.outbox_done(conn, "event")
    return _grouped(conn)


def _check_split(story_of: dict[str, str], mem: list[str], vecs: list[dict], p: ev.Params,
                 links: dict[str, set[str]], must_of: dict[str, set[str]],
                 days: list[int | None] | None = None) -> list[str]:
    """Split a story found to be two look-alike events (copies and the user's merges
    kept together); the second half's key is its first member. Returns the moved ids."""
    pos = {m: i for i, m in enumerate(mem)}
    together = [(pos[a], pos[b]) for a in mem for b in (links.get(a, set()) | must_of.get(a, set()))
                if b in pos]
    half = ev.two_events(vecs, p, together, days)
    if half is None:
        return []
    if 0 in half:
        # The story keeps its key (its first member): the half without it moves.
        # (Moving the half with the key would relabel it with the key it had.)
        half = [k for k in range(len(mem)) if k not in set(half)]
    moved = [mem[k] for k in sorted(half)]
    for m in moved:
        story_of[m] = moved[0]
    return moved


def _grouped(conn) -> dict[str, str]:
    member = db.members(conn)
    size: dict[str, int] = {}
    for k in member.values():
        size[k] = size.get(k, 0) + 1
    return {a: k for a, k in member.items() if size[k] > 1}


def refresh(store: Store, lock: threading.Lock | None = None) -> dict[str, str]:
    # Stories are derived and cached in the store; a read-only library works
    # them out in a private copy instead (reading never needs to write).
    store.use_private_copy()
    try:
        update(store, lock)
        return regroup(store, lock=lock)
    except StoreError as exc:
        if "the disk is full" not in str(exc):
            raise
        # A full disk: the stories as last worked out (articles saved since then
        # stand alone) rather than none; the rollback kept the cached tables whole.
        return _grouped(store.conn)


# -- corrections --------------------------------------------------------------------------
class StoryError(ValueError):
    """A correction that cannot be made, said plainly."""


def split(store: Store, aid: str, *, lock: threading.Lock | None = None) -> Story:
    """Take an article out of its story; it stays out across regrouping (until merged back)."""
    conn = store.conn
    story = story_of(store, aid, lock=lock)
    if len(story.articles) < 2:
        raise StoryError("that article is alone in its story already")
    with writing(store, lock):
        for m in story.articles:
            if m != aid:
                db.add_correction(conn, "apart", aid, m)
        key = db.story_keys(conn, [aid]).get(aid, aid)
        if key == aid:
            rest = [m for m in story.articles if m != aid]
            keys = db.story_keys(conn, rest)
            nxt = min(rest, key=lambda m: db.seq_of(conn, m))
            for m in rest:
                if keys.get(m) == aid:
                    db.set_member(conn, m, nxt)
        db.set_member(conn, aid, aid)
    return story_of(store, aid, refresh_first=False)


def merge(store: Store, a: str, b: str, *, lock: threading.Lock | None = None) -> Story:
    """Make the stories of two articles (or story ids) one; it stays one across regrouping."""
    conn = store.conn
    sa, sb = story_of(store, a, lock=lock), story_of(store, b, lock=lock)
    if sa.id == sb.id:
        raise StoryError("those are one story already")
    cannot, _ = _corrections(conn)
    with writing(store, lock):
        for x in sa.articles:
            for y in sb.articles:
                if y in cannot.get(x, ()):
                    db.add_correction(conn, "together", x, y)
        db.add_correction(conn, "together", sa.id, sb.id)
        _apply_must(conn, [(sa.id, sb.id)])
    return story_of(store, sa.id, refresh_first=False)


# -- reading ----------------------------------------------------------------------------
def _story(sid_rows: list, links: dict[str, set[str]] | None) -> Story:
    rows = sid_rows
    titles = [(r.title, r.id) for r in rows]
    best = ev.best_title([t for t, _ in titles])
    ids = [r.id for r in rows]
    copies = cp.copy_groups(ids, links) if links else []
    return Story(rows[0].id, titles[best][0] if titles else "", ids,
                 sorted({r.source for r in rows if r.source}),
                 [{"id": r.id, "title": r.title, "date": r.date, "source": r.source} for r in rows],
                 copies)


def stories(store: Store, *, lock: threading.Lock | None = None, refresh_first: bool = True,
            min_size: int = 1) -> list[Story]:
    """Every story, biggest first, singletons included (``min_size=2`` for groups only)."""
    member = refresh(store, lock) if refresh_first else _grouped(store.conn)
    links = copy_links(store)
    rows = store.rows(sort="date-asc")
    by_story: dict[str, list] = {}
    for r in rows:
        by_story.setdefault(member.get(r.id, r.id), []).append(r)
    out = [_story(rs, links) for rs in by_story.values() if len(rs) >= min_size]
    out.sort(key=lambda s: (-len(s.articles), s.title.casefold(), s.id))
    return out


def story_of(store: Store, aid: str, *, lock: threading.Lock | None = None, refresh_first: bool = True) -> Story:
    """The story an article belongs to (itself alone when it has no other versions)."""
    conn = store.conn
    if refresh_first:
        refresh(store, lock)
    key = db.story_keys(conn, [aid]).get(aid, aid)
    ids = db.member_ids(conn, key) or [aid]
    rows = store.rows(sort="date-asc", ids=ids)
    if not rows:
        return Story(aid, "", [aid])
    return _story(rows, copy_links(store))

