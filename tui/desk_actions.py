"""Working on a story from the reader: tags, notes and highlights on the open
article, saved searches from the search box, exports and screenshots, and the
desk views (related, quotes, versions) that open an article when one is chosen.

A base class of the app (its bindings are the app's, listed on ? under their
own heading and remappable by id like every other); every change goes through
the Library and the reader is told what changed.
"""

from __future__ import annotations

import time
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from articles.library import LibraryError, QueryError
from articles.text import sanitize_line

from . import workers
from .commands import CommandList
from .screens.dialogs import PromptDialog
from .widgets.reader import ReaderView


def save_folder() -> Path:
    """Where the reader writes what the user asks it to save (exports,
    screenshots): the downloads folder, else the working folder."""
    from platformdirs import user_downloads_dir

    folder = Path(user_downloads_dir()).expanduser()
    return folder if folder.is_dir() else Path.cwd()


class DeskActions(App):
    BINDINGS = [
        Binding("T", "tag_article", "Tag the article", show=False, id="tag_article"),
        Binding("ctrl+t", "untag_article", "Remove a tag from the article", show=False, id="untag_article"),
        Binding("i", "note_article", "Add a note to the article", show=False, id="note_article"),
        Binding("ctrl+s", "save_search", "Save the search", show=False, id="save_search"),
        Binding("Y", "tag_story", "Tag the whole story", show=False, id="tag_story"),
        Binding("E", "rename_tag", "Rename or merge a tag", show=False, id="rename_tag"),
        Binding("L", "all_highlights", "Every highlight in the library", show=False, id="all_highlights"),
    ]

    def _open_article_id(self) -> str | None:
        art = self.query_one(ReaderView).article
        if art is None:
            self.notify("Open an article first.", severity="warning")
            return None
        return art.id

    def refresh_desk(self, article_id: str) -> None:
        """Show the article's highlights and notes in the reader (after a change or on open)."""
        try:
            art = self.library.get(article_id)
            if art is None:
                return
            highlights = self.library.article_highlights(art)
            notes = self.library.article_notes(article_id)
        except LibraryError as exc:
            self.notify(f"Could not load highlights and notes: {exc}", severity="warning", markup=False)
            return
        self.query_one(ReaderView).show_desk(article_id, highlights, notes)

    def _changed(self, what: str, fn, *args) -> bool:
        try:
            fn(*args)
        except (LibraryError, ValueError) as exc:
            self.notify(str(exc), title=what, severity="error", markup=False)
            return False
        # Our own write is not another process's import (the library watch would reload).
        self._data_version = self.library.data_version()
        return True

    def action_tag_article(self) -> None:
        aid = self._open_article_id()
        if aid is None:
            return
        have = self.library.article_tags(aid)

        def chosen(value: str | None) -> None:
            if value and self._changed("Tag", self.library.tag, aid, value.split(",")):
                tags = self.library.article_tags(aid)
                self.notify("Tags: " + ", ".join(sanitize_line(t) for t in tags), markup=False)

        self.push_screen(PromptDialog("Tag this article", "Names separated by commas. Now: "
                                      + (", ".join(sanitize_line(t) for t in have) or "no tags"),
                                      placeholder="tag, another tag"), chosen)

    def action_tag_story(self) -> None:
        """The same tags on every article of the open article's story (`tag --story`)."""
        aid = self._open_article_id()
        if aid is None:
            return
        size = len(self.library.story_of(aid).articles)

        def chosen(value: str | None) -> None:
            if value and self._changed("Tag story", self.library.tag_story, aid, value.split(",")):
                self.notify(f"Tagged {size} article{'s' if size != 1 else ''} of the story: "
                            + ", ".join(sanitize_line(t.strip()) for t in value.split(",") if t.strip()),
                            markup=False)

        self.push_screen(PromptDialog(f"Tag the whole story ({size} article{'s' if size != 1 else ''})",
                                      "Names separated by commas; every version of the story gets them.",
                                      placeholder="tag, another tag"), chosen)

    def action_rename_tag(self) -> None:
        """Rename a tag library-wide, or merge it into another (`tags --rename`)."""
        tags = self.library.tags()
        if not tags:
            self.notify("No tags yet: T tags the open article.", markup=False)
            return
        listing = "  ".join(f"{sanitize_line(t['name'])} ({t['articles']})" for t in tags[:10])

        def chosen(value: str | None) -> None:
            if not value:
                return
            old, sep, new = value.partition("=")
            if not sep or not old.strip() or not new.strip():
                self.notify("Write it as OLD = NEW, e.g. nk = north korea.", title="Rename tag",
                            severity="error", markup=False)
                return
            try:
                n = self.library.rename_tag(old.strip(), new.strip())
            except (LibraryError, ValueError) as exc:
                self.notify(str(exc), title="Rename tag", severity="error", markup=False)
                return
            self._data_version = self.library.data_version()
            self.notify(f"Renamed “{sanitize_line(old.strip())}” to “{sanitize_line(new.strip())}” "
                        f"on {n} article{'s' if n != 1 else ''}.", markup=False)

        self.push_screen(PromptDialog("Rename a tag: OLD = NEW (an existing NEW merges them)", listing,
                                      placeholder=f"{tags[0]['name']} = "), chosen)

    def action_all_highlights(self) -> None:
        from .screens.desk import HighlightsScreen

        self.push_screen(HighlightsScreen(self.library), self._open_chosen)

    def action_untag_article(self) -> None:
        aid = self._open_article_id()
        if aid is None:
            return
        have = self.library.article_tags(aid)
        if not have:
            self.notify("This article has no tags.", markup=False)
            return

        def chosen(value: str | None) -> None:
            if value:
                self._untag(aid, value)

        self.push_screen(PromptDialog("Remove tags", "Its tags: " + ", ".join(sanitize_line(t) for t in have),
                                      placeholder=have[0]), chosen)

    def _untag(self, aid: str, value: str) -> bool:
        try:
            left = self.library.tag(aid, value.split(","), remove=True)
        except LibraryError as exc:
            self.notify(str(exc), title="Remove tag", severity="error", markup=False)
            return False
        self._data_version = self.library.data_version()
        self.notify("Tags: " + (", ".join(sanitize_line(t) for t in left) or "none"), markup=False)
        return True

    def action_note_article(self) -> None:
        aid = self._open_article_id()
        if aid is None:
            return

        def chosen(value: str | None) -> None:
            if value and self._changed("Note", self.library.add_note, aid, value):
                self.refresh_desk(aid)

        self.push_screen(PromptDialog("Add a note to this article", "Shown under the article; note:WORD finds it."),
                         chosen)

    def on_reader_view_highlight_chosen(self, message: ReaderView.HighlightChosen) -> None:
        aid, start, end = message.article_id, message.start, message.end

        def chosen(note: str | None) -> None:
            if self._changed("Highlight", lambda: self.library.add_highlight(aid, note=note, start=start, end=end)):
                self.refresh_desk(aid)
                self.notify("Highlight saved.", markup=False)

        self.push_screen(PromptDialog("A note on this highlight?", "Enter with nothing typed saves it without one."),
                         chosen)

    def action_save_search(self) -> None:
        """Save the search box's query under a name (it then appears beside the feeds)."""
        from .widgets.search_pane import SearchPane

        query = self.query_one(SearchPane).input.value.strip()
        if not query:
            self.notify("Type a search first (/), then save it.", severity="warning")
            return

        def chosen(name: str | None) -> None:
            if not name:
                return
            try:
                self.library.save_search(name, query)
            except (LibraryError, QueryError) as exc:
                self.notify(str(exc), title="Save search", severity="error", markup=False)
                return
            self.notify(f"Saved “{sanitize_line(name)}”: it is listed in the feeds view (F).", markup=False)

        self.push_screen(PromptDialog(f"Save the search “{sanitize_line(query)}” as", placeholder="a name"), chosen)

    # -- removing what the user made ------------------------------------------------
    def _remove_one(self, what: str, items: list[dict], remove) -> None:
        """Ask which of ``items`` (notes or highlights, by id) to remove."""
        aid = self._open_article_id()
        if aid is None:
            return
        if not items:
            self.notify(f"This article has no {what}s.", markup=False)
            return
        listing = "  ".join(f"{i['id']}: {sanitize_line(str(i.get('text') or ''))[:40]}" for i in items[:8])

        def chosen(value: str | None) -> None:
            if not value:
                return
            try:
                item_id = int(value.strip())
            except ValueError:
                self.notify(f"Give the number of the {what}, e.g. {items[0]['id']}.", severity="error")
                return
            if self._changed(f"Remove {what}", remove, aid, item_id):
                self.refresh_desk(aid)
                self.notify(f"Removed {what} {item_id}.", markup=False)

        self.push_screen(PromptDialog(f"Remove a {what}: which number?", listing,
                                      placeholder=str(items[0]["id"])), chosen)

    def action_remove_note(self) -> None:
        art = self.query_one(ReaderView).article
        notes = self.library.article_notes(art.id) if art else []
        self._remove_one("note", notes, self.library.remove_note)

    def action_remove_highlight(self) -> None:
        art = self.query_one(ReaderView).article
        highlights = self.library.article_highlights(art) if art else []
        self._remove_one("highlight", highlights, self.library.remove_highlight)

    # -- exports --------------------------------------------------------------------
    def action_export_article(self) -> None:
        aid = self._open_article_id()
        if aid is not None:
            self._export(f"newsdesk-{aid[:12]}.md", ids=[aid])

    def action_export_story(self) -> None:
        aid = self._open_article_id()
        if aid is not None:
            self._export(f"newsdesk-story-{aid[:12]}.md", story=aid)

    def action_export_dossier(self) -> None:
        """The highlighted entity's dossier as a briefing (`export --dossier NAME`)."""
        entity = self._entity_to_act_on()
        if entity is None:
            return
        name = str(entity.name)
        # A file name from an untrusted name: letters, digits and dashes only.
        slug = "-".join("".join(c if c.isalnum() else " " for c in name).split())[:60] or "entity"
        self._export(f"newsdesk-dossier-{slug}.md", dossier=name)

    def _export(self, name: str, **selection) -> None:
        """Markdown of the selection in the save folder, written in a worker on
        its own connection (a story's quotes take a moment), whole or not at all."""
        target = save_folder() / name
        self.notify(f"Exporting to {sanitize_line(str(target))}…", markup=False)
        workers.start(self, workers.export, self.library.path, target, selection, self.post_message,
                      group="export", name="Exporting", exclusive=False)

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """Save an SVG of the screen and say where, or why not: Textual's own
        delivery said only "Failed to save screenshot"."""
        folder = Path(path).expanduser() if path else save_folder()
        name = filename or f"newsdesk-{time.strftime('%Y-%m-%d_%H-%M-%S')}.svg"
        target = folder / name
        try:
            svg = self.export_screenshot()
            tmp = target.with_name(target.name + ".part")
            tmp.write_text(svg, encoding="utf-8")
            tmp.replace(target)
        except OSError as exc:
            self.notify(f"Screenshot not saved: cannot write {sanitize_line(str(target))}: "
                        f"{exc.strerror or exc}", title="Screenshot", severity="error", markup=False)
            return None
        self.notify(f"Saved screenshot to {sanitize_line(str(target))}", title="Screenshot", markup=False)
        return str(target)

    # -- desk views (tui/screens/desk.py): each dismisses with an article id to open
    def _open_chosen(self, article_id: str | None) -> None:
        if article_id:
            # After the desk screen is gone, so the reader is back on the active screen.
            self.call_after_refresh(self.open_article, article_id)

    def action_related(self) -> None:
        from .screens.desk import RelatedScreen

        if aid := self._target_id():
            self.push_screen(RelatedScreen(self.library, aid), self._open_chosen)

    def action_quotes(self) -> None:
        from .screens.desk import QuotesScreen

        if aid := self._target_id():
            self.push_screen(QuotesScreen(self.library, aid), self._open_chosen)

    def action_story(self) -> None:
        from .screens.desk import StoryScreen

        if aid := self._target_id():
            self.push_screen(StoryScreen(self.library, aid), self._open_chosen)

    def action_start_highlight(self) -> None:
        reader = self.query_one(ReaderView)
        reader.focus()
        reader.action_select_start()


class DeskCommands(CommandList):
    """Palette commands for tags, notes, highlights and saved searches."""

    def _commands(self):
        app = self.app
        yield "Tag article…", "Add tags to the open article (T)", app.action_tag_article
        yield "Tag story…", "Add tags to every article of the open article's story (Y)", app.action_tag_story
        yield "Remove tag…", "Remove a tag from the open article (ctrl+t)", app.action_untag_article
        yield "Rename tag…", "Rename a tag everywhere, or merge it into another (E)", app.action_rename_tag
        yield "All highlights", "Every highlight in the library, by article; enter opens its article (L)", \
            app.action_all_highlights
        yield "Add note…", "Write a note on the open article (i)", app.action_note_article
        yield "Remove note…", "Remove one of the open article's notes", app.action_remove_note
        yield "Remove highlight…", "Remove one of the open article's highlights", app.action_remove_highlight
        yield ("Export article to Markdown",
               "The open article with its highlights, notes and quotes, to the downloads folder",
               app.action_export_article)
        yield "Export story to Markdown", "Every version of the open article's story, to the downloads folder", \
            app.action_export_story
        yield ("Export dossier to Markdown",
               "The highlighted entity's dossier as a briefing, to the downloads folder",
               app.action_export_dossier)
        yield "Highlight passage", "Select sentences in the reader by keys and save them (h)", \
            app.action_start_highlight
        yield "Save search…", "Save the search box's query under a name (ctrl+s)", app.action_save_search
        yield "Saved searches and tags", "Listed with the feeds: choose one to filter the list (F)", \
            app.action_feeds
