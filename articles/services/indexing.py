"""Keeping the search index in step with the store: the outbox sync, the
import-time bulk feeder, rebuilds, and the check that finds and repairs any
disagreement.

The store is the record of truth.  Every change queues the article's id in the
store's outbox in the same transaction; a sync indexes what is queued and only
then dequeues it (``committed``), so a crash at any point leaves work to redo,
never a silent disagreement.  Nothing here takes a ``Library``: ``Indexing`` is
built from the store, the index, the Library's write lock, the folder to check,
and a callable giving each article's entity fields (its tag and note fields
are read here, from the store).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index import BULK_CHUNK, IndexBusy, SearchIndex, SearchIndexError, to_document

from ..model import Progress
from ..store import LibraryError, Store, friendly_error

__all__ = ["Indexing", "IndexFeeder", "CheckReport"]

EntityFields = Callable[[Sequence[str]], dict[str, dict[str, str]]]


def _friendly(exc: BaseException, what: str) -> LibraryError:
    return LibraryError(friendly_error(exc, what))


@dataclass
class CheckReport:
    """What ``Indexing.check`` found and, with repair, what it fixed."""

    articles: int = 0
    indexed: int | None = 0
    queued: int = 0  # changes waiting in the outbox when the check started
    missing: int = 0
    extra: int = 0
    duplicated: int = 0
    problems: list[str] = field(default_factory=list)  # everything found
    repaired: list[str] = field(default_factory=list)  # what was done about it
    unrepairable: list[str] = field(default_factory=list)  # still wrong afterwards

    @property
    def clean(self) -> bool:
        """True when nothing is wrong now (nothing found, or all of it repaired)."""
        if self.unrepairable:
            return False
        return not self.problems or bool(self.repaired)

    def to_json(self) -> dict:
        return {"clean": self.clean, "articles": self.articles, "indexed": self.indexed,
                "queued": self.queued, "missing": self.missing, "extra": self.extra,
                "duplicated": self.duplicated, "problems": self.problems,
                "repaired": self.repaired, "unrepairable": self.unrepairable}



class IndexFeeder:
    """Indexes an import's saved articles while the rest is still being read.

    One bulk writer (Whoosh's multi-process one: its helper processes analyse
    and write while this process reads and saves) takes each saved batch of a
    chunk of files and commits once (see Library.add), so a crash loses at
    most one chunk of indexing work, and each commit leaves a few big segments
    rather than many small ones to merge. The outbox keeps the usual guarantee: a ticket is
    dequeued only after the commit that indexed its article, and anything not
    fed here (the index busy in another process, an id saved twice) stays
    queued for the sync that follows."""

    def __init__(self, indexing: Indexing):
        self.indexing = indexing
        self.session = None
        self.tickets: list[tuple[str, int]] = []
        self.seen: set[str] = set()

    @classmethod
    def start(cls, indexing: Indexing) -> IndexFeeder | None:
        if indexing.store.read_only:
            return None
        status = indexing.status()
        if status not in ("ok", "stale"):
            if indexing.store.count() or indexing.store.queue_len():
                return None  # damaged or foreign: the sync after the import rebuilds it
            try:
                indexing.reindex()  # a new library: start its (empty) index
            except LibraryError:
                return None
        feeder = cls(indexing)
        return feeder if feeder._open() else None

    def _open(self) -> bool:
        try:
            self.session = self.indexing.index.session(bulk=True)
        except (SearchIndexError, OSError):
            self.session = None
        return self.session is not None

    def feed(self, ids: Sequence[str], new: Container[str] = ()) -> None:
        """Index these saved articles; ``new``: those the index cannot hold yet,
        added without looking for an old copy (a lookup in every segment, the
        main cost of feeding a big library)."""
        if self.session is None:
            return
        ids = [i for i in dict.fromkeys(ids) if i not in self.seen]
        if not ids:
            return
        lib = self.indexing
        try:
            # Tickets before content: a later change gets a newer ticket, which stays queued.
            tickets = lib.store.tickets(ids)
            ids = [aid for aid, _ in tickets]
            docs, gone = lib.documents(ids)
            self.session.write(docs, deletes=gone, new=new)
        except (OSError, sqlite3.Error) as exc:
            self.abandon()
            raise _friendly(exc, "could not update the search index") from exc
        self.seen.update(ids)
        self.tickets += tickets

    def finish(self, progress: Progress | None = None) -> None:
        """Commit what was fed, then dequeue it (the commit writes and merges
        the segments: seconds for a big import, said as its own stage)."""
        session, self.session = self.session, None
        if session is None:
            return
        lib = self.indexing
        try:
            if progress:
                progress(0, 1, "saving the index")
            session.commit()
            if progress:
                progress(1, 1, "saving the index")
        except BaseException as exc:
            session.abandon()
            lib.index.clean_orphans()
            if isinstance(exc, OSError):
                raise _friendly(exc, "could not update the search index") from exc
            raise
        tickets, self.tickets = self.tickets, []
        self.seen.clear()
        lib.committed(tickets)

    def abandon(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            session.abandon()
            self.indexing.index.clean_orphans()


def _add_desk_fields(store: Store, ids: Sequence[str], fields: dict[str, dict[str, str]]) -> None:
    """Index fields kept outside the article row besides entity names: the
    article's tags (the index's comma-separated ``tag`` keyword, for tag:NAME)
    and the notes on the article and on its highlights (for note:WORD)."""
    from ..store.highlights import highlight_notes_of_many
    from ..store.notes import notes_of_many
    from ..store.tags import tags_of_many

    for aid, names in tags_of_many(store, ids).items():
        fields.setdefault(aid, {})["tag"] = ",".join(names)
    for source in (notes_of_many(store, ids), highlight_notes_of_many(store, ids)):
        for aid, texts in source.items():
            f = fields.setdefault(aid, {})
            f["note"] = "\n".join(filter(None, [f.get("note"), *texts]))


class Indexing:
    """The index-sync engine over one store and one index."""

    def __init__(self, store: Store, index: SearchIndex, *, write_lock: threading.Lock,
                 folder: Path, entity_fields: EntityFields | None = None):
        self.store = store
        self.index = index
        # The Library's writer lock, shared with its other writes: a rebuild
        # queues everything and wipes the index while holding it.
        self._write_lock = write_lock
        self.folder = Path(folder)
        self.entity_fields = entity_fields

    def status(self, full: bool = False) -> str:
        """'ok', 'stale' (changes waiting), or why it must be rebuilt. ``full``:
        hash every index file again, even those a verified stamp vouches for."""
        try:
            if full:
                self.index.verify_all()
            else:
                self.index.open()
        except SearchIndexError as exc:
            return str(exc)
        return "stale" if self.store.queue_len() else "ok"

    def ensure(self, progress: Progress | None = None,
                     notice: Callable[[str], None] | None = None) -> str:
        """Make the index agree with the store: rebuild if missing or damaged,
        else index what the outbox holds, and repair any disagreement a cheap
        count comparison reveals. ``notice`` hears about a rebuild before it
        starts (it can take a while). Returns what was done."""
        if self.store.read_only:
            waiting = self.store.queue_len() if self.store.refusal and notice else 0
            if waiting:  # a full disk: say why new articles are not found
                notice(f"could not update the search index: {self.store.refusal}; "
                       f"{waiting} change(s) are not searchable yet")
            return "read-only"  # nothing can be repaired; search what is there
        status = self.status()
        if status not in ("ok", "stale"):
            if notice:
                notice(f"{status}; rebuilding it from the store")
            self.reindex(progress)
            return f"rebuilt ({status})"
        done = "ok"
        if status == "stale":
            try:
                done = f"synced {self.sync(progress)}"
            except LibraryError as exc:
                if "the disk is full" not in str(exc):
                    raise
                # Reading never needs to write: search the (signed) index as it
                # is; what waits stays queued for when there is room.
                if notice:
                    notice(f"{exc}; {self.store.queue_len()} change(s) are not searchable yet")
                return "stale (disk full)"
        if not self.store.queue_len():
            try:
                agree = self.index.doc_count() == self.store.count()
            except SearchIndexError:
                agree = False
            if not agree:
                report = self.check(repair=True)
                done = "repaired: " + "; ".join(report.repaired or report.problems)
        return done

    def reindex(self, progress: Progress | None = None) -> int:
        # Queue everything before wiping, so a crash part-way leaves the whole
        # rebuild still to do rather than a short index nobody knows about.
        with self._write_lock:
            with self.store.transaction():
                self.store.enqueue_all()
            try:
                self.index.create()
            except IndexBusy as exc:
                raise LibraryError(f"cannot rebuild the search index: {exc}") from exc
            except OSError as exc:
                raise _friendly(exc, "cannot rebuild the search index") from exc
        return self.sync(progress, bulk=True)

    def sync(self, progress: Progress | None = None, bulk: bool = False) -> int:
        """Index everything in the store's outbox, then clear what was indexed.

        Keeps going until the outbox is empty, so changes another process queued
        while we held the index lock are indexed too. If another process holds
        the lock, stop and leave the outbox: that process drains it after its
        own commit (or the next start does), so nobody waits or fails."""
        done = 0
        first = True
        while True:
            tickets = self.store.queued()
            if not tickets:
                return done
            try:
                self.index.open()
            except SearchIndexError:
                if not bulk:
                    return done + self.reindex(progress)
                raise
            try:
                done += self._index_tickets(tickets, progress, bulk=bulk and first)
            except IndexBusy:
                return done
            first = False

    def _index_tickets(self, tickets: list[tuple[str, int]], progress: Progress | None,
                       bulk: bool) -> int:
        total = len(tickets)
        done = 0
        # A rebuild commits in big steps (each one pays for starting the writer
        # processes), as big as the bulk writer's helpers hold in memory.
        step_size = BULK_CHUNK if bulk else 2000
        for i in range(0, total, step_size):
            chunk = tickets[i:i + step_size]
            docs, gone = self.documents([t[0] for t in chunk])
            base = done

            def step(n, base=base):
                if progress:
                    progress(base + n, total, "indexing")

            # Writing the segment after the last document is its own stage
            # (seconds for a big batch), not a bar sitting at 100%.
            saving = (lambda: progress(0, 1, "saving the index")) if progress and len(chunk) >= 500 else None
            try:
                self.index.apply(docs, deletes=gone, bulk=bulk, progress=step, committing=saving)
                if saving:
                    progress(1, 1, "saving the index")
            except IndexBusy:
                raise
            except SearchIndexError as exc:
                raise LibraryError(str(exc)) from exc
            except (OSError, sqlite3.Error) as exc:
                self.index.clean_orphans()
                raise _friendly(exc, "could not update the search index") from exc
            self.committed(chunk)
            done += len(chunk)
        return done

    def documents(self, ids: Sequence[str]):
        """(index documents, ids to delete) for these ids, as the store has them now."""
        arts = self.store.get_many(ids)
        ents = self.entity_fields(list(arts)) if self.entity_fields else {}
        _add_desk_fields(self.store, list(arts), ents)
        docs = (to_document(arts[aid], ents.get(aid)) for aid in ids if aid in arts)
        return docs, [aid for aid in ids if aid not in arts]

    def committed(self, tickets: list[tuple[str, int]]) -> None:
        """After an index commit: record its files' sums, then take the
        tickets it indexed out of the outbox (never before: a crash in
        between leaves them queued, to be indexed again)."""
        self.index.seal()
        try:
            self.store.dequeue(tickets)
        except (OSError, sqlite3.Error) as exc:
            raise _friendly(exc, "could not update the search index") from exc

    def check(self, repair: bool = False) -> CheckReport:
        """Verify the store and make the index agree with it.

        Finds: a damaged store, a damaged or missing index, articles missing from
        the index, index entries for articles the store no longer has, articles
        indexed twice, and a library folder others can open. With ``repair``,
        fixes what can be fixed from the store (everything but store damage)."""
        rep = CheckReport()
        # A repair waits out another process's index commit (or the orphaned
        # helpers of a killed bulk writer) instead of leaving work undone.
        wait, self.index.lock_timeout = self.index.lock_timeout, max(self.index.lock_timeout, 60.0)
        try:
            return self._check(rep, repair)
        finally:
            self.index.lock_timeout = wait

    def _check(self, rep: CheckReport, repair: bool) -> CheckReport:
        self._check_folder(rep, repair)
        try:
            quick = [r[0] for r in self.store.conn.execute("PRAGMA quick_check")]
        except sqlite3.DatabaseError as exc:
            quick = [str(exc)]
        if quick != ["ok"]:
            rep.problems.append("store damaged: " + "; ".join(quick[:5]))
            rep.unrepairable.append("store damaged: run `newsdesk check --repair` again to recover it")
        else:
            self._check_texts(rep, repair)
        rep.articles = self.store.count()
        rep.queued = self.store.queue_len()

        status = self.status(full=True)  # a check reads every byte, stamp or not
        if status not in ("ok", "stale"):
            rep.problems.append(status)
            if not repair:
                return rep
            n = self.reindex()
            rep.repaired.append(f"rebuilt the index from the store ({n} articles)")
        elif repair and rep.queued:
            self.index.clean_orphans()
            n = self.sync()
            rep.repaired.append(f"indexed {n} queued changes")
        elif rep.queued:
            # Left by a kill (or by an import still running): not an error in
            # the data, but search does not see these articles yet.
            rep.problems.append(f"{rep.queued} saved change(s) not yet in the search index")

        missing, extra, twice = self._index_disagreement(skip_queued=not repair)
        for what, ids in (("missing from the index", missing),
                          ("in the index but not in the store", extra),
                          ("indexed more than once", twice)):
            if ids:
                rep.problems.append(f"{len(ids)} article(s) {what}")
        rep.missing, rep.extra, rep.duplicated = len(missing), len(extra), len(twice)
        if repair and (missing or extra or twice):
            if twice:
                # Whoosh's update_document removes only one of several copies;
                # delete them all first, then index the store's version afresh.
                try:
                    self.index.apply((), deletes=sorted(twice))
                    self.index.seal()
                except SearchIndexError as exc:
                    rep.unrepairable.append(f"cannot remove doubled index entries: {exc}")
                except OSError as exc:
                    raise _friendly(exc, "could not update the search index") from exc
            with self.store.transaction():
                self.store.enqueue(missing | extra | twice)
            self.sync()
            missing, extra, twice = self._index_disagreement(skip_queued=False)
            if missing or extra or twice:
                rep.unrepairable.append(
                    f"index still disagrees after repair ({len(missing)} missing, "
                    f"{len(extra)} extra, {len(twice)} twice); is another process writing?")
            else:
                rep.repaired.append("re-indexed " + ", ".join(
                    f"{n} {what}" for n, what in ((rep.missing, "missing"), (rep.extra, "extra"),
                                                  (rep.duplicated, "duplicated")) if n))
        try:
            rep.indexed = self.index.doc_count()
        except SearchIndexError:
            rep.indexed = None
        return rep

    def _check_texts(self, rep: CheckReport, repair: bool) -> None:
        """Article texts changed under the store (a flipped bit SQLite cannot see)."""
        from ..store.recover import altered_articles, readable_text, restore_texts

        try:
            altered = altered_articles(self.store.conn)
        except sqlite3.DatabaseError as exc:
            rep.problems.append(f"store damaged: {exc}")
            return
        if not altered:
            return
        shown = "; ".join(f"{i} {t!r}" for i, t in altered[:5]) + (" ..." if len(altered) > 5 else "")
        rep.problems.append(f"{len(altered)} article text(s) no longer match their checksum: {shown}")
        if not repair or self.store.read_only:
            return
        from ..model import body_hash

        with self._write_lock, self.store.transaction():
            done = restore_texts(self.store.conn, self.folder, [i for i, _ in altered])
            # No backup holds these unchanged: kept as they now read (said so by id),
            # their checksums made to match so that the next check is clean.
            left = [(i, t) for i, t in altered if i not in set(done)]
            for aid, _title in left:
                title, body = readable_text(self.store.conn, aid)
                self.store.conn.execute("UPDATE articles SET title=?, body=?, body_hash=? WHERE id=?",
                                        (title, body, body_hash(body), aid))
                self.store.enqueue([aid])
        if done:
            rep.repaired.append(f"restored {len(done)} article text(s) from the backups")
        if left:
            rep.repaired.append(f"kept {len(left)} changed article text(s) as they now read (no backup "
                                "holds them unchanged): " + ", ".join(i for i, _ in left[:10]))

    def _check_folder(self, rep: CheckReport, repair: bool) -> None:
        try:
            mode = self.folder.stat().st_mode & 0o777
        except OSError:
            return
        if mode & 0o077:
            rep.problems.append(f"library folder is open to other users (mode {mode:o}); "
                                "its index holds pickles, so it must be private")
            if repair:
                try:
                    os.chmod(self.folder, 0o700)
                    rep.repaired.append("made the library folder private (700)")
                except OSError as exc:
                    rep.unrepairable.append(f"cannot make the library folder private: {exc}")

    def _index_disagreement(self, skip_queued: bool) -> tuple[set[str], set[str], set[str]]:
        try:
            counts = self.index.id_counts()
        except SearchIndexError:
            return set(), set(), set()
        store_ids = self.store.all_ids()
        queued = {aid for aid, _ in self.store.queued()} if skip_queued else set()
        index_ids = set(counts)
        missing = store_ids - index_ids - queued
        extra = index_ids - store_ids - queued
        twice = {aid for aid, n in counts.items() if n > 1} - queued
        return missing, extra, twice
