"""Articles found by a word written in their body (no search index needed:
quotes and dossiers work in a library whose index is missing or being built)."""

from __future__ import annotations

from collections.abc import Iterator


def ids_with_word(conn, word: str) -> list[str]:
    """Ids of the articles whose body contains ``word`` (any case, anywhere)."""
    return [r[0] for r in conn.execute("SELECT id FROM articles WHERE instr(lower(body), lower(?)) > 0",
                                       (word,))]


def bodies_with_word(conn, word: str) -> Iterator[tuple[str, str]]:
    """(id, body) of the articles whose body contains ``word`` (any case)."""
    yield from conn.execute("SELECT id, body FROM articles WHERE instr(lower(body), lower(?)) > 0", (word,))
