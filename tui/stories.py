"""The list grouped by story (ctrl+g), and the user's corrections to the
grouping: split an article out of its story (x), merge two stories (M).

A base of ``NewsdeskApp``, like reading.py: grouping, splitting and merging
write and regroup in workers on their own connection (tui/workers.py), never
on the UI thread, and end in ``StoriesReady``. Corrections are remembered
across regrouping, as ``newsdesk stories split|merge`` does.
"""

from __future__ import annotations

from . import workers
from .messages import StoriesReady
from .widgets.article_list import ListSource


class StoryActions:
    _story_groups = None  # the last grouping computed, until the library changes
    _merge_mark: str | None = None  # the article whose story waits to be merged

    def _full_source(self) -> ListSource:
        """The unfiltered list: by story when grouping is on and computed."""
        groups = self._story_groups if self.group_by_story else None
        return ListSource(self.sort, groups=groups)

    def action_group_by_story(self) -> None:
        self.group_by_story = not self.group_by_story
        self.library.state_set("group_by_story", "1" if self.group_by_story else None)
        if self.group_by_story:
            self.load_stories()
        elif self.article_list.source.groups is not None:
            row = self.article_list.current_row
            self.article_list.load(ListSource(self.sort), keep_id=row.id if row else None)
        self._update_status()

    def load_stories(self) -> None:
        workers.start(self, workers.stories, self.library.path, self.post_message,
                      group="stories", name="Grouping stories")

    def action_split_story(self) -> None:
        """Take the current article out of its story (kept apart across regrouping)."""
        if aid := self._target_id():
            workers.start(self, workers.split_story, self.library.path, aid, self.post_message,
                          group="stories", name="Splitting story")

    def action_merge_story(self) -> None:
        """``M`` on an article marks its story; ``M`` on an article of another
        story makes the two one; ``M`` on the marked story again forgets the mark."""
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
        workers.start(self, workers.merge_stories, self.library.path, mark, aid, self.post_message,
                      group="stories", name="Merging stories")

    def on_stories_ready(self, message: StoriesReady) -> None:
        self._story_groups = message.groups
        # The grouping's own writes are not news: the library watcher must not
        # take them for another process's import and group again, forever.
        self._data_version = self.library.data_version()
        self._activity = ""
        lst = self.article_list
        # A filter on screen stays; the grouping shows when it is cleared.
        if self.group_by_story and lst.source.ids is None:
            row = lst.current_row
            lst.load(self._full_source(), keep_id=row.id if row else None)
        self._update_status()
        self.previewer.overview()  # its recent stories, when nothing is open
