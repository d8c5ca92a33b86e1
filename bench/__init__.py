"""The Newsdesk benchmark: `uv run python -m bench [--articles N]`.

Builds libraries from the shared BBC corpus replicated to N articles (cached
under /tmp), measures import, search, start-up and memory, and measures SQLite
FTS5 on the same articles and queries in the same run as a baseline.
"""
