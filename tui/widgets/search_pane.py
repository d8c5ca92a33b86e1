"""Cross-article search: a query box and ranked hits with highlighted snippets.

Searching itself runs in the app's thread worker; this widget only shows what
it is given and says when the query changed (debounced)."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from articles.text import sanitize_line

from ..messages import HitChosen, QueryChanged, SearchClosed
from ..styles import SEARCH_TERM
from .keys import list_bindings

DEBOUNCE = 0.25


class HitList(OptionList):
    BINDINGS = list_bindings("search")


class SearchPane(Vertical):
    BINDINGS = [
        Binding("escape", "close", "Close search", id="search.close"),
        Binding("down", "to_hits", "Hits", show=False, id="search.to_hits"),
    ]

    DEFAULT_CSS = """
    SearchPane > Input { margin: 0; }
    SearchPane > #search-info { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    SearchPane > HitList { height: 1fr; border: none; padding: 0; }
    SearchPane > HitList:focus { border: none; }
    """

    # Its messages (tui/messages.py), by the names handlers and @on use.
    QueryChanged = QueryChanged
    HitChosen = HitChosen
    Closed = SearchClosed

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._timer: Timer | None = None
        self.results = None
        # Keys typed before the results arrived: ↓ (go to the hits) and Enter
        # after it (open the first). They act when the results come, so typing
        # ahead of a search is never lost.
        # The query they were typed for: a Changed message may arrive after the
        # key, so the wish is matched to the query rather than cleared on typing.
        self._want_hits: str | None = None
        self._want_open = False
        self._went_down: str | None = None

    def compose(self):
        yield Input(placeholder="Search: words, \"phrases\", person:Kim, date:2020 …", id="search-input")
        yield Static(Text("Type to search the whole library."), id="search-info")
        yield HitList(id="search-hits")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def hits(self) -> HitList:
        return self.query_one(HitList)

    def on_descendant_focus(self, event) -> None:
        if event.widget is self.input:
            self._went_down = None  # back in the box: Enter means "to the hits" again

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        query = event.value
        self._timer = self.set_timer(DEBOUNCE, lambda: self.post_message(self.QueryChanged(query)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the box: search now (no debounce wait) and go to the hits."""
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        current = self.results is not None and self.results.query == event.value
        if self._want_hits == event.value:
            # ↓ then Enter before the hits came: open the first one when they do.
            self._want_open = True
            if current and self.hits.option_count:
                self._act_on_pending()
            else:
                self.post_message(self.QueryChanged(event.value))  # now, not after the debounce
            return
        if self.hits.option_count and current and self._went_down == event.value:
            self._went_down = None
            index = self.hits.highlighted or 0
            option = self.hits.get_option_at_index(index)
            if option.id:
                self.post_message(self.HitChosen(option.id))
            return
        if self.hits.option_count and current:
            self.action_to_hits()
        else:
            self._want_hits = event.value if event.value.strip() else None
            self.post_message(self.QueryChanged(event.value))

    def action_to_hits(self) -> None:
        if self.hits.option_count and self.results is not None and self.results.query == self.input.value:
            self.hits.focus()
            if self.hits.highlighted is None:
                self.hits.highlighted = 0
            # An Enter typed right behind this ↓ can still reach the box before
            # the focus moves: it must open the hit, not go to the hits again.
            self._went_down = self.input.value
        elif self.input.value.strip():
            self._want_hits = self.input.value  # results still coming

    def _act_on_pending(self) -> None:
        want_open = self._want_open
        self._want_hits, self._want_open = None, False
        if not self.hits.option_count:
            return
        self.hits.focus()
        self.hits.highlighted = 0
        if want_open:
            first = self.hits.get_option_at_index(0)
            if first.id:
                self.post_message(self.HitChosen(first.id))

    def take_suggestion(self) -> bool:
        """Put the "did you mean" suggestion in the box (and search it)."""
        results = self.results
        if results is None or not results.suggestion or results.query != self.input.value:
            return False
        self.input.value = results.suggestion
        self.input.cursor_position = len(results.suggestion)
        return True

    def action_close(self) -> None:
        self.post_message(self.Closed())

    def show_message(self, text: str, style: str = "") -> None:
        self.results = None
        self._want_hits, self._want_open = None, False
        self.query_one("#search-info", Static).update(Text(text, style=style))
        self.hits.clear_options()

    def show_results(self, results) -> None:
        self.results = results
        info = Text(results.total_label())
        if results.suggestion:
            info.append(" · did you mean: ")
            info.append(sanitize_line(results.suggestion), style="bold")
            info.append(" (Tab)", style="dim")
        self.query_one("#search-info", Static).update(info)
        hits = self.hits
        hits.clear_options()
        # Each hit: one line of title, one of source and date, at most two of snippet.
        width = max((hits.scrollable_content_region.width or self.size.width or 40) - 1, 20)
        options = []
        for hit in results.hits:
            prompt = _line(sanitize_line(hit.title) or "(untitled)", width, "bold")
            source, date = sanitize_line(hit.source or ""), sanitize_line(hit.date or "")
            if source or date:
                # The date is never cut ("Sample Gazette · 202…" hid when): the outlet gives way.
                prompt.append("\n")
                if source and date:
                    room = max(width - len(date) - 3, 1)
                    meta = _line(source, room, "dim")
                    meta.append(" · " + date, style="dim")
                    prompt.append_text(meta)
                else:
                    prompt.append_text(_line(source or date, width, "dim"))
            snippet = _snippet(hit.snippet, 2 * width - 2)
            if snippet.plain:
                prompt.append("\n")
                prompt.append_text(snippet)
            options.append(Option(prompt, id=hit.id))
            options.append(None)
        if options:
            options.pop()
        hits.add_options(options)
        if self._want_hits is not None and self._want_hits == results.query:
            self._act_on_pending()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id:
            self.post_message(self.HitChosen(event.option_id))


def _line(value: str, width: int, style: str) -> Text:
    text = Text(value, style=style, no_wrap=True, overflow="ellipsis")
    text.truncate(width, overflow="ellipsis")
    return text


def _snippet(snippet, limit: int) -> Text:
    """The snippet with its matched spans highlighted, cut to ``limit``
    characters around the first match. The snippet text came from the stored
    body; only single-line folding is applied here, which keeps offsets, so the
    spans stay aligned."""
    raw = snippet.text or ""
    clean = "".join(" " if ch in "\n\t" else ch for ch in raw)
    if sanitize_line(clean) != " ".join(clean.split()):
        clean = sanitize_line(clean)  # untrusted characters: drop the highlights
        spans = []
    else:
        spans = list(snippet.spans or ())
    start = 0
    if len(clean) > limit and spans:
        start = max(0, min(spans[0][0] - limit // 4, len(clean) - limit))
        # Start at a word ("…eek warned" read as a word of its own), not past the match.
        if start and clean[start - 1] != " ":
            space = clean.find(" ", start, spans[0][0])
            if space >= 0:
                start = space + 1
    end = min(len(clean), start + limit)
    if end < len(clean) and clean[end] != " ":
        # End at a word too ("desp…"), keeping the first match.
        space = clean.rfind(" ", max(start, spans[0][1] if spans else start), end)
        if space > start:
            end = space
    text = Text(("…" if start else "") + clean[start:end].rstrip() + ("…" if end < len(clean) else ""))
    shift = 1 if start else 0
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s < e:
            text.stylize(SEARCH_TERM, s - start + shift, e - start + shift)
    return text
