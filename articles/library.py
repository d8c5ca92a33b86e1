"""The one domain API: a library folder holding the SQLite store and the
Whoosh index derived from it. main.py and tui/ both go through this class."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import index as search_index
from index import BULK_CHUNK, QueryError, SearchIndex, SearchIndexError, SearchResults

from .model import Article, Draft, Progress, body_hash
from .services.export import write_whole  # noqa: F401  (the CLI and the reader write exports with it)
from .services.indexing import CheckReport, IndexFeeder, Indexing
from .store import ArticleRow, LibraryError, Store, StoreError, friendly_error
from .entities import schema as _entity_schema  # noqa: F401  (registers the entity tables)
from . import dossier as _dossier, sourcing as _sourcing, stories as _stories  # noqa: F401  (register their tables)

__all__ = ["Library", "LibraryError", "ImportReport", "CheckReport", "QueryError",
           "default_library_path"]

STORE_NAME = "library.db"
INDEX_NAME = "index"
BATCH = 250
# A sync waits this long for another process's index lock, then leaves the
# outbox to that process (which drains it after its own commit).
INDEX_LOCK_WAIT = 2.0

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




def is_library(path: Path | str) -> bool:
    """A folder holding a Newsdesk store."""
    return (Path(path).expanduser() / STORE_NAME).is_file()


def require_library(path: Path | str) -> None:
    """Raise LibraryError naming ``path`` unless it holds a library: without
    opening anything, so a check before the TUI starts costs a stat."""
    where = Path(path).expanduser()
    if is_library(where):
        return
    if where.is_dir() and any(where.iterdir()):
        raise LibraryError(f"{where} is a folder but not a Newsdesk library")
    raise LibraryError(f"no library at {where}: create one with 'newsdesk init {where}'")


def default_library_path() -> Path:
    env = os.environ.get("NEWSDESK_LIBRARY")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("newsdesk", appauthor=False)) / "library"


REFRESH_DEADLINE = 60.0  # seconds a whole feed refresh may spend fetching, by default


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
        self._write_lock = threading.Lock()
        self.indexing = Indexing(self.store, self.index, write_lock=self._write_lock, folder=self.path,
                                 entity_fields=self._entity_fields)

    # -- lifecycle ----------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str | None = None, *, seed_samples: bool = True, create: bool = True,
             notice=None) -> Library:
        """Open the given library, else $NEWSDESK_LIBRARY, else the user data dir.
        The default library is made (and seeded with the shipped samples) on first
        run. A library named explicitly must exist unless ``create``: a mistyped
        path is an error that names it, never a new empty library."""
        explicit = path is not None or "NEWSDESK_LIBRARY" in os.environ
        where = Path(path if path is not None else default_library_path()).expanduser()
        if explicit and not is_library(where):
            if not create:
                require_library(where)
            if notice is not None:
                notice(f"creating a new library at {where}")
        lib = cls(where)
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
            entities: bool = True, timeout: float | None = None,
            follow_links: bool = False) -> ImportReport:
        """Import files, folders, globs (and URLs): text first, then entities.

        ``timeout`` is the per-read timeout for URLs (each request gives up
        after a few times that, however the server drips its answer)."""
        from .readers import expand_sources

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
                saved = self._save(pending)
                report.merge(saved)
                pending.clear()
                if feeder is not None:
                    feeder.feed(saved.ids, new=saved.unindexed)

        with self.store.bulk_writes():
            try:
                for url in urls:
                    try:
                        from .web.pages import fetch_page

                        kw = {} if timeout is None else {"timeout": timeout}
                        pending.append((fetch_page(url, **kw), None))
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
        self.sync_index()
        if entities:
            self.run_entity_stage(progress)
        if report.added or report.updated:
            self.backup()
        return report

    def backup(self, **options):
        """Take a rolling backup of the store if the last one is old enough
        (see articles.store.backup); returns its path or None."""
        from .store.backup import maybe_backup

        return maybe_backup(self.store.conn, self.path, **options)

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
    def _feed_call(self, fn, *args, **kw):
        from .errors import FeedError

        try:
            with self._write_lock:
                return fn(self.store, *args, **kw)
        except FeedError as exc:
            raise LibraryError(str(exc)) from exc
        except sqlite3.Error as exc:
            raise _friendly(exc, "could not update feeds") from exc

    def list_feeds(self, tag: str | None = None):
        """Subscriptions (articles.store.feeds.Feed), each with ``unread`` and ``articles`` counts."""
        from .services import feeds

        return feeds.list_feeds(self.store, tag=tag)

    def add_feed(self, url: str, tag: str | None = None):
        from .services import feeds

        return self._feed_call(feeds.add_feed, url, tag=tag)

    def remove_feed(self, ref: str | int):
        """Unsubscribe; the feed's saved articles stay in the library."""
        from .services import feeds

        return self._feed_call(feeds.remove_feed, ref)

    def import_opml(self, path: Path | str):
        from .services import feeds

        return self._feed_call(feeds.import_opml, path)

    def export_opml(self) -> str:
        from .services import feeds

        return feeds.export_opml(self.store)

    def feed_article_ids(self, feed: int | None = None, tag: str | None = None) -> list[str]:
        """Articles saved from one feed, from the feeds tagged ``tag``, or (neither
        given) from any subscribed feed: the TUI's feed filter."""
        from .store import feeds as feed_table  # SQL only: no network modules for a filter

        return feed_table.feed_article_ids(self.store, feed=feed, tag=tag)

    def refresh_feeds(self, feeds: Sequence[str | int] | None = None, progress: Progress | None = None,
                      entities: bool = True, **options):
        """Fetch subscribed feeds (all, or those named by id or URL) and import their new
        entries like files. Blocking (run it in a worker thread from the TUI); returns
        one articles.services.feeds.FeedResult per feed. ``options``: timeout, max_bytes,
        concurrency, cancel, deadline (default REFRESH_DEADLINE)."""
        from .errors import FeedError
        from .services import feeds as service

        # A whole refresh has a fetching budget however it is started (the CLI's
        # --timeout, the reader's R): slow feeds are cut off, never waited on for minutes.
        options.setdefault("deadline", REFRESH_DEADLINE)
        try:
            results = service.refresh(self.store, self.add_drafts, feeds=feeds, progress=progress,
                                      lock=self._write_lock, **options)
        except FeedError as exc:
            raise LibraryError(str(exc)) from exc
        if entities and any(r.added or r.updated for r in results):
            self.run_entity_stage(progress)
        if any(r.added or r.updated for r in results):
            self.backup()
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
        """Index fields kept outside the article row: entity names, and the article's
        tags (the index's comma-separated ``tag`` keyword, for tag:NAME)."""
        from .entities import index_fields
        from .store.tags import tags_of_many

        fields = index_fields(self.store.conn, ids)
        for aid, names in tags_of_many(self.store, ids).items():
            fields.setdefault(aid, {})["tag"] = ",".join(names)
        from .store.highlights import highlight_notes_of_many
        from .store.notes import notes_of_many

        # Notes on the article and on its highlights, for note:WORD.
        for source in (notes_of_many(self.store, ids), highlight_notes_of_many(self.store, ids)):
            for aid, texts in source.items():
                f = fields.setdefault(aid, {})
                f["note"] = "\n".join(filter(None, [f.get("note"), *texts]))
        return fields

    # -- tags -------------------------------------------------------------------
    def _require(self, ref: str) -> Article:
        art = self.get(ref)
        if art is None:
            raise LibraryError(f"no article with id {ref!r}")
        return art

    def _tag_call(self, fn, ids: Sequence[str], names: Sequence[str]) -> dict[str, list[str]]:
        from .store import tags

        try:
            clean = [tags.clean_tag(n) for n in names]
        except ValueError as exc:
            raise LibraryError(str(exc)) from None
        if not clean:
            raise LibraryError("give at least one tag name")
        out = {}
        with self._write_lock:
            for aid in ids:
                out[aid] = fn(self.store, aid, clean, time.time()) if fn is tags.add_tags \
                    else fn(self.store, aid, clean)
        self.sync_index()
        return out

    def tag(self, ref: str, names: Sequence[str], *, remove: bool = False) -> list[str]:
        """Add (or remove) tags on one article; its tags afterwards."""
        from .store import tags

        art = self._require(ref)
        return self._tag_call(tags.remove_tags if remove else tags.add_tags, [art.id], names)[art.id]

    def tag_story(self, ref: str, names: Sequence[str], *, remove: bool = False) -> dict[str, list[str]]:
        """The same tags on every article of the story ``ref`` belongs to."""
        from .store import tags

        art = self._require(ref)
        ids = list(self.story_of(art.id).articles)
        return self._tag_call(tags.remove_tags if remove else tags.add_tags, ids, names)

    def article_tags(self, aid: str) -> list[str]:
        from .store.tags import article_tags

        return article_tags(self.store, aid)

    def tags(self) -> list[dict]:
        """Every tag with the number of articles carrying it, by name."""
        from .store.tags import tag_counts

        return [{"name": n, "articles": c} for n, c in tag_counts(self.store)]

    def tagged(self, name: str) -> list[str]:
        from .store.tags import clean_tag, tagged_ids

        return tagged_ids(self.store, clean_tag(name))

    def rename_tag(self, old: str, new: str) -> int:
        """Rename (or merge into an existing) tag; the number of articles it touched."""
        from .store import tags

        try:
            old_, new_ = tags.clean_tag(old), tags.clean_tag(new)
        except ValueError as exc:
            raise LibraryError(str(exc)) from None
        with self._write_lock:
            n = tags.rename_tag(self.store, old_, new_)
        if n == 0:
            raise LibraryError(f"no article is tagged {old_!r}")
        self.sync_index()
        return n

    # -- notes, highlights, saved and batch searches (services/desk.py) ---------
    def _desk_write(self, fn, *args):
        with self._write_lock:
            out = fn(self.store, *args)
        self.sync_index()
        return out

    def add_note(self, ref: str, text: str) -> dict:
        from .services import desk

        return self._desk_write(desk.add_note, self._require(ref), text)

    def remove_note(self, ref: str, note_id: int) -> None:
        from .services import desk

        self._desk_write(desk.remove_note, self._require(ref), note_id)

    def article_notes(self, aid: str) -> list[dict]:
        from .services import desk

        return desk.notes_json(self.store, aid)

    def add_highlight(self, ref: str, text: str = "", note: str | None = None,
                      start: int | None = None, end: int | None = None) -> dict:
        from .services import desk

        return self._desk_write(desk.add_highlight, self._require(ref), text, note, start, end)

    def remove_highlight(self, ref: str, highlight_id: int) -> None:
        from .services import desk

        self._desk_write(desk.remove_highlight, self._require(ref), highlight_id)

    def article_highlights(self, art: Article | str) -> list[dict]:
        from .services import desk

        return desk.highlights_json(self.store, art if isinstance(art, Article) else self._require(art))

    def all_highlights(self) -> list[dict]:
        from .services import desk

        return desk.all_highlights_json(self.store, self.store.get_many)

    def matching_ids(self, query: str) -> list[str]:
        """Every article the query matches, best first (raises QueryError)."""
        try:
            return search_index.matching_ids(self.index, query)
        except SearchIndexError as exc:
            raise LibraryError(f"cannot search: {exc}; run `newsdesk check --repair`") from exc

    def save_search(self, name: str, query: str) -> bool:
        from .services import desk

        with self._write_lock:
            return desk.save_search(self.store, name, query, self.matching_ids)

    def remove_saved(self, name: str) -> None:
        from .services import desk

        with self._write_lock:
            desk.remove_saved(self.store, name)

    def saved_searches(self) -> list[dict]:
        """Each saved search with its hits now: total and unread."""
        from .services import desk

        out = []
        for name, query in desk.saved_names(self.store):
            try:
                ids = self.matching_ids(query)
            except QueryError:
                ids = []
            unread = self.store.count("read=0 AND id IN (SELECT value FROM json_each(?))",
                                      (json.dumps(ids),)) if ids else 0
            out.append({"name": name, "query": query, "total": len(ids), "unread": unread})
        return out

    def saved_query(self, name: str) -> str:
        from .services import desk

        found = dict(desk.saved_names(self.store)).get(" ".join(str(name).split()))
        if found is None:
            raise LibraryError(f"no saved search named {name!r}")
        return found

    def batch(self, lines: Iterable[str], limit: int = 5) -> dict:
        """One search per line: {"queries": [...], "failed": [{"line", "error"}]}."""
        from .services import desk

        def run(query: str) -> dict:
            res = self.search(query, limit=limit)
            return {"total": res.total, "hits": [{"id": h.id, "title": h.title, "score": round(h.score, 4)}
                                                 for h in res.hits]}

        return desk.batch_lines(lines, run, (QueryError,))

    # -- exports (services/export.py renders) ------------------------------------
    def export_selection(self, *, query: str | None = None, tag: str | None = None,
                         story: str | None = None, dossier: str | None = None,
                         saved: str | None = None, ids: Sequence[str] | None = None,
                         limit: int = 500) -> dict:
        """The articles of one selection with everything the user made on them:
        {"selection", "exported", "articles": [...], "dossier": {...} | None}."""
        doss = None
        if dossier is not None:
            doss = self.dossier(dossier)
            picked = [a["id"] for a in doss["articles"]]
            label, kind, value = f"Dossier: {doss['entity']['name']}", "dossier", dossier
        elif story is not None:
            art = self._require(story)
            picked = list(self.story_of(art.id).articles)
            label, kind, value = f"Story of {art.title}", "story", art.id
        elif tag is not None:
            from .store.tags import clean_tag

            try:
                name = clean_tag(tag)
            except ValueError as exc:
                raise LibraryError(str(exc)) from None
            picked = [r.id for r in self.rows(sort="date-asc", ids=self.tagged(name))]
            if not picked:
                raise LibraryError(f"no article is tagged {name!r}")
            label, kind, value = f"Tag: {name}", "tag", name
        elif ids is not None:
            picked = [self._require(i).id for i in ids]
            label = self.get(picked[0]).title if len(picked) == 1 else "Articles"
            kind, value = "articles", ",".join(picked)
        else:
            if saved is not None:
                query = self.saved_query(saved)
            if not query or not query.strip():
                raise LibraryError("give a query, --tag, --story or --dossier to export")
            picked = self.matching_ids(query)[:limit]
            label, kind, value = (f"Saved search: {saved}" if saved else f"Search: {query}"), \
                ("saved" if saved else "query"), query
        arts = self.store.get_many(picked)
        sentences = {a["id"]: a.get("sentence") for a in doss["articles"]} if doss else {}
        out = []
        for aid in picked:
            art = arts.get(aid)
            if art is None:
                continue
            doc = {k: v for k, v in art.to_json().items() if k not in ("body", "path")}
            doc.update(tags=self.article_tags(aid), notes=self.article_notes(aid),
                       highlights=self.article_highlights(art),
                       quotes=[{"text": q.text, "speaker": q.speaker} for q in self.quotes(aid)])
            if aid in sentences:
                doc["sentence"] = sentences[aid]
            out.append(doc)
        return {"selection": {"kind": kind, "value": value, "label": label},
                "exported": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "articles": out, "dossier": doss}

    def export(self, fmt: str, **selection) -> str:
        """One selection (see export_selection) as Markdown, JSON or CSV text."""
        from .services.export import FORMATS, render

        if fmt not in FORMATS:
            raise LibraryError(f"unknown export format {fmt!r}: md, json or csv")
        return render(self.export_selection(**selection), fmt)

    def export_to(self, path: Path, fmt: str, **selection) -> int:
        """One selection written to ``path`` whole or not at all (a temporary file
        renamed over it); the bytes written. An unwritable path is a LibraryError
        naming it, and nothing is left behind."""
        text = self.export(fmt, **selection)
        try:
            write_whole(Path(path), text)
        except OSError as exc:
            raise LibraryError(f"cannot write {path}: {exc.strerror or exc}; nothing was written") from None
        return len(text.encode("utf-8"))

    def article_entities(self, article_id: str):
        """The article's entities (list[EntityRef]): by type, most mentioned first."""
        from .entities import article_entities

        return article_entities(self.store.conn, article_id)

    def article_extras(self, art: Article) -> dict:
        """What `newsdesk show --json` adds to an article: its entities with offsets into
        body, and the reports it credits (``sources``, see article_sources)."""
        return {"tags": self.article_tags(art.id),
                "notes": self.article_notes(art.id),
                "highlights": self.article_highlights(art),
                "entities": [{"name": r.name, "type": r.type, "count": r.count,
                              "mentions": [{"start": s, "end": e, "text": t} for s, e, t in r.mentions]}
                             for r in self.article_entities(art.id)],
                "sources": self.article_sources(art)}

    def article_sources(self, art: Article | str) -> list[dict]:
        """The reports an article credits: ``[{"outlet", "author", "title", "article_id",
        "via", "kind", "evidence", "start", "end"}]``, ``article_id`` the credited
        article when it is in the library (else None)."""
        from . import sourcing

        if isinstance(art, str):
            found = self.get(art)
            if found is None:
                raise LibraryError(f"no article with id {art!r}")
            art = found
        return sourcing.article_sources(self.store, art, lock=self._write_lock)

    def story_provenance(self, ids: Sequence[str]) -> dict[str, dict]:
        """Per article of a story: ``{"role": "original" | "re-report" | None,
        "chain", "sources", "credited_by"}`` (see articles.sourcing)."""
        from . import sourcing

        return sourcing.story_provenance(self.store, ids, lock=self._write_lock)

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
    # -- the search index (articles/services/indexing.py) --------------------
    def index_status(self) -> str:
        """'ok', 'stale' (changes waiting), or why it must be rebuilt."""
        return self.indexing.status()

    def ensure_index(self, progress: Progress | None = None,
                     notice: Callable[[str], None] | None = None) -> str:
        return self.indexing.ensure(progress, notice)

    def reindex(self, progress: Progress | None = None) -> int:
        return self.indexing.reindex(progress)

    def sync_index(self, progress: Progress | None = None, bulk: bool = False) -> int:
        return self.indexing.sync(progress, bulk)

    def check(self, repair: bool = False) -> CheckReport:
        return self.indexing.check(repair)

    @staticmethod
    def store_damage(path: Path | str) -> str | None:
        """Why the store of the library at ``path`` is damaged, or None (reads only;
        works when the store is too damaged to open)."""
        from .store.recover import store_damage

        return store_damage(Path(path).expanduser() / STORE_NAME)

    @staticmethod
    def recover_store(path: Path | str):
        """Replace a damaged store by the best copy to be had (a salvage of the
        damaged file, else the newest good backup plus what can be salvaged) and
        rebuild the index from it. Returns an articles.store.recover.Recovery
        (``lines()`` says what was restored and what was lost)."""
        from .store.recover import recover_store

        rec = recover_store(Path(path).expanduser() / STORE_NAME)
        with Library(path) as lib:
            lib.reindex()  # the index described the damaged store: rebuilt from the recovered one
        return rec

    # -- reading ------------------------------------------------------------
    def search(self, query: str, *, limit: int = 20, offset: int = 0,
               sort: str = "relevance") -> SearchResults:
        try:
            return search_index.search(self.index, query, limit=limit, offset=offset, sort=sort,
                                       load=self.store.get_many)
        except SearchIndexError as exc:
            raise LibraryError(f"cannot search: {exc}; run `newsdesk check --repair`") from exc

    def match_spans(self, text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
        """Where a search's terms occur in ``text`` (for highlighting in the reader).

        Uses the schema's own body analyzer rather than the open index's: the
        same analysis (an index of another schema version is rebuilt), and it
        needs no index, so the reader never waits for the index to be opened
        and checked (seconds at 100,000 articles) by a worker holding its lock."""
        return search_index.match_spans(text, terms)

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

    def counts(self) -> dict:
        """Articles, unread, starred: the part of ``stats`` that needs no index."""
        s = self.store
        return {"articles": s.count(), "unread": s.count("read=0"), "starred": s.count("starred=1")}

    def set_read(self, aid: str, value: bool = True) -> bool:
        with self.store.transaction():
            return self.store.set_flag(aid, "read", value)

    def set_starred(self, aid: str, value: bool = True) -> bool:
        with self.store.transaction():
            return self.store.set_flag(aid, "starred", value)

    def mark_opened(self, aid: str, read: bool = True) -> None:
        """The reader opened ``aid``: remember it as the last article and (``read``)
        mark it read, in one transaction, so one fsync (synchronous=FULL)."""
        with self.store.transaction():
            if read:
                self.store.set_flag(aid, "read", True)
            self.store.meta_set("state.last_article", aid)

    def set_read_many(self, ids: Sequence[str] | None, value: bool = True) -> list[str]:
        """Mark many articles (every article for None) read or unread in one
        transaction; returns the ids whose mark changed (what an undo puts back)."""
        import json

        conn = self.store.conn
        with self.store.transaction():
            if ids is None:
                changed = [r[0] for r in conn.execute("SELECT id FROM articles WHERE read=?", (int(not value),))]
            else:
                changed = [r[0] for r in conn.execute(
                    "SELECT id FROM articles WHERE read=? AND id IN (SELECT value FROM json_each(?))",
                    (int(not value), json.dumps(list(ids))))]
            for aid in changed:
                self.store.set_flag(aid, "read", value)
        return changed

    def unread_count(self, ids: Sequence[str] | None = None) -> int:
        """Unread articles, among ``ids`` when given."""
        if ids is None:
            return self.store.count("read=0")
        import json

        return self.store.count("read=0 AND id IN (SELECT value FROM json_each(?))", (json.dumps(list(ids)),))

    def only_samples(self) -> bool | None:
        """True when every article is a shipped sample, None when there are none."""
        conn = self.store.conn
        if conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None:
            return None
        return conn.execute("SELECT 1 FROM articles WHERE origin NOT LIKE 'sample:%' LIMIT 1").fetchone() is None

    def entities_read(self, article_id: str) -> bool:
        """Whether the entity stage has read this article's current text."""
        try:
            return self.store.conn.execute(
                "SELECT 1 FROM entity_state s JOIN articles a ON a.id = s.article_id "
                "AND a.body_hash = s.body_hash WHERE s.article_id = ?", (article_id,)).fetchone() is not None
        except sqlite3.Error:  # no entity tables yet
            return False

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
        except SearchIndexError:
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

    def split_story(self, article_id: str):
        """Take the article out of its story (remembered across regrouping); its own Story."""
        from . import stories

        return stories.split(self, article_id)

    def merge_stories(self, a: str, b: str):
        """Make the stories of two articles one (remembered across regrouping); the Story."""
        from . import stories

        return stories.merge(self, a, b)

    def regroup_stories(self) -> int:
        """Rebuild every story from the store (corrections replayed); how many stories."""
        from . import stories

        stories.update(self)
        stories.regroup(self, from_scratch=True)
        return len(stories.stories(self, refresh_first=False))

    def story_versions(self, article_or_story_id: str) -> list[dict]:
        """Each version of the story with what it adds: entities and quotes the others lack."""
        from . import sourcing, stories

        versions = stories.version_differences(self, article_or_story_id)
        # Who reported it first: each version's role and credit chain.
        prov = sourcing.story_provenance(self.store, [v["id"] for v in versions], lock=self._write_lock)
        for v in versions:
            p = prov.get(v["id"], {})
            v["role"] = p.get("role")
            v["sources"] = [{k: s[k] for k in ("outlet", "author", "title", "article_id", "via")}
                            for s in p.get("sources", [])]
            v["chain"] = p.get("chain", [])
        return versions

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

    def entity_rows(self, article_id: str | None = None, type: str | None = None,
                    limit: int | None = None) -> list[dict]:
        """What `newsdesk entities` lists: the library's entities or one article's (see services.entity_rows)."""
        from .services.entity_rows import entity_rows

        return entity_rows(self.store.conn, article_id, type=type, limit=limit)
