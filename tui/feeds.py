"""Feeds in the reader: the feeds view, the feed/tag filter, and refreshing.

``FeedsMixin`` is mixed into the app class (its handlers use ``on_*`` names,
which Textual finds along the MRO; its key bindings are listed in the app's
BINDINGS so that they show in the help). A refresh runs in a thread worker on
its own library connection while the user keeps reading; spaCy never loads in
this process: new articles get their entities from the CLI in a subprocess,
exactly as an import from the TUI does.
"""

from __future__ import annotations

import shlex
import threading

from textual import work
from textual.message import Message
from textual.widgets import ContentSwitcher

from articles.library import Library, LibraryError
from articles.text import sanitize_line

from .commands import CommandList
from .screens.dialogs import ErrorDialog, PromptDialog
from .widgets.article_list import ListSource
from .widgets.feed_list import FeedOptions, FeedPane

# Most failures listed in the summary notification; the rest are in the feeds view.
MAX_FAILURES_SHOWN = 8


class FeedsRefreshed(Message):
    """A refresh ended: per-feed results, or ``error`` (the refresh could not
    start), or ``crashed`` (an unexpected exception, reported by the worker)."""

    def __init__(self, results, entity_problem: str | None = None, error: str | None = None,
                 crashed: bool = False) -> None:
        super().__init__()
        self.results = results or []
        self.entity_problem = entity_problem
        self.error = error
        self.crashed = crashed


class FeedsMixin:
    """Feed actions for NewsdeskApp (which provides library, article_list,
    _progress, _entity_subprocess, _update_status and run_entity_stage)."""

    # (kind, key, status-line label) of the feed filter last applied; it is the
    # active filter while the list's source still carries that label.
    feed_filter: tuple[str, object, str] | None = None
    # Set while a refresh runs; setting it stops the refresh soon (on quit).
    _refresh_cancel: threading.Event | None = None
    # The last refresh's per-feed results (articles.feeds.FeedResult).
    feed_results: list | None = None

    @property
    def feed_pane(self) -> FeedPane:
        return self.query_one(FeedPane)

    @property
    def refreshing(self) -> bool:
        return self._refresh_cancel is not None

    # -- the view -----------------------------------------------------------
    def action_feeds(self) -> None:
        """Show the feeds in the list's column, with fresh unread counts."""
        if not self.load_feed_pane():
            return
        self.query_one(ContentSwitcher).current = "feeds"
        self.feed_pane.query_one(FeedOptions).focus()

    def load_feed_pane(self) -> bool:
        try:
            feeds = self.library.list_feeds()
        except Exception as exc:  # e.g. a read-only library without the feeds tables
            self.push_screen(ErrorDialog("Cannot list the feeds", str(exc) or type(exc).__name__))
            return False
        self.feed_pane.set_feeds(feeds)
        return True

    def on_feed_pane_closed(self, message: FeedPane.Closed) -> None:
        self.query_one(ContentSwitcher).current = "list"
        self.article_list.focus()

    def on_feed_pane_chosen(self, message: FeedPane.Chosen) -> None:
        self.filter_by_feed(message.kind, message.key, message.label)
        self.query_one(ContentSwitcher).current = "list"
        self.article_list.focus()

    def filter_by_feed(self, kind: str, key, label: str) -> None:
        """Library-wide filter of the article list, cleared by escape like the entity filter."""
        if kind == "feed":
            ids = self.library.feed_article_ids(feed=key)
        elif kind == "tag":
            ids = self.library.feed_article_ids(tag=key)
        else:
            ids = self.library.feed_article_ids()
        self.feed_filter = (kind, key, label)
        self.filter_entity = None
        row = self.article_list.current_row
        self.article_list.load(ListSource(self.sort, ids=tuple(ids), label=label),
                               keep_id=row.id if row else None)
        self._update_status()

    def _feed_filter_active(self) -> bool:
        src = self.article_list.source
        return self.feed_filter is not None and src.ids is not None and src.label == self.feed_filter[2]

    # -- subscribing --------------------------------------------------------
    def on_feed_pane_add_requested(self, message: FeedPane.AddRequested) -> None:
        self.action_add_feed()

    def action_add_feed(self) -> None:
        def chosen(value: str | None) -> None:
            if not value:
                return
            try:
                words = shlex.split(value)
            except ValueError as exc:
                self.push_screen(ErrorDialog("Cannot read that feed address", str(exc)))
                return
            url, tag = words[0], " ".join(words[1:]) or None
            try:
                feed = self.library.add_feed(url, tag=tag)
            except LibraryError as exc:
                self.push_screen(ErrorDialog("Feed not added", str(exc)))
                return
            self.notify(f"Subscribed to {sanitize_line(feed.url)}; fetching it now.", markup=False, timeout=4)
            if self.query_one(ContentSwitcher).current == "feeds":
                self.load_feed_pane()
            self.action_refresh_feeds([feed.id])

        self.push_screen(PromptDialog(
            "Add feed", "The feed's URL (RSS or Atom), optionally followed by a tag.",
            "https://example.com/feed.xml news"), chosen)

    # -- refreshing ---------------------------------------------------------
    def action_refresh_feeds(self, feeds: list[int] | None = None) -> None:
        if self.refreshing:
            self.notify("Feeds are already being refreshed.", timeout=2)
            return
        self._refresh_cancel = threading.Event()
        self._activity = "refreshing feeds…"
        self._update_status()
        self.refresh_feeds(feeds, self._refresh_cancel)

    @work(thread=True, exclusive=True, group="refresh", name="Refreshing feeds")
    def refresh_feeds(self, feeds: list[int] | None, cancel: threading.Event) -> None:
        try:
            # Its own connection: the refresh's writes must not interleave with
            # the reader's star/read writes on the app's connection.
            with Library(self.library.path) as lib:
                results = lib.refresh_feeds(feeds, progress=self._progress("refreshing"),
                                            entities=False, cancel=cancel)
        except LibraryError as exc:
            self.post_message(FeedsRefreshed([], error=str(exc)))
            return
        except BaseException:
            # An unexpected failure ends in the app's worker error dialog; this
            # only lets the app know the refresh is no longer running.
            self.post_message(FeedsRefreshed([], crashed=True))
            raise
        problem = None
        if self.run_entity_stage and not cancel.is_set() and any(r.added or r.updated for r in results):
            self.post_message(_progress_message("finding entities…"))
            problem = self._entity_subprocess()
        self.post_message(FeedsRefreshed(results, problem))

    def on_feeds_refreshed(self, message: FeedsRefreshed) -> None:
        self._refresh_cancel = None
        self._activity = ""
        if not message.crashed and message.error is None:
            self.feed_results = message.results
        if self._feed_filter_active():
            self.filter_by_feed(*self.feed_filter)
        else:
            self.article_list.reload()
        self._update_status()
        if self.query_one(ContentSwitcher).current == "feeds":
            self.load_feed_pane()
        if message.crashed:
            return  # the worker's error dialog says what happened
        if message.error:
            self.push_screen(ErrorDialog("Feeds were not refreshed", message.error))
            return
        self.notify(summarise(message.results), title="Feeds", markup=False, timeout=6)
        failures = failure_lines(message.results)
        if message.entity_problem:
            failures.append(f"entities: {sanitize_line(message.entity_problem)}")
        if failures:
            self.notify("\n".join(failures), title="Some feeds failed", severity="warning",
                        markup=False, timeout=12)

    def on_unmount(self) -> None:
        # A refresh still running when the app quits stops at its next check
        # instead of holding the process open until every server answers.
        if self._refresh_cancel is not None:
            self._refresh_cancel.set()


def _progress_message(text: str) -> Message:
    from .app import Progress  # the app module imports this one

    return Progress(text)


def summarise(results) -> str:
    """One line: feeds refreshed and what they brought."""
    if not results:
        return "No feeds to refresh: add one with ctrl+p “Add feed…”."
    added = sum(r.added for r in results)
    updated = sum(r.updated for r in results)
    failed = sum(r.status == "failed" for r in results)
    unchanged = sum(r.status == "unchanged" for r in results)
    n = len(results)
    text = (f"{n} feed{'s' if n != 1 else ''} refreshed: {added} new article{'s' if added != 1 else ''}, "
            f"{updated} updated, {unchanged} feed{'s' if unchanged != 1 else ''} unchanged")
    if failed:
        text += f", {failed} failed"
    return text


def failure_lines(results) -> list[str]:
    failed = [r for r in results if r.status == "failed"]
    lines = [f"{sanitize_line(r.title or r.url)}: {sanitize_line(r.reason or 'unknown error')}"
             for r in failed[:MAX_FAILURES_SHOWN]]
    if len(failed) > MAX_FAILURES_SHOWN:
        lines.append(f"… and {len(failed) - MAX_FAILURES_SHOWN} more (see the feeds view)")
    return lines


class FeedCommands(CommandList):
    """Palette commands for feeds."""

    def _commands(self):
        app = self.app
        yield "Refresh feeds", "Fetch every subscribed feed and import new articles", app.action_refresh_feeds
        yield "Add feed…", "Subscribe to an RSS or Atom feed", app.action_add_feed
        yield "Feeds view", "Feeds and tags with unread counts; choose one to filter the list", app.action_feeds


