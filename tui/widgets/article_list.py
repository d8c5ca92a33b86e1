"""The article list: a virtual table over the store.

DataTable keeps every row in memory and measures every cell: adding 100,000
rows took 3 s and the first paint after it 13 s (see the benchmark in
tests/test_tui.py's notes). This widget instead asks the Library for the page
of rows under the viewport, so its cost does not depend on the library size.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from articles.store import ArticleRow
from articles.text import for_columns

from ..messages import ListHighlighted, ListOpened, ListSized

PAGE = 200
DATE_W = 10
SHORT_DATE_W = 8  # "3 Dec" this year, "Mar 2023" before: for a list too narrow for the full date
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MARK_W = 2
SOURCE_MAX = 22  # an outlet's name beyond this is cut
TITLE_MIN = 28  # the source column shows at full width only when the title keeps this much
SOURCE_NARROW = 10  # else it shows this narrow ...
TITLE_FLOOR = 22  # ... while the title keeps this much
STORY_TAIL = 8  # a story row's " ▸ +2 ●3"
TITLE_WANTED_MAX = 100  # the list never asks for more than this for titles


@dataclass(frozen=True)
class ListSource:
    """What the list shows: every article in some order, or a fixed set of ids."""

    sort: str = "date"
    ids: tuple[str, ...] | None = None
    label: str = ""  # the active filter, for the status line
    # Grouped by story: (story id, member ids) per story. One row per story,
    # its newest article standing for it; expanded stories list their members.
    groups: tuple[tuple[str, tuple[str, ...]], ...] | None = None


@dataclass(frozen=True)
class RowPlace:
    """Where a row sits when grouped: its story, the story's size, and 0 for
    the story's own row or 1 for a member shown beneath it."""

    story: str
    size: int
    depth: int


class ArticleList(ScrollView, can_focus=True):
    """Rows come from ``Library.rows`` one page at a time and are cached per page."""

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g,home", "first", "First", show=False, id="list.first"),
        Binding("G,end", "last", "Last", show=False, id="list.last"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("enter", "open", "Open", id="list.open"),
        Binding("space", "toggle_story", "Expand/collapse story", show=False, id="list.story"),
    ]

    COMPONENT_CLASSES = {
        "article-list--header",
        "article-list--cursor",
        "article-list--unread",
        "article-list--star",
        "article-list--dim",
    }

    DEFAULT_CSS = """
    ArticleList { overflow-x: hidden; }
    ArticleList > .article-list--header { text-style: bold; color: $text-muted; }
    ArticleList > .article-list--cursor { background: $surface-lighten-2; }
    ArticleList:focus > .article-list--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    ArticleList > .article-list--unread { text-style: bold; }
    ArticleList > .article-list--star { color: $warning; }
    ArticleList > .article-list--dim { color: $text-muted; }
    """

    cursor = reactive(0, always_update=True)

    # Its messages (tui/messages.py), by the names handlers and @on use.
    Opened = ListOpened
    Highlighted = ListHighlighted
    Sized = ListSized

    def __init__(self, library, **kwargs) -> None:
        super().__init__(**kwargs)
        self.library = library
        self.source = ListSource()
        self.total = 0
        self._pages: dict[int, list[ArticleRow]] = {}
        self._id_rows: list[ArticleRow] | None = None  # a filter's rows, all loaded
        self._places: list[RowPlace] | None = None  # per row of _id_rows when grouped
        self._story_row: dict[str, int] = {}  # article id -> its story's row, when grouped
        self._story_of: dict[str, str] = {}  # article id -> its story, when grouped
        self._story_unread: dict[str, int] = {}  # story -> its unread versions, shown on its row
        self.expanded: set[str] = set()
        # Rendered lines by (row index, row, is cursor, width, focused): moving the
        # cursor then costs two lines, not a screenful of Rich rendering.
        self._lines: dict[tuple, Strip] = {}
        self._loading = False
        self._wanted = 0
        self._view_key: tuple | None = None
        self._view_cols: tuple[int, int] = (DATE_W, 0)

    def on_mount(self) -> None:
        self.watch(self.app, "theme", lambda *_: self._lines.clear(), init=False)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # -- data ---------------------------------------------------------------
    def load(self, source: ListSource, keep_id: str | None = None) -> None:
        """Show ``source``; cheap for any library size (a count and one page)."""
        self.source = source
        self._pages.clear()
        self._lines.clear()
        if source.groups is not None:
            self._load_groups(source)
        elif source.ids is not None:
            # Filters hold at most a few thousand ids: one query, in order.
            self._id_rows = self.library.rows(sort=source.sort, ids=list(source.ids))
            self.total = len(self._id_rows)
        else:
            self._id_rows = None
            self.total = self.library.count()
        if source.groups is None:
            self._places = None
            self._story_row = {}
            self._story_of, self._story_unread = {}, {}
        self.virtual_size = Size(self.size.width, self.total + 1)
        cursor = 0
        if keep_id is not None:
            cursor = self.index_of(keep_id, default=0)
        self._loading = True
        try:
            self.cursor = min(cursor, max(self.total - 1, 0))
        finally:
            self._loading = False
        self.scroll_to(y=max(0, self.cursor - self.scrollable_content_region.height // 2),
                       animate=False, immediate=True)
        self._view_key = None
        wanted = self._measure_wanted()
        if wanted != self._wanted:
            self._wanted = wanted
            self.post_message(self.Sized())
        self.refresh()

    # -- sizing -------------------------------------------------------------
    def wanted_width(self) -> int:
        """Columns the list would use to show its titles whole (marks, date,
        source, title, scrollbar), measured on the first rows it shows: the
        app's layout gives the list up to this much, the rest to the reader."""
        return self._wanted

    def _sample_rows(self) -> list[ArticleRow]:
        if self._id_rows is not None:
            return self._id_rows[:2000]
        return [r for i in range(min(self.total, PAGE)) if (r := self.row(i)) is not None]

    def _measure_wanted(self) -> int:
        rows = self._sample_rows()
        if not rows:
            return 0
        date_w = DATE_W + 1 if any(r.date for r in rows) else 0
        source_w = min(max(cell_len(for_columns(r.source or "")) for r in rows), SOURCE_MAX)
        title_w = min(max(cell_len(for_columns(r.title)) for r in rows) + 7, TITLE_WANTED_MAX)
        return MARK_W + date_w + (source_w + 1 if source_w else 0) + title_w + 1

    def _view_columns(self, width: int) -> tuple[int, int]:
        """(date width, source width) for the rows now in view: a column none
        of them fills is not shown, and the source only when the title keeps
        room enough; widths are terminal cells, not characters."""
        top = round(self.scroll_y)
        height = max(self.scrollable_content_region.height - 1, 1)
        key = (top, height, width, self.total, id(self._id_rows), len(self._pages))
        if key != self._view_key:
            rows = [r for i in range(top, min(top + height, self.total)) if (r := self.row(i))]
            date_w = DATE_W if any(r.date for r in rows) else 0
            source_w = max((cell_len(for_columns(r.source or "")) for r in rows), default=0)
            if date_w and width - MARK_W - DATE_W - 1 < TITLE_MIN:
                # 80 columns left the title 16 characters beside a full date.
                date_w = SHORT_DATE_W
            rest = width - MARK_W - (date_w + 1 if date_w else 0)
            # The outlet takes at most a quarter of the row: the title is what is read.
            source_w = min(source_w, SOURCE_MAX, max(10, rest // 4))
            if source_w and rest - source_w - 1 < TITLE_MIN:
                # Narrow (120 columns with dates): a short outlet still tells the
                # outlets apart, so it stays while the title keeps TITLE_FLOOR;
                # below that (80 columns) the title has the row.
                source_w = min(source_w, max(rest - 1 - TITLE_MIN, SOURCE_NARROW))
                # Story rows also end in their tail (" ▸ +2 ●3"): the title keeps its floor beside it.
                floor = TITLE_FLOOR + (STORY_TAIL if self._places is not None else 0)
                if rest - source_w - 1 < floor:
                    source_w = 0
            self._view_cols = (date_w, source_w)
            self._view_key = key
        return self._view_cols

    def _load_groups(self, source: ListSource) -> None:
        """Stories in the list's sort order, each placed where its newest article
        would sit; members of expanded stories follow it, in the same order."""
        story_of = {aid: sid for sid, ids in source.groups for aid in ids}
        sizes = {sid: len(ids) for sid, ids in source.groups}
        ordered = self.library.rows(sort=source.sort, ids=list(story_of))
        members: dict[str, list[ArticleRow]] = {}
        for r in ordered:
            members.setdefault(story_of[r.id], []).append(r)
        leads = {sid: max(rs, key=lambda r: (r.date or "", r.id)) for sid, rs in members.items()}
        self._story_of = story_of
        self._story_unread = {sid: sum(not r.read for r in rs) for sid, rs in members.items()}
        self._id_rows, self._places, self._story_row = [], [], {}
        for r in ordered:
            sid = story_of[r.id]
            if leads[sid] is not r:
                continue
            at = len(self._id_rows)
            self._id_rows.append(r)
            self._places.append(RowPlace(sid, sizes[sid], 0))
            for m in members[sid]:
                self._story_row[m.id] = at
            if sizes[sid] > 1 and sid in self.expanded:
                for m in members[sid]:
                    self._id_rows.append(m)
                    self._places.append(RowPlace(sid, sizes[sid], 1))
        self.total = len(self._id_rows)

    def place(self, index: int) -> RowPlace | None:
        if self._places is None or not 0 <= index < len(self._places):
            return None
        return self._places[index]

    def action_toggle_story(self) -> None:
        """Expand a story row to show its versions, or collapse it (from any of its rows)."""
        place = self.place(self.cursor)
        if place is None or place.size < 2:
            return
        if place.story in self.expanded:
            self.expanded.discard(place.story)
        else:
            self.expanded.add(place.story)
        row = self.current_row
        keep = row.id if place.depth == 0 or place.story in self.expanded else None
        story_row = self.cursor
        while story_row > 0 and self._places[story_row].depth:
            story_row -= 1
        self.load(self.source, keep_id=keep or self._id_rows[story_row].id)

    def reload(self) -> None:
        """Re-read rows (after star/read changes or an import) keeping the cursor row."""
        row = self.current_row
        self.load(self.source, keep_id=row.id if row else None)

    def row(self, index: int) -> ArticleRow | None:
        if index < 0 or index >= self.total:
            return None
        if self._id_rows is not None:
            return self._id_rows[index]
        page = index // PAGE
        rows = self._pages.get(page)
        if rows is None:
            rows = self.library.rows(sort=self.source.sort, limit=PAGE, offset=page * PAGE)
            if len(self._pages) > 50:
                self._pages.clear()
            self._pages[page] = rows
        off = index - page * PAGE
        return rows[off] if off < len(rows) else None

    def index_of(self, article_id: str, default: int | None = None) -> int | None:
        """Where an article sits in the list; scans pages, so only for the
        occasional jump (restoring the last article), not per keystroke."""
        if self._id_rows is not None:
            for i, r in enumerate(self._id_rows):
                if r.id == article_id:
                    return i
            return self._story_row.get(article_id, default)
        for page in range(0, (self.total + PAGE - 1) // PAGE):
            if page >= 10:  # deeper than 2,000 rows: not worth the start-up time
                break
            rows = self.row(page * PAGE) and self._pages[page]
            for off, r in enumerate(rows or ()):
                if r.id == article_id:
                    return page * PAGE + off
        return default

    def update_row(self, article_id: str, **changes) -> None:
        """Patch a cached row in place (star/read) without re-querying."""
        from dataclasses import replace

        pools = [self._id_rows] if self._id_rows is not None else list(self._pages.values())
        before = None
        for rows in pools:
            for i, r in enumerate(rows):
                if r.id == article_id:
                    before = before or r
                    rows[i] = replace(r, **changes)
        story = self._story_of.get(article_id)
        if story is not None and before is not None and "read" in changes and changes["read"] != before.read:
            # The story row's unread count follows (a member may be read from the reader).
            self._story_unread[story] = max(self._story_unread.get(story, 0) + (-1 if changes["read"] else 1), 0)
        self.refresh()

    @property
    def current_row(self) -> ArticleRow | None:
        return self.row(self.cursor)

    # -- cursor -------------------------------------------------------------
    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, self.total - 1)) if self.total else 0

    def watch_cursor(self, old: int, new: int) -> None:
        top = round(self.scroll_y)
        self._scroll_cursor_visible()
        if round(self.scroll_y) == top:
            width = self.size.width
            self.refresh(Region(0, old - top + 1, width, 1), Region(0, new - top + 1, width, 1))
        else:
            self.refresh()
        self.post_message(self.Highlighted(self.row(new), moved=not self._loading))

    def _scroll_cursor_visible(self) -> None:
        height = self.scrollable_content_region.height - 1  # minus the header line
        if height <= 0:
            return
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = self.total - 1

    def action_page_down(self) -> None:
        self.cursor += max(1, self.scrollable_content_region.height - 2)

    def action_page_up(self) -> None:
        self.cursor -= max(1, self.scrollable_content_region.height - 2)

    def action_open(self) -> None:
        row = self.current_row
        if row is not None:
            self.post_message(self.Opened(row.id))

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:  # the header line
            return
        index = round(self.scroll_y) + event.y - 1
        if 0 <= index < self.total:
            self.cursor = index
            if event.chain >= 2:
                self.action_open()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.total + 1)

    # -- rendering ----------------------------------------------------------
    def _columns(self, width: int) -> tuple[int, int, int]:
        """(date width, source width, title width) for the space available."""
        date_w, source_w = self._view_columns(width)
        rest = width - MARK_W - (date_w + 1 if date_w else 0)
        title_w = rest - (source_w + 1 if source_w else 0)
        return date_w, source_w, max(title_w, 1)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        date_w, source_w, title_w = self._columns(width)
        if y == 0:
            base = self.rich_style
            style = self.get_component_rich_style("article-list--header")
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append(" " * MARK_W)
            if date_w:
                text.append("date".ljust(date_w) + " ")
            if source_w:
                text.append("source".ljust(source_w) + " ")
            text.append("title")
            return self._strip(text, width, base + style)
        index = round(self.scroll_y) + y - 1
        row = self.row(index)
        if row is None:
            return Strip.blank(width, self.rich_style)
        place = self.place(index)
        key = (index, row, index == self.cursor, width, self.has_focus, place,
               self._story_unread.get(place.story) if place else None, date_w, source_w)
        strip = self._lines.get(key)
        if strip is None:
            if len(self._lines) > 2000:
                self._lines.clear()
            strip = self._lines[key] = self._render_row(row, index, width, date_w, source_w,
                                                        title_w, self.rich_style)
        return strip

    def _render_row(self, row: ArticleRow, index: int, width: int, date_w: int, source_w: int,
                    title_w: int, base: Style) -> Strip:
        dim = self.get_component_rich_style("article-list--dim")
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("★" if row.starred else " ", self.get_component_rich_style("article-list--star"))
        text.append("●" if not row.read else " ", self.get_component_rich_style("article-list--star"))
        if date_w:
            shown = short_date(row.date) if date_w == SHORT_DATE_W else (row.date or "")[:date_w]
            text.append(shown.ljust(date_w) + " ", dim)
        if source_w:
            text.append_text(_cell(_outlet(row.source or "", source_w), source_w, dim))
            text.append(" ")
        title_style = self.get_component_rich_style("article-list--unread") if not row.read else Style()
        place = self.place(index)
        # A story row's tail: its other versions, then how many of all its
        # versions are unread (marked as rows mark theirs: a read story row may
        # still hide unread versions). Dropped whole when the title needs the room.
        tail: list[tuple[str, Style]] = []
        if place is not None and place.depth:
            text.append("  ")
            title_w = max(title_w - 2, 1)
        elif place is not None and place.size > 1:
            marker = "▾" if place.story in self.expanded else "▸"
            tail.append((f" {marker} +{place.size - 1}", dim))
            unread = self._story_unread.get(place.story, 0)
            if unread:
                tail.append((f" ●{unread}", self.get_component_rich_style("article-list--unread")))
        tail_w = sum(len(t) for t, _ in tail)
        if tail and title_w > tail_w + 8:
            text.append_text(_cell(row.title, title_w - tail_w, title_style))
            for part, style in tail:
                text.append(part, style)
        else:
            text.append_text(_cell(row.title, title_w, title_style))
        cursor = None
        if index == self.cursor:
            cursor = self.get_component_rich_style("article-list--cursor")
        return self._strip(text, width, base, cursor)

    def _strip(self, text: Text, width: int, style: Style, post: Style | None = None) -> Strip:
        text.truncate(width, overflow="ellipsis", pad=True)
        segments = list(text.render(self.app.console))
        segments = list(Segment.apply_style(segments, style, post))
        return Strip(segments, width).crop(0, width)

    def scroll_to_row(self, index: int) -> None:
        self.cursor = index


def short_date(iso: str | None, this_year: int | None = None) -> str:
    """"3 Dec" for a date of this year, "Mar 2023" for another; "" when undated
    or not an ISO date."""
    if not iso or len(iso) < 7 or not (iso[:4].isdigit() and iso[5:7].isdigit()):
        return ""
    year, month = int(iso[:4]), int(iso[5:7])
    if not 1 <= month <= 12:
        return ""
    if this_year is None:
        this_year = datetime.date.today().year
    if year == this_year and len(iso) >= 10 and iso[8:10].isdigit():
        return f"{int(iso[8:10])} {MONTHS[month - 1]}"
    return f"{MONTHS[month - 1]} {year}"


def _cell(value: str, width: int, style: Style) -> Text:
    """One cell of exactly ``width`` terminal cells: untrusted text on one line,
    cut with an ellipsis, padded (Rich measures in cells: wide CJK counts two)."""
    t = Text(for_columns(value), style=style, no_wrap=True, overflow="ellipsis")
    t.truncate(width, overflow="ellipsis", pad=True)
    return t


def _outlet(name: str, width: int) -> str:
    """An outlet's name for a column of ``width`` cells: a leading "The " goes
    when the name would be cut ("Guardian", not "The Gua…")."""
    if cell_len(for_columns(name)) > width and name[:4].casefold() == "the " and len(name) > 4:
        return name[4:]
    return name
