"""What the first screen says about the library: a sample library, or an empty
one, and how to bring articles in (the palette's Import, or ``newsdesk add``)."""

from __future__ import annotations

IMPORT_HOW = "Import your own: ctrl+p → Import files…, or run `newsdesk add FILES…` in a shell."


def welcome(library) -> str | None:
    """The line to show while the library is empty or holds only the samples; else None."""
    conn = library.store.conn
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    if total == 0:
        return f"This library is empty. {IMPORT_HOW}"
    own = conn.execute("SELECT 1 FROM articles WHERE origin NOT LIKE 'sample:%' LIMIT 1").fetchone()
    if own is None:
        return (f"You are looking at {total} sample articles shipped with Newsdesk "
                f"(invented news, to try it on). {IMPORT_HOW}")
    return None
