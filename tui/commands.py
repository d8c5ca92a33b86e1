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
    """Import, reindex, sidebar, sort and entity scope; theme and quit come
    from Textual's own system commands provider."""

    def _commands(self):
        app = self.app
        yield "Import files…", "Import files, folders, globs or URLs into the library", app.action_import
        yield "Reindex library", "Rebuild the search index from the store", app.action_reindex
        yield "Toggle entity sidebar", "Show or hide the entity sidebar", app.action_toggle_sidebar
        yield "Library entities", "Show the whole library's entities in the sidebar", \
            partial(app.set_entity_scope, "library")
        yield "Article entities", "Show the open article's entities in the sidebar", \
            partial(app.set_entity_scope, "article")
        for key, label in SORTS.items():
            yield f"Sort by {label}", f"Order the article list by {label}", partial(app.set_sort, key)
        yield "Clear filter", "Show every article again", app.action_clear_filter
        yield "Group by story", "One row per story, other versions beneath it (toggle)", \
            app.action_group_by_story
        yield "Merge stories", "Mark this article's story, then merge another story into it (M)", \
            app.action_merge_story
        yield "Keys", "Show every key binding", app.action_help



class FeedCommands(CommandList):
    """Palette commands for feeds."""

    def _commands(self):
        app = self.app
        yield "Refresh feeds", "Fetch every subscribed feed and import new articles", app.action_refresh_feeds
        yield "Add feed…", "Subscribe to an RSS or Atom feed", app.action_add_feed
        yield "Feeds view", "Feeds and tags with unread counts; choose one to filter the list", app.action_feeds
