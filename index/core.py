"""The Whoosh index: a rebuildable cache of the store, for ranked search."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import LockError
from whoosh.writing import AsyncWriter  # noqa: F401  (kept importable for callers)

from .schema import INDEX_VERSION, make_schema

MARKER = "newsdesk-index.json"


class IndexError_(Exception):
    """The index is missing, foreign or damaged; the caller rebuilds it from the store."""


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d")
    except ValueError:
        return None


def to_document(article, entity_fields: dict[str, str] | None = None) -> dict:
    doc = {
        "id": article.id,
        "title": article.title or "",
        "body": article.body or "",
    }
    if article.source:
        doc["source"] = article.source
    if article.author:
        doc["author"] = article.author
    if (d := _parse_date(article.date)) is not None:
        doc["date"] = d
    if article.url:
        doc["url"] = article.url
    if article.feed_id is not None:
        doc["feed"] = article.feed_id
    if entity_fields:
        doc.update({k: v for k, v in entity_fields.items() if v})
    return doc


class SearchIndex:
    """Owns the index directory. Only opens an index carrying our marker with the
    library's token: index files hold pickles, so a foreign one is never read."""

    def __init__(self, path: Path, token: str):
        self.path = Path(path)
        self.token = token
        self._ix = None
        self._searcher = None
        self._lock = threading.RLock()

    # -- opening ------------------------------------------------------------
    def _marker_ok(self) -> bool:
        try:
            data = json.loads((self.path / MARKER).read_text())
        except (OSError, ValueError):
            return False
        return data.get("token") == self.token and data.get("version") == INDEX_VERSION

    def exists(self) -> bool:
        return self._marker_ok() and whoosh_index.exists_in(str(self.path))

    def open(self):
        """Open the index or raise IndexError_ when it is missing, foreign or unreadable."""
        with self._lock:
            if self._ix is not None:
                return self._ix
            if not self.exists():
                raise IndexError_("index missing or not written by this library")
            try:
                ix = whoosh_index.open_dir(str(self.path))
                # Touch every segment's files now, so damage shows at open, not mid-search.
                with ix.reader() as r:
                    r.doc_count_all()
                    for name in ("title", "body"):
                        if name in r.schema:
                            r.field_length(name)
            except Exception as exc:  # whoosh raises many kinds on damaged files
                raise IndexError_(f"index damaged: {type(exc).__name__}: {exc}") from exc
            self._ix = ix
            return ix

    def create(self) -> None:
        """Start an empty index (wiping whatever was there)."""
        with self._lock:
            self.close()
            if self.path.exists():
                shutil.rmtree(self.path)
            self.path.mkdir(parents=True, mode=0o700)
            whoosh_index.create_in(str(self.path), make_schema())
            tmp = self.path / (MARKER + ".tmp")
            tmp.write_text(json.dumps({"token": self.token, "version": INDEX_VERSION}))
            os.replace(tmp, self.path / MARKER)

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            if self._ix is not None:
                self._ix.close()
                self._ix = None

    # -- reading ------------------------------------------------------------
    def searcher(self):
        """A searcher reused across queries, refreshed when the index changed."""
        with self._lock:
            ix = self.open()
            if self._searcher is None:
                self._searcher = ix.searcher()
            elif not self._searcher.up_to_date():
                self._searcher = self._searcher.refresh()
            return self._searcher

    def doc_count(self) -> int:
        return self.searcher().doc_count()

    def all_ids(self) -> set[str]:
        s = self.searcher()
        return {fields["id"] for _, fields in s.reader().iter_docs()}

    # -- writing ------------------------------------------------------------
    def writer(self, *, bulk: bool = False, timeout: float = 120.0):
        ix = self.open()
        kwargs = {"timeout": timeout, "delay": 0.1}
        if bulk and (os.cpu_count() or 1) > 1:
            kwargs.update(procs=min(4, os.cpu_count() or 1), limitmb=128, multisegment=True)
        try:
            return ix.writer(**kwargs)
        except LockError as exc:
            raise IndexError_("the index is busy in another process; try again") from exc

    def apply(self, docs: Iterable[dict], deletes: Iterable[str] = (), *, bulk: bool = False,
              progress: Callable[[int], None] | None = None) -> int:
        """Write docs (replacing by id) and delete ids in one commit."""
        w = self.writer(bulk=bulk)
        n = 0
        try:
            for aid in deletes:
                w.delete_by_term("id", aid)
            # update_document looks the id up in every segment to delete the old
            # copy; new articles (most of an import) have none, and one term
            # lookup says so far more cheaply.
            with w.reader() as present:
                for doc in docs:
                    if bulk or ("id", doc["id"]) not in present:
                        w.add_document(**doc)
                    else:
                        w.update_document(**doc)
                n += 1
                if progress and n % 200 == 0:
                    progress(n)
            w.commit()
        except BaseException:
            w.cancel()
            raise
        if progress:
            progress(n)
        return n
