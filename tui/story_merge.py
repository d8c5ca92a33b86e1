"""Merging two stories from the reader: mark one story, then merge another into it.

The user's correction, remembered across regrouping like ``newsdesk stories
merge A B`` (and like the split key ``x``): the write and the regroup run in a
worker on their own connection, never on the UI thread."""

from __future__ import annotations

from textual import work

from articles.library import Library

from .messages import Activity, StoriesReady


class StoryMerge:
    """Mixed into the app: ``M`` on an article marks its story; ``M`` on an
    article of another story makes the two one; ``M`` on the marked story again
    forgets the mark."""

    _merge_mark: str | None = None  # the article whose story waits to be merged

    def action_merge_story(self) -> None:
        aid = self._target_id()
        if not aid:
            return
        mark = self._merge_mark
        if mark is None:
            self._merge_mark = aid
            self.notify("Story marked: press M on an article of another story to merge the two "
                        "(M on this one again forgets the mark).")
            return
        self._merge_mark = None
        if mark == aid:
            self.notify("Merge mark cleared.")
            return
        self._merge_stories(mark, aid)

    @work(thread=True, exclusive=True, group="stories", name="Merging stories")
    def _merge_stories(self, a: str, b: str) -> None:
        self.post_message(Activity("merging stories…"))
        with Library(self.library.path) as lib:
            try:
                merged = lib.merge_stories(a, b)
            except ValueError as e:  # one story already
                self.call_from_thread(self.notify, str(e), severity="warning")
                self.post_message(Activity(""))
                return
            stories = lib.stories()
        self.call_from_thread(
            self.notify, f"Merged: one story of {len(merged.articles)}; it stays one when stories are regrouped.")
        self.post_message(StoriesReady(tuple((s.id, tuple(s.articles)) for s in stories)))
