"""The help screen: every binding in the app with the key it is bound to now
(after the user's keymap), so the help never disagrees with the keyboard."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close"),
        Binding("j,down", "scroll('down')", "Down", show=False, id="help.down"),
        Binding("k,up", "scroll('up')", "Up", show=False, id="help.up"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > #help-box { width: 86; height: 90%; border: thick $primary; background: $surface; }
    HelpScreen #help-body { width: 1fr; height: 1fr; padding: 0 1; }
    HelpScreen #help-title { text-style: bold; margin-bottom: 1; }
    """

    def __init__(self, sections: list[tuple[str, list[tuple[str, str, str]]]], config_path: str) -> None:
        """``sections``: (pane name, [(keys, description, binding id)])."""
        super().__init__()
        self.sections = sections
        self.config_path = config_path

    def compose(self):
        with Vertical(id="help-box"), VerticalScroll(id="help-body"):
            yield Static(Text("Newsdesk keys  (escape closes)"), id="help-title")
            for name, rows in self.sections:
                table = Table(title=Text(name, style="bold"), title_justify="left", expand=True,
                              show_header=False, show_edge=False, box=None, padding=(0, 1))
                table.add_column("key", style="bold", no_wrap=True, width=16)
                table.add_column("action", ratio=1)
                table.add_column("id", style="dim", no_wrap=True)
                for keys, description, binding_id in rows:
                    table.add_row(Text(keys), Text(description), Text(binding_id))
                yield Static(table)
                yield Static(Text(""))
            note = Text("Remap keys in ")
            note.append(self.config_path, style="bold")
            note.append(" under [keymap], one line per binding id, e.g. ")
            note.append('star = "f"', style="bold")
            yield Static(note)

    async def action_dismiss(self, result=None) -> None:
        self.dismiss(None)

    def action_scroll(self, direction: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        if direction == "down":
            body.scroll_down()
        else:
            body.scroll_up()
