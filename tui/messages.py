"""Every message of the reader, in one place.

The workers' messages (tui/workers.py): a worker runs in a thread and only
ever talks to the UI by posting one of these; Textual's ``post_message`` is
thread-safe, and each handler runs on the UI thread. Then what the panes tell
the app (an article opened, an entity chosen, the search box closed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from articles.store import ArticleRow


def _handled_as(name: str):
    """Give a message the handler name ``on_<name>`` (Textual derives it from
    the class name and, for a nested class, its widget's)."""
    def mark(cls):
        cls.handler_name = f"on_{name}"
        return cls
    return mark


# -- what workers report ------------------------------------------------------------
class Activity(Message):
    """What a worker is doing now, for the status line."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def activity_reporter(post: Callable[[Message], object], label: str) -> Callable[..., None]:
    """A domain progress callback ``(done, total, message)`` that posts an
    ``Activity`` (count, rate, time left) at most every 1% of each stage, from any thread."""
    from .progress import Meter

    meter = Meter()
    last: dict[str, int] = {}
    named = ("indexing", "saving the index", "loading the entity model", "linking entities")

    def report(done: int, total: int, message: str = "") -> None:
        stage = message if message in named else ("entities" if message.startswith("entit") else label)
        pct = int(done * 100 / total) if total else 100
        if pct != last.get(stage):
            last[stage] = pct
            post(Activity(meter.text(stage, done, total)))
    return report


class SearchDone(Message):
    def __init__(self, query: str, results=None, error: str | None = None) -> None:
        super().__init__()
        self.query = query
        self.results = results
        self.error = error


class EntitiesLoaded(Message):
    def __init__(self, entities, note: str = "") -> None:
        super().__init__()
        self.entities = entities
        self.note = note


class ImportDone(Message):
    def __init__(self, report, entity_problem: str | None) -> None:
        super().__init__()
        self.report = report
        self.entity_problem = entity_problem


class EntitiesDone(Message):
    def __init__(self, problem: str | None) -> None:
        super().__init__()
        self.problem = problem


class StoriesReady(Message):
    def __init__(self, groups) -> None:
        super().__init__()
        self.groups = groups


class IndexReady(Message):
    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what


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


class SourcesReady(Message):
    """The reports an open article credits, found by a worker."""

    def __init__(self, article_id: str, sources) -> None:
        super().__init__()
        self.article_id = article_id
        self.sources = sources



class Notice(Message):
    """A toast a worker asks for (what it did, or why not)."""

    def __init__(self, text: str, title: str = "", severity: str = "information") -> None:
        super().__init__()
        self.text = text
        self.title = title
        self.severity = severity


class EntityStage(Message):
    """The entity stage (a subprocess) started or ended: the sidebar says "finding entities…" meanwhile."""

    def __init__(self, running: bool) -> None:
        super().__init__()
        self.running = running


class ArticlePreviewed(Message):
    """The article under the list's cursor was read, with its entities, for the preview."""

    def __init__(self, article, entities) -> None:
        super().__init__()
        self.article = article
        self.entities = entities


class OverviewReady(Message):
    """The library at a glance (a Rich Text), for the reader while nothing is open."""

    def __init__(self, text) -> None:
        super().__init__()
        self.text = text


# -- what the panes tell the app -------------------------------------------------------
# Each keeps the handler name it had as a class nested in its widget
# (``on_feed_pane_chosen`` for ``FeedPane.Chosen``), and the widget keeps the
# nested name as an alias, so handlers and ``@on(FeedPane.Chosen)`` read as before.


@_handled_as("article_list_opened")
class ListOpened(Message):
    def __init__(self, article_id: str) -> None:
        super().__init__()
        self.article_id = article_id


@_handled_as("article_list_highlighted")
class ListHighlighted(Message):
    """The cursor is on ``row``; ``moved`` when the user moved it (not a load)."""

    def __init__(self, row: ArticleRow | None, moved: bool = False) -> None:
        super().__init__()
        self.row = row
        self.moved = moved


@_handled_as("article_list_sized")
class ListSized(Message):
    """The width the list's content asks for changed (see ``wanted_width``)."""


@_handled_as("entity_sidebar_highlighted")
class EntityHighlighted(Message):
    def __init__(self, entity) -> None:
        super().__init__()
        self.entity = entity


@_handled_as("entity_sidebar_chosen")
class EntityChosen(Message):
    def __init__(self, entity) -> None:
        super().__init__()
        self.entity = entity


@_handled_as("entity_sidebar_scope_toggled")
class EntityScopeToggled(Message):
    pass


@_handled_as("search_pane_query_changed")
class QueryChanged(Message):
    def __init__(self, query: str) -> None:
        super().__init__()
        self.query = query


@_handled_as("search_pane_hit_chosen")
class HitChosen(Message):
    def __init__(self, article_id: str) -> None:
        super().__init__()
        self.article_id = article_id


@_handled_as("search_pane_closed")
class SearchClosed(Message):
    pass


@_handled_as("feed_pane_chosen")
class FeedChosen(Message):
    """``kind`` is "all", "feed" or "tag" (a feed's), "saved" or "atag" (an article
    tag); ``key`` the feed id, the tag or the saved query."""

    def __init__(self, kind: str, key, label: str) -> None:
        super().__init__()
        self.kind = kind
        self.key = key
        self.label = label


@_handled_as("feed_pane_closed")
class FeedsClosed(Message):
    pass


@_handled_as("feed_pane_desk_counted")
class DeskCounted(Message):
    def __init__(self, saved: list[dict], tags: list[dict]) -> None:
        super().__init__()
        self.saved = saved
        self.tags = tags


@_handled_as("find_bar_changed")
class FindChanged(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


@_handled_as("find_bar_step")
class FindStep(Message):
    def __init__(self, step: int) -> None:
        super().__init__()
        self.step = step


@_handled_as("find_bar_closed")
class FindClosed(Message):
    pass


@_handled_as("reader_view_highlight_chosen")
class HighlightChosen(Message):
    """The user saved a selection: body[start:end] of ``article_id``."""

    def __init__(self, article_id: str, start: int, end: int) -> None:
        super().__init__()
        self.article_id = article_id
        self.start = start
        self.end = end


@_handled_as("reader_view_match_moved")
class MatchMoved(Message):
    def __init__(self, index: int, total: int) -> None:
        super().__init__()
        self.index = index
        self.total = total


@_handled_as("follows_list_chosen")
class FollowChosen(Message):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
