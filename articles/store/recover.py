"""Recovering a damaged store: the record of truth must not lock the user out.

Two sources: the rolling backups (``backup.py``), and whatever SQLite can still
read from the damaged file, table by table and row by row (the Python module has
no ``.recover``; a salvage copy of every readable row is the same idea). When
the salvage read everything, it is the newest copy and is used; otherwise the
newest backup that passes SQLite's integrity check is restored and the articles
salvaged from the damaged file that it lacks are put back into it. Whatever was
in the damaged file and is in neither is named as lost. The damaged file is never
deleted: it is moved aside beside the store.

Runs on a closed store (before the library opens it); nothing here knows the
index, which the library rebuilds from the recovered store.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from .backup import backups

__all__ = ["Recovery", "store_damage", "recover_store"]


@dataclass
class Recovery:
    """What ``recover_store`` did, to tell the user."""

    source: str  # "salvage" | "backup" | "empty"
    backup: Path | None = None  # the backup restored from
    kept_damaged: Path | None = None  # where the damaged file now is
    articles: int = 0  # articles in the recovered store
    salvaged: int = 0  # articles read from the damaged file
    put_back: int = 0  # salvaged articles added to a restored backup
    lost: list[tuple[str, str]] = field(default_factory=list)  # (id, title) known lost
    unreadable: list[str] = field(default_factory=list)  # tables (partly) unreadable

    def lines(self) -> list[str]:
        out = []
        if self.source == "salvage":
            out.append(f"recovered the store from the damaged file itself ({self.articles} articles)")
        elif self.source == "backup":
            out.append(f"restored the store from the backup {self.backup.name} ({self.articles} articles"
                       + (f", {self.put_back} more salvaged from the damaged file" if self.put_back else "")
                       + ")")
        else:
            out.append("nothing could be read from the damaged store and there is no good backup: "
                       "started an empty store")
        if self.unreadable:
            out.append("unreadable in the damaged file: " + ", ".join(self.unreadable)
                       + ("; articles saved there after the backup may be lost (how many cannot be known)"
                          if "articles" in self.unreadable and not self.lost else ""))
        if self.lost:
            shown = "; ".join(f"{i} {t!r}" for i, t in self.lost[:10])
            more = f" and {len(self.lost) - 10} more" if len(self.lost) > 10 else ""
            out.append(f"lost {len(self.lost)} article(s): {shown}{more}")
        elif self.source != "empty" and not self.unreadable:
            out.append("no article was lost")
        if self.kept_damaged is not None:
            out.append(f"the damaged file is kept as {self.kept_damaged.name}")
        return out


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
    return sqlite3.connect(str(path), isolation_level=None)


def store_damage(db: Path, full: bool = False) -> str | None:
    """Why the store at ``db`` is damaged (SQLite's own words), or None if it is fine
    or absent. Reads only."""
    if not db.is_file():
        return None
    try:
        con = _connect(db, read_only=True)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        # quick_check does not compare an index with its table: a flipped byte
        # in an index of titles passes it, then every change fails as
        # "malformed"; a repair pays for the full check.
        found = [r[0] for r in con.execute("PRAGMA integrity_check" if full else "PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        con.close()
    return None if found == ["ok"] else "; ".join(found[:5])


def _good(path: Path) -> bool:
    try:
        con = _connect(path, read_only=True)
        try:
            return [r[0] for r in con.execute("PRAGMA integrity_check")] == ["ok"]
        finally:
            con.close()
    except sqlite3.Error:
        return False


def _salvage(damaged: Path, out: Path) -> tuple[list[str], list[tuple[str, str]], int]:
    """Copy every readable row of ``damaged`` into a new database at ``out``.
    Returns (tables that could not be read whole, (id, title) of every article
    known to have been there, articles whose rows were read)."""
    bad: list[str] = []
    dst = _connect(out)
    try:
        src = _connect(damaged, read_only=True)
    except sqlite3.Error:
        dst.close()
        return ["the whole file"], [], 0
    read: list[tuple[str, str]] = []
    named: list[tuple[str, str]] = []  # articles known only by name (their rows unreadable)
    try:
        try:
            schema = src.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                                 "AND name NOT LIKE 'sqlite_%'").fetchall()
        except sqlite3.DatabaseError:
            return ["the whole file"], [], 0
        tables = [(n, sql) for t, n, sql in schema if t == "table"]
        dst.execute("BEGIN")
        for name, sql in tables:
            try:
                dst.execute(sql)
            except sqlite3.Error:
                bad.append(name)
                continue
            try:
                cur = src.execute(f'SELECT * FROM "{name}"')
                cols = len(cur.description)
                insert = f'INSERT OR IGNORE INTO "{name}" VALUES ({", ".join("?" * cols)})'
                while True:
                    try:
                        rows = cur.fetchmany(500)
                    except sqlite3.DatabaseError:
                        bad.append(name)
                        break
                    if not rows:
                        break
                    dst.executemany(insert, rows)
            except sqlite3.DatabaseError:
                bad.append(name)
        for t, _n, sql in schema:  # indexes and triggers after the rows, as a dump does
            if t != "table":
                try:
                    dst.execute(sql)
                except sqlite3.Error:
                    pass  # rebuilt when the store opens (CREATE ... IF NOT EXISTS)
        dst.execute("COMMIT")
        try:
            read = [(r[0], r[1]) for r in dst.execute("SELECT id, title FROM articles")]
        except sqlite3.Error:
            read = []
        if "articles" in bad:
            # The table's pages are damaged, but the title order index holds every
            # article's title and id: enough to name what is lost.
            known = {i for i, _ in read}
            try:
                for title, aid in src.execute("SELECT title, id FROM articles INDEXED BY articles_sort_title"):
                    if aid not in known:
                        known.add(aid)
                        named.append((aid, title))
            except sqlite3.DatabaseError:
                pass
    finally:
        src.close()
        dst.close()
    return bad, read + named, len(read)


def _put_back(restored: Path, salvage: Path) -> int:
    """Add to ``restored`` the salvaged articles it lacks; how many."""
    con = _connect(restored)
    try:
        con.execute("ATTACH DATABASE ? AS salvage", (str(salvage),))
        try:
            cols = [r[1] for r in con.execute("PRAGMA main.table_info(articles)")]
            have = {r[1] for r in con.execute("PRAGMA salvage.table_info(articles)")}
        except sqlite3.Error:
            return 0
        cols = [c for c in cols if c in have]
        if "id" not in cols:
            return 0
        names = ", ".join(cols)
        con.execute("BEGIN")
        before = con.total_changes
        con.execute(f"INSERT OR IGNORE INTO main.articles({names}) SELECT {names} FROM salvage.articles")
        added = con.total_changes - before
        # The index and the other derived tables learn of them through the outbox.
        con.execute("INSERT OR IGNORE INTO main.index_queue(article_id) SELECT id FROM salvage.articles "
                    "WHERE id NOT IN (SELECT article_id FROM main.index_queue)")
        con.execute("COMMIT")
        return added
    finally:
        con.close()


def recover_store(db: Path) -> Recovery:
    """Replace the damaged store at ``db`` by the best copy that can be had (see
    the module's doc), keeping the damaged file beside it."""
    db = Path(db)
    folder = db.parent
    stamp = time.strftime("%Y%m%d-%H%M%S")
    salvage = folder / f"{db.name}.salvage-{os.getpid()}"
    salvage.unlink(missing_ok=True)
    bad, read, n_read = _salvage(db, salvage)
    rec = Recovery(source="salvage", salvaged=n_read, unreadable=bad)
    candidate = salvage
    if bad or not _good(salvage):
        good = [b for b in reversed(backups(folder)) if _good(b)]
        if good:
            rec.source, rec.backup = "backup", good[0]
            restored = folder / f"{db.name}.restore-{os.getpid()}"
            src, dst = _connect(good[0], read_only=True), _connect(restored)
            try:
                src.backup(dst)
            finally:
                src.close()
                dst.close()
            if n_read:
                rec.put_back = _put_back(restored, salvage)
            candidate = restored
        elif not n_read:
            rec.source = "empty"
    final_ids: set[str] = set()
    if rec.source != "empty":
        con = _connect(candidate, read_only=True)
        try:
            final_ids = {r[0] for r in con.execute("SELECT id FROM articles")}
        except sqlite3.Error:
            final_ids = set()
        finally:
            con.close()
    rec.articles = len(final_ids)
    rec.lost = [(i, t) for i, t in read if i not in final_ids]

    # Move the damaged file (and its log) aside, then put the recovered copy in place.
    kept = folder / f"{db.name}.damaged-{stamp}"
    if db.exists():
        os.replace(db, kept)
        rec.kept_damaged = kept
    for suffix in ("-wal", "-shm"):
        side = db.with_name(db.name + suffix)
        if side.exists():
            os.replace(side, kept.with_name(kept.name + suffix))
    if rec.source == "empty":
        salvage.unlink(missing_ok=True)
    else:
        os.replace(candidate, db)
    for leftover in (salvage, folder / f"{db.name}.restore-{os.getpid()}"):
        leftover.unlink(missing_ok=True)
    return rec


# -- text changed under the store --------------------------------------------------
# SQLite keeps no checksums of what rows hold: a flipped bit inside an article's
# text leaves a valid database. Every article carries the hash of its body, so
# the store can tell which texts no longer match it.


def altered_articles(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(id, title) of every article whose body no longer matches its stored hash."""
    from ..model import body_hash

    out = []
    # Read as bytes: a flipped bit can leave a text that is not UTF-8 any more.
    for aid, title, body, digest in conn.execute(
            "SELECT id, CAST(title AS BLOB), CAST(body AS BLOB), body_hash FROM articles"):
        text = (body or b"").decode("utf-8", errors="replace")
        name = (title or b"").decode("utf-8", errors="replace")
        if body_hash(text) != digest or "\ufffd" in name and name.encode() != title:
            out.append((aid, name))
    return out


def readable_text(conn: sqlite3.Connection, aid: str) -> tuple[str, str]:
    """(title, body) of an article as they now read, undecodable bytes replaced."""
    title, body = conn.execute("SELECT CAST(title AS BLOB), CAST(body AS BLOB) FROM articles WHERE id=?",
                               (aid,)).fetchone()
    return (title or b"").decode("utf-8", errors="replace"), (body or b"").decode("utf-8", errors="replace")


def restore_texts(conn: sqlite3.Connection, folder: Path, ids: list[str]) -> list[str]:
    """Put back, from the newest backup that holds it unchanged, the body (and
    title) of each article in ``ids``; queues them for the index. Returns the ids
    restored. Call inside a transaction."""
    from ..model import body_hash

    todo, done = set(ids), []
    for backup in reversed(backups(folder)):
        if not todo:
            break
        try:
            src = _connect(backup, read_only=True)
        except sqlite3.Error:
            continue
        try:
            marks = ",".join("?" * len(todo))
            rows = src.execute(f"SELECT id, title, body, body_hash FROM articles WHERE id IN ({marks})",
                               sorted(todo)).fetchall()
        except sqlite3.Error:
            rows = []
        finally:
            src.close()
        for aid, title, body, digest in rows:
            current = conn.execute("SELECT body_hash FROM articles WHERE id=?", (aid,)).fetchone()
            if aid in todo and current and digest == current[0] and body_hash(body or "") == digest:
                conn.execute("UPDATE articles SET title=?, body=? WHERE id=?", (title, body, aid))
                conn.execute("INSERT OR IGNORE INTO index_queue(article_id) VALUES (?)", (aid,))
                todo.discard(aid)
                done.append(aid)
    return done
