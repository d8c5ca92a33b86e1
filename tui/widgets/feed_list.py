"""The feeds pane: subscriptions grouped by tag with unread counts, subscribing,
and refreshing.

It shares the article list's column (like search). Choosing a row asks the app
to filter the article list by that feed, that tag, or every feed
(``FeedPane.Chosen``). The pane owns its actions and its refresh worker: a
refresh runs in a thread on its own library connection while the user keeps
reading, and ends with a ``FeedsRefreshed`` message that the pane handles first
(its own view, the notifications) and that then bubbles to the app (the article
list); the worker itself is tui/workers.py's ``refresh_feeds``. spaCy never loads in this process: new articles get their entities from
the ``entity_stage`` callable the app passes in (the CLI in a subprocess).
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from articles.library import Library, LibraryError
from articles.text import sanitize_line

from .. import workers
from ..messages import Activity, DeskCounted, FeedChosen, FeedsClosed, FeedsRefreshed
from ..screens.dialogs import ErrorDialog, PromptDialog
from .keys import list_bindings

# Most failures listed in the summary notification; the rest are in the feeds view.
MAX_FAILURES_SHOWN = 8

ALL = "all"  # option id of the "every feed" row; feeds are "feed:<id>", tags "tag:<name>",
# saved searches "saved:<name>", article tags "atag:<name>"


class FeedOptions(OptionList):
    BINDINGS = list_bindings("feeds")


class FeedPane(Vertical):
    BINDINGS = [
        Binding("escape", "close", "Close feeds", id="feeds.close"),
        Binding("a", "add_feed", "Add feed", id="feeds.add"),
    ]

    DEFAULT_CSS = """
    FeedPane { height: 1fr; }
    FeedPane > #feeds-title { height: 1; padding: 0 1; text-style: bold; color: $text-muted; }
    FeedPane > FeedOptions { height: 1fr; border: none; padding: 0; }
    FeedPane > FeedOptions:focus { border: none; }
    FeedPane > #feeds-detail { height: auto; max-height: 5; padding: 0 1; color: $text-muted;
                               border-top: solid $panel-lighten-2; }
    """

    # Its messages (tui/messages.py), by the names handlers and @on use.
    Chosen = FeedChosen
    Closed = FeedsClosed
    DeskCounted = DeskCounted

    def __init__(self, library: Library, entity_stage: Callable[[], str | None] | None = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.library = library
        # Runs the entity stage after a refresh brought articles (None: never);
        # returns a problem to report, or None.
        self.entity_stage = entity_stage
        self.feeds: list = []
        self._rows: dict[str, tuple[str, object, str]] = {}  # option id -> (kind, key, label)
        # Set while a refresh runs; setting it stops the refresh soon (on quit).
        self._refresh_cancel: threading.Event | None = None
        # Saved searches ({"name", "query", "total", "unread"}) and article tags
        # ({"name", "articles"}), counted by a worker (a search each) when the pane opens.
        self.saved: list[dict] = []
        self.article_tags: list[dict] = []

    @property
    def refreshing(self) -> bool:
        return self._refresh_cancel is not None

    def compose(self):
        yield Static(Text("Feeds"), id="feeds-title")
        yield FeedOptions(id="feeds-options")
        yield Static(Text(""), id="feeds-detail")

    @property
    def options(self) -> FeedOptions:
        return self.query_one(FeedOptions)

    def set_feeds(self, feeds, keep: str | None = None) -> None:
        """Show ``feeds`` (Library.list_feeds order: untagged first, then by tag)."""
        self.feeds = list(feeds)
        opts = self.options
        if keep is None and opts.highlighted is not None and opts.option_count:
            keep = opts.get_option_at_index(opts.highlighted).id
        opts.clear_options()
        self._rows.clear()
        unread = sum(f.unread for f in self.feeds)
        title = Text(f"Feeds · {len(self.feeds)}")
        if unread:
            title.append(f" · {unread:,} unread", style="bold")
        self.query_one("#feeds-title", Static).update(title)
        width = max((opts.scrollable_content_region.width or self.size.width or 40) - 2, 16)
        if not self.feeds:
            opts.add_option(Option(Text("No feeds yet: press a (or ctrl+p “Add feed…”)", style="dim"),
                                   disabled=True))
            opts.add_options(self._desk_options(width))
            self._show_detail(None)
            return
        options: list[Option | None] = []
        self._rows[ALL] = ("all", None, "all feeds")
        options.append(Option(_line("", "All feeds", unread, width, bold=True), id=ALL))
        tags: dict[str, list] = {}
        for f in self.feeds:
            if f.tag:
                tags.setdefault(f.tag, []).append(f)
            else:
                options.append(self._feed_option(f, width, indent=""))
        for tag, group in tags.items():
            options.append(None)
            key = f"tag:{tag}"
            self._rows[key] = ("tag", tag, f"tag {sanitize_line(tag)}")
            options.append(Option(_line("# ", tag, sum(f.unread for f in group), width, bold=True), id=key))
            for f in group:
                options.append(self._feed_option(f, width, indent="  "))
        opts.add_options(options + self._desk_options(width))
        index = next((i for i in range(opts.option_count) if opts.get_option_at_index(i).id == keep), 0)
        opts.highlighted = index

    def _feed_option(self, feed, width: int, indent: str) -> Option:
        key = f"feed:{feed.id}"
        name = sanitize_line(feed.name)
        self._rows[key] = ("feed", feed.id, f"feed {name}")
        failed = feed.last_status == "failed"
        marker = "!" if failed else " "
        line = _line(indent + marker + " ", name, feed.unread, width,
                     marker_style="bold red" if failed else "")
        return Option(line, id=key)

    def _desk_options(self, width: int) -> list[Option | None]:
        """Saved searches (unread counts, like feeds) and article tags, beside the feeds."""
        out: list[Option | None] = []
        if self.saved:
            out += [None, Option(Text("Saved searches", style="bold dim"), disabled=True)]
            for s in self.saved:
                key = f"saved:{s['name']}"
                self._rows[key] = ("saved", s["query"], f"saved {sanitize_line(s['name'])}")
                out.append(Option(_line("? ", s["name"], s["unread"], width), id=key))
        if self.article_tags:
            out += [None, Option(Text("Article tags", style="bold dim"), disabled=True)]
            for t in self.article_tags:
                key = f"atag:{t['name']}"
                self._rows[key] = ("atag", t["name"], f"tagged {sanitize_line(t['name'])}")
                out.append(Option(_line("+ ", t["name"], t["articles"], width), id=key))
        return out

    def _count_desk(self) -> None:
        # Its own connection, as the refresh: a search per saved query.
        workers.start(self.app, workers.count_desk, self.library.path, self.post_message,
                      group="desk-counts", name="Counting saved searches")

    def on_feed_pane_desk_counted(self, message: DeskCounted) -> None:
        message.stop()
        if (message.saved, message.tags) == (self.saved, self.article_tags):
            return  # nothing new: keep the rows (and the highlighted one) as they are
        self.saved, self.article_tags = message.saved, message.tags
        self.set_feeds(self.feeds)

    def feed_by_id(self, feed_id: int):
        return next((f for f in self.feeds if f.id == feed_id), None)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        row = self._rows.get(event.option_id or "")
        self._show_detail(row)

    def _show_detail(self, row) -> None:
        detail = Text()
        if row is None:
            detail.append("Subscribe with a, refresh with R.")
        elif row[0] == "saved":
            s = next((x for x in self.saved if x["query"] == row[1]), None)
            detail.append(f"query: {sanitize_line(row[1])}")
            if s is not None:
                detail.append(f"\n{s['unread']:,} unread of {s['total']:,}")
            detail.append("\nenter runs it · esc back")
        elif row[0] == "atag":
            t = next((x for x in self.article_tags if x["name"] == row[1]), None)
            detail.append(f"{t['articles'] if t else 0:,} article(s) tagged {sanitize_line(row[1])}"
                          "\nenter filter · esc back")
        elif row[0] == "feed":
            feed = self.feed_by_id(row[1])
            if feed is not None:
                detail = feed_detail(feed)
        else:
            group = self.feeds if row[0] == "all" else [f for f in self.feeds if f.tag == row[1]]
            failed = sum(f.last_status == "failed" for f in group)
            detail.append(f"{len(group)} feed{'s' if len(group) != 1 else ''} · "
                          f"{sum(f.unread for f in group):,} unread of {sum(f.articles for f in group):,}")
            if failed:
                detail.append(f" · {failed} failed last time", style="red")
            detail.append("\nenter filter · R refresh · a add · esc back")
        self.query_one("#feeds-detail", Static).update(detail)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        row = self._rows.get(event.option_id or "")
        if row is not None:
            self.post_message(self.Chosen(*row))

    def action_close(self) -> None:
        self.post_message(self.Closed())

    def action_add_feed(self) -> None:
        self.prompt_add_feed()

    # -- the library --------------------------------------------------------
    def load(self) -> bool:
        """List the subscriptions afresh; False (after saying why) if they cannot be read."""
        try:
            feeds = self.library.list_feeds()
        except Exception as exc:  # e.g. a read-only library without the feeds tables
            self.app.push_screen(ErrorDialog("Cannot list the feeds", str(exc) or type(exc).__name__))
            return False
        self.set_feeds(feeds)
        self._count_desk()
        return True

    def prompt_add_feed(self) -> None:
        def chosen(value: str | None) -> None:
            if not value:
                return
            try:
                words = shlex.split(value)
            except ValueError as exc:
                self.app.push_screen(ErrorDialog("Cannot read that feed address", str(exc)))
                return
            url, tag = words[0], " ".join(words[1:]) or None
            try:
                feed = self.library.add_feed(url, tag=tag)
            except LibraryError as exc:
                self.app.push_screen(ErrorDialog("Feed not added", str(exc)))
                return
            self.app.notify(f"Subscribed to {sanitize_line(feed.url)}; fetching it now.", markup=False,
                            timeout=4)
            if self.display:
                self.load()
            self.start_refresh([feed.id])

        self.app.push_screen(PromptDialog(
            "Add feed", "The feed's URL (RSS or Atom), optionally followed by a tag.",
            "https://example.com/feed.xml news"), chosen)

    def start_refresh(self, feeds: list[int] | None = None) -> None:
        if self.refreshing:
            self.app.notify("Feeds are already being refreshed.", timeout=2)
            return
        self._refresh_cancel = threading.Event()
        self.post_message(Activity("refreshing feeds…"))
        # Ends in FeedsRefreshed, posted here: this pane handles it first, then the app.
        workers.start(self.app, workers.refresh_feeds, self.library.path, feeds, self._refresh_cancel,
                      self.entity_stage, self.post_message, group="refresh", name="Refreshing feeds")

    def on_feeds_refreshed(self, message: FeedsRefreshed) -> None:
        # Not stopped: the app reloads its article list after this.
        self._refresh_cancel = None
        if self.display:
            self.load()
        if message.crashed:
            return  # the worker's error dialog says what happened
        if message.error:
            self.app.push_screen(ErrorDialog("Feeds were not refreshed", message.error))
            return
        self.app.notify(summarise(message.results), title="Feeds", markup=False, timeout=6)
        failures = failure_lines(message.results)
        if message.entity_problem:
            failures.append(f"entities: {sanitize_line(message.entity_problem)}")
        if failures:
            self.app.notify("\n".join(failures), title="Some feeds failed", severity="warning",
                            markup=False, timeout=12)

    def on_unmount(self) -> None:
        # A refresh still running when the app quits stops at its next check
        # instead of holding the process open until every server answers.
        if self._refresh_cancel is not None:
            self._refresh_cancel.set()


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


def feed_detail(feed) -> Text:
    """URL, why the last refresh failed (first: the pane is short), then counts."""
    text = Text(sanitize_line(feed.url), no_wrap=True, overflow="ellipsis")
    if feed.last_status == "failed":
        text.append("\nfailed: ", style="bold red")
        text.append(sanitize_line(feed.last_error or "unknown error"), style="red")
    text.append(f"\n{feed.unread:,} unread of {feed.articles:,}")
    if feed.last_fetched:
        when = datetime.fromtimestamp(feed.last_fetched).strftime("%d %b %H:%M")
        text.append(f" · refreshed {when}")
    else:
        text.append(" · never refreshed")
    return text


def _line(prefix: str, name: str, unread: int, width: int, bold: bool = False,
          marker_style: str = "") -> Text:
    """One row: name cut with an ellipsis, unread count right-aligned (dim when none)."""
    count = f"{unread:,}" if unread else "·"
    room = max(width - len(prefix) - len(count) - 1, 4)
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(prefix, style=marker_style)
    label = Text(sanitize_line(name), style="bold" if bold or unread else "", no_wrap=True, overflow="ellipsis")
    label.truncate(room, overflow="ellipsis", pad=True)
    line.append_text(label)
    line.append(" " + count, style="bold" if unread else "dim")
    return line
