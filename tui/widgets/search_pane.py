"""Cross-article search: a query box and ranked hits with highlighted snippets.

Searching itself runs in the app's thread worker; this widget only shows what
it is given and says when the query changed (debounced)."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from articles.text import sanitize_line

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
    SearchPane > #search-info { height: auto; max-height: 2; padding: 0 1; color: $text-muted; }
    SearchPane > HitList { height: 1fr; border: none; padding: 0; }
    SearchPane > HitList:focus { border: none; }
    """

    class QueryChanged(Message):
        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    class HitChosen(Message):
        def __init__(self, article_id: str) -> None:
            super().__init__()
            self.article_id = article_id

    class Closed(Message):
        pass

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._timer: Timer | None = None
        self.results = None

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
        if self.hits.option_count and self.results is not None and self.results.query == event.value:
            self.action_to_hits()
        else:
            self.post_message(self.QueryChanged(event.value))

    def action_to_hits(self) -> None:
        if self.hits.option_count:
            self.hits.focus()
            if self.hits.highlighted is None:
                self.hits.highlighted = 0

    def action_close(self) -> None:
        self.post_message(self.Closed())

    def show_message(self, text: str, style: str = "") -> None:
        self.results = None
        self.query_one("#search-info", Static).update(Text(text, style=style))
        self.hits.clear_options()

    def show_results(self, results) -> None:
        self.results = results
        info = Text(results.total_label())
        if results.suggestion:
            info.append(" · did you mean: ")
            info.append(sanitize_line(results.suggestion), style="bold")
        self.query_one("#search-info", Static).update(info)
        hits = self.hits
        hits.clear_options()
        # Each hit: one line of title, one of source and date, at most two of snippet.
        width = max((hits.scrollable_content_region.width or self.size.width or 40) - 1, 20)
        options = []
        for hit in results.hits:
            prompt = _line(sanitize_line(hit.title) or "(untitled)", width, "bold")
            meta = " · ".join(sanitize_line(x) for x in (hit.source, hit.date) if x)
            if meta:
                prompt.append("\n")
                prompt.append_text(_line(meta, width, "dim"))
            snippet = _snippet(hit.snippet, 2 * width - 2)
            if snippet.plain:
                prompt.append("\n")
                prompt.append_text(snippet)
            options.append(Option(prompt, id=hit.id))
            options.append(None)
        if options:
            options.pop()
        hits.add_options(options)

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
    end = min(len(clean), start + limit)
    text = Text(("…" if start else "") + clean[start:end] + ("…" if end < len(clean) else ""))
    shift = 1 if start else 0
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s < e:
            text.stylize(SEARCH_TERM, s - start + shift, e - start + shift)
    return text
