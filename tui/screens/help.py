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
        Binding("pagedown,space", "scroll('page_down')", "Page down", show=False, id="help.page_down"),
        Binding("pageup", "scroll('page_up')", "Page up", show=False, id="help.page_up"),
        Binding("g,home", "scroll('home')", "Top", show=False, id="help.top"),
        Binding("G,end", "scroll('end')", "Bottom", show=False, id="help.bottom"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    /* Never wider or taller than the terminal (at 80x24 a fixed 86 columns
       pushed the border off screen and cut the entries): the box shrinks and
       its body scrolls. */
    HelpScreen > #help-box { width: 100%; max-width: 90; height: 100%; max-height: 40;
                             border: thick $primary; background: $surface; }
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
            yield Static(Text("Newsdesk keys  (escape closes · j/k, pgup/pgdn scroll)"), id="help-title")
            # One width per column across the sections, so that they line up.
            key_w = max((len(k) for _n, rows in self.sections for k, _d, _i in rows), default=6)
            id_w = max((len(i) for _n, rows in self.sections for _k, _d, i in rows), default=6)
            for name, rows in self.sections:
                table = Table(title=Text(name, style="bold"), title_justify="left", expand=True,
                              show_header=False, show_edge=False, box=None, padding=(0, 1))
                # The key and id columns take what their longest entry needs
                # (never cut: the id is what a keymap line names); the
                # description wraps in the rest.
                table.add_column("key", style="bold", no_wrap=True, width=min(key_w, 20))
                table.add_column("action", ratio=1, overflow="fold")
                table.add_column("id", style="dim", no_wrap=True, width=id_w)
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
        {"down": body.scroll_down, "up": body.scroll_up, "page_down": body.scroll_page_down,
         "page_up": body.scroll_page_up, "home": body.scroll_home,
         "end": body.scroll_end}[direction](animate=False)
