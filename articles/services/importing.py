"""Importing: files, folders, globs and URLs read into drafts and saved into
the store, with the search index fed while a big import is still reading.

Reading and cleaning a file costs about as much as indexing it, so a big import
from the CLI reads in a pool of processes while this process saves what they
return.  Nothing here takes a ``Library``: ``Importing`` is built from the store,
the index-sync engine and the write lock it shares with the other writers.
What follows an import (the entity stage, a backup) is the caller's.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index import BULK_CHUNK

from ..model import Draft, Progress, body_hash
from ..store import LibraryError, Store, friendly_error
from .indexing import IndexFeeder, Indexing

__all__ = ["ImportReport", "Importing", "BATCH", "PARALLEL_READ_MIN"]

BATCH = 250  # drafts saved per transaction

# From this many files on, they are read in a pool of processes (one per core).
PARALLEL_READ_MIN = 400

SAMPLES = Path(__file__).parent.parent / "samples"


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    duplicate_of: list[tuple[str, str]] = field(default_factory=list)  # (source, existing id)
    ids: list[str] = field(default_factory=list)  # added or updated
    unindexed: set[str] = field(default_factory=set)  # of those, ids the index cannot hold yet
    # Read, but with something skipped or dropped: (source, what), e.g. a bad
    # JSON Lines line ("line 3: invalid JSON: ...") or a non-http URL.
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def merge(self, other: ImportReport) -> None:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.duplicates += other.duplicates
        self.failed += other.failed
        self.duplicate_of += other.duplicate_of
        self.warnings += other.warnings
        self.ids += other.ids
        self.unindexed |= other.unindexed

    def to_json(self) -> dict:
        return {
            "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "failed": [{"source": s, "error": e} for s, e in self.failed],
            "duplicate_of": [{"source": s, "id": i} for s, i in self.duplicate_of],
            "warnings": [{"source": s, "warning": w} for s, w in self.warnings],
        }


def _read_one(path: Path) -> tuple[Path, list[tuple[Draft, str]], str | None, list[str]]:
    """(path, [(draft, body hash)], error, problems): problems are what was
    skipped or dropped in a file that was read (a bad JSON Lines line, a
    non-http URL). The hash is computed here, in the reader processes,
    because the saving process is the import's bottleneck."""
    from ..readers import ReadError, read_file

    try:
        # Importing.add's paths come from expand_sources, resolved already.
        result = read_file(path, resolved=True)
        return path, [(d, body_hash(d.body)) for d in result.drafts], None, result.problems
    except ReadError as exc:
        return path, [], str(exc), []
    except RecursionError:  # a reader bug must not stop the other files
        return path, [], "nested too deeply to read", []
    except Exception as exc:
        return path, [], f"{type(exc).__name__}: {exc}", []


def _can_fork(n: int) -> bool:
    # Only fork a single-threaded process (the CLI): forking one with other
    # threads (the TUI) can copy a held lock into the child, and spawning
    # would re-run the caller's main module.
    return n >= PARALLEL_READ_MIN and (os.cpu_count() or 1) > 1 and threading.active_count() == 1


def _read_files(paths: Sequence[Path]):
    """(path, [(draft, body hash)], error, problems) for each path, in order."""
    cores = os.cpu_count() or 1
    if not _can_fork(len(paths)):
        yield from map(_read_one, paths)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(cores, 4),
                             mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(_read_one, paths, chunksize=32)


def sample_drafts() -> list[Draft]:
    """The shipped sample articles. Their origin is their file name, not the
    install path, so their ids are the same on every machine."""
    from ..readers import read_path

    drafts = []
    for p in sorted(SAMPLES.glob("*.md")):
        for d in read_path(p):
            d.origin, d.path = f"sample:{p.name}", None
            drafts.append(d)
    return drafts


class Importing:
    """Saving drafts into one store, and the import pipeline that reads them."""

    def __init__(self, store: Store, indexing: Indexing, *, write_lock: threading.Lock):
        self.store = store
        self.indexing = indexing
        self._write_lock = write_lock

    def add(self, sources: Sequence[str], progress: Progress | None = None,
            timeout: float | None = None, follow_links: bool = False) -> ImportReport:
        """Read and save files, folders, globs (and URLs), then index them.
        ``timeout``: the seconds one URL may take in all (connect, redirects,
        headers and body); a silent server is also given up on sooner, after
        the usual per-read timeout."""
        from ..readers import expand_sources

        report = ImportReport()
        urls = [s for s in sources if s.startswith(("http://", "https://"))]
        paths, missing = expand_sources([s for s in sources if s not in urls], follow_links)
        report.failed += missing
        total = len(paths) + len(urls)
        pending: list[tuple[Draft, str | None]] = []
        done = 0
        # A big import from the CLI indexes what it saves while it reads, in
        # the index's helper processes, instead of reading everything first:
        # BULK_CHUNK files at a time, each chunk one commit. (Chunks, so the
        # helpers of each commit are forked between two reader pools, never
        # from a process running a pool's threads.)
        feeder = IndexFeeder.start(self.indexing) if _can_fork(len(paths)) else None
        step = BULK_CHUNK if feeder is not None else max(len(paths), 1)

        def flush():
            if pending:
                saved = self.save(pending)
                report.merge(saved)
                pending.clear()
                if feeder is not None:
                    feeder.feed(saved.ids, new=saved.unindexed)

        with self.store.bulk_writes():
            try:
                for url in urls:
                    try:
                        from ..web.fetch import DEFAULT_TIMEOUT, deadline
                        from ..web.pages import fetch_page

                        if timeout is None:
                            pending.append((fetch_page(url), None))
                        else:
                            # The whole URL has one deadline, however its
                            # server spreads its bytes over the reads.
                            with deadline(time.monotonic() + max(timeout, 0.1)):
                                pending.append((fetch_page(url, timeout=min(timeout, DEFAULT_TIMEOUT)), None))
                    except Exception as exc:
                        report.failed.append((url, str(exc) or type(exc).__name__))
                    done += 1
                for start in range(0, len(paths), step):
                    for p, drafts, error, problems in _read_files(paths[start:start + step]):
                        if error is None:
                            pending.extend(drafts)
                        else:
                            report.failed.append((str(p), error))
                        report.warnings += [(str(p), w) for w in problems]
                        done += 1
                        if len(pending) >= BATCH:
                            flush()
                        if progress:
                            progress(done, total, p.name)
                    flush()
                    if feeder is not None:
                        feeder.finish(progress)
                        more = start + step < len(paths)
                        feeder = IndexFeeder.start(self.indexing) if more and _can_fork(len(paths)) else None
                flush()
            except BaseException:
                if feeder is not None:
                    feeder.abandon()
                raise
        self.indexing.sync()
        return report

    def add_drafts(self, drafts: Iterable[Draft]) -> ImportReport:
        """Save drafts BATCH at a time, then index them."""
        report = ImportReport()
        batch: list[Draft] = []
        for d in drafts:
            batch.append(d)
            if len(batch) >= BATCH:
                report.merge(self.save(batch))
                batch = []
        if batch:
            report.merge(self.save(batch))
        self.indexing.sync()
        return report

    def save(self, drafts: Sequence[Draft | tuple[Draft, str | None]]) -> ImportReport:
        """Save drafts, or (draft, its body hash) pairs, in one transaction."""
        report = ImportReport()
        try:
            with self._write_lock, self.store.transaction():
                for item in drafts:
                    d, h = item if isinstance(item, tuple) else (item, None)
                    res = self.store.upsert(d, hash_=h)
                    label = d.path or d.url or d.origin
                    if res.status == "duplicate":
                        report.duplicates += 1
                        report.duplicate_of.append((label, res.id))
                    else:
                        setattr(report, res.status, getattr(report, res.status) + 1)
                        if res.status != "unchanged":
                            report.ids.append(res.id)
                        if res.unindexed:
                            report.unindexed.add(res.id)
        except (OSError, sqlite3.Error) as exc:
            raise LibraryError(friendly_error(exc, "could not save articles")) from exc
        return report

    def add_samples(self) -> ImportReport:
        """Import the shipped samples, and remember that they were (a library
        emptied later is not seeded again)."""
        report = self.add_drafts(sample_drafts())
        with self.store.transaction():
            self.store.meta_set("samples_seeded", "1")
        return report
