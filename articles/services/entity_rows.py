"""The rows `newsdesk entities` lists: the library's entities, or one article's
with the library-wide counts and other names of each beside its own count."""

from __future__ import annotations

from ..store import LibraryError, Store
from .entities import article_entities, library_entities


def entity_rows(store: Store, article_id: str | None = None, type: str | None = None,
                limit: int | None = None) -> list[dict]:
    """One dict per entity, most articles first (an article's: by type, most
    mentioned first): ``{"id", "name", "type", "articles", "mentions", "aliases",
    "confidence", ...}``; ``type`` keeps one type, ``limit`` the first rows."""
    try:
        if article_id is None:
            return [e.to_json() for e in library_entities(store, type=type, limit=limit)]
        refs = article_entities(store, article_id)
        infos = {e.entity_id: e for e in library_entities(store, include_hidden=True)} if refs else {}
    except ValueError as exc:  # an unknown type
        raise LibraryError(str(exc)) from exc
    rows = [{"id": r.entity_id, "name": r.name, "type": r.type, "count": r.count,
             "articles": infos[r.entity_id].articles if r.entity_id in infos else 1,
             "mentions": r.count,
             "aliases": infos[r.entity_id].aliases if r.entity_id in infos else [],
             "confidence": r.confidence, "sure": r.sure, "titles": r.titles}
            for r in refs if type is None or r.type == type]
    return rows if limit is None else rows[:limit]
