"""The app's own commands in the command palette (ctrl+p)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

SORTS = {
    "date": "date, newest first",
    "date-asc": "date, oldest first",
    "title": "title",
    "source": "source",
}
SORT_SHORT = {"date": "newest first", "date-asc": "oldest first", "title": "by title", "source": "by source"}


class CommandList(Provider):
    """A palette provider over a fixed list of (name, help, callback) from ``_commands``."""

    def _commands(self):
        return ()

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class NewsdeskCommands(CommandList):
    """Commands with no key: import, reindex, sort orders and entity scope.
    Every action with a key is in the palette from the actions table
    (tui/actions.py); theme comes from Textual's own system commands."""

    def _commands(self):
        app = self.app
        yield "Import files…", "Import files, folders, globs or URLs into the library", app.action_import
        yield "Reindex library", "Rebuild the search index from the store", app.action_reindex
        yield "Library entities", "Show the whole library's entities in the sidebar", \
            partial(app.set_entity_scope, "library")
        yield "Article entities", "Show the open article's entities in the sidebar", \
            partial(app.set_entity_scope, "article")
        for key, label in SORTS.items():
            yield f"Sort by {label}", f"Order the article list by {label}", partial(app.set_sort, key)



class FeedCommands(CommandList):
    """Palette commands for feeds (refresh and the feeds view are in the actions table)."""

    def _commands(self):
        app = self.app
        yield "Add feed…", "Subscribe to an RSS or Atom feed", app.action_add_feed
