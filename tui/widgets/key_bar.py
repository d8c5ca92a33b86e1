"""The key bar at the bottom: the keys that work now, drawn as one line.

Which of the app's actions it shows follows the focused pane and what is
possible now (tui/actions.py); a pane's own keys with ``show`` come first.

Textual's Footer mounts one widget per key, and only after the first frame
(so the first screen showed an empty bar), then remounts them all on every
focus change: ~100 ms of styling each time on a busy 2-core machine, on the UI
thread. This draws the same keys as one Text, repainted when the bindings
change; clicking a key presses it, as with Footer.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widget import Widget


class KeyBar(Widget, can_focus=False):
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--separator"}

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .key-bar--separator { color: $foreground 20%; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._spans: list[tuple[int, int, str, bool]] = []  # (x0, x1, key, enabled)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        # What is possible changes without a focus change (an article opens,
        # a search finds matches): look twice a second, repaint only on a change.
        self._last_keys = None
        self.set_interval(0.5, self._check_keys)

    def _check_keys(self) -> None:
        try:
            keys = self._keys()
        except Exception:  # between screens
            return
        if keys != self._last_keys:
            self._last_keys = keys
            self.refresh()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen) -> None:
        self.refresh()

    def _keys(self):
        """(key, shown key, description, enabled) per action, as Footer lists them;
        the command palette's key last, on its own."""
        app = self.app
        active = self.screen.active_bindings
        seen: set[str] = set()
        keys = []
        from ..actions import footer_label, footer_order, shown

        table = []  # the app's actions, in the table's order, after the pane's own keys
        for _node, binding, enabled, _tooltip in active.values():
            show = shown(app, binding.id) if binding.id else None
            if not (binding.show if show is None else show) or binding.action in seen:
                continue
            seen.add(binding.action)
            description = binding.description if show is None else footer_label(binding.id, binding.description)
            item = (binding.key, app.get_key_display(binding), description, enabled)
            if show is None:
                keys.append(item)
            else:
                table.append((footer_order(binding.id), item))
        keys += [item for _order, item in sorted(table, key=lambda t: t[0])]
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = (binding.key, app.get_key_display(binding), binding.description, enabled)
        return keys, palette

    def render(self) -> Text:
        width = self.size.width
        key_style = self.get_component_rich_style("key-bar--key")
        desc_style = self.get_component_rich_style("key-bar--description")
        keys, palette = self._keys()
        spans: list[tuple[int, int, str, bool]] = []

        def chip(text: Text, item) -> None:
            key, shown, description, enabled = item
            start = text.cell_len
            text.append(f" {shown} ", key_style)
            if description:
                text.append(f"{description} ", desc_style)
            if not enabled:
                text.stylize("dim", start)
            spans.append((start, text.cell_len, key, enabled))

        right = Text(no_wrap=True, overflow="crop")
        if palette is not None:  # drawn the way Footer draws it: compact, after a rule
            key, shown, description, enabled = palette
            right.append("▏", self.get_component_rich_style("key-bar--separator"))
            start = right.cell_len
            right.append(shown, key_style)
            right.append(f" {description} ", desc_style)
            if not enabled:
                right.stylize("dim", start)
            spans.append((start, right.cell_len, key, enabled))
        room = max(width - right.cell_len, 0)
        palette_span = spans.pop() if palette is not None else None
        # Only whole entries: a key cut mid-word ("v V") reads as another key.
        # The keys come most useful first, so the ones that do not fit are the last.
        left = Text(no_wrap=True, overflow="crop")
        for item in keys:
            trial = left.copy()
            before = len(spans)
            chip(trial, item)
            if trial.cell_len > room:
                del spans[before:]
                break
            left = trial
        left.truncate(room, overflow="crop", pad=True)
        offset = left.cell_len
        self._spans = list(spans)
        if palette_span is not None:
            x0, x1, key, enabled = palette_span
            self._spans.append((x0 + offset, x1 + offset, key, enabled))
        left.append_text(right)
        return left

    def on_mouse_down(self, event: events.MouseDown) -> None:
        for x0, x1, key, enabled in self._spans:
            if x0 <= event.x < x1:
                if enabled:
                    self.app.simulate_key(key)
                else:
                    self.app.bell()
                return
