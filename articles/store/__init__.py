"""The SQLite store: the library's record of truth.

Everything a user makes (articles, read/star state, corrections) lives here.
The Whoosh index is derived from it: every change to an article also queues the
article's id in ``index_queue`` inside the same transaction, and the queue is
only emptied after the index has committed, so a crash between the two leaves
work to redo, never a silent disagreement.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..model import Article, Draft, article_id, body_hash
from ..text import safe_url
from .schema import apply_schemas

SCHEMA_VERSION = 1
_BULK_CHECKPOINT_PAGES = 10_000

_ARTICLE_COLS = (
    "id, origin, title, body, source, author, date, url, path, feed_id, "
    "body_hash, added_at, updated_at, read, starred"
)
_ROW_COLS = "id, title, source, date, read, starred, author, url"


class LibraryError(Exception):
    """A problem to tell the user in one sentence (no traceback).

    Defined here so that store failures (StoreError) are LibraryErrors too:
    every caller that reports LibraryError cleanly also reports a full disk or
    a read-only library cleanly, whichever module hit it."""


class StoreError(LibraryError):
    """A store problem worth a clear message (locked, read-only, full disk, not a library)."""


def friendly_error(exc: BaseException, what: str, path: Path | str | None = None) -> str:
    """One sentence for the user about an OS or SQLite failure while doing ``what``
    (``path``: where, so a vague SQLite I/O error can be told apart from a full disk)."""
    text = str(exc)
    low = text.lower()
    err = getattr(exc, "errno", None)
    if err == errno.ENOSPC or "disk is full" in low or "no space" in low or (
            "i/o error" in low and path is not None and _disk_full(Path(path))):
        return f"{what}: the disk is full; nothing already stored was lost"
    if err in (errno.EACCES, errno.EROFS, errno.EPERM) or "readonly" in low or "read-only" in low:
        return f"{what}: the library is read-only ({text})"
    if isinstance(exc, sqlite3.OperationalError) and "locked" in low:
        return f"{what}: the library is busy in another process; try again"
    if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in low or "malformed" in low):
        return f"{what}: {text} (the store is damaged: `newsdesk check --repair` recovers it)"
    return f"{what}: {text}"


def _disk_full(path: Path) -> bool:
    try:
        st = os.statvfs(path if path.is_dir() else path.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 256 * 1024


def _writable(db: Path) -> bool:
    """Whether this process may write the database and create files beside it
    (SQLite's log and lock files)."""
    return os.access(db, os.W_OK) and os.access(db.parent, os.W_OK | os.X_OK)


def _private_copy(db: Path, wal: Path) -> Path:
    """The database with its write-ahead log applied, in a private temporary
    folder (removed at exit), for reading a library that cannot be written."""
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="newsdesk-readonly-"))
    atexit.register(shutil.rmtree, folder, True)
    copy = folder / db.name
    shutil.copyfile(db, copy)
    shutil.copyfile(wal, folder / wal.name)
    conn = sqlite3.connect(str(copy))
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # fold the log into the copy
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    return copy


def _read_only_fs(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


@dataclass(frozen=True)
class ArticleRow:
    """What the article list needs: no body."""

    id: str
    title: str
    source: str | None
    date: str | None
    read: bool
    starred: bool
    author: str | None = None
    url: str | None = None

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "source": self.source, "date": self.date,
                "read": self.read, "starred": self.starred}


@dataclass
class UpsertResult:
    status: str  # "added" | "updated" | "unchanged" | "duplicate"
    id: str
    duplicate_of: str | None = None
    # Added with nothing queued for the index under this id before: the index
    # (which only holds what the store has or has queued) cannot have it.
    unindexed: bool = False


SORTS = {
    "date": "date IS NULL, date DESC, added_at DESC, id",
    "date-asc": "date IS NULL, date ASC, added_at ASC, id",
    "title": "title COLLATE NOCASE, id",
    "source": "source IS NULL, source COLLATE NOCASE, date DESC, id",
    "added": "added_at DESC, id",
}


def _to_article(r: sqlite3.Row | tuple) -> Article:
    return Article(
        id=r[0], origin=r[1], title=r[2], body=r[3], source=r[4], author=r[5], date=r[6],
        url=r[7], path=r[8], feed_id=r[9], body_hash=r[10], added_at=r[11],
        updated_at=r[12], read=bool(r[13]), starred=bool(r[14]),
    )


def _to_row(r) -> ArticleRow:
    return ArticleRow(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]), r[6], r[7])


class Store:
    def __init__(self, path: Path, *, timeout: float = 60.0):
        self.path = Path(path)
        self.read_only = False
        self.refusal: str | None = None  # why every change is refused, when it is not the read-only file
        try:
            if self.path.exists() and (_read_only_fs(self.path.parent) or not _writable(self.path)):
                self._open_read_only(timeout)
            else:
                self.conn = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None,
                                            check_same_thread=False)
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=FULL")
                self.conn.execute("PRAGMA foreign_keys=ON")
                apply_schemas(self.conn)
                self._set_version()
        except sqlite3.DatabaseError as exc:
            message = friendly_error(exc, f"cannot open the library store {self.path}", self.path)
            if "the disk is full" in message and not self.read_only and self.path.exists():
                # Opening for writing wants room (the log and its shared-memory
                # file); reading does not: open it as a read-only library, whose
                # every change is refused as the disk being full.
                if getattr(self, "conn", None) is not None:
                    self.conn.close()
                try:
                    self._open_read_only(timeout)
                except (sqlite3.DatabaseError, OSError):
                    pass
                else:
                    self.refusal = "the disk is full; nothing already stored was lost"
                    return
            raise StoreError(message) from exc

    def _open_read_only(self, timeout: float) -> None:
        """A library on a read-only file system, or in a folder we may not write
        to, can still be read: reading never needs to write. SQLite's WAL mode
        wants a shared-memory file beside the database, which cannot be created
        there, so the file is opened as immutable (nobody who could change it is
        expected to while we read; this process changes nothing). A write-ahead
        log left with commits in it (the writer was killed) would be ignored that
        way, so then the database and its log are read from a private copy."""
        target = self.path.resolve()
        wal = target.with_name(target.name + "-wal")
        try:
            pending_log = wal.stat().st_size > 0
        except OSError:
            pending_log = False
        if pending_log:
            target = _private_copy(target, wal)
        uri = target.as_uri() + "?mode=ro&immutable=1"
        self.conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None,
                                    check_same_thread=False)
        self.read_only = True
        self.conn.execute("SELECT count(*) FROM articles").fetchone()
        cur = self.meta_get("schema_version")
        if cur is not None and int(cur) > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer Newsdesk (schema {cur})")

    def _set_version(self) -> None:
        cur = self.meta_get("schema_version")
        if cur is None:
            self.meta_set("schema_version", str(SCHEMA_VERSION))
        elif int(cur) > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer Newsdesk (schema {cur})")

    def close(self) -> None:
        self.conn.close()
        if getattr(self, "_library_conn", None) is not None:
            self._library_conn.close()

    def use_private_copy(self) -> None:
        """For a read-only library: from now on read from an in-memory copy of
        the store, so that tables derived on the fly (stories, ...) can be
        brought up to date in it. The library's own file is never written; what
        is worked out is simply not kept."""
        if not self.read_only or getattr(self, "_library_conn", None) is not None:
            return
        mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        self.conn.backup(mem)
        # A library made before some derived tables existed gets them in the copy.
        apply_schemas(mem)
        self._library_conn, self.conn = self.conn, mem

    # -- transactions -------------------------------------------------------
    def transaction(self):
        return _Transaction(self.conn, self.refusal)

    @contextmanager
    def bulk_writes(self):
        """For a big import: let the write-ahead log grow to ~40 MB before
        SQLite copies it back into the database. Each import batch dirties
        index pages all over a big library, and copying them back after every
        commit (at SQLite's default of 1,000 pages) was almost half the
        time spent saving an import into 100,000 articles; between rarer copies the
        same pages are changed several times and copied once. Durability is
        unchanged: every commit is still synced to the log."""
        if self.read_only:
            yield
            return
        self.conn.execute(f"PRAGMA wal_autocheckpoint={_BULK_CHECKPOINT_PAGES}")
        try:
            yield
        finally:
            try:
                self.conn.execute("PRAGMA wal_autocheckpoint=1000")
            except sqlite3.Error:
                pass  # the import's own error says more

    # -- meta ---------------------------------------------------------------
    def meta_get(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def meta_set(self, key: str, value: str | None) -> None:
        if value is None:
            self.conn.execute("DELETE FROM meta WHERE key=?", (key,))
        else:
            self.conn.execute("INSERT INTO meta(key, value) VALUES(?, ?) "
                              "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    def library_token(self) -> str:
        """This library's own random token (made at its first open), which the
        search index is keyed with, so an index copied from elsewhere is refused."""
        token = self.meta_get("library_token")
        if token is None:
            import secrets

            token = secrets.token_hex(16)
            with self.transaction():
                self.meta_set("library_token", token)
        return token

    # -- articles -----------------------------------------------------------
    def upsert(self, draft: Draft, now: float | None = None, hash_: str | None = None) -> UpsertResult:
        """Insert or update one article; call inside a transaction.

        The origin decides identity (same file again -> update in place); the
        body hash catches the same text saved under another name (duplicate).
        Read and star state survive updates. ``hash_``: body_hash(draft.body)
        when the caller computed it already (the import's reader processes do).
        """
        now = time.time() if now is None else now
        h = hash_ or body_hash(draft.body)
        aid = article_id(draft.origin)
        c = self.conn
        existing = c.execute("SELECT id, body_hash, title, source, author, date, url, path, feed_id "
                             "FROM articles WHERE origin=?", (draft.origin,)).fetchone()
        # Only http(s) URLs are stored, whichever reader or feed the draft came from.
        values = (draft.title, draft.body, draft.source, draft.author, draft.date, safe_url(draft.url),
                  draft.path, draft.feed_id)
        if existing is None:
            if draft.feed_id is None:
                dup = c.execute("SELECT id FROM articles WHERE body_hash=? LIMIT 1", (h,)).fetchone()
            else:
                # A feed entry's identity is its guid/link: entries that share only a
                # teaser (their pages unreachable) are different articles.  The same
                # text is a duplicate only when it also has the entry's title or link.
                dup = c.execute("SELECT id FROM articles WHERE body_hash=? AND (title=? OR url=?) "
                                "LIMIT 1", (h, draft.title, safe_url(draft.url))).fetchone()
            if dup is not None:
                return UpsertResult("duplicate", dup[0], duplicate_of=dup[0])
            c.execute(f"INSERT INTO articles({_ARTICLE_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,0,0)",
                      (aid, draft.origin, *values, h, now, now))
            # A queued id may still be in the index: deleted, then added again.
            queued = c.execute("SELECT 1 FROM index_queue WHERE article_id=?", (aid,)).fetchone()
            c.execute("INSERT OR REPLACE INTO index_queue(article_id) VALUES (?)", (aid,))
            return UpsertResult("added", aid, unindexed=queued is None)
        aid = existing[0]
        if existing[1] == h and tuple(existing[2:]) == values[:1] + values[2:]:
            return UpsertResult("unchanged", aid)
        c.execute("UPDATE articles SET title=?, body=?, source=?, author=?, date=?, url=?, path=?, "
                  "feed_id=?, body_hash=?, updated_at=? WHERE id=?", (*values, h, now, aid))
        c.execute("INSERT OR REPLACE INTO index_queue(article_id) VALUES (?)", (aid,))
        return UpsertResult("updated", aid)

    def delete(self, ids: Iterable[str]) -> int:
        n = 0
        for aid in ids:
            n += self.conn.execute("DELETE FROM articles WHERE id=?", (aid,)).rowcount
            self.conn.execute("INSERT OR REPLACE INTO index_queue(article_id) VALUES (?)", (aid,))
        return n

    def get(self, aid: str) -> Article | None:
        r = self.conn.execute(f"SELECT {_ARTICLE_COLS} FROM articles WHERE id=?", (aid,)).fetchone()
        return _to_article(r) if r else None

    def by_article(self, select: str, ids) -> dict[str, list]:
        """Rows ``(article_id, value)`` of ``select`` for these ids, grouped by article
        in the query's order. ``select`` holds ``IN ({marks})``; the ids go 500 at a
        time (SQLite's limit on bound variables)."""
        out: dict[str, list] = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for aid, value in self.conn.execute(select.format(marks=",".join("?" * len(chunk))), chunk):
                out.setdefault(aid, []).append(value)
        return out

    def get_many(self, ids: Sequence[str]) -> dict[str, Article]:
        out: dict[str, Article] = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = f"SELECT {_ARTICLE_COLS} FROM articles WHERE id IN ({','.join('?' * len(chunk))})"
            for r in self.conn.execute(q, chunk):
                out[r[0]] = _to_article(r)
        return out

    def bodies(self, ids: Sequence[str]) -> dict[str, str]:
        ids = list(ids)
        if not ids:
            return {}
        q = f"SELECT id, body FROM articles WHERE id IN ({','.join('?' * len(ids))})"
        return dict(self.conn.execute(q, ids).fetchall())

    def resolve_id(self, prefix: str) -> list[str]:
        """Ids starting with ``prefix`` (users type short ids, like git)."""
        prefix = prefix.strip().lower()
        if not prefix or not all(ch in "0123456789abcdef" for ch in prefix):
            return []
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM articles WHERE id >= ? AND id < ? ORDER BY id LIMIT 5",
            (prefix, prefix + "g"))]

    def rows(self, sort: str = "date", ids: Sequence[str] | None = None,
             limit: int | None = None, offset: int = 0, where: str = "",
             params: Sequence = ()) -> list[ArticleRow]:
        order = SORTS.get(sort, SORTS["date"])
        clauses, args = [], list(params)
        if where:
            clauses.append(where)
        if ids is not None:
            ids = list(ids)
            if not ids:
                return []
            clauses.append(f"id IN (SELECT value FROM json_each(?))")
            args.append(json.dumps(ids))
        sql = f"SELECT {_ROW_COLS} FROM articles"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += f" ORDER BY {order}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [limit, offset]
        return [_to_row(r) for r in self.conn.execute(sql, args)]

    def iter_articles(self, batch: int = 500) -> Iterator[Article]:
        last = ""
        while True:
            rs = self.conn.execute(f"SELECT {_ARTICLE_COLS} FROM articles WHERE id > ? "
                                   "ORDER BY id LIMIT ?", (last, batch)).fetchall()
            if not rs:
                return
            for r in rs:
                yield _to_article(r)
            last = rs[-1][0]

    def all_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT id FROM articles")}

    def count(self, where: str = "", params: Sequence = ()) -> int:
        sql = "SELECT count(*) FROM articles" + (f" WHERE {where}" if where else "")
        return self.conn.execute(sql, params).fetchone()[0]

    def set_flag(self, aid: str, flag: str, value: bool) -> bool:
        if flag not in ("read", "starred"):
            raise ValueError(flag)
        extra = ", read_at=?" if flag == "read" else ""
        args = [int(value)] + ([time.time() if value else None] if flag == "read" else []) + [aid]
        return self.conn.execute(f"UPDATE articles SET {flag}=?{extra} WHERE id=?", args).rowcount > 0

    def set_read_many(self, ids: Sequence[str] | None, value: bool = True) -> list[str]:
        """Mark many articles (every article for None) read or unread in one
        transaction; returns the ids whose mark changed."""
        with self.transaction():
            if ids is None:
                changed = [r[0] for r in self.conn.execute("SELECT id FROM articles WHERE read=?",
                                                           (int(not value),))]
            else:
                changed = [r[0] for r in self.conn.execute(
                    "SELECT id FROM articles WHERE read=? AND id IN (SELECT value FROM json_each(?))",
                    (int(not value), json.dumps(list(ids))))]
            for aid in changed:
                self.set_flag(aid, "read", value)
        return changed

    def counts(self) -> dict[str, int]:
        """Articles, unread, starred."""
        return {"articles": self.count(), "unread": self.count("read=0"), "starred": self.count("starred=1")}

    def unread_count(self, ids: Sequence[str] | None = None) -> int:
        """Unread articles, among ``ids`` when given."""
        if ids is None:
            return self.count("read=0")
        return self.count("read=0 AND id IN (SELECT value FROM json_each(?))", (json.dumps(list(ids)),))

    def source_count(self) -> int:
        return self.conn.execute("SELECT count(DISTINCT source) FROM articles").fetchone()[0]

    def only_samples(self) -> bool | None:
        """True when every article is a shipped sample, None when there are none."""
        if self.conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None:
            return None
        return self.conn.execute("SELECT 1 FROM articles WHERE origin NOT LIKE 'sample:%' LIMIT 1").fetchone() is None

    def data_version(self) -> int:
        """Changes whenever another connection commits to the store."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    # -- index outbox -------------------------------------------------------
    def queued(self, limit: int | None = None) -> list[tuple[str, int]]:
        """(article id, ticket) pairs. Re-queueing an id gives it a new ticket
        (REPLACE makes a new rowid), so a sync only clears what it actually indexed."""
        sql = "SELECT article_id, rowid FROM index_queue ORDER BY rowid"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [(r[0], r[1]) for r in self.conn.execute(sql)]

    def queue_len(self) -> int:
        return self.conn.execute("SELECT count(*) FROM index_queue").fetchone()[0]

    def enqueue(self, ids: Iterable[str]) -> None:
        self.conn.executemany("INSERT OR REPLACE INTO index_queue(article_id) VALUES (?)",
                              ((i,) for i in ids))

    def enqueue_all(self) -> None:
        self.conn.execute("INSERT OR REPLACE INTO index_queue(article_id) SELECT id FROM articles")

    def tickets(self, ids: Sequence[str]) -> list[tuple[str, int]]:
        """The outbox tickets (id, ticket) of these ids, those that are queued."""
        out: list[tuple[str, int]] = []
        ids = list(ids)
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            out += self.conn.execute(
                f"SELECT article_id, rowid FROM index_queue WHERE article_id IN ({','.join('?' * len(part))})",
                part).fetchall()
        return out

    def dequeue(self, tickets: Iterable[tuple[str, int]]) -> None:
        with self.transaction():
            self.conn.executemany("DELETE FROM index_queue WHERE article_id=? AND rowid=?", tickets)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, so a writer waits for the lock up front (busy
    timeout) instead of failing half-way; nested uses join the outer one."""

    def __init__(self, conn: sqlite3.Connection, refusal: str | None = None):
        self.conn = conn
        self.refusal = refusal
        self.outer = False

    def __enter__(self):
        if self.refusal:
            raise StoreError(f"cannot change the library: {self.refusal}")
        if not self.conn.in_transaction:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(friendly_error(exc, "cannot change the library", self._where())) from exc
            self.outer = True
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if not self.outer:
            return False
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as err:
                self._rollback()
                raise StoreError(friendly_error(err, "cannot save the change", self._where())) from err
            return False
        self._rollback()
        if isinstance(exc, sqlite3.Error):
            # Disk full, read-only, locked: say so in one sentence; the rollback
            # kept everything stored before this transaction.
            raise StoreError(friendly_error(exc, "cannot save the change", self._where())) from exc
        return False

    def _where(self) -> str | None:
        try:
            return self.conn.execute("PRAGMA database_list").fetchone()[2] or None
        except sqlite3.Error:
            return None

    def _rollback(self) -> None:
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite rolls back by itself when it cannot, e.g. on a full disk
