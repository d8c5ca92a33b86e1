"""The entity stage of an import: extract what is new, then bring the entity tables up to date
(incrementally: only the articles, groups and entities a change reaches)."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager

from ..model import Progress
from ..store import LibraryError, Store
from ..store.entities import cache, schema
from .entities import SyncIndex, refresh

# Extractions committed together: an interrupted run loses at most one batch.
COMMIT_EVERY = 100


def work_pending(store: Store) -> bool:
    """Whether run_stage has anything to do (stops at the first text found)."""
    conn = store.conn
    return cache.any_pending_text(conn) or cache.stale_articles(conn) > 0 or schema.needs_rebuild(conn)


def run_stage(store: Store, sync_index: SyncIndex, lock: AbstractContextManager,
              progress: Progress | None = None, rebuild: bool = False, n_process: int | None = None) -> int:
    """Extract entities for articles whose text has none cached, then rebuild the
    entity tables and bring the search index up to date (``sync_index``). ``lock``
    is the library's writer lock, held around each write. Returns how many texts
    went through the model."""
    conn = store.conn
    if rebuild:
        with lock, store.transaction():
            cache.clear(conn)
    todo = cache.pending_hashes(conn)
    if not todo and not cache.stale_articles(conn) and not schema.needs_rebuild(conn):
        return 0
    done = 0
    if todo:
        try:
            from ..analysis.entities import extract
        except ImportError as exc:  # pragma: no cover - spaCy is a pinned dependency
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
            with lock, store.transaction():
                cache.save(conn, batch)
            batch.clear()

        for h, spans in extract.extract(texts(), n_process=procs):
            batch.append((h, model, spans, time.time()))
            done += 1
            if len(batch) >= COMMIT_EVERY:
                commit()
            if progress:  # every text: the bar moves (and has a rate) before the first commit
                progress(done, total, "entities")
        if batch:
            commit()
        if progress:
            progress(done, total, "entities")
    refresh(store, sync_index, lock, full=rebuild, progress=progress)
    return done
