"""What readers of newsboat and mail readers expect, as app actions: next and
previous article from the reader (J / K), next unread (u), mark every shown
article read with an undo (A / U), find within the article (f), follow the
highlighted entity; and the unread count the status line shows.

A mixin of ``NewsdeskApp`` (it uses the app's panes and ``open_article``), kept
out of app.py so that the shell stays the shell.
"""

from __future__ import annotations

from articles.library import LibraryError
from articles.text import sanitize_line

from .widgets.find_bar import FindBar, find_spans

# An unfiltered list of more rows than this is not scanned row by row for the next unread.
UNREAD_SCAN = 20_000


class ReadingActions:
    _undo_read: list[str] | None = None

    # -- moving through the list from the reader ---------------------------------
    def _open_row_index(self) -> int:
        """The list row of the article on screen (else the cursor's)."""
        lst = self.article_list
        art = self.reader.article
        row = lst.current_row
        if art is None or (row is not None and row.id == art.id):
            return lst.cursor
        at = lst.index_of(art.id)
        return lst.cursor if at is None else at

    def action_next_article(self, step: int = 1) -> None:
        lst = self.article_list
        if lst.total == 0:
            return
        new = self._open_row_index() + step
        if not 0 <= new < lst.total:
            self.notify("Last article in the list." if step > 0 else "First article in the list.", timeout=2)
            return
        lst.cursor = new
        row = lst.current_row
        if row is not None:
            self.open_article(row.id)

    def action_next_unread(self) -> None:
        lst = self.article_list
        if lst.total == 0:
            return
        if lst.source.ids is None and lst.source.groups is None:
            if self.library.unread_count() == 0:
                self.notify("No unread articles.", timeout=2)
                return
        start = self._open_row_index()
        span = min(lst.total, UNREAD_SCAN)
        for k in range(1, span + 1):
            i = (start + k) % lst.total
            row = lst.row(i)
            if row is not None and not row.read:
                lst.cursor = i
                self.open_article(row.id)
                return
        self.notify("No unread articles in the list.", timeout=2)

    # -- mark all read, with an undo ----------------------------------------------
    def _shown_ids(self) -> list[str] | None:
        """Ids of the articles the list shows (None: every article)."""
        src = self.article_list.source
        if src.groups is not None and src.ids is None:
            return [aid for _sid, ids in src.groups for aid in ids]
        return list(src.ids) if src.ids is not None else None

    def action_mark_all_read(self) -> None:
        ids = self._shown_ids()
        changed = self.library.set_read_many(ids, True)
        if not changed:
            self.notify("Every article in the list is read already.", timeout=2)
            return
        self._mark_done(changed, "in the list")

    def action_mark_story_read(self) -> None:
        """Every version of the story under the list's cursor (or the open article's)."""
        aid = self._target_id()
        if aid is None:
            return
        groups = self.article_list.source.groups or self._story_groups or ()
        ids = next((list(members) for _sid, members in groups if aid in members), None)
        if ids is None:
            # Not grouped on screen: ask the store (its own connection, as grouping writes).
            from articles.library import Library

            try:
                with Library(self.library.path) as lib:
                    ids = list(lib.story_of(aid).articles)
            except Exception:  # no story tables yet: the article alone
                ids = [aid]
        changed = self.library.set_read_many(ids, True)
        if not changed:
            self.notify("Every version of this story is read already.", timeout=2)
            return
        self._mark_done(changed, "of this story")

    def _mark_done(self, changed: list[str], where: str) -> None:
        self._undo_read = changed
        self._after_bulk_mark()
        keys = self._keymap.get("undo_mark_all", "U")
        self.notify(f"Marked {len(changed):,} {where} read. {keys} puts them back.", timeout=8, markup=False)

    def action_undo_mark_all(self) -> None:
        if not self._undo_read:
            self.notify("Nothing to undo.", timeout=2)
            return
        ids, self._undo_read = self._undo_read, None
        self.library.set_read_many(ids, False)
        self._after_bulk_mark()
        self.notify(f"Marked {len(ids):,} unread again.", timeout=3)

    def _after_bulk_mark(self) -> None:
        art = self.reader.article
        if art is not None:
            fresh = self.library.get(art.id)
            if fresh is not None:
                art.read = fresh.read
        self.article_list.reload()
        self._update_status()

    # -- find within the article ----------------------------------------------
    @property
    def find_bar(self) -> FindBar:
        return self.query_one(FindBar)

    def action_find(self) -> None:
        if self.reader.article is None:
            self.notify("Open an article first (enter).", timeout=2)
            return
        self.find_bar.open()

    # Handlers by name: Textual collects @on handlers only from message-pump
    # classes, and this mixin is not one.
    def on_find_bar_changed(self, event: FindBar.Changed) -> None:
        spans = find_spans(self.reader.body, event.text)
        self.reader.show_matches(spans)
        self.find_bar.set_count(0, len(spans), event.text)

    def on_find_bar_step(self, event: FindBar.Step) -> None:
        if self.reader.next_match(event.step):
            self.find_bar.set_count(self.reader.current_match, len(self.reader.matches),
                                    self.find_bar.input.value)

    def on_find_bar_closed(self, event: FindBar.Closed) -> None:
        self.reader.focus()

    # -- follow ----------------------------------------------------------------
    def _highlighted_entity(self):
        """The entity the sidebar highlights, else the list's entity filter, else the sidebar's first."""
        from .widgets.entity_sidebar import EntityOptions

        entity = self.filter_entity
        opts = self.sidebar.query_one(EntityOptions)
        if opts.highlighted is not None:
            entity = self.sidebar.items.get(opts.get_option_at_index(opts.highlighted).id or "", entity)
        elif entity is None:
            entity = next((self.sidebar.items[o.id] for o in opts.options if o.id in self.sidebar.items), None)
        return entity

    def action_follow_entity(self) -> None:
        entity = self._highlighted_entity()
        if entity is None:
            self.notify("Highlight an entity in the sidebar first (e).", severity="warning")
            return
        name = str(entity.name)
        watched = {f["name"].casefold() for f in self.library.follows()}
        try:
            if name.casefold() in watched:
                self.library.unfollow(name)
                self.notify(f"No longer following {sanitize_line(name)}.", timeout=3, markup=False)
            else:
                row = self.library.follow(name)
                self.notify(f"Following {sanitize_line(row['name'])}: {row['unread']} unread of "
                            f"{row['articles']} articles.", timeout=4, markup=False)
        except LibraryError as exc:
            self.notify(str(exc), severity="warning", markup=False)

    # -- the sidebar, kept current ----------------------------------------------------
    _entities_running = False  # the entity stage (a subprocess) is at work

    def entities_note(self) -> str:
        """What the sidebar says when the open article shows no entities."""
        if self._entities_running:
            return "Finding entities…"
        art = self.reader.article
        if art is not None and not self.library.entities_read(art.id):
            return "Entities not found yet (the entity stage has not read this article)"
        return "No entities found in this article"

    def refresh_sidebar(self, reopen: bool = True) -> None:
        """Show the sidebar's scope as the library now is (after an import, the
        entity stage, a refresh), without the user toggling it twice."""
        if self.sidebar.scope == "library":
            self.set_entity_scope("library")
            return
        art = self.reader.article
        ents = self._article_entities(art.id) if art else []
        self.sidebar.set_entities(ents, "article",
                                  note=self.entities_note() if art else "Open an article to see its entities")
        if reopen and art is not None and ents:
            # The reader's chips follow the entities found.
            self.open_article(art.id, terms=self.search_terms, mark_read=False)

    # -- first run -----------------------------------------------------------------
    def show_welcome(self) -> None:
        """Say what the library is while it is empty or only the samples, where
        the first screen has room for it: the reader, while nothing is open."""
        from .welcome import welcome

        try:
            text = welcome(self.library)
        except Exception:  # a damaged store is reported elsewhere
            return
        self.reader.set_empty_text(text)

    # -- status ------------------------------------------------------------------
    def unread_shown(self) -> int | None:
        """Unread articles among those the list shows."""
        try:
            return self.library.unread_count(self._shown_ids())
        except Exception:  # a damaged store says so elsewhere; the count is extra
            return None
