"""The one domain API: a library folder holding the SQLite store and the
Whoosh index derived from it. main.py and tui/ both go through this class."""

from __future__ import annotations

import functools
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index.core import BULK_CHUNK, IndexBusy, IndexError_, SearchIndex, to_document
from index.query import QueryError, SearchResults, make_parser, run_search, term_spans
from index.schema import make_schema

from .model import Article, Draft, body_hash
from .store import ArticleRow, LibraryError, Store, StoreError, friendly_error
from .entities import schema as _entity_schema  # noqa: F401  (registers the entity tables)
from . import dossier as _dossier, stories as _stories  # noqa: F401  (register their tables)

__all__ = ["Library", "LibraryError", "ImportReport", "CheckReport", "QueryError",
           "default_library_path"]

STORE_NAME = "library.db"
INDEX_NAME = "index"
BATCH = 250
# A sync waits this long for another process's index lock, then leaves the
# outbox to that process (which drains it after its own commit).
INDEX_LOCK_WAIT = 2.0

Progress = Callable[[int, int, str], None]  # (done, total, message)
# Reading and cleaning a file costs about as much as indexing it; from this many
# files on, they are read in a pool of processes (one per core) while this
# process saves what they return.
PARALLEL_READ_MIN = 400


def _read_one(path: Path) -> tuple[Path, list[tuple[Draft, str]], str | None, list[str]]:
    """(path, [(draft, body hash)], error, problems): problems are what was
    skipped or dropped in a file that was read (a bad JSON Lines line, a
    non-http URL). The hash is computed here, in the reader processes,
    because the saving process is the import's bottleneck."""
    from .readers import ReadError, read_file

    try:
        # Library.add's paths come from expand_sources, resolved already.
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




@functools.cache
def _body_analyzer():
    return make_schema()["body"].analyzer


class _IndexFeeder:
    """Indexes an import's saved articles while the rest is still being read.

    One bulk writer (Whoosh's multi-process one: its helper processes analyse
    and write while this process reads and saves) takes each saved batch of a
    chunk of files and commits once (see Library.add), so a crash loses at
    most one chunk of indexing work, and each commit leaves a few big segments
    rather than many small ones to merge. The outbox keeps the usual guarantee: a ticket is
    dequeued only after the commit that indexed its article, and anything not
    fed here (the index busy in another process, an id saved twice) stays
    queued for the sync that follows."""

    def __init__(self, lib: Library):
        self.lib = lib
        self.session = None
        self.tickets: list[tuple[str, int]] = []
        self.seen: set[str] = set()

    @classmethod
    def start(cls, lib: Library) -> _IndexFeeder | None:
        if lib.store.read_only:
            return None
        status = lib.index_status()
        if status not in ("ok", "stale"):
            if lib.store.count() or lib.store.queue_len():
                return None  # damaged or foreign: the sync after the import rebuilds it
            try:
                lib.reindex()  # a new library: start its (empty) index
            except LibraryError:
                return None
        feeder = cls(lib)
        return feeder if feeder._open() else None

    def _open(self) -> bool:
        try:
            self.session = self.lib.index.session(bulk=True)
        except (IndexError_, OSError):
            self.session = None
        return self.session is not None

    def feed(self, ids: Sequence[str], new: Container[str] = ()) -> None:
        """Index these saved articles; ``new``: those the index cannot hold yet,
        added without looking for an old copy (a lookup in every segment, the
        main cost of feeding a big library)."""
        if self.session is None:
            return
        ids = [i for i in dict.fromkeys(ids) if i not in self.seen]
        if not ids:
            return
        lib = self.lib
        try:
            # Tickets before content: a later change gets a newer ticket, which stays queued.
            tickets = lib.store.tickets(ids)
            ids = [aid for aid, _ in tickets]
            docs, gone = lib._documents(ids)
            self.session.write(docs, deletes=gone, new=new)
        except (OSError, sqlite3.Error) as exc:
            self.abandon()
            raise _friendly(exc, "could not update the search index") from exc
        self.seen.update(ids)
        self.tickets += tickets

    def finish(self) -> None:
        """Commit what was fed, then dequeue it."""
        session, self.session = self.session, None
        if session is None:
            return
        lib = self.lib
        try:
            session.commit()
        except BaseException as exc:
            session.abandon()
            lib.index.clean_orphans()
            if isinstance(exc, OSError):
                raise _friendly(exc, "could not update the search index") from exc
            raise
        tickets, self.tickets = self.tickets, []
        self.seen.clear()
        lib._committed(tickets)

    def abandon(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            session.abandon()
            self.lib.index.clean_orphans()


def default_library_path() -> Path:
    env = os.environ.get("NEWSDESK_LIBRARY")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("newsdesk", appauthor=False)) / "library"


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


@dataclass
class CheckReport:
    """What ``Library.check`` found and, with repair, what it fixed."""

    articles: int = 0
    indexed: int | None = 0
    queued: int = 0  # changes waiting in the outbox when the check started
    missing: int = 0
    extra: int = 0
    duplicated: int = 0
    problems: list[str] = field(default_factory=list)  # everything found
    repaired: list[str] = field(default_factory=list)  # what was done about it
    unrepairable: list[str] = field(default_factory=list)  # still wrong afterwards

    @property
    def clean(self) -> bool:
        """True when nothing is wrong now (nothing found, or all of it repaired)."""
        if self.unrepairable:
            return False
        return not self.problems or bool(self.repaired)

    def to_json(self) -> dict:
        return {"clean": self.clean, "articles": self.articles, "indexed": self.indexed,
                "queued": self.queued, "missing": self.missing, "extra": self.extra,
                "duplicated": self.duplicated, "problems": self.problems,
                "repaired": self.repaired, "unrepairable": self.unrepairable}


def _friendly(exc: BaseException, what: str) -> LibraryError:
    return LibraryError(friendly_error(exc, what))


class Library:
    def __init__(self, path: Path | str, *, create: bool = True):
        self.path = Path(path).expanduser()
        try:
            if not self.path.exists():
                if not create:
                    raise LibraryError(f"no library at {self.path}")
                self.path.mkdir(parents=True, mode=0o700)
            elif not self.path.is_dir():
                raise LibraryError(f"{self.path} is not a folder")
            self.store = Store(self.path / STORE_NAME)
        except StoreError as exc:
            raise LibraryError(str(exc)) from exc
        except (OSError, sqlite3.Error) as exc:
            raise _friendly(exc, f"cannot open library {self.path}") from exc
        token = self.store.meta_get("library_token")
        if token is None:
            token = secrets.token_hex(16)
            with self.store.transaction():
                self.store.meta_set("library_token", token)
        self.index = SearchIndex(self.path / INDEX_NAME, token)
        self.index.lock_timeout = INDEX_LOCK_WAIT
        self._parser = None
        self._write_lock = threading.Lock()
        self._feeds_ready = False

    # -- lifecycle ----------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str | None = None, *, seed_samples: bool = True) -> Library:
        """Open the given library, else $NEWSDESK_LIBRARY, else the user data dir.
        The default library is seeded with the shipped samples on first run."""
        explicit = path is not None or "NEWSDESK_LIBRARY" in os.environ
        lib = cls(path if path is not None else default_library_path())
        if seed_samples and not explicit and lib.store.meta_get("samples_seeded") is None \
                and lib.store.count() == 0:
            lib.add_samples()
        return lib

    def close(self) -> None:
        self.index.close()
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- importing ----------------------------------------------------------
    def add(self, sources: Sequence[str], progress: Progress | None = None,
            entities: bool = True) -> ImportReport:
        """Import files, folders, globs (and URLs): text first, then entities."""
        from .readers import expand_sources

        report = ImportReport()
        urls = [s for s in sources if s.startswith(("http://", "https://"))]
        paths, missing = expand_sources([s for s in sources if s not in urls])
        report.failed += missing
        total = len(paths) + len(urls)
        pending: list[tuple[Draft, str | None]] = []
        done = 0
        # A big import from the CLI indexes what it saves while it reads, in
        # the index's helper processes, instead of reading everything first:
        # BULK_CHUNK files at a time, each chunk one commit. (Chunks, so the
        # helpers of each commit are forked between two reader pools, never
        # from a process running a pool's threads.)
        feeder = _IndexFeeder.start(self) if _can_fork(len(paths)) else None
        step = BULK_CHUNK if feeder is not None else max(len(paths), 1)

        def flush():
            if pending:
                saved = self._save(pending)
                report.merge(saved)
                pending.clear()
                if feeder is not None:
                    feeder.feed(saved.ids, new=saved.unindexed)

        with self.store.bulk_writes():
            try:
                for url in urls:
                    try:
                        from .feeds import fetch_page

                        pending.append((fetch_page(url), None))
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
                        feeder.finish()
                        more = start + step < len(paths)
                        feeder = _IndexFeeder.start(self) if more and _can_fork(len(paths)) else None
                flush()
            except BaseException:
                if feeder is not None:
                    feeder.abandon()
                raise
        self.sync_index()
        if entities:
            self.run_entity_stage(progress)
        return report

    def add_drafts(self, drafts: Iterable[Draft], progress: Progress | None = None,
                   entities: bool = False) -> ImportReport:
        report = ImportReport()
        batch: list[Draft] = []
        for d in drafts:
            batch.append(d)
            if len(batch) >= BATCH:
                report.merge(self._save(batch))
                batch = []
        if batch:
            report.merge(self._save(batch))
        self.sync_index()
        if entities:
            self.run_entity_stage(progress)
        return report

    def _save(self, drafts: Sequence[Draft | tuple[Draft, str | None]]) -> ImportReport:
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
            raise _friendly(exc, "could not save articles") from exc
        return report

    def add_samples(self) -> ImportReport:
        """Import the shipped sample articles. Their origin is their file name,
        not the install path, so their ids are the same on every machine."""
        from .readers import read_path

        drafts = []
        for p in sorted(Path(__file__).with_name("samples").glob("*.md")):
            for d in read_path(p):
                d.origin, d.path = f"sample:{p.name}", None
                drafts.append(d)
        report = self.add_drafts(drafts)
        with self.store.transaction():
            self.store.meta_set("samples_seeded", "1")
        return report

    # -- feeds (the network and feed parsing are only imported here) ---------
    def _feeds(self):
        from . import feeds

        if not self._feeds_ready:
            with self._write_lock:
                self.store.conn.executescript(feeds.FEEDS_SCHEMA)
            self._feeds_ready = True
        return feeds

    def _feed_call(self, fn, *args, **kw):
        feeds = self._feeds()
        try:
            with self._write_lock:
                return fn(self.store.conn, *args, **kw)
        except feeds.FeedError as exc:
            raise LibraryError(str(exc)) from exc
        except sqlite3.Error as exc:
            raise _friendly(exc, "could not update feeds") from exc

    def list_feeds(self, tag: str | None = None):
        """Subscriptions (articles.feeds.Feed), each with ``unread`` and ``articles`` counts."""
        feeds = self._feeds().list_feeds(self.store.conn, tag=tag)
        counts = {r[0]: (r[1], r[2]) for r in self.store.conn.execute(
            "SELECT feed_id, count(*), sum(read=0) FROM articles WHERE feed_id IS NOT NULL GROUP BY feed_id")}
        for f in feeds:
            f.articles, f.unread = counts.get(f.id, (0, 0))
        return feeds

    def add_feed(self, url: str, tag: str | None = None):
        return self._feed_call(self._feeds().add_feed, url, tag=tag)

    def remove_feed(self, ref: str | int):
        """Unsubscribe; the feed's saved articles stay in the library."""
        return self._feed_call(self._feeds().remove_feed, ref)

    def import_opml(self, path: Path | str):
        return self._feed_call(self._feeds().import_opml, path)

    def export_opml(self) -> str:
        return self._feeds().export_opml(self.store.conn)

    def feed_article_ids(self, feed: int | None = None, tag: str | None = None) -> list[str]:
        """Articles saved from one feed, from the feeds tagged ``tag``, or (neither
        given) from any subscribed feed: the TUI's feed filter."""
        self._feeds()
        sql = "SELECT a.id FROM articles a JOIN feeds f ON f.id = a.feed_id"
        if feed is not None:
            rows = self.store.conn.execute(sql + " WHERE f.id = ?", (int(feed),))
        elif tag is not None:
            rows = self.store.conn.execute(sql + " WHERE f.tag = ?", (tag,))
        else:
            rows = self.store.conn.execute(sql)
        return [r[0] for r in rows]

    def refresh_feeds(self, feeds: Sequence[str | int] | None = None, progress: Progress | None = None,
                      entities: bool = True, **options):
        """Fetch subscribed feeds (all, or those named by id or URL) and import their new
        entries like files. Blocking (run it in a worker thread from the TUI); returns
        one articles.feeds.FeedResult per feed. ``options``: timeout, max_bytes, concurrency."""
        mod = self._feeds()
        try:
            results = mod.refresh(self.store.conn, self.add_drafts, feeds=feeds, progress=progress,
                                  lock=self._write_lock, **options)
        except mod.FeedError as exc:
            raise LibraryError(str(exc)) from exc
        if entities and any(r.added or r.updated for r in results):
            self.run_entity_stage(progress)
        return results

    # -- entities (second stage; spaCy is only imported here) ----------------
    def run_entity_stage(self, progress: Progress | None = None, rebuild: bool = False) -> int:
        from .entities import stage  # spaCy itself loads only if there is text to extract

        return stage.run_stage(self, progress=progress, rebuild=rebuild)

    def entity_work_pending(self) -> bool:
        """Whether the entity stage has texts or corrections to catch up on
        (after an interrupted run, or a first run seeded with samples)."""
        from .entities import stage

        return stage.work_pending(self.store.conn)

    def _entity_fields(self, ids: Sequence[str]) -> dict[str, dict[str, str]]:
        from .entities import index_fields

        return index_fields(self.store.conn, ids)

    def article_entities(self, article_id: str):
        """The article's entities (list[EntityRef]): by type, most mentioned first."""
        from .entities import article_entities

        return article_entities(self.store.conn, article_id)

    def article_extras(self, art: Article) -> dict:
        """What `newsdesk show --json` adds to an article: its entities with offsets into body."""
        return {"entities": [{"name": r.name, "type": r.type, "count": r.count,
                              "mentions": [{"start": s, "end": e, "text": t} for s, e, t in r.mentions]}
                             for r in self.article_entities(art.id)]}

    def entity_articles(self, entity_id: int) -> list[str]:
        """Ids of the articles mentioning the entity under any of its names, newest first."""
        from .entities import entity_articles

        return entity_articles(self.store.conn, entity_id)

    def library_entities(self, type: str | None = None, limit: int | None = None,
                         include_hidden: bool = False):
        """Every entity (list[EntityInfo]), in the most articles first."""
        from .entities import library_entities

        try:
            return library_entities(self.store.conn, type=type, limit=limit, include_hidden=include_hidden)
        except ValueError as exc:
            raise LibraryError(str(exc)) from exc

    def find_entity(self, name: str | int):
        """The entity (EntityInfo) with this id, name or alias, or None."""
        from .entities import find_entity

        return find_entity(self.store.conn, name)

    def _correct_entity(self, action: str, ref, value=None):
        from .entities import EntityError, correct

        try:
            return correct(self, action, ref, value)
        except EntityError as exc:
            raise LibraryError(str(exc)) from exc

    def merge_entities(self, a: str | int, b: str | int):
        """Make b part of a (a keeps its name and type); remembered across rebuilds."""
        return self._correct_entity("merge", a, b)

    def rename_entity(self, ref: str | int, new_name: str):
        return self._correct_entity("rename", ref, new_name)

    def retype_entity(self, ref: str | int, type: str):
        return self._correct_entity("retype", ref, type)

    def hide_entity(self, ref: str | int):
        return self._correct_entity("hide", ref)

    def unhide_entity(self, ref: str | int):
        return self._correct_entity("unhide", ref)

    # -- index --------------------------------------------------------------
    def index_status(self) -> str:
        """'ok', 'stale' (changes waiting), or why it must be rebuilt."""
        try:
            self.index.open()
        except IndexError_ as exc:
            return str(exc)
        return "stale" if self.store.queue_len() else "ok"

    def ensure_index(self, progress: Progress | None = None,
                     notice: Callable[[str], None] | None = None) -> str:
        """Make the index agree with the store: rebuild if missing or damaged,
        else index what the outbox holds, and repair any disagreement a cheap
        count comparison reveals. ``notice`` hears about a rebuild before it
        starts (it can take a while). Returns what was done."""
        if self.store.read_only:
            return "read-only"  # nothing can be repaired; search what is there
        status = self.index_status()
        if status not in ("ok", "stale"):
            if notice:
                notice(f"{status}; rebuilding it from the store")
            self.reindex(progress)
            return f"rebuilt ({status})"
        done = "ok"
        if status == "stale":
            done = f"synced {self.sync_index(progress)}"
        if not self.store.queue_len():
            try:
                agree = self.index.doc_count() == self.store.count()
            except IndexError_:
                agree = False
            if not agree:
                report = self.check(repair=True)
                done = "repaired: " + "; ".join(report.repaired or report.problems)
        return done

    def reindex(self, progress: Progress | None = None) -> int:
        # Queue everything before wiping, so a crash part-way leaves the whole
        # rebuild still to do rather than a short index nobody knows about.
        with self._write_lock:
            with self.store.transaction():
                self.store.enqueue_all()
            try:
                self.index.create()
            except IndexBusy as exc:
                raise LibraryError(f"cannot rebuild the search index: {exc}") from exc
            except OSError as exc:
                raise _friendly(exc, "cannot rebuild the search index") from exc
        return self.sync_index(progress, bulk=True)

    def sync_index(self, progress: Progress | None = None, bulk: bool = False) -> int:
        """Index everything in the store's outbox, then clear what was indexed.

        Keeps going until the outbox is empty, so changes another process queued
        while we held the index lock are indexed too. If another process holds
        the lock, stop and leave the outbox: that process drains it after its
        own commit (or the next start does), so nobody waits or fails."""
        done = 0
        first = True
        while True:
            tickets = self.store.queued()
            if not tickets:
                return done
            try:
                self.index.open()
            except IndexError_:
                if not bulk:
                    return done + self.reindex(progress)
                raise
            try:
                done += self._index_tickets(tickets, progress, bulk=bulk and first)
            except IndexBusy:
                return done
            first = False

    def _index_tickets(self, tickets: list[tuple[str, int]], progress: Progress | None,
                       bulk: bool) -> int:
        total = len(tickets)
        done = 0
        # A rebuild commits in big steps (each one pays for starting the writer
        # processes), as big as the bulk writer's helpers hold in memory.
        step_size = BULK_CHUNK if bulk else 2000
        for i in range(0, total, step_size):
            chunk = tickets[i:i + step_size]
            docs, gone = self._documents([t[0] for t in chunk])
            base = done

            def step(n, base=base):
                if progress:
                    progress(base + n, total, "indexing")

            try:
                self.index.apply(docs, deletes=gone, bulk=bulk, progress=step)
            except IndexBusy:
                raise
            except IndexError_ as exc:
                raise LibraryError(str(exc)) from exc
            except (OSError, sqlite3.Error) as exc:
                self.index.clean_orphans()
                raise _friendly(exc, "could not update the search index") from exc
            self._committed(chunk)
            done += len(chunk)
        return done

    def _documents(self, ids: Sequence[str]):
        """(index documents, ids to delete) for these ids, as the store has them now."""
        arts = self.store.get_many(ids)
        ents = self._entity_fields(list(arts))
        docs = (to_document(arts[aid], ents.get(aid)) for aid in ids if aid in arts)
        return docs, [aid for aid in ids if aid not in arts]

    def _committed(self, tickets: list[tuple[str, int]]) -> None:
        """After an index commit: record its files' sums, then take the
        tickets it indexed out of the outbox (never before: a crash in
        between leaves them queued, to be indexed again)."""
        self.index.seal()
        try:
            self.store.dequeue(tickets)
        except (OSError, sqlite3.Error) as exc:
            raise _friendly(exc, "could not update the search index") from exc

    def check(self, repair: bool = False) -> CheckReport:
        """Verify the store and make the index agree with it.

        Finds: a damaged store, a damaged or missing index, articles missing from
        the index, index entries for articles the store no longer has, articles
        indexed twice, and a library folder others can open. With ``repair``,
        fixes what can be fixed from the store (everything but store damage)."""
        rep = CheckReport()
        # A repair waits out another process's index commit (or the orphaned
        # helpers of a killed bulk writer) instead of leaving work undone.
        wait, self.index.lock_timeout = self.index.lock_timeout, max(self.index.lock_timeout, 60.0)
        try:
            return self._check(rep, repair)
        finally:
            self.index.lock_timeout = wait

    def _check(self, rep: CheckReport, repair: bool) -> CheckReport:
        self._check_folder(rep, repair)
        try:
            quick = [r[0] for r in self.store.conn.execute("PRAGMA quick_check")]
        except sqlite3.DatabaseError as exc:
            quick = [str(exc)]
        if quick != ["ok"]:
            rep.problems.append("store damaged: " + "; ".join(quick[:5]))
            rep.unrepairable.append("store damaged: restore library.db from a backup")
        rep.articles = self.store.count()
        rep.queued = self.store.queue_len()

        status = self.index_status()
        if status not in ("ok", "stale"):
            rep.problems.append(status)
            if not repair:
                return rep
            n = self.reindex()
            rep.repaired.append(f"rebuilt the index from the store ({n} articles)")
        elif repair and rep.queued:
            self.index.clean_orphans()
            n = self.sync_index()
            rep.repaired.append(f"indexed {n} queued changes")

        missing, extra, twice = self._index_disagreement(skip_queued=not repair)
        for what, ids in (("missing from the index", missing),
                          ("in the index but not in the store", extra),
                          ("indexed more than once", twice)):
            if ids:
                rep.problems.append(f"{len(ids)} article(s) {what}")
        rep.missing, rep.extra, rep.duplicated = len(missing), len(extra), len(twice)
        if repair and (missing or extra or twice):
            if twice:
                # Whoosh's update_document removes only one of several copies;
                # delete them all first, then index the store's version afresh.
                try:
                    self.index.apply((), deletes=sorted(twice))
                    self.index.seal()
                except IndexError_ as exc:
                    rep.unrepairable.append(f"cannot remove doubled index entries: {exc}")
                except OSError as exc:
                    raise _friendly(exc, "could not update the search index") from exc
            with self.store.transaction():
                self.store.enqueue(missing | extra | twice)
            self.sync_index()
            missing, extra, twice = self._index_disagreement(skip_queued=False)
            if missing or extra or twice:
                rep.unrepairable.append(
                    f"index still disagrees after repair ({len(missing)} missing, "
                    f"{len(extra)} extra, {len(twice)} twice); is another process writing?")
            else:
                rep.repaired.append("re-indexed " + ", ".join(
                    f"{n} {what}" for n, what in ((rep.missing, "missing"), (rep.extra, "extra"),
                                                  (rep.duplicated, "duplicated")) if n))
        try:
            rep.indexed = self.index.doc_count()
        except IndexError_:
            rep.indexed = None
        return rep

    def _check_folder(self, rep: CheckReport, repair: bool) -> None:
        try:
            mode = self.path.stat().st_mode & 0o777
        except OSError:
            return
        if mode & 0o077:
            rep.problems.append(f"library folder is open to other users (mode {mode:o}); "
                                "its index holds pickles, so it must be private")
            if repair:
                try:
                    os.chmod(self.path, 0o700)
                    rep.repaired.append("made the library folder private (700)")
                except OSError as exc:
                    rep.unrepairable.append(f"cannot make the library folder private: {exc}")

    def _index_disagreement(self, skip_queued: bool) -> tuple[set[str], set[str], set[str]]:
        try:
            counts = self.index.id_counts()
        except IndexError_:
            return set(), set(), set()
        store_ids = self.store.all_ids()
        queued = {aid for aid, _ in self.store.queued()} if skip_queued else set()
        index_ids = set(counts)
        missing = store_ids - index_ids - queued
        extra = index_ids - store_ids - queued
        twice = {aid for aid, n in counts.items() if n > 1} - queued
        return missing, extra, twice

    # -- reading ------------------------------------------------------------
    def search(self, query: str, *, limit: int = 20, offset: int = 0,
               sort: str = "relevance") -> SearchResults:
        try:
            searcher = self.index.searcher()
        except IndexError_ as exc:
            raise LibraryError(f"cannot search: {exc}; run `newsdesk check --repair`") from exc
        if self._parser is None:
            self._parser = make_parser(searcher.schema)
        return run_search(searcher, self._parser, query, limit=limit, offset=offset,
                          sort=sort, load=self.store.get_many)

    def match_spans(self, text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
        """Where a search's terms occur in ``text`` (for highlighting in the reader).

        Uses the schema's own body analyzer rather than the open index's: the
        same analysis (an index of another schema version is rebuilt), and it
        needs no index, so the reader never waits for the index to be opened
        and checked (seconds at 100,000 articles) by a worker holding its lock."""
        return term_spans(text, terms, _body_analyzer())

    def get(self, ref: str) -> Article | None:
        art = self.store.get(ref)
        if art is None:
            ids = self.store.resolve_id(ref)
            if len(ids) == 1:
                art = self.store.get(ids[0])
            elif len(ids) > 1:
                raise LibraryError(f"id {ref!r} is ambiguous: {', '.join(ids)}")
        return art

    def rows(self, sort: str = "date", ids: Sequence[str] | None = None,
             limit: int | None = None, offset: int = 0) -> list[ArticleRow]:
        return self.store.rows(sort=sort, ids=ids, limit=limit, offset=offset)

    def data_version(self) -> int:
        """Changes whenever another connection commits to the store: a cheap way
        for a long-running reader (the TUI) to notice another process's import."""
        return self.store.conn.execute("PRAGMA data_version").fetchone()[0]

    def count(self) -> int:
        return self.store.count()

    def set_read(self, aid: str, value: bool = True) -> bool:
        with self.store.transaction():
            return self.store.set_flag(aid, "read", value)

    def set_starred(self, aid: str, value: bool = True) -> bool:
        with self.store.transaction():
            return self.store.set_flag(aid, "starred", value)

    def state_get(self, key: str) -> str | None:
        return self.store.meta_get(f"state.{key}")

    def state_set(self, key: str, value: str | None) -> None:
        with self.store.transaction():
            self.store.meta_set(f"state.{key}", value)

    def stats(self) -> dict:
        s = self.store
        out = {
            "articles": s.count(),
            "unread": s.count("read=0"),
            "starred": s.count("starred=1"),
            "sources": s.conn.execute("SELECT count(DISTINCT source) FROM articles").fetchone()[0],
            "index_queue": s.queue_len(),
            "library": str(self.path),
        }
        try:
            out["indexed"] = self.index.doc_count()
        except IndexError_:
            out["indexed"] = None
        return out

    # -- stories, related coverage, quotes, dossiers -----------------------------------
    # (logic in articles/stories.py, related.py, quotes.py, dossier.py; these are the doors)
    def stories(self, min_size: int = 1):
        """Every story (list[Story]) biggest first; singletons unless ``min_size=2``."""
        from . import stories

        return stories.stories(self, min_size=min_size)

    def story_of(self, article_id: str):
        """The Story an article belongs to (itself alone when nobody else reported it)."""
        from . import stories

        return stories.story_of(self, article_id)

    def story_versions(self, article_or_story_id: str) -> list[dict]:
        """Each version of the story with what it adds: entities and quotes the others lack."""
        from . import stories

        return stories.version_differences(self, article_or_story_id)

    def related(self, article_id: str, limit: int = 10):
        """The most related other articles (list[Related]) with shared entities and terms."""
        from . import related

        return related.related(self, article_id, limit=limit)

    def quotes(self, article_id: str | None = None, speaker: str | None = None):
        """Direct quotations (list[Quote]) of one article or all, optionally by one speaker."""
        from .quotes import library_quotes

        return library_quotes(self, article=article_id, speaker=speaker)

    def dossier(self, name: str) -> dict:
        """Everything about one entity: articles, timeline, co-mentioned, quotes."""
        from .dossier import DossierError, dossier

        try:
            return dossier(self, name)
        except DossierError as exc:
            raise LibraryError(str(exc)) from exc

    def follow(self, name: str) -> dict:
        from .dossier import DossierError, follow

        try:
            return follow(self, name)
        except DossierError as exc:
            raise LibraryError(str(exc)) from exc

    def unfollow(self, name: str) -> bool:
        from .dossier import unfollow

        return unfollow(self, name)

    def follows(self) -> list[dict]:
        """Followed entities: [{"name", "type", "entity_id", "articles", "unread"}]."""
        from .dossier import follows

        return follows(self)
