"""The article under the list's cursor, shown in the reader as the cursor
moves (before Enter), and the overview when nothing is open.

Debounced: holding j through the list loads one article when the cursor
rests, not one per row. The article and its entities are read in a worker
(tui/workers.py's ``preview``); the UI thread only shows them. A preview is not a read: nothing is marked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App
from textual.css.query import NoMatches

from . import workers

if TYPE_CHECKING:
    from articles.store import ArticleRow

DELAY = 0.15  # seconds the cursor rests before its article is shown


class Previewer:
    def __init__(self, app: App) -> None:
        self.app = app
        self._timer = None
        self._wanted: str | None = None

    # -- the article under the cursor ------------------------------------------
    def moved(self, row: ArticleRow | None) -> None:
        if row is None:
            return
        self._wanted = row.id
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(DELAY, self._start)

    def _start(self) -> None:
        self._timer = None
        if self.app._exit:
            return  # the timer fired while the app closes: its panes are going
        aid = self._wanted
        try:
            reader = self.app.reader
        except NoMatches:
            return  # the panes went before _exit was set (the screen is being torn down)
        if aid is None or (reader.article is not None and reader.article.id == aid):
            return
        # Ends in ArticlePreviewed, which the app hands to show().
        workers.start(self.app, workers.preview, self.app.library, aid, self.app.post_message,
                      group="preview", name="Previewing the article")

    def show(self, art, entities) -> None:
        self._show(art, entities)

    def _show(self, art, entities) -> None:
        app = self.app
        row = app.article_list.current_row
        if row is None or row.id != art.id or self._wanted != art.id:
            return  # the cursor moved on meanwhile
        if app.reader.article is not None and app.reader.article.id == art.id:
            return
        app.search_terms = frozenset()
        # No credited reports ("Sourced from") in a preview: finding them may
        # write, and the app takes its own writes' data_version as no news, so
        # a preview per keystroke hid another process's import from the list.
        # They show on enter.
        app.reader.show(art, entities)
        if app.sidebar.scope == "article":
            app.sidebar.set_entities(entities, "article", note=app._no_entities_note())

    # -- the overview -------------------------------------------------------------
    def overview(self) -> None:
        """Fill the empty reader with the library at a glance (in a worker)."""
        if self.app.reader.article is not None:
            return
        # Widgets are looked up here, on the UI thread: never from the worker.
        # Ends in OverviewReady, which the app hands to the reader.
        workers.start(self.app, workers.overview, self.app.library.path, self.app._story_groups,
                      self.app.post_message, group="overview", name="Library overview")
