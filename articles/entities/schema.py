"""The entity tables in the library store (registered when this module is imported).

``entity_cache`` holds what spaCy found, keyed by body hash, so unchanged text is
never run through the model twice. Everything else (entities, aliases,
mentions) is derived from the cache plus ``entity_rules`` (the user's
corrections) and can be rebuilt at any time without spaCy.
"""

from __future__ import annotations

from ..store import EXTRA_SCHEMAS

SCHEMA = """
CREATE TABLE IF NOT EXISTS entity_cache (
    body_hash TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    spans TEXT NOT NULL,          -- JSON [[start, end, label, text], ...] as spaCy found them
    created REAL NOT NULL
);
-- Which body each article's mentions were derived from; an article whose
-- body_hash differs (or has no row) is pending.
CREATE TABLE IF NOT EXISTS entity_state (
    article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    body_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entities (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,     -- matching key of the name it was founded on; keeps ids stable
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    hidden INTEGER NOT NULL DEFAULT 0
);
-- Every spelling an entity goes by (its name included), for lookup and search.
CREATE TABLE IF NOT EXISTS entity_aliases (
    entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    alias_key TEXT NOT NULL,
    PRIMARY KEY (entity_id, alias)
);
CREATE INDEX IF NOT EXISTS entity_aliases_key ON entity_aliases(alias_key);
CREATE TABLE IF NOT EXISTS entity_mentions (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (article_id, start)
);
CREATE INDEX IF NOT EXISTS entity_mentions_entity ON entity_mentions(entity_id, article_id);
-- User corrections, replayed in order on every rebuild so they outlive
-- re-imports, reindexing and re-extraction. target/value hold entity keys
-- (merge), a new name (rename), a type (retype).
CREATE TABLE IF NOT EXISTS entity_rules (
    id INTEGER PRIMARY KEY,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    value TEXT,
    created REAL NOT NULL
);
"""

if SCHEMA not in EXTRA_SCHEMAS:
    EXTRA_SCHEMAS.append(SCHEMA)
