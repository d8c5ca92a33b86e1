"""The reader: one article as readable paragraphs with entity and search highlights."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Region
from textual.message import Message
from textual.widgets import Static

from articles.model import Article
from articles.text import sanitize, sanitize_line

from ..styles import CURRENT_MATCH, ENTITY_TYPES, FOCUS_ENTITY, SEARCH_TERM, TYPE_LABELS, entity_style

EMPTY = "Choose an article from the list (enter) or search (/)."
_PARA = re.compile(r"\S(?:[^\n]|\n(?![ \t]*\n))*")


@dataclass
class Mention:
    start: int
    end: int
    entity_id: object
    kind: str


class ReaderView(VerticalScroll, can_focus=True):
    """Shows one article. Offsets (entity mentions, search spans) are offsets
    into the stored body; the body is sanitized again here for display and the
    highlights are only applied when that changed nothing, so they never land
    on the wrong characters."""

    BINDINGS = [
        Binding("j,down", "scroll_down", "Scroll down", show=False, id="reader.down"),
        Binding("k,up", "scroll_up", "Scroll up", show=False, id="reader.up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="reader.top"),
        Binding("G,end", "scroll_end", "Bottom", show=False, id="reader.bottom"),
        Binding("space", "page_down", "Page down", show=False, id="reader.page_down"),
    ]

    DEFAULT_CSS = """
    ReaderView { padding: 0 2; }
    ReaderView > .reader--body { height: auto; }
    ReaderView .reader--para { max-width: 80; margin-bottom: 1; }
    ReaderView > #reader-title { max-width: 80; text-style: bold; color: $text; margin-top: 1; }
    ReaderView > #reader-title.-empty { text-style: none; color: $text-muted; }
    ReaderView > #reader-meta { max-width: 80; color: $text-muted; margin-bottom: 1; }
    ReaderView > #reader-legend { max-width: 80; margin-bottom: 1; }
    """

    class MatchMoved(Message):
        def __init__(self, index: int, total: int) -> None:
            super().__init__()
            self.index = index
            self.total = total

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.article: Article | None = None
        self.body = ""
        self.paras: list[tuple[int, int]] = []  # (start, end) offsets into body
        self.mentions: list[Mention] = []
        self.matches: list[tuple[int, int]] = []
        self.current_match = -1
        self.focus_entity = None
        self._offsets_ok = True

    def compose(self):
        yield Static(Text(EMPTY), id="reader-title", classes="-empty")
        yield Static(id="reader-meta")
        legend = Static(id="reader-legend")
        legend.display = False
        yield legend
        self._body = Vertical(classes="reader--body")
        yield self._body

    # -- content ------------------------------------------------------------
    def show(self, article: Article, entities=(), matches=()) -> None:
        """Display ``article``. ``entities`` are EntityRefs (with mentions),
        ``matches`` (start, end) search-term spans in the body."""
        self.article = article
        self.body = sanitize(article.body)
        self._offsets_ok = self.body == article.body
        self.paras = [(m.start(), m.end()) for m in _PARA.finditer(self.body)]
        self.mentions = []
        if self._offsets_ok:
            for ent in entities or ():
                for mention in getattr(ent, "mentions", ()) or ():
                    start, end = mention[0], mention[1]
                    if 0 <= start < end <= len(self.body):
                        self.mentions.append(Mention(start, end, ent.entity_id, ent.type))
        self.mentions.sort(key=lambda m: m.start)
        self.matches = sorted(matches) if self._offsets_ok else []
        self.current_match = -1
        self.focus_entity = None
        self._rebuild(entities)
        self.scroll_home(animate=False)

    def _rebuild(self, entities) -> None:
        art = self.article
        title = self.query_one("#reader-title", Static)
        title.remove_class("-empty")
        title.update(Text(sanitize_line(art.title) or "(untitled)"))
        meta = [sanitize_line(x) for x in (art.source, art.author, art.date) if x]
        meta_text = Text(" · ".join(meta))
        if art.url:
            meta_text.append(("\n" if meta else "") + sanitize_line(art.url))
        self.query_one("#reader-meta", Static).update(meta_text)
        kinds = [k for k in ENTITY_TYPES if any(m.kind == k for m in self.mentions)]
        legend = Text()
        for k in kinds:
            legend.append(f" {TYPE_LABELS[k].lower()} ", entity_style(k))
            legend.append(" ")
        legend_widget = self.query_one("#reader-legend", Static)
        legend_widget.update(legend)
        legend_widget.display = bool(kinds)
        # A fresh body container each time: the old one's removal is asynchronous,
        # and its paragraphs must not be mistaken for the new article's.
        self._body.remove()
        self._body = Vertical(*(Static(self._para_text(i), classes="reader--para")
                                for i in range(len(self.paras))), classes="reader--body")
        self.mount(self._body)

    def _paragraphs(self) -> list[Static]:
        return list(self._body.query(".reader--para").results(Static))

    def _para_text(self, i: int) -> Text:
        start, end = self.paras[i]
        text = Text(self.body[start:end].replace("\n", " "))
        for m in self.mentions:
            if m.end <= start or m.start >= end:
                continue
            style = FOCUS_ENTITY if m.entity_id == self.focus_entity else entity_style(m.kind)
            text.stylize(style, max(m.start, start) - start, min(m.end, end) - start)
        for j, (s, e) in enumerate(self.matches):
            if e <= start or s >= end:
                continue
            style = CURRENT_MATCH if j == self.current_match else SEARCH_TERM
            text.stylize(style, max(s, start) - start, min(e, end) - start)
        return text

    def _restyle(self) -> None:
        for i, widget in enumerate(self._paragraphs()):
            widget.update(self._para_text(i))

    # -- navigation ---------------------------------------------------------
    def highlight_entity(self, entity_id) -> None:
        """Make one entity's mentions stand out and scroll to the first."""
        self.focus_entity = entity_id
        self._restyle()
        first = next((m for m in self.mentions if m.entity_id == entity_id), None)
        if first is not None:
            self.call_after_refresh(self.scroll_to_offset, first.start)

    def next_match(self, step: int = 1) -> bool:
        if not self.matches:
            return False
        if self.current_match < 0:
            self.current_match = 0 if step > 0 else len(self.matches) - 1
        else:
            self.current_match = (self.current_match + step) % len(self.matches)
        self._restyle()
        self.call_after_refresh(self.scroll_to_offset, self.matches[self.current_match][0])
        self.post_message(self.MatchMoved(self.current_match, len(self.matches)))
        return True

    def scroll_to_offset(self, offset: int) -> None:
        """Scroll so the line holding body[offset] is in view (centred)."""
        starts = [s for s, _ in self.paras]
        i = bisect_right(starts, offset) - 1
        if i < 0:
            return
        paras = self._paragraphs()
        if i >= len(paras):
            return
        widget = paras[i]
        line = _line_of(self._para_text(i), offset - self.paras[i][0], widget.content_region.width,
                        self.app.console)
        # The paragraph's screen row, turned into a row of the scrolled content.
        y = widget.region.y - self.content_region.y + round(self.scroll_y) + line
        self.scroll_to_region(Region(0, y, 1, 1), center=True, animate=False)


def _line_of(text: Text, offset: int, width: int, console) -> int:
    """The wrapped line (0-based) on which character ``offset`` of ``text`` lands."""
    if width <= 0:
        return 0
    seen = 0
    for n, line in enumerate(text.wrap(console, width)):
        seen += len(line.plain)
        if offset < seen:
            return n
    return 0
