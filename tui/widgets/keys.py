"""Bindings every option list shares; ids carry the list's prefix so each list
can be remapped on its own from the config file."""

from __future__ import annotations

from textual.binding import Binding


def list_bindings(prefix: str, *, jumps: bool = True) -> list[Binding]:
    """j/k to move, and g/G to the first/last entry when ``jumps``."""
    keys = [
        Binding("j", "cursor_down", "Down", show=False, id=f"{prefix}.down"),
        Binding("k", "cursor_up", "Up", show=False, id=f"{prefix}.up"),
    ]
    if jumps:
        keys += [
            Binding("g", "first", "First", show=False, id=f"{prefix}.first"),
            Binding("G", "last", "Last", show=False, id=f"{prefix}.last"),
        ]
    return keys
