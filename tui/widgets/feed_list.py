"""The feeds view: subscriptions grouped by tag, with unread counts.

It shares the article list's column (like search). Choosing a row asks the app
to filter the article list by that feed, that tag, or every feed; the widget
itself never touches the library: the app hands it ``Feed`` objects.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from articles.text import sanitize_line
from .keys import list_bindings

ALL = "all"  # option id of the "every feed" row; feeds are "feed:<id>", tags "tag:<name>"


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

    class Chosen(Message):
        """``kind`` is "all", "feed" or "tag"; ``key`` the feed id or the tag."""

        def __init__(self, kind: str, key, label: str) -> None:
            super().__init__()
            self.kind = kind
            self.key = key
            self.label = label

    class Closed(Message):
        pass

    class AddRequested(Message):
        pass

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.feeds: list = []
        self._rows: dict[str, tuple[str, object, str]] = {}  # option id -> (kind, key, label)

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
        if not self.feeds:
            opts.add_option(Option(Text("No feeds yet: press a (or ctrl+p “Add feed…”)", style="dim"),
                                   disabled=True))
            self._show_detail(None)
            return
        width = max((opts.scrollable_content_region.width or self.size.width or 40) - 2, 16)
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
        opts.add_options(options)
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
        self.post_message(self.AddRequested())


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
