"""The one domain API: a library folder holding the SQLite store and the
Whoosh index derived from it. main.py and tui/ both go through this class."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import index as search_index
from index import QueryError, SearchIndex, SearchIndexError, SearchResults

from .model import Article, Draft, Progress
from .services import desk, tags as tagging
from .services.export import write_whole  # noqa: F401  (the CLI and the reader write exports with it)
from .services.importing import ImportReport, Importing
from .services.indexing import CheckReport, Indexing
from .store import ArticleRow, LibraryError, Store, StoreError, friendly_error
from .store.folder import INDEX_NAME, STORE_NAME, default_library_path, is_library, require_library

__all__ = ["Library", "LibraryError", "ImportReport", "CheckReport", "QueryError",
           "default_library_path", "is_library", "require_library"]

# A sync waits this long for another process's index lock, then leaves the
# outbox to that process (which drains it after its own commit).
INDEX_LOCK_WAIT = 2.0

REFRESH_DEADLINE = 60.0  # seconds a whole feed refresh may spend fetching, by default


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
        self.index = SearchIndex(self.path / INDEX_NAME, self.store.library_token())
        self.index.lock_timeout = INDEX_LOCK_WAIT
        self._write_lock = threading.Lock()
        self.indexing = Indexing(self.store, self.index, write_lock=self._write_lock, folder=self.path,
                                 entity_fields=self._entity_fields)
        self.importing = Importing(self.store, self.indexing, write_lock=self._write_lock)

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

        ``timeout`` is the seconds one URL may take in all (connect, headers
        and body, however the server drips its answer)."""
        report = self.importing.add(sources, progress, timeout=timeout, follow_links=follow_links)
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
        report = self.importing.add_drafts(drafts)
        if entities:
            self.run_entity_stage(progress)
        return report

    def add_samples(self) -> ImportReport:
        """Import the shipped sample articles (ids the same on every machine)."""
        return self.importing.add_samples()

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
        from .services import entity_stage  # spaCy itself loads only if there is text to extract

        return entity_stage.run_stage(self.store, self.sync_index, self._write_lock, progress=progress,
                                      rebuild=rebuild)

    def entity_work_pending(self) -> bool:
        """Whether the entity stage has texts or corrections to catch up on
        (after an interrupted run, or a first run seeded with samples)."""
        from .services import entity_stage

        return entity_stage.work_pending(self.store)

    def _entity_fields(self, ids: Sequence[str]) -> dict[str, dict[str, str]]:
        """The articles' entity names, for the index (tags and notes are the
        index-sync engine's own: services/indexing.py)."""
        from .services.entities import index_fields

        return index_fields(self.store, ids)

    # -- tags -------------------------------------------------------------------
    def _require(self, ref: str) -> Article:
        art = self.get(ref)
        if art is None:
            raise LibraryError(f"no article with id {ref!r}")
        return art

    def _tag_call(self, ids: Sequence[str], names: Sequence[str], remove: bool) -> dict[str, list[str]]:
        out = tagging.tag_articles(self.store, self._write_lock, ids, names, remove=remove)
        self.sync_index()
        return out

    def tag(self, ref: str, names: Sequence[str], *, remove: bool = False) -> list[str]:
        """Add (or remove) tags on one article; its tags afterwards."""
        art = self._require(ref)
        return self._tag_call([art.id], names, remove)[art.id]

    def tag_story(self, ref: str, names: Sequence[str], *, remove: bool = False) -> dict[str, list[str]]:
        """The same tags on every article of the story ``ref`` belongs to."""
        art = self._require(ref)
        return self._tag_call(list(self.story_of(art.id).articles), names, remove)

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
        n = tagging.rename(self.store, self._write_lock, old, new)
        self.sync_index()
        return n

    # -- notes, highlights, saved and batch searches (services/desk.py) ---------
    def _desk_write(self, fn, *args):
        with self._write_lock:
            out = fn(self.store, *args)
        self.sync_index()
        return out

    def add_note(self, ref: str, text: str) -> dict:
        return self._desk_write(desk.add_note, self._require(ref), text)

    def remove_note(self, ref: str, note_id: int) -> None:
        self._desk_write(desk.remove_note, self._require(ref), note_id)

    def article_notes(self, aid: str) -> list[dict]:
        return desk.notes_json(self.store, aid)

    def add_highlight(self, ref: str, text: str = "", note: str | None = None,
                      start: int | None = None, end: int | None = None) -> dict:
        return self._desk_write(desk.add_highlight, self._require(ref), text, note, start, end)

    def remove_highlight(self, ref: str, highlight_id: int) -> None:
        self._desk_write(desk.remove_highlight, self._require(ref), highlight_id)

    def article_highlights(self, art: Article | str) -> list[dict]:
        return desk.highlights_json(self.store, art if isinstance(art, Article) else self._require(art))

    def all_highlights(self) -> list[dict]:
        return desk.all_highlights_json(self.store, self.store.get_many)

    def matching_ids(self, query: str) -> list[str]:
        """Every article the query matches, best first (raises QueryError)."""
        try:
            return search_index.matching_ids(self.index, query)
        except SearchIndexError as exc:
            raise LibraryError(f"cannot search: {exc}; run `newsdesk check --repair`") from exc

    def save_search(self, name: str, query: str) -> bool:
        with self._write_lock:
            return desk.save_search(self.store, name, query, self.matching_ids)

    def remove_saved(self, name: str) -> None:
        with self._write_lock:
            desk.remove_saved(self.store, name)

    def saved_searches(self) -> list[dict]:
        """Each saved search with its hits now: total and unread."""
        return desk.saved_searches(self.store, self.matching_ids, (QueryError,))

    def saved_query(self, name: str) -> str:
        return desk.saved_query(self.store, name)

    def batch(self, lines: Iterable[str], limit: int = 5) -> dict:
        """One search per line: {"queries": [...], "failed": [{"line", "error"}]}."""
        return desk.batch(lines, self.search, limit, (QueryError,))

    # -- exports (services/export.py renders) ------------------------------------
    def export_selection(self, *, query: str | None = None, tag: str | None = None,
                         story: str | None = None, dossier: str | None = None,
                         saved: str | None = None, ids: Sequence[str] | None = None,
                         limit: int = 500) -> dict:
        """The articles of one selection with everything the user made on them:
        {"selection", "exported", "articles": [...], "dossier": {...} | None}."""
        from .services import export

        return export.select(
            self.store, query=query, tag=tag, story=story, dossier=dossier, saved=saved, ids=ids, limit=limit,
            find=self._require, dossier_of=self.dossier, story_of=self.story_of,
            tagged=lambda name: [r.id for r in self.rows(sort="date-asc", ids=self.tagged(name))],
            saved_query=self.saved_query, matching_ids=self.matching_ids,
            extras=lambda art: {"tags": self.article_tags(art.id), "notes": self.article_notes(art.id),
                                "highlights": self.article_highlights(art),
                                "sources": self.article_sources(art),
                                "quotes": [{"text": q.text, "speaker": q.speaker} for q in self.quotes(art.id)]})

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
        from .services.entities import article_entities

        return article_entities(self.store, article_id)

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
        from .services import sourcing

        if isinstance(art, str):
            found = self.get(art)
            if found is None:
                raise LibraryError(f"no article with id {art!r}")
            art = found
        return sourcing.article_sources(self.store, art, lock=self._write_lock)

    def story_provenance(self, ids: Sequence[str]) -> dict[str, dict]:
        """Per article of a story: ``{"role": "original" | "re-report" | None,
        "chain", "sources", "credited_by"}`` (see articles.services.sourcing)."""
        from .services import sourcing

        return sourcing.story_provenance(self.store, ids, lock=self._write_lock)

    def entity_articles(self, entity_id: int) -> list[str]:
        """Ids of the articles mentioning the entity under any of its names, newest first."""
        from .services.entities import entity_articles

        return entity_articles(self.store, entity_id)

    def library_entities(self, type: str | None = None, limit: int | None = None,
                         include_hidden: bool = False):
        """Every entity (list[EntityInfo]), in the most articles first."""
        from .services.entities import library_entities

        try:
            return library_entities(self.store, type=type, limit=limit, include_hidden=include_hidden)
        except ValueError as exc:
            raise LibraryError(str(exc)) from exc

    def find_entity(self, name: str | int):
        """The entity (EntityInfo) with this id, name or alias, or None."""
        from .services.entities import find_entity

        return find_entity(self.store, name)

    def _correct_entity(self, action: str, ref, value=None):
        from .services.entities import EntityError, correct

        try:
            return correct(self.store, self.sync_index, self._write_lock, action, ref, value)
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
    def store_damage(path: Path | str, full: bool = False) -> str | None:
        """Why the store of the library at ``path`` is damaged, or None (reads only;
        works when the store is too damaged to open)."""
        from .store.recover import store_damage

        return store_damage(Path(path).expanduser() / STORE_NAME, full)

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
        return self.store.data_version()

    def count(self) -> int:
        return self.store.count()

    def counts(self) -> dict:
        """Articles, unread, starred: the part of ``stats`` that needs no index."""
        return self.store.counts()

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
        return self.store.set_read_many(ids, value)

    def unread_count(self, ids: Sequence[str] | None = None) -> int:
        """Unread articles, among ``ids`` when given."""
        return self.store.unread_count(ids)

    def only_samples(self) -> bool | None:
        """True when every article is a shipped sample, None when there are none."""
        return self.store.only_samples()

    def entities_read(self, article_id: str) -> bool:
        """Whether the entity stage has read this article's current text."""
        from .services.entities import entities_read

        return entities_read(self.store, article_id)

    def state_get(self, key: str) -> str | None:
        return self.store.meta_get(f"state.{key}")

    def state_set(self, key: str, value: str | None) -> None:
        with self.store.transaction():
            self.store.meta_set(f"state.{key}", value)

    def stats(self) -> dict:
        out = {**self.store.counts(), "sources": self.store.source_count(),
               "index_queue": self.store.queue_len(), "library": str(self.path)}
        try:
            out["indexed"] = self.index.doc_count()
        except SearchIndexError:
            out["indexed"] = None
        return out

    # -- stories, related coverage, quotes, dossiers -----------------------------------
    # (logic in articles/services/stories.py, related.py, quotes.py, dossier.py; these are the doors)
    def stories(self, min_size: int = 1):
        """Every story (list[Story]) biggest first; singletons unless ``min_size=2``."""
        from .services import stories

        return stories.stories(self.store, lock=self._write_lock, min_size=min_size)

    def story_of(self, article_id: str):
        """The Story an article belongs to (itself alone when nobody else reported it)."""
        from .services import stories

        return stories.story_of(self.store, article_id, lock=self._write_lock)

    def split_story(self, article_id: str):
        """Take the article out of its story (remembered across regrouping); its own Story."""
        from .services import stories

        return stories.split(self.store, article_id, lock=self._write_lock)

    def merge_stories(self, a: str, b: str):
        """Make the stories of two articles one (remembered across regrouping); the Story."""
        from .services import stories

        return stories.merge(self.store, a, b, lock=self._write_lock)

    def regroup_stories(self) -> int:
        """Rebuild every story from the store (corrections replayed); how many stories."""
        from .services import stories

        stories.update(self.store, self._write_lock)
        stories.regroup(self.store, lock=self._write_lock, from_scratch=True)
        return len(stories.stories(self.store, refresh_first=False))

    def story_versions(self, article_or_story_id: str) -> list[dict]:
        """Each version of the story with what it adds: entities and quotes the others lack."""
        from .services.story_versions import story_versions

        return story_versions(self.store, article_or_story_id, lock=self._write_lock)

    def related(self, article_id: str, limit: int = 10):
        """The most related other articles (list[Related]) with shared entities and terms."""
        from .services import related

        try:
            self.ensure_index()
            index = self.index
        except (LibraryError, SearchIndexError):  # no usable index: by entities alone
            index = None
        return related.related(self.store, index, article_id, limit=limit, lock=self._write_lock)

    def quotes(self, article_id: str | None = None, speaker: str | None = None):
        """Direct quotations (list[Quote]) of one article or all, optionally by one speaker."""
        from .services.quotes import library_quotes

        return library_quotes(self.store, article=article_id, speaker=speaker, lock=self._write_lock)

    def dossier(self, name: str) -> dict:
        """Everything about one entity: articles, timeline, co-mentioned, quotes."""
        from .services.dossier import DossierError, dossier

        try:
            return dossier(self.store, name, lock=self._write_lock)
        except DossierError as exc:
            raise LibraryError(str(exc)) from exc

    def follow(self, name: str) -> dict:
        from .services.dossier import DossierError, follow

        try:
            return follow(self.store, name, lock=self._write_lock)
        except DossierError as exc:
            raise LibraryError(str(exc)) from exc

    def unfollow(self, name: str) -> bool:
        from .services.dossier import unfollow

        return unfollow(self.store, name, lock=self._write_lock)

    def follows(self) -> list[dict]:
        """Followed entities: [{"name", "type", "entity_id", "articles", "unread"}]."""
        from .services.dossier import follows

        return follows(self.store)

    def entity_rows(self, article_id: str | None = None, type: str | None = None,
                    limit: int | None = None) -> list[dict]:
        """What `newsdesk entities` lists: the library's entities or one article's (see services.entity_rows)."""
        from .services.entity_rows import entity_rows

        return entity_rows(self.store, article_id, type=type, limit=limit)
