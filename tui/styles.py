"""Rich styles for highlights inside article text.

Entity chips carry their own foreground and background so they read the same
on dark and light themes (a bare colour legible on black is often not on white).
"""

from __future__ import annotations

from rich.style import Style

ENTITY_TYPES = ("person", "organization", "place", "group", "event", "other")

TYPE_LABELS = {
    "person": "People",
    "organization": "Organizations",
    "place": "Places",
    "group": "Groups",
    "event": "Events",
    "other": "Other",
}

_CHIP = {
    "person": "#f6c1d4",
    "organization": "#bcd9f5",
    "place": "#c5e8bf",
    "group": "#f3dfa6",
    "event": "#dccaf2",
    "other": "#dadada",
}

ENTITY_STYLES = {t: Style(color="#1b1b1b", bgcolor=bg) for t, bg in _CHIP.items()}
# The entity chosen in the sidebar: its mentions stand out from the other chips.
FOCUS_ENTITY = Style(color="#ffffff", bgcolor="#8e2453", bold=True, underline=True)
SEARCH_TERM = Style(color="#1b1b1b", bgcolor="#ffd54a", bold=True)
CURRENT_MATCH = Style(color="#ffffff", bgcolor="#d84315", bold=True)


def entity_style(kind: str) -> Style:
    return ENTITY_STYLES.get(kind, ENTITY_STYLES["other"])

# A saved highlight: a marker-pen background that reads on dark and light themes;
# one whose note exists is underlined too. The selection being made is reversed.
HIGHLIGHT = Style(color="#1b1b1b", bgcolor="#b8f0a8")
HIGHLIGHT_NOTED = Style(color="#1b1b1b", bgcolor="#b8f0a8", underline=True)
SELECTION = Style(color="#ffffff", bgcolor="#1565c0", bold=True)
