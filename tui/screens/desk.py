"""Desk views: an entity's dossier, an article's related coverage, its quotes,
its story's versions and the library's highlights.

Each is a full screen the app pushes; choosing an article dismisses the screen
with that article's id (the app opens it), escape dismisses with None. Data
comes from the Library in a thread worker; every piece of article text is put
on screen as rich Text, never parsed as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from articles.text import sanitize, sanitize_line
from articles.text.cut import cut_words
from ..widgets.keys import list_bindings

_CSS = """
DeskScreen { layout: vertical; }
DeskScreen #desk-title { height: auto; padding: 0 1; background: $boost; }
DeskScreen #desk-summary { height: auto; padding: 0 1; }
DeskScreen OptionList { height: 1fr; border: none; }
DeskScreen #desk-quotes { height: 1fr; padding: 0 1; }
DeskScreen #desk-hint { height: 1; padding: 0 1; color: $text-muted; }
"""


class DeskOptions(OptionList):
    BINDINGS = list_bindings("desk", jumps=False)


class DeskScreen(Screen[str | None]):
    """Common frame: a title line, a summary, a list of articles, a hint line."""

    DEFAULT_CSS = _CSS
    BINDINGS = [Binding("escape,q", "close", "Back", id="desk.close")]
    HINT = "enter opens the article · esc goes back"

    def __init__(self, library) -> None:
        super().__init__()
        self.library = library
        self.data = None
        self.error: str | None = None

    def compose(self):
        yield Static(Text("Loading…"), id="desk-title")
        yield Static(Text(""), id="desk-summary")
        yield DeskOptions(id="desk-list")
        yield Static(Text(self.HINT), id="desk-hint")

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="desk")
    def load(self) -> None:
        try:
            data = self.fetch()
        except Exception as exc:  # shown in the view, not as a crash
            self.app.call_from_thread(self._failed, str(exc) or type(exc).__name__)
            return
        self.app.call_from_thread(self._loaded, data)

    def fetch(self):
        raise NotImplementedError

    def _failed(self, message: str) -> None:
        self.error = message
        self.query_one("#desk-title", Static).update(Text(message, style="bold red"))

    def _loaded(self, data) -> None:
        self.data = data
        self.show(data)

    def show(self, data) -> None:
        raise NotImplementedError

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()  # the app's own list handlers must not see it
        if event.option.id:
            self.dismiss(self.article_of(event.option.id))

    def article_of(self, option_id: str) -> str:
        """The article an option opens (its id, unless a view needs unique ids per article)."""
        return option_id

    def action_close(self) -> None:
        self.dismiss(None)


def _article_option(aid: str, date: str | None, title: str, source: str | None, detail: Text | None) -> Option:
    line = Text(f"{date or 'undated':<10}  ", style="dim")
    line.append(sanitize_line(title), style="bold")
    if source:
        line.append(f"  {sanitize_line(source)}", style="dim")
    if detail is not None and detail.plain:
        line.append("\n")
        line.append(detail)
    return Option(line, id=aid)


class DossierScreen(DeskScreen):
    """Everything about one entity: articles oldest first with the sentence that
    mentions it, mentions per month, who appears with it, and its quotes."""

    BINDINGS = [Binding("f", "toggle_follow", "Follow", id="desk.follow")]
    HINT = "enter opens the article · f follows/unfollows · esc goes back"

    def __init__(self, library, name: str) -> None:
        super().__init__(library)
        self.entity_name = name
        self.following = False

    def compose(self):
        yield Static(Text("Loading…"), id="desk-title")
        yield Static(Text(""), id="desk-summary")
        yield DeskOptions(id="desk-list")
        yield VerticalScroll(Static(Text(""), id="desk-quote-text"), id="desk-quotes")
        yield Static(Text(self.HINT), id="desk-hint")

    def fetch(self):
        doc = self.library.dossier(self.entity_name)
        followed = {f["name"].casefold() for f in self.library.follows()}
        return doc, doc["entity"]["name"].casefold() in followed

    def show(self, data) -> None:
        from articles.services.dossier import sparkline

        doc, self.following = data
        ent = doc["entity"]
        title = Text(sanitize_line(ent["name"]), style="bold")
        title.append(f"  {ent['type'] or 'name'} · {ent['articles']} articles · {ent['mentions']} mentions",
                     style="dim")
        if self.following:
            title.append("  ★ following", style="yellow")
        self.query_one("#desk-title", Static).update(title)
        summary = Text()
        if ent["aliases"]:
            summary.append("also " + ", ".join(sanitize_line(a) for a in ent["aliases"]) + "\n", style="dim")
        months = [t["month"] for t in doc["timeline"] if t["month"] != "undated"]
        spark = sparkline(doc["timeline"])
        if spark:
            summary.append(f"{months[0]} ", style="dim")
            summary.append(spark, style="cyan")
            if months[-1] != months[0]:
                summary.append(f" {months[-1]}", style="dim")
        undated = next((t for t in doc["timeline"] if t["month"] == "undated"), None)
        if undated:
            summary.append(f"  (+{undated['mentions']} undated)", style="dim")
        if doc["co_mentioned"]:
            summary.append("\nwith ", style="dim")
            summary.append(", ".join(f"{sanitize_line(c['name'])} ({c['articles']})" for c in doc["co_mentioned"]))
        self.query_one("#desk-summary", Static).update(summary)
        options = self.query_one(DeskOptions)
        options.clear_options()
        for a in doc["articles"]:
            options.add_option(_article_option(a["id"], a["date"], a["title"], a["source"],
                                               Text("  " + sanitize_line(a["sentence"]), style="italic")))
        quotes = Text()
        for q in doc["quotes"]:
            quotes.append("“" + sanitize(q["text"]) + "”")
            if q["conflict"]:
                others = sorted({o["speaker"] for o in q["also_attributed_to"] if o["speaker"]})
                quotes.append(f"  ⚠ also attributed to {', '.join(others)}", style="yellow")
            quotes.append("\n")
        if not doc["quotes"]:
            quotes.append("No quotes.", style="dim")
        self.query_one("#desk-quote-text", Static).update(quotes)
        if options.option_count:
            options.highlighted = 0
        options.focus()

    def action_toggle_follow(self) -> None:
        if self.data is None:
            return
        name = self.data[0]["entity"]["name"]
        if self.following:
            self.library.unfollow(name)
            self.notify(f"No longer following {name}", markup=False)
        else:
            self.library.follow(name)
            self.notify(f"Following {name}", markup=False)
        self.load()


class RelatedScreen(DeskScreen):
    """The articles most related to one, with why (same story, shared names, terms)."""

    def __init__(self, library, article_id: str, limit: int = 10) -> None:
        super().__init__(library)
        self.article_id = article_id
        self.limit = limit

    def fetch(self):
        art = self.library.get(self.article_id)
        return art.title if art else self.article_id, self.library.related(self.article_id, limit=self.limit)

    def show(self, data) -> None:
        title, related = data
        head = Text("Related to ", style="dim")
        head.append(sanitize_line(title), style="bold")
        self.query_one("#desk-title", Static).update(head)
        self.query_one("#desk-summary", Static).update(
            Text(f"{len(related)} articles" if related else "Nothing related yet.", style="dim"))
        options = self.query_one(DeskOptions)
        options.clear_options()
        for r in related:
            why = Text(f"  {r.score:.2f} ", style="cyan")
            if r.same_story:
                why.append("same story · ", style="bold green")
            if r.shared_entities:
                why.append(", ".join(sanitize_line(n) for n in r.shared_entities[:5]))
            if r.shared_terms:
                why.append(("  · " if r.shared_entities else "") + ", ".join(r.shared_terms[:5]), style="dim")
            options.add_option(_article_option(r.id, r.date, r.title, r.source, why))
        if options.option_count:
            options.highlighted = 0
        options.focus()


class QuotesScreen(DeskScreen):
    """Who said what in one article; the same words credited to someone else
    by another outlet are marked."""

    HINT = "esc goes back"

    def __init__(self, library, article_id: str) -> None:
        super().__init__(library)
        self.article_id = article_id

    def compose(self):
        yield Static(Text("Loading…"), id="desk-title")
        yield VerticalScroll(Static(Text(""), id="desk-quote-text"), id="desk-quotes")
        yield Static(Text(self.HINT), id="desk-hint")

    def fetch(self):
        art = self.library.get(self.article_id)
        return art.title if art else self.article_id, self.library.quotes(self.article_id)

    def show(self, data) -> None:
        title, quotes = data
        head = Text(f"{len(quotes)} quotes in ", style="dim")
        head.append(sanitize_line(title), style="bold")
        self.query_one("#desk-title", Static).update(head)
        body = Text()
        for q in quotes:
            body.append(sanitize_line(q.speaker) if q.speaker else "(no speaker)",
                        style="bold" if q.speaker else "dim italic")
            if q.conflict:
                others = sorted({o["speaker"] for o in q.also_attributed_to if o["speaker"]})
                body.append(f"  ⚠ also attributed to {', '.join(sanitize_line(o) for o in others)}",
                            style="yellow")
            body.append("\n  “" + sanitize(q.text) + "”\n\n")
        if not quotes:
            body.append("No quotes found.", style="dim")
        self.query_one("#desk-quote-text", Static).update(body)
        self.query_one("#desk-quotes", VerticalScroll).focus()


class StoryScreen(DeskScreen):
    """The versions of an article's story, oldest first, each with what it adds:
    the names and the quotes no other version has."""

    def __init__(self, library, article_id: str) -> None:
        super().__init__(library)
        self.article_id = article_id

    def fetch(self):
        story = self.library.story_of(self.article_id)
        return story, self.library.story_versions(self.article_id), self.library.unread_count(story.articles)

    def show(self, data) -> None:
        story, versions, unread = data
        head = Text("Story: ", style="dim")
        head.append(sanitize_line(story.title), style="bold")
        self.query_one("#desk-title", Static).update(head)
        n = len(versions)
        self.query_one("#desk-summary", Static).update(Text(
            f"{n} versions · {unread} unread" if n > 1 else "No other outlet has reported this story.",
            style="dim"))
        options = self.query_one(DeskOptions)
        options.clear_options()
        for v in versions:
            adds = Text()
            if v["adds"]["entities"]:
                adds.append("  adds ", style="cyan")
                adds.append(", ".join(sanitize_line(e) for e in v["adds"]["entities"][:8]))
            for q in v["adds"]["quotes"][:3]:
                adds.append("\n  “" + cut_words(sanitize_line(q["text"]), 120) + "”")
                adds.append(f" — {sanitize_line(q['speaker']) if q['speaker'] else 'unattributed'}",
                            style="dim")
            if v.get("role"):
                # Who reported it first: "re-report of Raw Story → The Daily Beast".
                from articles.services.sourcing import chain_line

                role = Text(f"  {v['role']} ", style="magenta")
                role.append(sanitize_line(chain_line(v.get("chain", []))))
                adds = role + Text("\n") + adds if adds.plain else role
            options.add_option(_article_option(v["id"], v["date"], v["title"], v["source"], adds))
        if options.option_count:
            options.highlighted = 0
        options.focus()


class HighlightsScreen(DeskScreen):
    """Every highlight in the library (what `newsdesk highlights` lists), grouped
    by article; choosing one opens its article."""

    def fetch(self):
        return self.library.all_highlights()

    def show(self, data) -> None:
        rows = data
        articles = len({h["article_id"] for h in rows})
        self.query_one("#desk-title", Static).update(Text("Highlights", style="bold"))
        self.query_one("#desk-summary", Static).update(Text(
            f"{len(rows)} highlight{'s' if len(rows) != 1 else ''} in {articles} "
            f"article{'s' if articles != 1 else ''}" if rows
            else "No highlights yet: h in the reader starts one.", style="dim"))
        options = self.query_one(DeskOptions)
        options.clear_options()
        for h in rows:
            line = Text(sanitize_line(h.get("title") or h["article_id"]), style="bold")
            line.append("\n  “" + cut_words(sanitize_line(h["text"]), 160) + "”")
            if h.get("orphaned"):
                line.append("  (orphaned: its text is gone from the article)", style="yellow")
            if h.get("note"):
                line.append("\n  note: ", style="cyan")
                line.append(sanitize_line(h["note"]))
            # Option ids must be unique and an article can hold several highlights.
            options.add_option(Option(line, id=f"{h['article_id']}#{h['id']}"))
        if options.option_count:
            options.highlighted = 0
        options.focus()

    def article_of(self, option_id: str) -> str:
        return option_id.partition("#")[0]
