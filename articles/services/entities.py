"""Named entities: who and what each article is about, named the same way library-wide.

The use cases over the entity tables (``articles.store.entities``): reading an
article's entities and the library's, finding one by name or alias, the
index's entity fields, and the user's corrections (merge, rename, retype,
hide, unhide), which keep winning over every automatic decision. The entity
stage that extracts new text is ``entity_stage``.

Importing this never imports spaCy, so the TUI and the read-only commands can
use every query here for free.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from ..analysis.entities import names
from ..model import Progress
from ..store import Store
from ..store.entities import cache, queries, upkeep
from ..store.entities.queries import FIELD_SEP, EntityInfo, EntityRef

__all__ = ["FIELD_SEP", "EntityError", "EntityInfo", "EntityRef", "SyncIndex", "article_entities",
           "correct", "entities_read", "entity_articles", "find_entity", "index_fields", "library_entities", "refresh"]

# Brings the search index up to date with the store's outbox (services/indexing's sync).
SyncIndex = Callable[[Progress | None], object]
CORRECTIONS = ("merge", "rename", "retype", "hide", "unhide")


class EntityError(ValueError):
    """A correction that cannot be made, said plainly."""


def article_entities(store: Store, article_id: str) -> list[EntityRef]:
    """The article's visible entities, by type, then most mentioned first."""
    return queries.article_entities(store.conn, article_id)


def entities_read(store: Store, article_id: str) -> bool:
    """Whether the entity stage has read this article's current text."""
    return cache.text_read(store.conn, article_id)


def entity_articles(store: Store, entity_id: int) -> list[str]:
    """Ids of the articles mentioning the entity (under any of its names), newest first."""
    return queries.entity_articles(store.conn, entity_id)


def library_entities(store: Store, type: str | None = None, limit: int | None = None,
                     include_hidden: bool = False) -> list[EntityInfo]:
    """Every entity with its article and mention counts, most widespread first
    (ValueError for a type that is none)."""
    return queries.library_entities(store.conn, type=type, limit=limit, include_hidden=include_hidden)


def find_entity(store: Store, ref: str | int) -> EntityInfo | None:
    """By id, or by name or alias; the most widespread when a spelling is several entities'."""
    return queries.find_entity(store.conn, ref)


def index_fields(store: Store, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """Each article's text for the index's entity fields."""
    return queries.index_fields(store.conn, ids)


def refresh(store: Store, sync_index: SyncIndex, lock: AbstractContextManager, full: bool = False,
            progress: Progress | None = None) -> int:
    """Bring the entity tables up to date (no spaCy): the dirty articles and
    whatever they and the corrections reach, or everything with ``full``.
    Queues the articles whose entity fields changed and syncs the index.
    ``lock`` is the library's writer lock, held while the tables change.
    Returns how many articles' fields changed."""
    if progress:
        progress(0, 1, "linking entities")
    with lock, store.transaction():
        changed = upkeep.update(store.conn, full=full)
        store.enqueue(changed)
    if progress:
        progress(1, 1, "linking entities")
    # The articles whose entity fields changed go back to the index: its own bar.
    sync_index(progress)
    return len(changed)


def correct(store: Store, sync_index: SyncIndex, lock: AbstractContextManager, action: str, ref: str | int,
            value: str | int | None = None) -> EntityInfo | None:
    """Record a user correction, apply it, and return the entity as it now stands
    (None when it is gone, merged into another). EntityError when it cannot be made."""
    conn = store.conn
    with lock, store.transaction():
        info, key = _require(store, ref)
        queries.add_rule(conn, action, key, _checked_value(store, info, action, value))
    refresh(store, sync_index, lock)
    eid = queries.entity_id_of_key(conn, key)
    return queries.entity_info(conn, eid) if eid is not None else None


def _require(store: Store, ref: str | int) -> tuple[EntityInfo, str]:
    info = find_entity(store, ref)
    if info is None:
        raise EntityError(f"no entity called {ref!r}")
    return info, queries.entity_key(store.conn, info.entity_id)


def _checked_value(store: Store, info: EntityInfo, action: str, value: str | int | None) -> str | None:
    """The value a correction records: the other entity's key (merge), the new
    name (rename), the type (retype), nothing (hide, unhide)."""
    if action == "merge":
        other, other_key = _require(store, value)
        if other.entity_id == info.entity_id:
            raise EntityError(f"{info.name!r} and {other.name!r} are already one entity")
        return other_key
    if action == "rename":
        name = names.display(str(value or ""))
        if not name or not names.key(name):
            raise EntityError("the new name is empty")
        clash = find_entity(store, name)
        if clash is not None and clash.entity_id != info.entity_id:
            raise EntityError(f"{name!r} is already the entity {clash.name!r} ({clash.type}); "
                              f"merge them instead")
        return name
    if action == "retype":
        try:
            return names.normalise_type(str(value))
        except ValueError as exc:
            raise EntityError(str(exc)) from exc
    if action not in CORRECTIONS:
        raise EntityError(f"unknown correction {action!r}")
    return value
