"""How the terminal's columns are shared between the panes.

The reader's text keeps a readable measure; the list gets what the text does
not need (up to what its titles ask for), then the sidebar. Before this the
list was 42 columns at any width: at 200 columns titles were cut at 26
characters while 50 columns beside the 80-column text stayed blank.
"""

from __future__ import annotations

from dataclasses import dataclass

NARROW = 100  # below this the sidebar takes the list's place when shown
NARROW_LIST = 32
NARROW_SIDEBAR = 28
LIST_MIN = 32
READER_CHROME = 5  # the reader's padding (2 + 2) and its scrollbar
MEASURE_MAX = 88  # the longest line of text worth reading
MEASURE_FULL = 96  # what the text may grow to when nothing else wants the room
SIDEBAR_MAX = 40

# (columns left for list + reader, text measure): the measure grows with the
# terminal, more slowly than the list does at first, reaching MEASURE_MAX.
_MEASURE_AT = ((76, 38), (96, 43), (168, 82), (200, MEASURE_MAX))


@dataclass(frozen=True)
class PaneWidths:
    list: int  # the left column (list, search, feeds), its border included
    sidebar: int  # 0 when hidden
    measure: int  # the reader's longest line


def sidebar_width(width: int) -> int:
    # 24 at 120 columns: wider would take the outlet column from a dated list.
    return max(24, min(36, round(width * 0.16)))


def _measure(room: int) -> int:
    pts = _MEASURE_AT
    if room <= pts[0][0]:
        return pts[0][1]
    for (a, ma), (b, mb) in zip(pts, pts[1:]):
        if room <= b:
            return round(ma + (mb - ma) * (room - a) / (b - a))
    return MEASURE_MAX


def pane_widths(width: int, sidebar: bool, list_wanted: int = 0) -> PaneWidths:
    """Widths for a terminal ``width`` wide, the sidebar shown or not, and a
    list whose content asks for ``list_wanted`` columns (0: unknown)."""
    if width < NARROW:
        # The sidebar, when shown, replaces the list (see the app's layout).
        return PaneWidths(NARROW_LIST, NARROW_SIDEBAR if sidebar else 0, MEASURE_FULL)
    side = sidebar_width(width) if sidebar else 0
    room = width - side
    measure = _measure(room)
    reader = measure + READER_CHROME
    lst = max(room - reader, LIST_MIN)
    if list_wanted and lst > list_wanted + 1:
        # Titles are whole with room to spare: the text may widen, then the sidebar.
        spare = lst - max(list_wanted + 1, LIST_MIN)
        grow = min(spare, max(MEASURE_FULL - measure, 0))
        measure += grow
        spare -= grow
        lst -= grow
        if sidebar:
            more = min(spare, SIDEBAR_MAX - side)
            side += more
            lst -= more
    measure = min(measure, width - side - lst - READER_CHROME)
    return PaneWidths(lst, side, measure)
