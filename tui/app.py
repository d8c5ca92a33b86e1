"""Placeholder reader; replaced by the four-pane app."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header


class NewsdeskApp(App):
    TITLE = "Newsdesk"

    def __init__(self, library):
        super().__init__()
        self.library = library

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        from rich.text import Text

        table = self.query_one(DataTable)
        table.add_columns("date", "source", "title")
        for r in self.library.rows(limit=2000):
            table.add_row(r.date or "", Text(r.source or ""), Text(r.title), key=r.id)


def run(library_path=None) -> int:
    from articles.library import Library

    lib = Library.open(library_path)
    NewsdeskApp(lib).run()
    return 0
