"""The entity tables (store layer: their schema and all their SQL).

- ``schema``: the tables, their layout and its migration;
- ``cache``: what spaCy found per body, and what waits to be derived;
- ``queries``: entities read back, and corrections recorded;
- ``upkeep``: the derived tables kept up to date, incrementally.

Only the schema is imported here (the store applies it at every open); the
other modules are imported by what uses them.
"""

from __future__ import annotations

from .schema import ENTITIES_SCHEMA

__all__ = ["ENTITIES_SCHEMA"]
