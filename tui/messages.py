"""Every message the app's workers and panes post to the app (widgets' own
input events, like ``FeedPane.Chosen``, stay nested in their widget class).

Workers run in threads and only ever talk to the UI through these: Textual's
``post_message`` is thread-safe, and each handler runs on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

__all__ = ["Activity", "SearchDone", "EntitiesLoaded", "ImportDone", "EntitiesDone", "StoriesReady",
           "IndexReady", "FeedsRefreshed", "SourcesReady", "activity_reporter"]


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
