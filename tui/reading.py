"""What readers of newsboat and mail readers expect, as app actions: next and
previous article from the reader (J / K), next unread (u), mark every shown
article read with an undo (A / U), find within the article (f), open its web
page (o); the first-run note and the unread count the status line shows.

A mixin of ``NewsdeskApp`` (it uses the app's panes and ``open_article``), kept
out of app.py so that the shell stays the shell.
"""

from __future__ import annotations

from articles.text import safe_url, sanitize_line

from .widgets.find_bar import FindBar, find_spans

# An unfiltered list of more rows than this is not scanned row by row for the next unread.
UNREAD_SCAN = 20_000


class ReadingActions:
    _undo_read: list[str] | None = None

    # -- star and read, on the article the user is looking at ------------------------
    def action_star(self) -> None:
        aid = self._target_id()
        art = self.library.get(aid) if aid else None
        if art is None:
            return
        self.library.set_starred(art.id, not art.starred)
        self.article_list.update_row(art.id, starred=not art.starred)
        if self.reader.article and self.reader.article.id == art.id:
            self.reader.article.starred = not art.starred
        # Named, so that acting on another article than the one meant shows at once.
        self.notify(f"{'Starred' if not art.starred else 'Unstarred'}: {_short_title(art.title)}",
                    timeout=2, markup=False)

    def action_toggle_read(self) -> None:
        aid = self._target_id()
        art = self.library.get(aid) if aid else None
        if art is None:
            return
        self.library.set_read(art.id, not art.read)
        self.article_list.update_row(art.id, read=not art.read)
        if self.reader.article and self.reader.article.id == art.id:
            self.reader.article.read = not art.read
        self.notify(f"{'Marked read' if not art.read else 'Marked unread'}: {_short_title(art.title)}",
                    timeout=2, markup=False)

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

    # -- the article's web page ------------------------------------------------------
    def action_open_url(self) -> None:
        art = self.reader.article
        if art is None or not art.url:
            self.notify("This article has no URL.", timeout=2)
            return
        self.open_url(art.url)

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Hand only http(s) URLs to the browser, whatever a library stored
        before imports checked them: a ``javascript:``/``file:`` URL, a local
        path or an ``--option`` is refused (the readers drop them too)."""
        safe = safe_url(url)
        if safe is None:
            self.notify("Not opening this link: only http(s) URLs are opened.",
                        severity="warning", timeout=3, markup=False)
            return
        import webbrowser

        # Textual's open_url says nothing when no browser starts (a server, an
        # ssh session): say which, and show the link so it can be copied.
        try:
            opened = webbrowser.open(safe, new=2 if new_tab else 0)
        except Exception:  # webbrowser raises for a broken $BROWSER entry
            opened = False
        if opened:
            self.notify(f"Opening in the browser: {sanitize_line(safe)}", timeout=3, markup=False)
        else:
            self.notify(f"No browser could be started here. The link: {sanitize_line(safe)}",
                        severity="warning", timeout=8, markup=False)

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


def _short_title(title: str | None, limit: int = 60) -> str:
    """A title for a toast: one line, cut at a word boundary."""
    text = sanitize_line(title or "") or "(untitled)"
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1] + "…"
