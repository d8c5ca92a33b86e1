"""The entity stage of an import: extract what is new, then bring the entity tables up to date
(incrementally: only the articles, groups and entities a change reaches)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from . import api, resolve

Progress = Callable[[int, int, str], None]
# Extractions committed together: an interrupted run loses at most one batch.
COMMIT_EVERY = 100


def pending_hashes(conn) -> list[tuple[str, str]]:
    """(body_hash, article id) for bodies with no cached extraction, one article per hash."""
    return conn.execute(
        "SELECT a.body_hash, min(a.id) FROM articles a "
        "WHERE NOT EXISTS (SELECT 1 FROM entity_cache c WHERE c.body_hash = a.body_hash) "
        "GROUP BY a.body_hash ORDER BY min(a.id)").fetchall()


def stale_articles(conn) -> int:
    """Articles added, changed or deleted since their entities were last derived
    (kept by triggers on the articles table, so counting them scans nothing)."""
    return conn.execute("SELECT count(*) FROM entity_dirty").fetchone()[0]


def work_pending(conn) -> bool:
    """Whether run_stage has anything to do (stops at the first text found)."""
    row = conn.execute(
        "SELECT 1 FROM articles a WHERE NOT EXISTS "
        "(SELECT 1 FROM entity_cache c WHERE c.body_hash = a.body_hash) LIMIT 1").fetchone()
    return row is not None or stale_articles(conn) > 0 or resolve.needs_rebuild(conn)


def run_stage(library, progress: Progress | None = None, rebuild: bool = False,
              n_process: int | None = None) -> int:
    """Extract entities for articles whose text has none cached, then rebuild the
    entity tables and bring the search index up to date. Returns how many texts
    went through the model."""
    store = library.store
    conn = store.conn
    if rebuild:
        with store.transaction():
            conn.execute("DELETE FROM entity_cache")
    todo = pending_hashes(conn)
    if not todo and not stale_articles(conn) and not resolve.needs_rebuild(conn):
        return 0
    done = 0
    if todo:
        try:
            from . import extract
        except ImportError as exc:  # pragma: no cover - spaCy is a pinned dependency
            from ..library import LibraryError

            raise LibraryError(f"entity extraction needs spaCy and its English model: {exc}") from exc
        total = len(todo)
        procs = n_process if n_process is not None else extract.processes_for(total)
        if procs == 1 or extract.can_share_model():
            # Loading the model takes seconds: said as its own stage, not a
            # bar stuck at 0 (worker processes that cannot share it load their own).
            if progress:
                progress(0, 1, "loading the entity model")
            extract.load()
            if progress:
                progress(1, 1, "loading the entity model")
        model = extract.model_name()
        if progress:
            progress(0, total, "entities")

        def texts():
            for i in range(0, total, 200):
                chunk = todo[i:i + 200]
                bodies = store.bodies([aid for _, aid in chunk])
                for h, aid in chunk:
                    if aid in bodies:  # deleted meanwhile
                        yield h, bodies[aid]

        batch: list[tuple] = []

        def commit():
            with store.transaction():
                conn.executemany("INSERT OR REPLACE INTO entity_cache(body_hash, model, spans, created) "
                                 "VALUES (?,?,?,?)", batch)
                # Articles with this text are derived again (the cache may have
                # been lost while their mentions stayed).
                conn.execute("INSERT OR IGNORE INTO entity_dirty(article_id) SELECT a.id FROM articles a "
                             "WHERE a.body_hash IN (SELECT value FROM json_each(?))",
                             (json.dumps([b[0] for b in batch]),))
            batch.clear()

        for h, spans in extract.extract(texts(), n_process=procs):
            batch.append((h, model, json.dumps(spans, ensure_ascii=False), time.time()))
            done += 1
            if len(batch) >= COMMIT_EVERY:
                commit()
            if progress:  # every text: the bar moves (and has a rate) before the first commit
                progress(done, total, "entities")
        if batch:
            commit()
        if progress:
            progress(done, total, "entities")
    refresh(library, full=rebuild, progress=progress)
    return done


def refresh(library, full: bool = False, progress: Progress | None = None) -> int:
    """Bring the entity tables up to date (no spaCy): the dirty articles and
    whatever they and the corrections reach, or everything with ``full``.
    Queues the articles whose entity fields changed and syncs the index.
    Returns that count."""
    store = library.store
    if progress:
        progress(0, 1, "linking entities")
    with store.transaction():
        changed = resolve.update(store.conn, full=full)
        store.enqueue(changed)
    if progress:
        progress(1, 1, "linking entities")
    # The articles whose entity fields changed go back to the index: its own bar.
    library.sync_index(progress)
    return len(changed)


def correct(library, action: str, ref, value=None) -> api.EntityInfo | None:
    """Record a user correction, apply it, and return the entity as it now stands."""
    conn = library.store.conn
    with library.store.transaction():
        info, key = api._require(conn, ref)
        api.add_rule(conn, action, ref, value)
    refresh(library)
    eid = conn.execute("SELECT id FROM entities WHERE key = ?", (key,)).fetchone()
    return api._info(conn, eid[0]) if eid else None
