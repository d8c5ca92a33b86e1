"""The baseline: SQLite FTS5 with the porter tokenizer, stdlib sqlite3 only."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from articles.model import Draft, article_id

from .queries import BenchQuery

_SNIPPET_TOKENS = 32  # about the 220 characters Newsdesk's snippets hold


class Fts:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.conn = sqlite3.connect(str(self.path))

    def create(self) -> None:
        c = self.conn
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("DROP TABLE IF EXISTS fts")
        c.execute("CREATE VIRTUAL TABLE fts USING fts5(id UNINDEXED, title, body, source, "
                  "date UNINDEXED, tokenize='porter unicode61')")
        # The same title boost Newsdesk uses (2.0).
        c.execute("INSERT INTO fts(fts, rank) VALUES('rank', 'bm25(0, 2.0, 1.0, 1.0, 0)')")
        c.commit()

    def add(self, drafts: Sequence[Draft]) -> float:
        """Insert the drafts in one transaction; returns the seconds it took."""
        t0 = time.perf_counter()
        with self.conn:
            self.conn.executemany(
                "INSERT INTO fts(id, title, body, source, date) VALUES (?,?,?,?,?)",
                ((article_id(d.origin), d.title, d.body, d.source, d.date) for d in drafts))
        return time.perf_counter() - t0

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM fts").fetchone()[0]

    def search(self, q: BenchQuery, limit: int = 20) -> tuple[int, list[tuple]]:
        """Total matches and the first ``limit`` hits with snippets, as Newsdesk returns them."""
        where, args = "fts MATCH ?", [q.fts]
        if q.date_from:
            where += " AND date >= ? AND date <= ?"
            args += [q.date_from, q.date_to]
        total = self.conn.execute(f"SELECT count(*) FROM fts WHERE {where}", args).fetchone()[0]
        hits = self.conn.execute(
            f"SELECT id, title, source, date, snippet(fts, 2, '\x02', '\x03', ' … ', "
            f"{_SNIPPET_TOKENS}) FROM fts WHERE {where} ORDER BY rank LIMIT ?",
            [*args, limit]).fetchall()
        return total, hits

    def close(self) -> None:
        self.conn.close()
