"""The entity tables in the library store (``ENTITIES_SCHEMA``, applied at every
open from the store's ordered schema list), and the layout of their derived part.

``entity_cache`` holds what spaCy found, keyed by body hash, so unchanged text is
never run through the model twice. Everything else (entities, aliases,
mentions) is derived from the cache plus ``entity_rules`` (the user's
corrections) and can be rebuilt at any time without spaCy.
"""

from __future__ import annotations

import sqlite3

ENTITIES_SCHEMA = """
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
    PRIMARY KEY (article_id, start, end)  -- a name inside a longer one may start with it
);
CREATE INDEX IF NOT EXISTS entity_mentions_entity ON entity_mentions(entity_id, article_id);
-- What the incremental refresh keeps so that one new article, or one
-- correction, costs work in proportion to what it touches:
-- each cleaned and resolved mention with the group (matching key) it joins;
CREATE TABLE IF NOT EXISTS entity_spans (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    label TEXT NOT NULL,
    key TEXT NOT NULL,
    grp TEXT NOT NULL,
    short INTEGER NOT NULL,
    the_prefix INTEGER NOT NULL,
    conf REAL NOT NULL DEFAULT 0.5,  -- how sure, 0..1 (resolve.article_types)
    title TEXT,                      -- title or role written before the name ("Constable")
    PRIMARY KEY (article_id, start, end)
);
CREATE INDEX IF NOT EXISTS entity_spans_grp ON entity_spans(grp, article_id);
-- per group, its votes and counts, the person it is a surname of (link) and
-- the entity it ends up in after corrections;
CREATE TABLE IF NOT EXISTS entity_groups (
    key TEXT PRIMARY KEY,
    ntok INTEGER NOT NULL,
    first TEXT NOT NULL,
    last TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    articles INTEGER NOT NULL,
    stats TEXT NOT NULL,          -- JSON {"surfaces": {..}, "the": 0|1, "keys": [..]}
    link TEXT,
    entity_key TEXT
);
CREATE INDEX IF NOT EXISTS entity_groups_first ON entity_groups(first, ntok);
CREATE INDEX IF NOT EXISTS entity_groups_last ON entity_groups(last, ntok);
CREATE INDEX IF NOT EXISTS entity_groups_entity ON entity_groups(entity_key);
CREATE INDEX IF NOT EXISTS entity_groups_link ON entity_groups(link);
-- per cleaned key, how many articles tag it a place or a person (the
-- library-wide evidence short-form resolution consults), and which
-- articles consulted it, to resolve again when that evidence flips;
CREATE TABLE IF NOT EXISTS entity_keys (
    key TEXT PRIMARY KEY,
    place INTEGER NOT NULL DEFAULT 0,
    person INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entity_probes (
    key TEXT NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (key, article_id)
);
-- per article, what it contributed (no foreign key: a deleted article's row
-- says what to take back);
CREATE TABLE IF NOT EXISTS entity_done (
    article_id TEXT PRIMARY KEY,
    body_hash TEXT NOT NULL,
    contrib TEXT NOT NULL         -- JSON {"place": [..], "person": [..], "groups": [..], "probes": [..]}
);
-- and the articles to look at again, filled by triggers so nobody scans the library.
CREATE TABLE IF NOT EXISTS entity_dirty (article_id TEXT PRIMARY KEY);
CREATE TRIGGER IF NOT EXISTS entity_dirty_insert AFTER INSERT ON articles
BEGIN INSERT OR IGNORE INTO entity_dirty(article_id) VALUES (NEW.id); END;
CREATE TRIGGER IF NOT EXISTS entity_dirty_update AFTER UPDATE OF body_hash ON articles
WHEN OLD.body_hash IS NOT NEW.body_hash
BEGIN INSERT OR IGNORE INTO entity_dirty(article_id) VALUES (NEW.id); END;
CREATE TRIGGER IF NOT EXISTS entity_dirty_delete AFTER DELETE ON articles
BEGIN INSERT OR IGNORE INTO entity_dirty(article_id) VALUES (OLD.id); END;
-- The last replay of the corrections (JSON), to see which entities a new one changes.
CREATE TABLE IF NOT EXISTS entity_replay (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    result TEXT NOT NULL
);
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

# The derived tables' layout; a library of another one is derived again from
# the cache (no spaCy) at its next entity stage.
LAYOUT = "4"  # 3: per-article type in entity_spans.label; conf and title columns;
# 4: mentions keyed by (start, end): a name inside a longer one may start with it


def reset(conn: sqlite3.Connection) -> None:
    """Forget everything derived (entity ids stay, for stable ids) and mark every article dirty."""
    for table in ("entity_spans", "entity_groups", "entity_keys", "entity_probes", "entity_done",
                  "entity_state", "entity_mentions", "entity_aliases", "entity_replay"):
        conn.execute(f"DELETE FROM {table}")
    migrate(conn)
    conn.execute("INSERT OR IGNORE INTO entity_dirty(article_id) SELECT id FROM articles")
    conn.execute("INSERT INTO meta(key, value) VALUES('entity_layout', ?) "
                 "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (LAYOUT,))


def migrate(conn: sqlite3.Connection) -> None:
    """Columns and keys later layouts gave the derived tables of an older library
    (called by reset, with the tables empty)."""
    for table in ("entity_spans", "entity_mentions"):
        keyed = {r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[5]}
        if keyed and "end" not in keyed:
            # Layout 4 keys mentions by (start, end); derived rows only, rebuilt from the cache.
            conn.execute(f"DROP TABLE {table}")
    if any(conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (t,)).fetchone() is None
           for t in ("entity_spans", "entity_mentions")):
        for stmt in ENTITIES_SCHEMA.split(";"):
            if "entity_spans" in stmt or "entity_mentions" in stmt:
                if stmt.strip().startswith("CREATE"):
                    conn.execute(stmt)
    cols = {r[1] for r in conn.execute("PRAGMA table_info(entity_spans)")}
    for col, decl in (("conf", "REAL NOT NULL DEFAULT 0.5"), ("title", "TEXT")):
        if col not in cols:
            conn.execute(f"ALTER TABLE entity_spans ADD COLUMN {col} {decl}")


def needs_rebuild(conn: sqlite3.Connection) -> bool:
    """True for a library whose entity tables predate incremental upkeep (or were never built)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'entity_layout'").fetchone()
    return row is None or row[0] != LAYOUT
