"""The status line under the list: each line fitted to the pane's width.

A line is a list of parts, each with a rank; when a line does not fit, whole
parts go, the least important first (a part cut mid-word, or a line wrapped
onto a second row at 80 columns, pushed the list up and read as noise). The
parts that stay keep their order; a last part too long on its own is cut
with an ellipsis.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

# (text, rank): the higher the rank, the longer the part stays.
Part = tuple[Text, int]


def fit_line(parts: list[Part], width: int, separator: Text) -> Text:
    kept = list(parts)

    def joined(items: list[Part]) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        for i, (text, _rank) in enumerate(items):
            if i:
                line.append_text(separator)
            line.append_text(text)
        return line

    line = joined(kept)
    while width > 0 and line.cell_len > width and len(kept) > 1:
        kept.remove(min(kept, key=lambda part: part[1]))
        line = joined(kept)
    if width > 0 and line.cell_len > width:
        line.truncate(width, overflow="ellipsis")
    return line


class StatusLine(Static):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._lines: list[tuple[list[Part], Text]] = []

    def show(self, lines: list[tuple[list[Part], Text]]) -> None:
        self._lines = lines
        self.refresh(layout=True)

    def render(self) -> Text:
        width = self.content_size.width
        out = Text(no_wrap=True, overflow="ellipsis")
        for i, (parts, separator) in enumerate(self._lines):
            if i:
                out.append("\n")
            out.append_text(fit_line(parts, width, separator))
        return out
