"""Small modal screens: an error message and a one-line prompt."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class ErrorDialog(ModalScreen[None]):
    """Every failure the user should know about ends here: one clear sentence, no traceback."""

    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close", id="dialog.close")]

    DEFAULT_CSS = """
    ErrorDialog { align: center middle; }
    ErrorDialog > Vertical { width: 70; max-width: 90%; height: auto; border: thick $error;
                             background: $surface; padding: 1 2; }
    ErrorDialog #error-title { text-style: bold; color: $error; margin-bottom: 1; }
    ErrorDialog Button { margin-top: 1; }
    """

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self):
        with Vertical():
            yield Static(Text(self.title_text), id="error-title")
            yield Static(Text(self.message), id="error-message")
            yield Button("Close", variant="error", id="error-close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    async def action_dismiss(self, result=None) -> None:
        self.dismiss(None)


class PromptDialog(ModalScreen[str | None]):
    """Ask for one line of text (files to import); escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    DEFAULT_CSS = """
    PromptDialog { align: center middle; }
    PromptDialog > Vertical { width: 80; max-width: 95%; height: auto; border: thick $primary;
                              background: $surface; padding: 1 2; }
    PromptDialog #prompt-help { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, title: str, help_text: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.help_text = help_text
        self.placeholder = placeholder

    def compose(self):
        with Vertical():
            yield Static(Text(self.title_text, style="bold"))
            yield Input(placeholder=self.placeholder, id="prompt-input")
            if self.help_text:
                yield Static(Text(self.help_text), id="prompt-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
