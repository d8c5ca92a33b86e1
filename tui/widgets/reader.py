"""The reader: one article as readable paragraphs with entity and search highlights."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from rich._wrap import divide_line  # what Textual wraps Content with (rich and textual are pinned)
from rich.console import Group
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from articles.model import Article
from articles.text import sanitize, sanitize_line

from textual.actions import SkipAction

from ..messages import HighlightChosen, MatchMoved
from ..styles import (CURRENT_MATCH, ENTITY_TYPES, FOCUS_ENTITY, HIGHLIGHT, HIGHLIGHT_NOTED, SEARCH_TERM,
                      SELECTION, TYPE_LABELS, entity_style)

EMPTY = "Choose an article from the list (enter) or search (/)."
_PARA = re.compile(r"\S(?:[^\n]|\n(?![ \t]*\n))*")
# A sentence inside a paragraph: up to a stop (and its closing quotes) before a space, or the end.
_SENTENCE = re.compile(r"\S.*?(?:[.!?…]+[\"'”’)\]]*(?=\s)|$)", re.S)
PARA_GAP = "\n\n"  # paragraphs are shown one blank line apart


def _same_words(paragraph: str, title: str | None) -> bool:
    def norm(t: str) -> str:
        return " ".join(t.split()).rstrip(" .…").casefold()
    return bool(title) and norm(paragraph) == norm(title)


@dataclass
class Mention:
    start: int
    end: int
    entity_id: object
    kind: str


class ArticleBody(Widget):
    """The body as one Text, wrapped once per width (as Textual wraps text),
    and only the lines on screen rendered: a Static renders every line of its
    content on each change, so opening a long article cost in proportion to
    its length, and moving between search matches re-rendered all of it."""

    DEFAULT_CSS = "ArticleBody { height: auto; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._text = Text()
        self._width = -1
        self._lines: list[tuple[int, int]] = []  # (start, end) in the text, per screen line
        # Keyed by the base style too: a theme change alters it, and a line
        # cached under the old theme kept its old background (a black block
        # in the light themes).
        self._strips: dict[tuple[int, int, Style], Strip] = {}

    def set_text(self, text: Text) -> None:
        """Show ``text`` (plain text with style spans, never markup)."""
        same_words = text.plain == self._text.plain
        self._text = text
        self._strips.clear()
        if not same_words:
            self._width = -1
        self.refresh(layout=not same_words)

    def line_spans(self, width: int) -> list[tuple[int, int]]:
        """(start, end) offsets of each screen line when wrapped at ``width``."""
        if width != self._width:
            lines: list[tuple[int, int]] = []
            pos = 0
            for para in self._text.plain.split("\n"):
                cuts = divide_line(para, width) if para and width > 0 else []
                lines += [(pos + a, pos + b) for a, b in zip([0, *cuts], [*cuts, len(para)])]
                pos += len(para) + 1
            self._lines, self._width = lines, width
            self._strips.clear()
        return self._lines

    def line_of(self, offset: int) -> int:
        """The screen line holding character ``offset`` of the text."""
        starts = [a for a, _ in self.line_spans(self.content_region.width)]
        return max(bisect_right(starts, offset) - 1, 0)

    # -- dragging over sentences selects them (the reader turns offsets into sentences)
    _drag_from: int | None = None

    def _offset_at(self, event) -> int | None:
        where = event.get_content_offset(self)
        lines = self.line_spans(self.content_region.width)
        if where is None or not 0 <= where.y < len(lines):
            return None
        start, end = lines[where.y]
        return start + min(max(where.x, 0), max(end - start - 1, 0))

    def on_mouse_down(self, event) -> None:
        self._drag_from = self._offset_at(event)
        if self._drag_from is not None:
            self.capture_mouse()

    def on_mouse_move(self, event) -> None:
        if self._drag_from is not None and event.button:
            here = self._offset_at(event)
            if here is not None and isinstance(self.parent, ReaderView):
                self.parent.drag_select(self._drag_from, here)

    def on_mouse_up(self, event) -> None:
        if self._drag_from is not None:
            self._drag_from = None
            self.release_mouse()

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.line_spans(width))

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        lines = self.line_spans(width)
        base = self.rich_style
        if not 0 <= y < len(lines):
            return Strip.blank(width, base)
        strip = self._strips.get((y, width, base))
        if strip is None:
            start, end = lines[y]
            line = self._text[start:end]
            if end < len(self._text.plain) and self._text.plain[end] != "\n":
                line.rstrip()  # a wrap point's spaces are not shown (as Textual does)
            segments = Segment.apply_style(line.render(self.app.console), base)
            strip = Strip(list(segments)).adjust_cell_length(width, base)
            if len(self._strips) > 4000:
                self._strips.clear()
            self._strips[(y, width, base)] = strip
        return strip


class ReaderView(VerticalScroll, can_focus=True):
    """Shows one article. Offsets (entity mentions, search spans) are offsets
    into the stored body; the body is sanitized again here for display and the
    highlights are only applied when that changed nothing, so they never land
    on the wrong characters.

    The whole body is one widget showing one Text (paragraphs joined by a blank
    line): opening an article updates a widget instead of mounting one per
    paragraph, which cost more than everything else in opening an article."""

    BINDINGS = [
        Binding("j,down", "scroll_down", "Scroll down", show=False, id="reader.down"),
        Binding("k,up", "scroll_up", "Scroll up", show=False, id="reader.up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="reader.top"),
        Binding("G,end", "scroll_end", "Bottom", show=False, id="reader.bottom"),
        Binding("space", "page_down", "Page down", show=False, id="reader.page_down"),
        # Highlighting by keyboard: start at the sentence in view, extend, save.
        Binding("h", "select_start", "Highlight: start a selection", show=False, id="reader.select"),
        Binding("right_square_bracket", "select_extend(1)", "Selection: one sentence more", show=False,
                id="reader.select_more"),
        Binding("left_square_bracket", "select_extend(-1)", "Selection: one sentence less", show=False,
                id="reader.select_less"),
        Binding("right_curly_bracket", "select_paragraph(1)", "Selection: to the next paragraph's end",
                show=False, id="reader.select_para_more"),
        Binding("left_curly_bracket", "select_paragraph(-1)", "Selection: back a paragraph", show=False,
                id="reader.select_para_less"),
        Binding("right_parenthesis", "select_move(1)", "Selection: start one sentence later", show=False,
                id="reader.select_next"),
        Binding("left_parenthesis", "select_move(-1)", "Selection: start one sentence earlier", show=False,
                id="reader.select_previous"),
        Binding("enter", "select_save", "Selection: save as a highlight", show=False, id="reader.select_save"),
        Binding("escape", "select_cancel", "Selection: cancel", show=False, id="reader.select_cancel"),
    ]

    DEFAULT_CSS = """
    ReaderView { padding: 0 2; }
    ReaderView > #reader-body { max-width: 80; height: auto; margin-bottom: 1; }
    ReaderView > #reader-title { max-width: 80; text-style: bold; color: $text; margin-top: 1; }
    ReaderView > #reader-title.-empty { text-style: none; color: $text-muted; }
    ReaderView > #reader-title.-overview { text-style: none; color: $text;
                                           text-wrap: nowrap; text-overflow: ellipsis; }
    ReaderView > #reader-meta { max-width: 80; color: $text-muted; margin-bottom: 1; }
    ReaderView > #reader-legend { max-width: 80; margin-bottom: 1; }
    ReaderView > #reader-desk { max-width: 80; height: auto; margin-bottom: 1; }
    """

    # Its messages (tui/messages.py), by the names handlers and @on use.
    HighlightChosen = HighlightChosen
    MatchMoved = MatchMoved

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
        self._starts: list[int] = []  # paragraph starts in body
        self._shown_starts: list[int] = []  # the same paragraphs' starts in the shown text
        self._plain = ""  # the shown text: paragraphs on one line each, PARA_GAP apart
        self.sources: list[dict] = []  # the reports the article credits (found by a worker)
        self.highlights: list[dict] = []  # the user's highlights (start/end into body; None when orphaned)
        self.notes: list[dict] = []
        self.sentences: list[tuple[int, int, int]] = []  # (start, end, paragraph) in body
        self.selection: tuple[int, int] | None = None  # first and last sentence selected

    def show_overview(self, text: Text) -> None:
        """What the pane shows while no article is open (ignored once one is)."""
        if self.article is not None:
            return
        title = self.query_one("#reader-title", Static)
        title.remove_class("-empty")
        title.add_class("-overview")
        # The first-run note (a sample or an empty library, how to import) stays
        # above the overview: it wraps, the overview's lines are cut.
        self._overview = text
        note = getattr(self, "_empty_note", None)
        title.update(Group(Text(note + "\n"), text) if note else text)

    def set_measure(self, columns: int) -> None:
        """The longest line of text (the app's layout sets it from the terminal)."""
        for child in self.children:
            child.styles.max_width = columns

    def compose(self):
        yield Static(Text(EMPTY), id="reader-title", classes="-empty")
        yield Static(id="reader-meta")
        legend = Static(id="reader-legend")
        legend.display = False
        yield legend
        body = ArticleBody(id="reader-body", classes="reader--body")
        body.display = False
        yield body
        desk = Static(id="reader-desk")
        desk.display = False
        yield desk

    def set_empty_text(self, note: str | None) -> None:
        """What the pane says while no article is open (and after ``note``, how to open one)."""
        self._empty_note = note
        if self.article is None:
            overview = getattr(self, "_overview", None)
            if overview is not None:
                self.show_overview(overview)
            else:
                self.query_one("#reader-title", Static).update(Text(f"{note}\n\n{EMPTY}" if note else EMPTY))

    @property
    def _body(self) -> ArticleBody:
        return self.query_one("#reader-body", ArticleBody)

    # -- content ------------------------------------------------------------
    def show(self, article: Article, entities=(), matches=(), to_first_match: bool = False) -> None:
        """Display ``article``. ``entities`` are EntityRefs (with mentions),
        ``matches`` (start, end) search-term spans in the body; with
        ``to_first_match`` the first one is current and scrolled to (styled in
        the same pass, not restyled after)."""
        self.article = article
        self.body = sanitize(article.body)
        self._offsets_ok = self.body == article.body
        self.paras = [(m.start(), m.end()) for m in _PARA.finditer(self.body)]
        if self.paras and _same_words(self.body[slice(*self.paras[0])], article.title):
            # A title made from the first paragraph (no headline): shown once, as the title.
            self.paras = self.paras[1:]
        self._starts = [s for s, _ in self.paras]
        shown, pos = [], 0
        for start, end in self.paras:
            shown.append(pos)
            pos += end - start + len(PARA_GAP)
        self._shown_starts = shown
        self._plain = PARA_GAP.join(self.body[s:e].replace("\n", " ") for s, e in self.paras)
        self.mentions = []
        if self._offsets_ok:
            for ent in entities or ():
                for mention in getattr(ent, "mentions", ()) or ():
                    start, end = mention[0], mention[1]
                    if 0 <= start < end <= len(self.body):
                        self.mentions.append(Mention(start, end, ent.entity_id, ent.type))
        self.mentions.sort(key=lambda m: m.start)
        self.matches = sorted(matches) if self._offsets_ok else []
        self.current_match = 0 if to_first_match and self.matches else -1
        self.focus_entity = None
        self.sources = []
        self.highlights, self.notes, self.selection = [], [], None
        self.sentences = [(m.start(), m.end(), i) for i, (ps, pe) in enumerate(self.paras)
                          for m in _SENTENCE.finditer(self.body, ps, pe)]
        self._update_desk()
        self._rebuild(entities)
        self.scroll_home(animate=False)
        if self.current_match == 0:
            self._moved_to_match()

    def _rebuild(self, entities) -> None:
        art = self.article
        title = self.query_one("#reader-title", Static)
        title.remove_class("-empty", "-overview")
        title.update(Text(sanitize_line(art.title) or "(untitled)"))
        self._update_meta()
        kinds = [k for k in ENTITY_TYPES if any(m.kind == k for m in self.mentions)]
        legend = Text()
        for k in kinds:
            legend.append(f" {TYPE_LABELS[k].lower()} ", entity_style(k))
            legend.append(" ")
        legend_widget = self.query_one("#reader-legend", Static)
        legend_widget.update(legend)
        legend_widget.display = bool(kinds)
        self._restyle()

    def _update_meta(self) -> None:
        art = self.article
        meta = [sanitize_line(x) for x in (art.source, art.author, art.date) if x]
        meta_text = Text(" · ".join(meta))
        if art.url:
            meta_text.append(("\n" if meta else "") + sanitize_line(art.url))
        if self.sources:
            from articles.services.sourcing import sourced_from_line

            # Plain Text from untrusted names: never parsed as markup.
            if meta_text.plain:
                meta_text.append("\n")
            meta_text.append("Sourced from: ", style="bold")
            meta_text.append(sanitize_line(sourced_from_line(self.sources)))
            if any(s.get("article_id") for s in self.sources):
                meta_text.append("  (c opens it)", style="italic")
        self.query_one("#reader-meta", Static).update(meta_text)

    def show_sources(self, article_id: str, sources) -> None:
        """The reports the open article credits, under the meta line (ignored
        when another article was opened meanwhile)."""
        if self.article is None or self.article.id != article_id:
            return
        self.sources = list(sources)
        self._update_meta()

    def credited_article(self) -> str | None:
        """The id of the first credited report that is in the library."""
        return next((s["article_id"] for s in self.sources if s.get("article_id")), None)

    def _shown_ranges(self, start: int, end: int):
        """The parts of body[start:end] as (start, end) in the shown text, one per
        paragraph it touches (a span never covers the gap between paragraphs)."""
        i = max(bisect_right(self._starts, start) - 1, 0)
        while i < len(self.paras):
            p_start, p_end = self.paras[i]
            if p_start >= end:
                break
            a, b = max(start, p_start), min(end, p_end)
            if a < b:
                base = self._shown_starts[i] - p_start
                yield a + base, b + base
            i += 1

    def _body_text(self) -> Text:
        """The shown body with its highlights: plain text in, never markup."""
        spans = []
        for m in self.mentions:
            style = FOCUS_ENTITY if m.entity_id == self.focus_entity else entity_style(m.kind)
            spans += [Span(a, b, style) for a, b in self._shown_ranges(m.start, m.end)]
        if self._offsets_ok:
            for h in self.highlights:
                if h.get("start") is not None and 0 <= h["start"] < h["end"] <= len(self.body):
                    style = HIGHLIGHT_NOTED if h.get("note") else HIGHLIGHT
                    spans += [Span(a, b, style) for a, b in self._shown_ranges(h["start"], h["end"])]
        for j, (s, e) in enumerate(self.matches):
            style = CURRENT_MATCH if j == self.current_match else SEARCH_TERM
            spans += [Span(a, b, style) for a, b in self._shown_ranges(s, e)]
        if (sel := self.selected_span()) is not None:
            spans += [Span(a, b, SELECTION) for a, b in self._shown_ranges(*sel)]
        # Later spans win where they overlap: search matches over entity chips.
        return Text(self._plain, spans=spans)

    def _restyle(self) -> None:
        body = self._body
        body.set_text(self._body_text())
        body.display = bool(self.paras)

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
        self._moved_to_match()
        return True

    def show_matches(self, spans) -> None:
        """Highlight ``spans`` (find within the article) in place of the search's
        matches, the first one current and scrolled to."""
        self.matches = sorted(spans) if self._offsets_ok else []
        self.current_match = 0 if self.matches else -1
        self._restyle()
        if self.matches:
            self._moved_to_match()

    def _moved_to_match(self) -> None:
        self.call_after_refresh(self.scroll_to_offset, self.matches[self.current_match][0])
        self.post_message(self.MatchMoved(self.current_match, len(self.matches)))

    def scroll_to_offset(self, offset: int) -> None:
        """Scroll so the line holding body[offset] is in view (centred)."""
        i = bisect_right(self._starts, offset) - 1
        if i < 0:
            return
        body = self._body
        line = body.line_of(self._shown_starts[i] + offset - self.paras[i][0])
        # The body's screen row, turned into a row of the scrolled content.
        y = body.region.y - self.content_region.y + round(self.scroll_y) + line
        self.scroll_to_region(Region(0, y, 1, 1), center=True, animate=False)

    # -- the user's highlights and notes ------------------------------------------
    def show_desk(self, article_id: str, highlights, notes) -> None:
        """The open article's highlights (drawn in the text) and notes (listed
        under it); ignored when another article was opened meanwhile."""
        if self.article is None or self.article.id != article_id:
            return
        self.highlights, self.notes = list(highlights), list(notes)
        self._update_desk()
        self._restyle()

    def _update_desk(self) -> None:
        """Highlights and notes under the article: plain Text built from the
        user's (untrusted) words, never markup."""
        text = Text()
        if self.highlights:
            text.append("Highlights\n", style="bold")
            for h in self.highlights:
                text.append("▌ ", style=HIGHLIGHT_NOTED if h.get("note") else HIGHLIGHT)
                text.append(f"“{sanitize_line(h['text'])}”")
                if h.get("orphaned"):
                    text.append("  (orphaned: no longer in the text)", style="italic")
                if h.get("note"):
                    text.append(f" — {sanitize_line(h['note'])}", style="italic")
                text.append("\n")
        if self.notes:
            if text.plain:
                text.append("\n")
            text.append("Notes\n", style="bold")
            for n in self.notes:
                text.append(f"{n['created'][:16].replace('T', ' ')}  ", style="dim")
                text.append(sanitize(n["text"]).strip() + "\n")
        desk = self.query_one("#reader-desk", Static)
        desk.update(text)
        desk.display = bool(text.plain)

    # -- selecting a passage by keyboard --------------------------------------------
    def selected_span(self) -> tuple[int, int] | None:
        if self.selection is None or not self.sentences:
            return None
        a, b = self.selection
        return self.sentences[a][0], self.sentences[b][1]

    def _sentence_in_view(self) -> int:
        """The sentence of the current search match, else the first one at the top of the view."""
        if 0 <= self.current_match < len(self.matches):
            offset = self.matches[self.current_match][0]
        else:
            body = self._body
            lines = body.line_spans(body.content_region.width)
            top = min(max(self.content_region.y - body.region.y, 0), max(len(lines) - 1, 0))
            shown = lines[top][0] if lines else 0
            i = max(bisect_right(self._shown_starts, shown) - 1, 0)
            offset = self.paras[i][0] + max(shown - self._shown_starts[i], 0) if self.paras else 0
        return next((k for k, (_, e, _) in enumerate(self.sentences) if e > offset), len(self.sentences) - 1)

    def _selecting(self) -> tuple[int, int]:
        if self.selection is None:
            raise SkipAction()  # the key keeps its meaning elsewhere (esc clears the filter)
        return self.selection

    def _select(self, a: int, b: int) -> None:
        last = len(self.sentences) - 1
        a = min(max(a, 0), last)
        self.selection = (a, min(max(b, a), last))
        self._restyle()
        self.call_after_refresh(self.scroll_to_offset, self.sentences[self.selection[1]][0])

    def _sentence_at_shown(self, shown: int) -> int:
        i = max(bisect_right(self._shown_starts, shown) - 1, 0)
        offset = self.paras[i][0] + max(shown - self._shown_starts[i], 0)
        return next((k for k, (_, e, _) in enumerate(self.sentences) if e > offset), len(self.sentences) - 1)

    def drag_select(self, shown_from: int, shown_to: int) -> None:
        """A mouse drag from one place of the shown text to another: the sentences
        between are selected (a click without moving selects nothing)."""
        if not self.sentences or not self._offsets_ok:
            return
        a, b = sorted((self._sentence_at_shown(shown_from), self._sentence_at_shown(shown_to)))
        if self.selection is None and a == b:
            return
        self.selection = (a, b)
        self._restyle()

    def action_select_start(self) -> None:
        if self.article is None or not self.sentences:
            self.app.notify("Open an article first.", severity="warning")
            return
        if not self._offsets_ok:  # the shown text is not the stored one: offsets would miss
            self.app.notify("This article holds characters that are not shown; highlight it with "
                            "`newsdesk highlight ID --text`.", severity="warning", markup=False)
            return
        k = self._sentence_in_view()
        self._select(k, k)
        self.app.notify("Selecting: ] [ a sentence more/less, } { a paragraph, ( ) move, "
                        "enter saves, esc cancels.", timeout=4, markup=False)

    def action_select_extend(self, step: int) -> None:
        a, b = self._selecting()
        self._select(a, b + step)

    def action_select_move(self, step: int) -> None:
        a, _ = self._selecting()
        self._select(a + step, a + step)

    def action_select_paragraph(self, step: int) -> None:
        a, b = self._selecting()
        para = self.sentences[b][2]
        ends = [k for k, s in enumerate(self.sentences) if k + 1 == len(self.sentences)
                or self.sentences[k + 1][2] != s[2]]  # each paragraph's last sentence
        if step > 0:
            target = next((k for k in ends if k > b), b)
        else:
            target = next((k for k in reversed(ends) if k < b and self.sentences[k][2] < para), a)
        self._select(a, target)

    def action_select_save(self) -> None:
        self._selecting()
        start, end = self.selected_span()
        self.selection = None
        self._restyle()
        self.post_message(self.HighlightChosen(self.article.id, start, end))

    def action_select_cancel(self) -> None:
        self._selecting()
        self.selection = None
        self._restyle()
