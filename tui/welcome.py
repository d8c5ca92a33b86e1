"""What the first screen says about the library: a sample library, or an empty
one, and how to bring articles in (the palette's Import, or ``newsdesk add``)."""

from __future__ import annotations

IMPORT_HOW = "Import your own: ctrl+p → Import files…, or run `newsdesk add FILES…` in a shell."


def welcome(library) -> str | None:
    """The line to show while the library is empty or holds only the samples; else None."""
    samples = library.only_samples()
    if samples is None:
        return f"This library is empty. {IMPORT_HOW}"
    if samples:
        return (f"You are looking at {library.count()} sample articles shipped with Newsdesk "
                f"(invented news, to try it on). {IMPORT_HOW}")
    return None
