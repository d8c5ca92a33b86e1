"""Named entities: who and what each article is about, named the same way library-wide.

Importing this package never imports spaCy (only ``.extract`` does, when the
entity stage actually has text to read), so the TUI and the read-only
commands can use every query here for free.
"""

from __future__ import annotations

from . import schema  # noqa: F401  (registers the entity tables with the store)
from .api import (
    FIELD_SEP,
    EntityError,
    EntityInfo,
    EntityRef,
    article_entities,
    entity_articles,
    find_entity,
    index_fields,
    library_entities,
)
from .names import TYPES
from .stage import correct, refresh, run_stage

__all__ = [
    "FIELD_SEP", "TYPES", "EntityError", "EntityInfo", "EntityRef", "article_entities", "correct",
    "entity_articles", "find_entity", "index_fields", "library_entities", "refresh", "run_stage",
]
