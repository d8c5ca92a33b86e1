"""The reader's shell: the panes and how they share the screen, the bindings,
focus, the status line, and opening an article.

What each part does lives beside it: the actions table (actions.py: keys,
palette, key bar), the panes (widgets/), reading (reading.py: star/read, next/unread,
mark all read, find, links), the entity sidebar's side (entities.py), stories
(stories.py), imports, the index and other processes' writes (upkeep.py),
working on a story (desk_actions.py), every message
(messages.py) and every thread worker (workers.py, with the one handler that
reports their failures).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher
from textual.worker import Worker

from articles.library import Library

from . import workers
from .actions import ActionCommands, app_bindings, binding_sections
from .commands import SORT_SHORT, SORTS, FeedCommands, NewsdeskCommands
from .config import TuiConfig, load_config
from .desk_actions import DeskActions, DeskCommands
from .entities import OPEN_ONE, EntityActions
from .layout import NARROW, NARROW_SIDEBAR, pane_widths
from .messages import Activity, ArticlePreviewed, FeedsRefreshed, Notice, OverviewReady, SearchDone, SourcesReady
from .preview import Previewer
from .reading import ReadingActions
from .screens.dialogs import ErrorDialog, PromptDialog
from .screens.help import HelpScreen
from .stories import StoryActions
from .themes import apply_saved_theme, remember_theme
from .upkeep import LibraryUpkeep
from .widgets.article_list import ArticleList, ListSource
from .widgets.entity_sidebar import EntityOptions, EntitySidebar
from .widgets.feed_list import FeedOptions, FeedPane
from .widgets.find_bar import FindBar
from .widgets.key_bar import KeyBar
from .widgets.status_line import StatusLine
from .widgets.reader import ReaderView
from .widgets.search_pane import HitList, SearchPane


class NewsdeskApp(ReadingActions, EntityActions, StoryActions, LibraryUpkeep, DeskActions):
    TITLE = "Newsdesk"
    CSS_PATH = Path(__file__).with_name("newsdesk.tcss")  # absolute: subclasses live elsewhere
    COMMANDS = App.COMMANDS | {ActionCommands, NewsdeskCommands, FeedCommands, DeskCommands}

    # Every binding comes from the actions table, which also fills the palette.
    BINDINGS = app_bindings()

    def __init__(self, library: Library, config: TuiConfig | None = None,
                 run_entity_stage: bool = True, resume_entities: bool = False) -> None:
        super().__init__()
        self.library = library
        self.config = config if config is not None else TuiConfig()
        self.run_entity_stage = run_entity_stage
        # Catch up on entity work left pending (first run, interrupted import) once
        # the first screen is up; off for tests that build libraries without entities.
        self.resume_entities = resume_entities
        self.sort = "date"
        self.filter_entity = None
        self.search_terms: frozenset[str] = frozenset()
        self.sidebar_pref: bool | None = None
        self.group_by_story = False
        self._search_lock = threading.Lock()
        self._activity = ""
        # Set once the first frame is on screen (Textual's Ready event): the
        # benchmark's probe waits for it, and background work starts after it.
        self.ready_event = asyncio.Event()
        if self.config.keymap:
            known = {b.id for b in self._all_bindings() if b.id}
            for binding_id in sorted(set(self.config.keymap) - known):
                # Said on the first screen with the config's other problems.
                self.config.problems.append(
                    f"keymap {binding_id!r} is not a binding id (the ? screen lists them); ignored")
            self.set_keymap({k: v for k, v in self.config.keymap.items() if k in known})

    # -- layout -------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                with ContentSwitcher(initial="list", id="left-switch"):
                    yield ArticleList(self.library, id="list")
                    yield SearchPane(id="search")
                    yield FeedPane(self.library, id="feeds", entity_stage=self._entity_stage())
                yield StatusLine(id="status")
            yield ReaderView(id="reader")
            yield EntitySidebar(id="sidebar")
        yield FindBar(id="find-bar")
        yield KeyBar()

    @property
    def article_list(self) -> ArticleList:
        return self.query_one(ArticleList)

    @property
    def reader(self) -> ReaderView:
        return self.query_one(ReaderView)

    @property
    def sidebar(self) -> EntitySidebar:
        return self.query_one(EntitySidebar)

    @property
    def search_pane(self) -> SearchPane:
        return self.query_one(SearchPane)

    def on_mount(self) -> None:
        apply_saved_theme(self, self.config)
        remember_theme(self, self.config)
        sort = self.library.state_get("sort") or "date"
        self.sort = sort if sort in SORTS else "date"
        last = self.library.state_get("last_article")
        self.article_list.load(ListSource(self.sort), keep_id=last)
        if self.library.state_get("group_by_story"):
            self.group_by_story = True
            self.load_stories()
        self.article_list.focus()
        self.sidebar.set_entities([], "article", note=OPEN_ONE)
        self._apply_sidebar()
        if last and self.library.get(last) is not None:
            self.open_article(last, mark_read=False)
        self._update_status()
        self.show_welcome()
        for problem in self.config.problems:
            self.notify(problem, title="Config", severity="warning", markup=False)
        self._data_version = self.library.data_version()
        self.set_interval(self.WATCH_INTERVAL, self._watch_library)
        self.previewer = Previewer(self)
        self.previewer.overview()

    def on_article_list_highlighted(self, event: ArticleList.Highlighted) -> None:
        if event.moved:
            self.previewer.moved(event.row)

    def on_ready(self) -> None:
        """The first frame is on screen: now start the background work. Opening
        and checking the index (a checksum of every index file, hundreds of MB at
        100,000 articles, and importing Whoosh) would otherwise compete with the
        first screen for the one interpreter; nothing on it needs the index."""
        self.ready_event.set()
        self.check_index()
        if self.resume_entities and self.run_entity_stage:
            workers.start(self, workers.resume_entities, self.library, self._entity_stage(), self.post_message,
                          group="entities", name="Finding entities")

    def _all_bindings(self):
        """Every Binding of the app and its panes (what a keymap may remap)."""
        from .screens.desk import DeskOptions, DeskScreen, DossierScreen

        # The panes of the ? screen, plus the screens and dialogs it leaves out.
        classes = [cls for _name, group in BINDING_GROUPS for cls in group]
        classes += [ErrorDialog, PromptDialog, DeskOptions, DeskScreen, DossierScreen]
        return [b for cls in classes for b in cls.BINDINGS if isinstance(b, Binding)]

    def on_resize(self, event: events.Resize) -> None:
        # The event's size: this handler runs before App's own, so self.size
        # is still the old one (120 -> 80 columns kept the wide layout and
        # left the reader 10 columns).
        self._apply_sidebar(event.size.width)

    def _apply_sidebar(self, width: int | None = None) -> None:
        narrow = (self.size.width if width is None else width) < NARROW
        show = self.sidebar_pref if self.sidebar_pref is not None else not narrow
        self.sidebar.display = show
        self.set_class(narrow, "-narrow")
        # 80 columns cannot hold list, reader and sidebar: the sidebar takes the list's place.
        self.query_one("#left").display = not (narrow and show)
        widths = pane_widths(self.size.width if width is None else width, show,
                             self.article_list.wanted_width())
        self.query_one("#left").styles.width = widths.list
        self.sidebar.styles.width = widths.sidebar or NARROW_SIDEBAR
        self.reader.set_measure(widths.measure)

    def on_article_list_sized(self) -> None:
        self._apply_sidebar()  # the list's content asks for other widths

    # -- status -------------------------------------------------------------
    def _update_status(self) -> None:
        lst = self.article_list
        dot = Text(" · ", style="dim")
        lines = []

        def dim(text: str) -> Text:
            return Text(text, style="dim")

        if self.left_pane == "search":
            # The list's counts describe the list, not the hits above.
            lines.append(([(dim("searching the whole library"), 2), (dim("esc returns to the list"), 1)], dot))
        else:
            if lst.source.label:
                label = Text("filter: ", style="dim")
                label.append(lst.source.label, style="bold")
                lines.append(([(label, 2), (dim("(esc clears)"), 1)], Text(" ")))
            unread = self.unread_shown()
            # Least important first to go at 80 columns: the story hint, the sort, then unread.
            counts = [(dim(f"{lst.total:,} shown"), 9)]
            if unread is not None:
                counts.append((dim(f"{unread:,} unread"), 5))
            counts.append((dim(SORT_SHORT.get(self.sort, self.sort)), 3))
            if lst.source.groups is not None:
                # The mode outranks the sort; its key hint goes first.
                counts.append((dim("by story"), 4))
                counts.append((dim("space expands, ●N unread"), 1))
            lines.append((counts, dot))
        if self._activity:
            lines.append(([(Text(self._activity, style="italic"), 1)], dot))
        self.query_one("#status", StatusLine).show(lines)

    def on_activity(self, message: Activity) -> None:
        self._activity = message.text
        self._update_status()

    # -- workers (tui/workers.py) --------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        workers.report_failure(self, event)

    def on_notice(self, message: Notice) -> None:
        self.notify(message.text, title=message.title, severity=message.severity, markup=False)

    # -- opening articles ---------------------------------------------------
    def open_article(self, article_id: str, terms=frozenset(), mark_read: bool = True) -> None:
        lib = self.library
        art = lib.get(article_id)
        if art is None:
            self.notify("That article is no longer in the library.", severity="warning")
            return
        newly_read = mark_read and not art.read
        lib.mark_opened(art.id, read=newly_read)
        if newly_read:
            art.read = True
            self.article_list.update_row(art.id, read=True)
        entities = self._article_entities(art.id)
        matches = []
        if terms:
            try:
                matches = lib.match_spans(art.body, terms)
            except Exception:  # index not ready yet: show the article without term marks
                matches = []
        self.search_terms = frozenset(terms)
        self.reader.show(art, entities, matches, to_first_match=True)
        self.refresh_desk(art.id)
        workers.start(self, workers.sources, lib.path, art.id, self.post_message,
                      group="sources", name="Finding credited reports")
        if self.sidebar.scope == "article":
            self.sidebar.set_entities(entities, "article", note=self.entities_note())

    def on_sources_ready(self, message: SourcesReady) -> None:
        # Our own writes are not another process's import (see on_stories_ready).
        self._data_version = self.library.data_version()
        self.reader.show_sources(message.article_id, message.sources)

    def action_open_source(self) -> None:
        target = self.reader.credited_article()
        if target is None:
            self.notify("This article credits no report that is in the library.", markup=False)
            return
        self.open_article(target)

    @on(ArticleList.Opened)
    def _list_opened(self, event: ArticleList.Opened) -> None:
        self.open_article(event.article_id)

    @on(SearchPane.HitChosen)
    def _hit_chosen(self, event: SearchPane.HitChosen) -> None:
        results = self.search_pane.results
        self.open_article(event.article_id, terms=results.terms if results else frozenset())

    def on_reader_view_match_moved(self, event: ReaderView.MatchMoved) -> None:
        self._activity = f"match {event.index + 1} of {event.total} (n / N)"
        self._update_status()

    # A preview or the overview may arrive while the app closes, its panes gone: dropped.
    def on_article_previewed(self, message: ArticlePreviewed) -> None:
        if not self._exit:
            self.previewer.show(message.article, message.entities)

    def on_overview_ready(self, message: OverviewReady) -> None:
        readers = self.query(ReaderView)
        if readers and not self._exit:
            readers.first().show_overview(message.text)

    def action_clear_filter(self) -> None:
        if self.article_list.source.ids is None:
            return
        self.filter_entity = None
        row = self.article_list.current_row
        self.article_list.load(self._full_source(), keep_id=row.id if row else None)
        self._update_status()

    # -- feeds (the pane owns subscribing and refreshing) --------------------
    # (kind, key, status-line label) of the feed filter last applied; it is the
    # active filter while the list's source still carries that label.
    feed_filter: tuple[str, object, str] | None = None

    @property
    def feed_pane(self) -> FeedPane:
        return self.query_one(FeedPane)

    @property
    def refreshing(self) -> bool:
        return self.feed_pane.refreshing

    # The last refresh's per-feed results (kept after the pane is gone, on quit).
    feed_results: list | None = None

    def action_feeds(self) -> None:
        """Show the feeds in the list's column, with fresh unread counts."""
        if not self.feed_pane.load():
            return
        self.show_left("feeds")
        self.feed_pane.options.focus()

    def action_add_feed(self) -> None:
        self.feed_pane.prompt_add_feed()

    def action_refresh_feeds(self, feeds: list[int] | None = None) -> None:
        self.feed_pane.start_refresh(feeds)

    def on_feed_pane_closed(self, message: FeedPane.Closed) -> None:
        self.show_left("list")
        self.article_list.focus()

    def on_feed_pane_chosen(self, message: FeedPane.Chosen) -> None:
        self.filter_by_feed(message.kind, message.key, message.label)
        self.show_left("list")
        self.article_list.focus()

    def filter_by_feed(self, kind: str, key, label: str) -> None:
        """Library-wide filter of the article list, cleared by escape like the entity filter."""
        if kind == "saved":
            ids = self.library.matching_ids(key)
        elif kind == "atag":
            ids = self.library.tagged(key)
        elif kind == "feed":
            ids = self.library.feed_article_ids(feed=key)
        elif kind == "tag":
            ids = self.library.feed_article_ids(tag=key)
        else:
            ids = self.library.feed_article_ids()
        self.feed_filter = (kind, key, label)
        self.filter_entity = None
        row = self.article_list.current_row
        self.article_list.load(ListSource(self.sort, ids=tuple(ids), label=label),
                               keep_id=row.id if row else None)
        self._update_status()

    def _feed_filter_active(self) -> bool:
        src = self.article_list.source
        return self.feed_filter is not None and src.ids is not None and src.label == self.feed_filter[2]

    def on_feeds_refreshed(self, message: FeedsRefreshed) -> None:
        """After the pane's own handler: the article list shows what came in."""
        self._activity = ""
        if not message.crashed and message.error is None:
            self.feed_results = message.results
        if self._feed_filter_active():
            self.filter_by_feed(*self.feed_filter)
        else:
            self.article_list.reload()
        self._update_status()
        self.refresh_sidebar(reopen=False)  # new entities in the sidebar; the reader keeps its place

    # -- the left column: the list, search or the feeds ------------------------------
    @property
    def left_pane(self) -> str:
        return self.query_one(ContentSwitcher).current or "list"

    def show_left(self, pane: str) -> None:
        self.query_one(ContentSwitcher).current = pane

    # -- search -------------------------------------------------------------
    def action_search(self) -> None:
        if not self.query_one("#left").display:
            self.sidebar_pref = False
            self._apply_sidebar()
        self.show_left("search")
        self.search_pane.input.focus()
        self._update_status()

    @on(SearchPane.Closed)
    def _search_closed(self) -> None:
        self.show_left("list")
        # The list's cursor goes to the article on screen, so that star, read and
        # the other list actions apply to what the user is looking at.
        shown = self.reader.article
        if shown is not None:
            at = self.article_list.index_of(shown.id)
            if at is not None:
                self.article_list.cursor = at
        if self._activity.startswith("match "):
            self._activity = ""
        self.article_list.focus()
        self._update_status()

    @on(SearchPane.QueryChanged)
    def _query_changed(self, event: SearchPane.QueryChanged) -> None:
        if not event.query.strip():
            self.workers.cancel_group(self, "search")
            self.search_pane.show_message("Type to search the whole library.")
            return
        workers.start(self, workers.search, self.library, self._search_lock, event.query, self.post_message,
                      group="search", name="Searching")

    def on_search_done(self, message: SearchDone) -> None:
        pane = self.search_pane
        if message.query != pane.input.value:
            return  # typed on since; a newer search is coming
        if message.error:
            pane.show_message(message.error, style="red")
        else:
            pane.show_results(message.results)

    # -- actions ------------------------------------------------------------
    def _target_id(self) -> str | None:
        """The article an action applies to: the list's row when the list has
        focus, else the article open in the reader."""
        if self.focused is self.article_list:
            row = self.article_list.current_row
            return row.id if row else None
        return self.reader.article.id if self.reader.article else None

    def action_next_match(self, step: int) -> None:
        if not self.reader.next_match(step):
            self.notify("No search matches in this article.", timeout=2)

    def action_toggle_sidebar(self) -> None:
        self.sidebar_pref = not self.sidebar.display
        self._apply_sidebar()
        if self.focused is None or not self.focused.display or not self.sidebar.display \
                and self.sidebar in self.focused.ancestors:
            self.article_list.focus()

    def action_focus_pane(self, step: int) -> None:
        """Tab order follows the panes on screen, skipping hidden ones. In the
        search box, Tab first takes a "did you mean" suggestion."""
        left_pane = self.left_pane
        if (step > 0 and left_pane == "search" and self.focused is self.search_pane.input
                and self.search_pane.take_suggestion()):
            return
        left = self.search_pane.hits if left_pane == "search" else self.article_list
        if left_pane == "feeds":
            left = self.feed_pane.options
        if left_pane == "search" and self.focused is self.search_pane.input:
            left = self.search_pane.input
        panes = [left, self.reader] if self.query_one("#left").display else [self.reader]
        if self.sidebar.display:
            panes.append(self.query_one(EntityOptions))
        current = next((i for i, p in enumerate(panes)
                        if self.focused is not None and (self.focused is p or p in self.focused.ancestors)),
                       None)
        if self.screen is not self.screen_stack[0]:
            self.screen.focus_next() if step > 0 else self.screen.focus_previous()
            return
        target = panes[0] if current is None else panes[(current + step) % len(panes)]
        target.focus()

    def set_sort(self, sort: str) -> None:
        self.sort = sort
        self.library.state_set("sort", sort)
        src = self.article_list.source
        row = self.article_list.current_row
        self.article_list.load(ListSource(sort, ids=src.ids, label=src.label, groups=src.groups),
                               keep_id=row.id if row else None)
        self._update_status()

    def action_cycle_sort(self) -> None:
        keys = list(SORTS)
        self.set_sort(keys[(keys.index(self.sort) + 1) % len(keys)] if self.sort in keys else "date")

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.binding_sections(), str(self.config.path or "config.toml")))

    def binding_sections(self) -> list[tuple[str, list[tuple[str, str, str]]]]:
        """Every binding with an id, by pane, with the keys in force now."""
        return binding_sections(BINDING_GROUPS, self._keymap)

def run(library_path=None) -> int:
    lib = Library.open(library_path)
    try:
        NewsdeskApp(lib, load_config(), resume_entities=True).run()
    finally:
        lib.close()
    return 0


# The ? screen's sections, each with the classes whose bindings it lists;
# also what a keymap may remap (with the screens of _all_bindings).
BINDING_GROUPS = [
    ("Everywhere", [NewsdeskApp]),
    ("Working on a story", [DeskActions]),
    ("Article list", [ArticleList]),
    ("Reader", [ReaderView]),
    ("Entity sidebar", [EntitySidebar, EntityOptions]),
    ("Search", [SearchPane, HitList]),
    ("Feeds", [FeedPane, FeedOptions]),
    ("Help", [HelpScreen]),
]
