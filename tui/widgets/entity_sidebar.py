"""The entity sidebar: the open article's (or the library's) entities by type."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from articles.text import sanitize_line

from ..messages import EntityChosen, EntityHighlighted, EntityScopeToggled
from ..styles import ENTITY_TYPES, TYPE_LABELS, entity_style
from .keys import list_bindings


class EntityOptions(OptionList):
    BINDINGS = list_bindings("entities")


class EntitySidebar(Vertical):
    """Shows EntityRef-like items (``entity_id``, ``name``, ``type``, and
    ``count`` or ``articles``) grouped by type, with counts."""

    BINDINGS = [
        Binding("t", "toggle_scope", "Article/library", id="entities.scope"),
    ]

    DEFAULT_CSS = """
    EntitySidebar { width: 28; }
    EntitySidebar > #entity-title { padding: 0 1; text-style: bold; color: $text-muted; height: 1; }
    EntitySidebar > EntityOptions { height: 1fr; border: none; padding: 0 0 0 1; }
    EntitySidebar > EntityOptions:focus { border: none; }
    """

    # Its messages (tui/messages.py), by the names handlers and @on use.
    Highlighted = EntityHighlighted
    Chosen = EntityChosen
    ScopeToggled = EntityScopeToggled

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.scope = "article"  # or "library"
        self.items: dict[str, object] = {}
        self._shown = None  # (entities, scope, note, width) last laid out

    def compose(self):
        yield Static(Text("Entities"), id="entity-title")
        yield EntityOptions(id="entity-options")

    @property
    def options(self) -> EntityOptions:
        return self.query_one(EntityOptions)

    def on_resize(self) -> None:
        """Entries are cut to the width: lay them out again when it changes."""
        if self._shown is not None and self._width() != self._shown[3]:
            highlighted = self.options.highlighted
            self.set_entities(*self._shown[:3])
            if highlighted is not None and highlighted < self.options.option_count:
                self.options.highlighted = highlighted

    def _width(self) -> int:
        width = self.options.scrollable_content_region.width
        if width <= 0:  # hidden: lay out for the width the stylesheet will give it
            css = self.styles.width
            width = int(css.value) if css is not None and css.is_cells else 28
        return max(width - 1, 12)

    def set_entities(self, entities, scope: str, note: str = "") -> None:
        entities = list(entities or ())
        shown = (entities, scope, note, self._width())
        if not entities and shown == self._shown:
            return  # the same note again (articles without entities): nothing to redraw
        self._shown = shown
        self.scope = scope
        # Short enough to stay whole in the 24-column sidebar at 120 columns.
        title = Text("Entities · " + ("article" if scope == "article" else "library"))
        self.query_one("#entity-title", Static).update(title)
        opts = self.options
        opts.clear_options()
        self.items.clear()
        if not entities:
            opts.add_option(Option(Text(note or "No entities", style="dim"), disabled=True))
            return
        width = self._shown[3]
        options: list[Option | None] = []
        # What Newsdesk is sure of comes first, by type; the rest (found once,
        # or by a weak signal) waits dimmed under "Less sure", so the eye lands
        # on what is solid. Items without a confidence (library scope) are sure.
        sure = [e for e in entities if _sure(e)]
        unsure = [e for e in entities if not _sure(e)]
        for kind in ENTITY_TYPES:
            group = [e for e in sure if getattr(e, "type", "other") == kind]
            if not group:
                continue
            if options:
                options.append(None)  # separator
            head = Text()
            head.append(f" {TYPE_LABELS[kind]} ", entity_style(kind))
            head.append(f" {len(group)}", style="dim")
            options.append(Option(head, disabled=True))
            for i, ent in enumerate(group):
                key = f"{kind}:{i}"
                self.items[key] = ent
                options.append(Option(_entry(str(getattr(ent, "name", "")), _count(ent), width), id=key))
        if unsure:
            if options:
                options.append(None)
            head = Text()
            head.append(" Less sure ", "dim italic")
            head.append(f" {len(unsure)}", style="dim")
            options.append(Option(head, disabled=True))
            order = {k: i for i, k in enumerate(ENTITY_TYPES)}
            unsure.sort(key=lambda e: (order.get(getattr(e, "type", "other"), 99), -_count(e)))
            for i, ent in enumerate(unsure):
                key = f"unsure:{i}"
                self.items[key] = ent
                kind = getattr(ent, "type", "other")
                options.append(Option(_entry(str(getattr(ent, "name", "")), _count(ent), width,
                                             dim=True, tag_style=Style(color=entity_style(kind).bgcolor)),
                                      id=key))
        opts.add_options(options)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        ent = self.items.get(event.option_id or "")
        if ent is not None:
            self.post_message(self.Highlighted(ent))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        ent = self.items.get(event.option_id or "")
        if ent is not None:
            self.post_message(self.Chosen(ent))

    def action_toggle_scope(self) -> None:
        self.post_message(self.ScopeToggled())


def _sure(ent) -> bool:
    sure = getattr(ent, "sure", None)
    return True if sure is None else bool(sure)


def _count(ent) -> int:
    count = getattr(ent, "count", None)
    return getattr(ent, "articles", 0) if count is None else count


def _entry(name: str, count: int, width: int, dim: bool = False, tag_style=None) -> Text:
    """``name`` cut with an ellipsis so the count stays right-aligned on one line;
    dimmed, after a mark in its type's colour, when Newsdesk is less sure of it."""
    count_text = str(count)
    prefix = "▪ " if tag_style is not None else ""
    room = max(width - len(count_text) - 1 - len(prefix), 4)
    label = Text(sanitize_line(name), no_wrap=True, overflow="ellipsis", style="dim" if dim else "")
    label.truncate(room, overflow="ellipsis", pad=True)
    if prefix:
        label = Text(prefix, style=tag_style) + label
    label.append(" " + count_text, style="dim")
    return label
