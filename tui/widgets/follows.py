"""Followed entities with their unread counts, for the sidebar.

``FollowsList.refresh_follows(library)`` reloads (call it after marking
articles read or after a follow/unfollow); choosing an entry posts
``FollowsList.Chosen(name)`` so the app can open the dossier or filter the list.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from articles.text import sanitize_line
from ..messages import FollowChosen
from .keys import list_bindings


class FollowsList(OptionList):
    BINDINGS = list_bindings("follows", jumps=False)

    DEFAULT_CSS = """
    FollowsList { height: auto; max-height: 10; border: none; }
    """

    # Its messages (tui/messages.py), by the names handlers and @on use.
    Chosen = FollowChosen

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.follows: list[dict] = []

    def show_follows(self, follows: list[dict], width: int = 26) -> None:
        """``follows`` as ``Library.follows()`` returns them."""
        self.follows = list(follows)
        self.clear_options()
        for i, f in enumerate(self.follows):
            count = str(f["unread"])
            label = Text(sanitize_line(f["name"]), no_wrap=True, overflow="ellipsis")
            label.truncate(max(width - len(count) - 1, 4), overflow="ellipsis", pad=True)
            label.append(" " + count, style="bold" if f["unread"] else "dim")
            self.add_option(Option(label, id=f"follow:{i}"))

    def refresh_follows(self, library) -> None:
        self.show_follows(library.follows(), max(self.size.width - 2, 12) if self.size.width else 26)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        i = int((event.option_id or "follow:-1").split(":")[1])
        if 0 <= i < len(self.follows):
            self.post_message(self.Chosen(self.follows[i]["name"]))
