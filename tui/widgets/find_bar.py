"""Find within the open article: a one-line bar under the panes (``f``).

Typing highlights every match in the reader at once (case-insensitive, plain
text: what is typed is never a pattern); enter and shift+enter move to the
next and previous match, ``n``/``N`` keep moving after the bar is closed, and
esc closes it.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from ..messages import FindChanged, FindClosed, FindStep


def find_spans(body: str, needle: str) -> list[tuple[int, int]]:
    """(start, end) of each case-insensitive occurrence of ``needle`` in ``body``."""
    needle = needle.strip()
    if not needle:
        return []
    return [m.span() for m in re.finditer(re.escape(needle), body, re.IGNORECASE)]


class FindBar(Horizontal):
    BINDINGS = [
        Binding("escape", "close", "Close find", id="find.close"),
        Binding("shift+enter,ctrl+up", "step(-1)", "Previous match", id="find.previous"),
        Binding("ctrl+down", "step(1)", "Next match", show=False, id="find.next"),
    ]

    DEFAULT_CSS = """
    FindBar { height: 1; display: none; background: $panel; }
    FindBar.-open { display: block; }
    FindBar > #find-label { width: auto; padding: 0 1; text-style: bold; }
    FindBar > Input { width: 1fr; height: 1; border: none; padding: 0; background: $panel; }
    FindBar > Input:focus { border: none; }
    FindBar > #find-count { width: auto; padding: 0 1; color: $text-muted; }
    """

    # Its messages (tui/messages.py), by the names handlers and @on use.
    Changed = FindChanged
    Step = FindStep
    Closed = FindClosed

    def compose(self):
        yield Static("Find:", id="find-label")
        yield Input(placeholder="words in this article", id="find-input")
        yield Static("", id="find-count")

    @property
    def input(self) -> Input:
        return self.query_one("#find-input", Input)

    def open(self) -> None:
        self.add_class("-open")
        self.input.focus()
        self.input.action_select_all()

    def set_count(self, index: int, total: int, text: str) -> None:
        if not text.strip():
            label = ""
        elif total == 0:
            label = "no matches"
        else:
            label = f"{index + 1} of {total}"
        self.query_one("#find-count", Static).update(Text(label))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Step(1))

    def action_step(self, step: int) -> None:
        self.post_message(self.Step(step))

    def action_close(self) -> None:
        self.remove_class("-open")
        self.post_message(self.Closed())
