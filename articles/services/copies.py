"""The copy level of stories: keeping every article's shingle sketch and its
candidate pairs current (incrementally, from the outbox), and the decision on
each pair (``articles.analysis.copies``).  A copy always joins its original's
story."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from ..analysis import copies as cp
from ..store import Store
from ..store import stories as db
from ..store.writing import writing
from .entity_lookup import entity_ids

# Above this many articles sketched at once, the shingle counts are recounted in
# one grouped pass (one index scan) instead of one upsert per shingle.
BULK_DF = 2000


def update(store: Store, lock: threading.Lock | None = None) -> int:
    """Hash new and changed bodies, drop deleted ones, refresh candidate pairs.
    Returns how many articles were (re)sketched."""
    conn = store.conn
    if store.meta_get("stories.sketch") != cp.SKETCH_VERSION:
        with writing(store, lock, derived=True):  # sketches of another hash: derived data, made again
            db.reset_sketches(conn)
            store.meta_set("stories.sketch", cp.SKETCH_VERSION)
    trusted = db.outbox_trusted(conn, "copy")
    current = db.unsketched(conn, trusted)
    gone = db.sketches_gone(conn, trusted)
    todo = list(current)
    if not gone and not todo:
        if not trusted or db.outbox_pending(conn, "copy"):
            with writing(store, lock, derived=True):
                db.outbox_done(conn, "copy")
        return 0
    with writing(store, lock, derived=True):
        bulk = len(todo) > BULK_DF or not db.df_current(conn)
        for aid in gone + todo:
            db.forget_sketch(conn, aid, count=not bulk)
        if bulk:
            db.drop_shingle_indexes(conn)
        for i in range(0, len(todo), 200):
            chunk = todo[i:i + 200]
            for aid, body in store.bodies(chunk).items():
                db.put_sketch(conn, aid, current[aid], cp.shingles(body), count=not bulk)
        if bulk:
            db.create_shingle_indexes(conn)
            db.recount_df(conn)
            db.pairs_bulk(conn, set(todo), cp.BOILERPLATE_DF, cp.CANDIDATE)
        else:
            db.pairs_each(conn, todo, cp.BOILERPLATE_DF, cp.CANDIDATE)
        db.outbox_done(conn, "copy")
    return len(todo)


def evidence(store: Store, ids: Sequence[str] | None = None) -> list[cp.PairEvidence]:
    """Every candidate pair (of these articles, or all) with the decision taken on it."""
    conn = store.conn
    pairs = db.candidate_pairs(conn, ids)
    ids = sorted({x for p in pairs for x in p[:2]})
    dates = {i: cp.parse_date(d) for i, d in db.dates(conn, ids).items()}
    ents = {i: entity_ids(store, i) for i in ids}
    return [cp.judge(a, b, s, c, dates, ents) for a, b, s, c in pairs]


def copy_links(store: Store, ids: Sequence[str] | None = None) -> dict[str, set[str]]:
    """Article -> the articles it is a copy of (or that copy it): accepted shingle pairs
    (of these articles, or all)."""
    links: dict[str, set[str]] = {}
    for e in evidence(store, ids):
        if e.same_story:
            links.setdefault(e.a, set()).add(e.b)
            links.setdefault(e.b, set()).add(e.a)
    return links
