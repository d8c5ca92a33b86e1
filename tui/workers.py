"""Every thread worker of the reader, and the one place their failures surface.

A worker is a plain function: it takes what it needs (the app's Library for
reads, or the library's path to open a connection of its own for writes, so
that its long transactions never mix with the reader's star/read writes),
does the slow part off the UI thread, and ends by posting a message from
tui/messages.py, its only way back to the UI (``post_message`` is
thread-safe; the handler runs on the UI thread). None of them touches a
widget.

``start`` runs one on the app with ``exit_on_error=False``: a failure does
not end the app, it ends in ``report_failure``, the app's one worker-error
handler, which says what failed in a dialog.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual.worker import Worker, WorkerState, get_current_worker

from articles.library import Library, LibraryError, QueryError
from articles.text import sanitize_line

from . import overview as overview_text
from .messages import (Activity, ArticlePreviewed, DeskCounted, EntitiesDone, EntitiesLoaded, EntityStage,
                       FeedsRefreshed, ImportDone, IndexReady, Notice, OverviewReady, SearchDone, SourcesReady,
                       StoriesReady, activity_reporter)
from .progress import run_with_progress

Post = Callable[[object], object]

SEARCH_LIMIT = 50
LIBRARY_ENTITY_LIMIT = 300
ROOT = Path(__file__).resolve().parents[1]  # where `python -m main` runs


def start(app, fn: Callable[..., None], *args, group: str, name: str, exclusive: bool = True) -> Worker:
    """Run ``fn(*args)`` in a thread worker of the app (exclusive within ``group``)."""
    return app.run_worker(partial(fn, *args), thread=True, exclusive=exclusive, group=group, name=name,
                          exit_on_error=False)


def report_failure(app, event: Worker.StateChanged) -> None:
    """The one place worker failures surface: a dialog naming the work and the error."""
    from .screens.dialogs import ErrorDialog

    if event.state != WorkerState.ERROR:
        return
    error = event.worker.error
    app.on_activity(Activity(""))
    if isinstance(error, (LibraryError, QueryError)):
        message = str(error)
    else:
        message = f"{type(error).__name__}: {error}"
    app.push_screen(ErrorDialog(f"{event.worker.name or 'Background task'} failed", message))


def _cancelled() -> bool:
    return get_current_worker().is_cancelled


# -- the index and search ----------------------------------------------------------
def check_index(library: Library, post: Post) -> None:
    post(IndexReady(library.ensure_index(activity_reporter(post, "indexing"))))


def reindex(library: Library, lock: threading.Lock, post: Post) -> None:
    with lock:  # searches wait for the new index instead of reading a half-built one
        n = library.reindex(activity_reporter(post, "indexing"))
    post(IndexReady(f"rebuilt: {n:,} articles"))


def search(library: Library, lock: threading.Lock, query: str, post: Post) -> None:
    with lock:
        if _cancelled():
            return
        try:
            results = library.search(query, limit=SEARCH_LIMIT)
        except QueryError as exc:
            post(SearchDone(query, error=str(exc)))
            return
    if not _cancelled():
        post(SearchDone(query, results))


# -- articles ----------------------------------------------------------------------
def preview(library: Library, article_id: str, post: Post) -> None:
    """The article under the list's cursor and its entities (a preview marks nothing read)."""
    art = library.get(article_id)
    if art is None:
        return
    try:
        entities = list(library.article_entities(article_id))
    except Exception:  # entities are extra: the article still shows
        entities = []
    post(ArticlePreviewed(art, entities))


def overview(path: Path, groups, post: Post) -> None:
    """The library at a glance, for the empty reader (read only, its own connection)."""
    post(OverviewReady(overview_text.render(overview_text.gather(path, groups))))


def sources(path: Path, article_id: str, post: Post) -> None:
    # Finding credits may write them to the store: its own connection keeps
    # those writes off the reader's (as grouping stories does).
    try:
        with Library(path) as lib:
            found = lib.article_sources(article_id)
    except Exception:  # sources are extra: the article is already shown
        return
    if not _cancelled():
        post(SourcesReady(article_id, found))


def library_entities(library: Library, post: Post) -> None:
    ents = list(library.library_entities(limit=LIBRARY_ENTITY_LIMIT))
    if not _cancelled():
        post(EntitiesLoaded(ents, "No entities in the library yet"))


def export(path: Path, target: Path, selection: dict, post: Post) -> None:
    """Markdown of the selection, whole or not at all (Library.export_to)."""
    try:
        with Library(path) as lib:
            size = lib.export_to(target, "md", **selection)
    except LibraryError as exc:
        post(Notice(str(exc), title="Export", severity="error"))
        return
    post(Notice(f"Exported {size:,} bytes to {sanitize_line(str(target))}", title="Export"))


# -- stories -----------------------------------------------------------------------
def _groups(lib: Library) -> StoriesReady:
    return StoriesReady(tuple((s.id, tuple(s.articles)) for s in lib.stories()))


def stories(path: Path, post: Post) -> None:
    # Grouping may first sketch new articles and write the result: its own connection.
    post(Activity("grouping stories…"))
    with Library(path) as lib:
        post(_groups(lib))


def split_story(path: Path, article_id: str, post: Post) -> None:
    post(Activity("splitting story…"))
    with Library(path) as lib:
        try:
            lib.split_story(article_id)
        except ValueError as e:  # alone in its story already
            post(Activity(""))
            post(Notice(str(e), severity="warning"))
            return
        ready = _groups(lib)
    post(Notice("Taken out of its story; it stays apart when stories are regrouped."))
    post(ready)


def merge_stories(path: Path, a: str, b: str, post: Post) -> None:
    post(Activity("merging stories…"))
    with Library(path) as lib:
        try:
            merged = lib.merge_stories(a, b)
        except ValueError as e:  # one story already
            post(Activity(""))
            post(Notice(str(e), severity="warning"))
            return
        ready = _groups(lib)
    post(Notice(f"Merged: one story of {len(merged.articles)}; it stays one when stories are regrouped."))
    post(ready)


# -- importing and the entity stage ------------------------------------------------------
def entity_stage(path: Path, post: Post) -> str | None:
    """Run the entity stage; a problem to report, or None. spaCy stays out of
    the reader's process: the stage runs as the CLI, its progress lines (count,
    rate, time left per stage) reaching the status line. Called inside other
    workers (import, refresh), so it returns instead of posting its end."""
    cmd = [sys.executable, "-m", "main", "entities", "--extract", "--library", str(path)]
    post(EntityStage(True))
    try:
        code, lines = run_with_progress(cmd, str(ROOT), lambda text: post(Activity(text)))
    except OSError as exc:
        return f"could not start the entity stage: {exc}"
    finally:
        post(EntityStage(False))
    if code != 0:
        return sanitize_line(lines[-1] if lines else f"exit status {code}")
    return None


def import_sources(path: Path, sources: list[str], stage: Callable[[], str | None] | None, post: Post) -> None:
    # Its own connection: the import's long write transactions must not mix
    # with the reader's star/read writes on the app's connection.
    with Library(path) as lib:
        report = lib.add(sources, progress=activity_reporter(post, "importing"), entities=False)
    problem = None
    if stage is not None and (report.added or report.updated):
        post(Activity("finding entities…"))
        problem = stage()
    post(ImportDone(report, problem))


def resume_entities(library: Library, stage: Callable[[], str | None], post: Post) -> None:
    """Entity work left pending (first run, an interrupted import), once the first screen is up."""
    if not library.entity_work_pending():
        return
    post(Activity("finding entities…"))
    post(EntitiesDone(stage()))


# -- feeds ------------------------------------------------------------------------
def refresh_feeds(path: Path, feeds: list[int] | None, cancel: threading.Event,
                  stage: Callable[[], str | None] | None, post: Post) -> None:
    """Fetch the feeds and import what is new; ``cancel`` stops it soon (on quit)."""
    try:
        # Its own connection: the refresh's writes must not interleave with
        # the reader's star/read writes on the app's connection.
        with Library(path) as lib:
            results = lib.refresh_feeds(feeds, progress=activity_reporter(post, "refreshing"),
                                        entities=False, cancel=cancel)
    except LibraryError as exc:
        post(FeedsRefreshed([], error=str(exc)))
        return
    except BaseException:
        # An unexpected failure ends in report_failure's dialog; this only lets
        # the pane and the app know the refresh is no longer running.
        post(FeedsRefreshed([], crashed=True))
        raise
    problem = None
    if stage is not None and not cancel.is_set() and any(r.added or r.updated for r in results):
        post(Activity("finding entities…"))
        problem = stage()
    post(FeedsRefreshed(results, problem))


def count_desk(path: Path, post: Post) -> None:
    """Saved searches (a search each) and article tags with their counts, for the feeds pane."""
    with Library(path) as lib:
        saved, tags = lib.saved_searches(), lib.tags()
    post(DeskCounted(saved, tags))
