"""The entity queries stories, quotes, related articles and dossiers share:
an article's entities, a name's entity (a surname answers for the person), an
entity's articles.  Straight calls into the entity functions that take a
connection; the one case taken for "no entities" is a library without the
entity tables (a read-only library made before them), never any other error.
"""

from __future__ import annotations

import sqlite3

from ..store.entities import queries as entities
from ..store import Store


def article_refs(store: Store, aid: str) -> list:
    """The article's EntityRefs ([] when the entity stage has not run on it)."""
    try:
        return entities.article_entities(store.conn, aid)
    except sqlite3.OperationalError:  # no entity tables in this library
        return []


def entity_ids(store: Store, aid: str) -> set | None:
    """The article's entity ids, or None when the entity stage has not run for it."""
    ids = {r.entity_id for r in article_refs(store, aid) if r.type != "other"}
    return ids or None


def entity_articles(store: Store, entity_id) -> list[str]:
    try:
        return entities.entity_articles(store.conn, entity_id)
    except sqlite3.OperationalError:
        return []


def find_entity(store: Store, name: str):
    """EntityInfo for a name or alias, or None (also when there are no entities)."""
    try:
        info = entities.find_entity(store.conn, name)
    except sqlite3.OperationalError:
        return None
    if info is not None or not name.strip():
        return info
    return _by_part_of_name(store, name.strip())


def _by_part_of_name(store: Store, name: str):
    """``Chang`` -> Gordon Chang, ``Maxwell`` -> David Maxwell: a surname (or the
    family name first, ``Kim``) answers for the most widespread entity whose
    name ends (or starts) with it; people and organisations only."""
    try:
        infos = entities.library_entities(store.conn)
    except sqlite3.OperationalError:
        return None
    want = name.casefold()
    best = None
    for info in infos:
        if info.type not in ("person", "organization"):
            continue
        spellings = [info.name, *info.aliases]
        if any(s.casefold().endswith(" " + want) or s.casefold().startswith(want + " ") for s in spellings):
            if best is None or (info.articles, info.mentions) > (best.articles, best.mentions):
                best = info
    return best
