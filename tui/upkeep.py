"""Keeping the reader in step with the library: imports from the palette, the
entity stage after them (a subprocess: spaCy never loads in the reader), the
search index's check and rebuild, and what other processes write meanwhile.

A base of ``NewsdeskApp``, like reading.py; the work itself runs in
tui/workers.py and ends in the messages handled here.
"""

from __future__ import annotations

import shlex
from functools import partial

from textual.css.query import NoMatches

from articles.text import sanitize_line

from . import workers
from .messages import EntitiesDone, ImportDone, IndexReady
from .screens.dialogs import ErrorDialog, PromptDialog


class LibraryUpkeep:
    # Another process (newsdesk add, refresh) may write to the library while
    # the app is open: poll SQLite's data_version, which costs microseconds.
    WATCH_INTERVAL = 2.0

    def _watch_library(self) -> None:
        version = self.library.data_version()
        if version != self._data_version:
            self._data_version = version
            try:
                self.action_reload()
            except NoMatches:
                # The tick came while the app is closing and its panes are gone
                # (seen at the end of a Pilot run): there is nothing left to update.
                if not (self._exit or self._closing or self._closed):
                    raise

    def action_reload(self, announce: bool = False) -> None:
        """Pick up articles other processes added (also runs by itself, quietly)."""
        if self._feed_filter_active() and self.feed_filter[0] in ("saved", "atag"):
            self.filter_by_feed(*self.feed_filter)  # a saved search is run again: new hits appear
        else:
            self.article_list.reload()
        if self.left_pane == "feeds":
            self.feed_pane.load()  # fresh unread counts beside the feeds
        if self.group_by_story:
            self.load_stories()
        self._update_status()
        self.check_index()
        if announce:
            self.notify(f"Reloaded: {self.article_list.total:,} articles in the list.", timeout=2)

    # -- the entity stage and the index --------------------------------------------
    def _entity_stage(self):
        """The entity stage for imports and refreshes to run (None: never)."""
        if not self.run_entity_stage:
            return None
        return partial(workers.entity_stage, self.library.path, self.post_message)

    def check_index(self) -> None:
        workers.start(self, workers.check_index, self.library, self.post_message,
                      group="index", name="Checking the search index")

    def on_index_ready(self, message: IndexReady) -> None:
        self._activity = "" if message.what == "ok" else f"index {message.what}"
        self._update_status()

    # -- importing from the palette ------------------------------------------------
    def action_import(self) -> None:
        def chosen(value: str | None) -> None:
            if value:
                try:
                    sources = shlex.split(value)
                except ValueError as exc:
                    self.push_screen(ErrorDialog("Cannot read that list of files", str(exc)))
                    return
                self.import_sources(sources)

        self.push_screen(PromptDialog(
            "Import files", "Paths, folders, globs or URLs, separated by spaces (quote names with spaces).",
            "~/news/*.html"), chosen)

    def import_sources(self, sources: list[str]) -> None:
        workers.start(self, workers.import_sources, self.library.path, sources, self._entity_stage(),
                      self.post_message, group="import", name="Import")

    def on_entities_done(self, message: EntitiesDone) -> None:
        self._activity = ""
        self._update_status()
        if message.problem:
            self.push_screen(ErrorDialog("Finding entities failed", message.problem))
        self.refresh_sidebar()

    def on_import_done(self, message: ImportDone) -> None:
        r = message.report
        self._activity = ""
        self.article_list.reload()
        if self.group_by_story:
            self.load_stories()
        self._update_status()
        self.refresh_sidebar()
        self.show_welcome()
        summary = (f"Imported: {r.added} added, {r.updated} updated, {r.unchanged} unchanged, "
                   f"{r.duplicates} duplicates, {len(r.failed)} failed")
        self.notify(summary, markup=False, timeout=6)
        problems = [f"{sanitize_line(src)}: {sanitize_line(err)}" for src, err in r.failed]
        if message.entity_problem:
            problems.append(f"entities: {message.entity_problem}")
        if problems:
            self.push_screen(ErrorDialog("Some items were not imported", "\n".join(problems[:30])))

    def action_reindex(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        workers.start(self, workers.reindex, self.library, self._search_lock, self.post_message,
                      group="index", name="Reindex")
