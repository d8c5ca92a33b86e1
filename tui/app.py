"""The reader: article list, article, entity sidebar and cross-article search.

Everything slow (index repair, searching, importing, library-wide entities)
runs in thread workers that finish by posting a message; worker failures all
end in one handler that shows an error dialog.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
import threading
import time
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, Static
from textual.worker import Worker, WorkerState, get_current_worker

from articles.library import Library, LibraryError, QueryError
from articles.text import safe_url, sanitize_line

from .actions import ActionCommands, app_bindings
from .commands import SORT_SHORT, SORTS, FeedCommands, NewsdeskCommands
from .config import TuiConfig, load_config
from .desk_actions import DeskActions, DeskCommands
from .layout import NARROW_SIDEBAR, pane_widths
from .preview import Previewer
from .themes import apply_saved_theme, remember_theme
from .screens.dialogs import ErrorDialog, PromptDialog
from .screens.help import HelpScreen
from .story_merge import StoryMerge
from .widgets.article_list import ArticleList, ListSource
from .widgets.entity_sidebar import EntityOptions, EntitySidebar
from .messages import (Activity, SourcesReady, EntitiesDone, EntitiesLoaded, FeedsRefreshed, ImportDone, IndexReady,
                       SearchDone, StoriesReady, activity_reporter)
from .reading import ReadingActions
from .widgets.feed_list import FeedOptions, FeedPane
from .widgets.find_bar import FindBar
from .widgets.key_bar import KeyBar
from .widgets.reader import ReaderView
from .widgets.search_pane import HitList, SearchPane

SEARCH_LIMIT = 50
LIBRARY_ENTITY_LIMIT = 300
NARROW = 100  # below this width the sidebar starts collapsed


class NewsdeskApp(ReadingActions, StoryMerge, DeskActions):
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
        self._story_groups = None  # the last grouping computed, until the library changes
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
                    yield FeedPane(self.library, id="feeds",
                                   entity_stage=self._entity_subprocess if self.run_entity_stage else None)
                yield Static(id="status")
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
        self.sidebar.set_entities([], "article", note="Open an article to see its entities")
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
            self.resume_entity_stage()

    # Another process (newsdesk add, refresh) may write to the library while
    # the app is open: poll SQLite's data_version, which costs microseconds.
    WATCH_INTERVAL = 2.0

    def _watch_library(self) -> None:
        version = self.library.data_version()
        if version != self._data_version:
            self._data_version = version
            try:
                self.action_reload()
            except NoMatches:
                # The tick came while the app is closing and its panes are gone
                # (seen at the end of a Pilot run): there is nothing left to update.
                if not (self._exit or self._closing or self._closed):
                    raise

    def action_reload(self, announce: bool = False) -> None:
        """Pick up articles other processes added (also runs by itself, quietly)."""
        if self._feed_filter_active() and self.feed_filter[0] in ("saved", "atag"):
            self.filter_by_feed(*self.feed_filter)  # a saved search is run again: new hits appear
        else:
            self.article_list.reload()
        if self.query_one(ContentSwitcher).current == "feeds":
            self.feed_pane.load()  # fresh unread counts beside the feeds
        if self.group_by_story:
            self.load_stories()
        self._update_status()
        self.check_index()
        if announce:
            self.notify(f"Reloaded: {self.article_list.total:,} articles in the list.", timeout=2)

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """Save an SVG of the screen and say where, or why not: Textual's own
        delivery said only "Failed to save screenshot"."""
        from .desk_actions import save_folder

        folder = Path(path).expanduser() if path else save_folder()
        name = filename or f"newsdesk-{time.strftime('%Y-%m-%d_%H-%M-%S')}.svg"
        target = folder / name
        try:
            svg = self.export_screenshot()
            tmp = target.with_name(target.name + ".part")
            tmp.write_text(svg, encoding="utf-8")
            tmp.replace(target)
        except OSError as exc:
            self.notify(f"Screenshot not saved: cannot write {sanitize_line(str(target))}: "
                        f"{exc.strerror or exc}", title="Screenshot", severity="error", markup=False)
            return None
        self.notify(f"Saved screenshot to {sanitize_line(str(target))}", title="Screenshot", markup=False)
        return str(target)

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
        text = Text()
        if self.query_one(ContentSwitcher).current == "search":
            # The list's counts describe the list, not the hits above.
            text.append("searching the whole library · esc returns to the list", style="dim")
            if self._activity:
                text.append("\n")
                text.append(self._activity, style="italic")
            self.query_one("#status", Static).update(text)
            return
        if lst.source.label:
            text.append("filter: ", style="dim")
            text.append(lst.source.label, style="bold")
            text.append(" (esc clears)\n", style="dim")
        unread = self.unread_shown()
        text.append(f"{lst.total:,} shown · " + (f"{unread:,} unread · " if unread is not None else "")
                    + SORT_SHORT.get(self.sort, self.sort), style="dim")
        if lst.source.groups is not None:
            text.append(" · by story (space expands, ●N unread)", style="dim")
        if self._activity:
            text.append("\n")
            text.append(self._activity, style="italic")
        self.query_one("#status", Static).update(text)

    def on_activity(self, message: Activity) -> None:
        self._activity = message.text
        self._update_status()

    # -- workers and errors -------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures surface."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        self._activity = ""
        self._update_status()
        if isinstance(error, (LibraryError, QueryError)):
            message = str(error)
        else:
            message = f"{type(error).__name__}: {error}"
        self.push_screen(ErrorDialog(f"{event.worker.name or 'Background task'} failed", message))

    def _progress(self, label: str):
        """A Library progress callback that reports at most every 1% from a thread."""
        return activity_reporter(self.post_message, label)

    @work(thread=True, exclusive=True, group="index", name="Checking the search index")
    def check_index(self) -> None:
        what = self.library.ensure_index(self._progress("indexing"))
        self.post_message(IndexReady(what))

    def on_index_ready(self, message: IndexReady) -> None:
        self._activity = "" if message.what == "ok" else f"index {message.what}"
        self._update_status()

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
        self.load_sources(art.id)
        if self.sidebar.scope == "article":
            self.sidebar.set_entities(entities, "article", note=self._no_entities_note())

    @work(thread=True, exclusive=True, group="sources", name="Finding credited reports")
    def load_sources(self, article_id: str) -> None:
        # Finding credits may write them to the store: its own connection keeps
        # those writes off the reader's (as grouping stories does).
        try:
            with Library(self.library.path) as lib:
                sources = lib.article_sources(article_id)
        except Exception:  # sources are extra: the article is already shown
            return
        if not get_current_worker().is_cancelled:
            self.post_message(SourcesReady(article_id, sources))

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

    def _article_entities(self, article_id: str):
        fn = getattr(self.library, "article_entities", None)
        if fn is None:
            return []
        try:
            return list(fn(article_id))
        except Exception as exc:
            self.notify(f"Could not load entities: {exc}", severity="warning", markup=False)
            return []

    def _no_entities_note(self) -> str:
        if getattr(self.library, "article_entities", None) is None:
            return "Entities are not available in this version"
        return self.entities_note()  # "finding entities…" while the stage runs

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

    # -- entities -----------------------------------------------------------
    @on(EntitySidebar.Highlighted)
    def _entity_highlighted(self, event: EntitySidebar.Highlighted) -> None:
        self.reader.highlight_entity(event.entity.entity_id)

    @on(EntitySidebar.Chosen)
    def _entity_chosen(self, event: EntitySidebar.Chosen) -> None:
        self.filter_by_entity(event.entity)

    def filter_by_entity(self, entity) -> None:
        fn = getattr(self.library, "entity_articles", None)
        if fn is None:
            return
        ids = list(fn(entity.entity_id))
        self.filter_entity = entity
        label = f"{getattr(entity, 'type', 'entity')} {sanitize_line(str(entity.name))}"
        if self.has_class("-narrow") and self.sidebar.display:
            self.sidebar_pref = False  # give the column back to the filtered list
            self._apply_sidebar()
            self.article_list.focus()
        self.query_one(ContentSwitcher).current = "list"
        current = self.reader.article.id if self.reader.article else None
        self.article_list.load(ListSource(self.sort, ids=tuple(ids), label=label), keep_id=current)
        self._update_status()

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
        self.query_one(ContentSwitcher).current = "feeds"
        self.feed_pane.options.focus()

    def action_add_feed(self) -> None:
        self.feed_pane.prompt_add_feed()

    def action_refresh_feeds(self, feeds: list[int] | None = None) -> None:
        self.feed_pane.start_refresh(feeds)

    def on_feed_pane_closed(self, message: FeedPane.Closed) -> None:
        self.query_one(ContentSwitcher).current = "list"
        self.article_list.focus()

    def on_feed_pane_chosen(self, message: FeedPane.Chosen) -> None:
        self.filter_by_feed(message.kind, message.key, message.label)
        self.query_one(ContentSwitcher).current = "list"
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

    # -- grouping by story --------------------------------------------------
    def _full_source(self) -> ListSource:
        """The unfiltered list: by story when grouping is on and computed."""
        groups = self._story_groups if self.group_by_story else None
        return ListSource(self.sort, groups=groups)

    def action_group_by_story(self) -> None:
        self.group_by_story = not self.group_by_story
        self.library.state_set("group_by_story", "1" if self.group_by_story else None)
        if self.group_by_story:
            self.load_stories()
        elif self.article_list.source.groups is not None:
            row = self.article_list.current_row
            self.article_list.load(ListSource(self.sort), keep_id=row.id if row else None)
        self._update_status()

    @work(thread=True, exclusive=True, group="stories", name="Grouping stories")
    def load_stories(self) -> None:
        # Grouping may first sketch new articles and write the result: its own
        # connection keeps those writes off the reader's.
        self.post_message(Activity("grouping stories…"))
        with Library(self.library.path) as lib:
            stories = lib.stories()
        self.post_message(StoriesReady(tuple((s.id, tuple(s.articles)) for s in stories)))

    def action_split_story(self) -> None:
        """Take the current article out of its story (the user's correction, kept
        across regrouping, as ``newsdesk stories split`` does)."""
        if aid := self._target_id():
            self._split_story(aid)

    @work(thread=True, exclusive=True, group="stories", name="Splitting story")
    def _split_story(self, aid: str) -> None:
        # A write and a regroup: off the UI thread, on its own connection.
        self.post_message(Activity("splitting story…"))
        with Library(self.library.path) as lib:
            try:
                lib.split_story(aid)
            except ValueError as e:  # alone in its story already
                self.call_from_thread(self.notify, str(e), severity="warning")
                stories = None
            else:
                stories = lib.stories()
        if stories is None:
            self.post_message(Activity(""))
            return
        self.call_from_thread(self.notify, "Taken out of its story; it stays apart when stories are regrouped.")
        self.post_message(StoriesReady(tuple((s.id, tuple(s.articles)) for s in stories)))

    def on_stories_ready(self, message: StoriesReady) -> None:
        self._story_groups = message.groups
        # The grouping's own writes are not news: the library watcher must not
        # take them for another process's import and group again, forever.
        self._data_version = self.library.data_version()
        self._activity = ""
        lst = self.article_list
        # A filter on screen stays; the grouping shows when it is cleared.
        if self.group_by_story and lst.source.ids is None:
            row = lst.current_row
            lst.load(self._full_source(), keep_id=row.id if row else None)
        self._update_status()
        self.previewer.overview()  # its recent stories, when nothing is open

    @on(EntitySidebar.ScopeToggled)
    def _scope_toggled(self) -> None:
        self.set_entity_scope("library" if self.sidebar.scope == "article" else "article")

    def set_entity_scope(self, scope: str) -> None:
        if scope == "article":
            art = self.reader.article
            ents = self._article_entities(art.id) if art else []
            note = self._no_entities_note() if art else "Open an article to see its entities"
            self.sidebar.set_entities(ents, "article", note=note)
        else:
            self.sidebar.set_entities([], "library", note="Loading…")
            self.load_library_entities()

    @work(thread=True, exclusive=True, group="entities", name="Loading library entities")
    def load_library_entities(self) -> None:
        fn = getattr(self.library, "library_entities", None)
        if fn is None:
            self.post_message(EntitiesLoaded([], "Entities are not available in this version"))
            return
        ents = list(fn(limit=LIBRARY_ENTITY_LIMIT))
        if not get_current_worker().is_cancelled:
            self.post_message(EntitiesLoaded(ents, "No entities in the library yet"))

    def on_entities_loaded(self, message: EntitiesLoaded) -> None:
        if self.sidebar.scope == "library":
            self.sidebar.set_entities(message.entities, "library", note=message.note)

    # -- search -------------------------------------------------------------
    def action_search(self) -> None:
        if not self.query_one("#left").display:
            self.sidebar_pref = False
            self._apply_sidebar()
        self.query_one(ContentSwitcher).current = "search"
        self.search_pane.input.focus()
        self._update_status()

    @on(SearchPane.Closed)
    def _search_closed(self) -> None:
        self.query_one(ContentSwitcher).current = "list"
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
        self.run_search(event.query)

    @work(thread=True, exclusive=True, group="search", name="Searching")
    def run_search(self, query: str) -> None:
        worker = get_current_worker()
        with self._search_lock:
            if worker.is_cancelled:
                return
            try:
                results = self.library.search(query, limit=SEARCH_LIMIT)
            except QueryError as exc:
                self.post_message(SearchDone(query, error=str(exc)))
                return
        if not worker.is_cancelled:
            self.post_message(SearchDone(query, results))

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

    def action_star(self) -> None:
        aid = self._target_id()
        art = self.library.get(aid) if aid else None
        if art is None:
            return
        self.library.set_starred(art.id, not art.starred)
        self.article_list.update_row(art.id, starred=not art.starred)
        if self.reader.article and self.reader.article.id == art.id:
            self.reader.article.starred = not art.starred
        # Named, so that acting on another article than the one meant shows at once.
        self.notify(f"{'Starred' if not art.starred else 'Unstarred'}: {_short_title(art.title)}",
                    timeout=2, markup=False)

    def action_toggle_read(self) -> None:
        aid = self._target_id()
        art = self.library.get(aid) if aid else None
        if art is None:
            return
        self.library.set_read(art.id, not art.read)
        self.article_list.update_row(art.id, read=not art.read)
        if self.reader.article and self.reader.article.id == art.id:
            self.reader.article.read = not art.read
        self.notify(f"{'Marked read' if not art.read else 'Marked unread'}: {_short_title(art.title)}",
                    timeout=2, markup=False)

    def action_next_match(self, step: int) -> None:
        if not self.reader.next_match(step):
            self.notify("No search matches in this article.", timeout=2)

    def action_open_url(self) -> None:
        art = self.reader.article
        if art is None or not art.url:
            self.notify("This article has no URL.", timeout=2)
            return
        self.open_url(art.url)

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Hand only http(s) URLs to the browser, whatever a library stored
        before imports checked them: a ``javascript:``/``file:`` URL, a local
        path or an ``--option`` is refused (the readers drop them too)."""
        safe = safe_url(url)
        if safe is None:
            self.notify("Not opening this link: only http(s) URLs are opened.",
                        severity="warning", timeout=3, markup=False)
            return
        import webbrowser

        # Textual's open_url says nothing when no browser starts (a server, an
        # ssh session): say which, and show the link so it can be copied.
        try:
            opened = webbrowser.open(safe, new=2 if new_tab else 0)
        except Exception:  # webbrowser raises for a broken $BROWSER entry
            opened = False
        if opened:
            self.notify(f"Opening in the browser: {sanitize_line(safe)}", timeout=3, markup=False)
        else:
            self.notify(f"No browser could be started here. The link: {sanitize_line(safe)}",
                        severity="warning", timeout=8, markup=False)

    def action_focus_entities(self) -> None:
        if not self.sidebar.display:
            self.sidebar_pref = True
            self._apply_sidebar()
        self.query_one(EntityOptions).focus()

    # -- desk views (tui/screens/desk.py): each dismisses with an article id to open
    def _open_chosen(self, article_id: str | None) -> None:
        if article_id:
            # After the desk screen is gone, so the reader is back on the active screen.
            self.call_after_refresh(self.open_article, article_id)

    def action_related(self) -> None:
        from .screens.desk import RelatedScreen

        if aid := self._target_id():
            self.push_screen(RelatedScreen(self.library, aid), self._open_chosen)

    def action_quotes(self) -> None:
        from .screens.desk import QuotesScreen

        if aid := self._target_id():
            self.push_screen(QuotesScreen(self.library, aid), self._open_chosen)

    def action_story(self) -> None:
        from .screens.desk import StoryScreen

        if aid := self._target_id():
            self.push_screen(StoryScreen(self.library, aid), self._open_chosen)

    def action_dossier(self) -> None:
        """The dossier of the entity highlighted in the sidebar (else the list's filter,
        else the sidebar's first entity)."""
        from .screens.desk import DossierScreen

        entity = self._highlighted_entity()
        if entity is None:
            self.notify("Highlight an entity in the sidebar first (e).", severity="warning")
            return
        self.push_screen(DossierScreen(self.library, str(entity.name)), self._open_chosen)

    def action_toggle_sidebar(self) -> None:
        self.sidebar_pref = not self.sidebar.display
        self._apply_sidebar()
        if self.focused is None or not self.focused.display or not self.sidebar.display \
                and self.sidebar in self.focused.ancestors:
            self.article_list.focus()

    def action_focus_pane(self, step: int) -> None:
        """Tab order follows the panes on screen, skipping hidden ones. In the
        search box, Tab first takes a "did you mean" suggestion."""
        switch = self.query_one(ContentSwitcher)
        if (step > 0 and switch.current == "search" and self.focused is self.search_pane.input
                and self.search_pane.take_suggestion()):
            return
        left = self.search_pane.hits if switch.current == "search" else self.article_list
        if switch.current == "feeds":
            left = self.feed_pane.options
        if switch.current == "search" and self.focused is self.search_pane.input:
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
        keymap = self._keymap
        sections = []
        for name, group in BINDING_GROUPS:
            rows = []
            for cls in group:
                for binding in cls.BINDINGS:
                    if not isinstance(binding, Binding) or not binding.id:
                        continue
                    keys = keymap.get(binding.id, binding.key)
                    rows.append((_pretty_keys(keys), binding.description, binding.id))
            sections.append((name, rows))
        return sections

    # -- palette commands ---------------------------------------------------
    def action_import(self) -> None:
        def chosen(value: str | None) -> None:
            if value:
                try:
                    sources = shlex.split(value)
                except ValueError as exc:
                    self.push_screen(ErrorDialog("Cannot read that list of files", str(exc)))
                    return
                self.import_sources(sources)

        self.push_screen(PromptDialog(
            "Import files", "Paths, folders, globs or URLs, separated by spaces (quote names with spaces).",
            "~/news/*.html"), chosen)

    @work(thread=True, exclusive=True, group="import", name="Import")
    def import_sources(self, sources: list[str]) -> None:
        # Its own connection: the import's long write transactions must not
        # mix with the reader's star/read writes on the app's connection.
        with Library(self.library.path) as lib:
            report = lib.add(sources, progress=self._progress("importing"), entities=False)
        problem = None
        if self.run_entity_stage and (report.added or report.updated):
            self.post_message(Activity("finding entities…"))
            problem = self._entity_subprocess()
        self.post_message(ImportDone(report, problem))

    def _entity_subprocess(self) -> str | None:
        """spaCy stays out of the reader's process: the entity stage runs as the CLI."""
        from .progress import run_with_progress

        cmd = [sys.executable, "-m", "main", "entities", "--extract", "--library", str(self.library.path)]
        self._entities_running = True
        self.call_from_thread(self.refresh_sidebar, False)
        try:
            # Each stage's count, rate and time left reach the status line.
            code, lines = run_with_progress(cmd, str(Path(__file__).resolve().parents[1]),
                                            lambda text: self.post_message(Activity(text)))
        except OSError as exc:
            return f"could not start the entity stage: {exc}"
        finally:
            self._entities_running = False
        if code != 0:
            return sanitize_line(lines[-1] if lines else f"exit status {code}")
        return None

    @work(thread=True, exclusive=True, group="entities", name="Finding entities")
    def resume_entity_stage(self) -> None:
        if not self.library.entity_work_pending():
            return
        self.post_message(Activity("finding entities…"))
        self.post_message(EntitiesDone(self._entity_subprocess()))

    def on_entities_done(self, message: EntitiesDone) -> None:
        self._activity = ""
        self._update_status()
        if message.problem:
            self.push_screen(ErrorDialog("Finding entities failed", message.problem))
        self.refresh_sidebar()

    def on_import_done(self, message: ImportDone) -> None:
        r = message.report
        self._activity = ""
        self.article_list.reload()
        if self.group_by_story:
            self.load_stories()
        self._update_status()
        self.refresh_sidebar()
        self.show_welcome()
        summary = (f"Imported: {r.added} added, {r.updated} updated, {r.unchanged} unchanged, "
                   f"{r.duplicates} duplicates, {len(r.failed)} failed")
        self.notify(summary, markup=False, timeout=6)
        problems = [f"{sanitize_line(src)}: {sanitize_line(err)}" for src, err in r.failed]
        if message.entity_problem:
            problems.append(f"entities: {message.entity_problem}")
        if problems:
            self.push_screen(ErrorDialog("Some items were not imported", "\n".join(problems[:30])))

    def action_reindex(self) -> None:
        self.reindex()

    @work(thread=True, exclusive=True, group="index", name="Reindex")
    def reindex(self) -> None:
        with self._search_lock:
            n = self.library.reindex(self._progress("indexing"))
        self.post_message(IndexReady(f"rebuilt: {n:,} articles"))


_KEY_NAMES = {"question_mark": "?", "slash": "/", "escape": "esc", "shift+tab": "shift+tab"}


def _pretty_keys(keys: str) -> str:
    return " / ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


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


def _short_title(title: str | None, limit: int = 60) -> str:
    """A title for a toast: one line, cut at a word boundary."""
    text = sanitize_line(title or "") or "(untitled)"
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1] + "…"
