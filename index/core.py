"""The Whoosh index: a rebuildable cache of the store, for ranked search."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import shutil
import sys
import threading
from collections import Counter
from collections.abc import Callable, Container, Iterable
from datetime import datetime
from pathlib import Path

from .keys import index_key, key_id
from .schema import INDEX_VERSION, make_schema

# Whoosh is imported where it is used, not here: importing it costs ~70 ms, and
# the TUI's first screen (which imports this module through Library) needs no index.

MARKER = "newsdesk-index.json"
_INDEXNAME = "MAIN"  # whoosh's default index name
_WRITELOCK = f"{_INDEXNAME}_WRITELOCK"
# Size and HMAC-SHA256 (keyed with index/keys.py's key) of every index file as
# written: a file is read only if it verifies, so damage anywhere in it and a
# file planted or copied from elsewhere are found before Whoosh unpickles it.
SUMS = "newsdesk-sums.json"
# Which files of which generation a process found verified (see SearchIndex._stamp_ok).
STAMP = "newsdesk-verified.json"
_CHUNK = 1 << 20
_PARALLEL_HASH_MIN = 1 << 20  # files from this size are hashed in threads


_forking_pid = os.getpid()


def _remember_parent() -> None:
    global _forking_pid
    _forking_pid = os.getpid()


def _die_with_parent() -> None:
    """Forked helpers (Whoosh's bulk writer, parallel readers) inherit the index
    write lock. If the parent is SIGKILLed they wait forever on a queue nobody
    feeds, holding the lock, and no later process can index; so the kernel is
    asked to kill them with their parent."""
    try:
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL))
    except Exception:
        return
    if os.getppid() != _forking_pid:  # the parent died before prctl took effect
        os._exit(1)


if sys.platform.startswith("linux"):
    os.register_at_fork(before=_remember_parent, after_in_child=_die_with_parent)


class SearchIndexError(Exception):
    """The index is missing, foreign or damaged; the caller rebuilds it from the store."""


# The old name (it shadowed the builtin IndexError in spirit and read like a
# typo), kept only while branches written against it are merged; nothing here
# uses it.
SearchIndexError = SearchIndexError


class IndexBusy(SearchIndexError):
    """Another process holds the index write lock; the outbox keeps the work for later."""


class IndexUntrusted(SearchIndexError):
    """An index file carries no valid signature made with this machine's key:
    it is never read (index files hold pickles), only rebuilt from the store."""


def _mac(key: bytes, name: str, f) -> str:
    # The name is signed with the contents, so one signed file cannot stand in for another.
    h = hmac.new(key, name.encode() + b"\0", hashlib.sha256)
    while chunk := f.read(_CHUNK):
        h.update(chunk)
    return h.hexdigest()


def _stat_key(st) -> tuple:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class _Signatures:
    """The sums file: each index file's size and HMAC, under the key's id.
    Forging an entry needs the key, which never lives in the library."""

    def __init__(self, folder: Path, key: bytes):
        self.folder = folder
        self.key_id = key_id(key)
        self._seen = None
        self._files: dict[str, list] = {}
        self._problem: str | None = None

    def load(self) -> tuple[dict[str, list], str | None]:
        """(entries, why none can be trusted, or None); re-read when the file changed."""
        path = self.folder / SUMS
        try:
            st = os.stat(path)
        except OSError:
            return {}, "index unverified: its signatures file is missing"
        if _stat_key(st) == self._seen:
            return self._files, self._problem
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            data = None
        files = data.get("files") if isinstance(data, dict) else None
        problem = None
        if not isinstance(files, dict):
            files, problem = {}, "index unverified: its signatures file is unreadable"
        elif data.get("key") != self.key_id:
            files = {}
            problem = ("index unverified: it was not signed with this machine's key "
                       "(a library copied from elsewhere, or indexed by an older Newsdesk)")
        self._seen, self._files, self._problem = _stat_key(st), files, problem
        return files, problem

    def write(self, files: dict[str, list]) -> None:
        tmp = self.folder / f"{SUMS}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            tmp.write_text(json.dumps({"key": self.key_id, "files": files}))
            os.replace(tmp, self.folder / SUMS)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _toc_segments(f) -> list:
    """The segments listed in a TOC file this process has just written (so
    unpickling it is safe); the layout is whoosh.index.TOC.write's."""
    for _ in range(3):
        f.read_varint()
    f.read_int()
    f.read_int()  # TOC version
    for _ in range(3):
        f.read_varint()
    f.skip_string()  # the pickled schema
    f.read_int()  # generation
    f.read_int()
    return f.read_pickle()


def _open_storage(path: Path, key: bytes):
    """Whoosh's file storage, with every file it opens verified (see SignedStorage)."""
    return _signed_storage_class()(str(path), key)


@functools.cache
def _signed_storage_class():
    # Built on first use: importing Whoosh costs ~70 ms that the first screen need not pay.
    from whoosh.filedb.filestore import FileStorage
    from whoosh.filedb.structfile import StructFile
    from whoosh.index import TOC

    toc_pattern = TOC._pattern(_INDEXNAME)

    class SignedStorage(FileStorage):
        """Opens no index file unless its signature verifies (each file is
        hashed once per process while it stays unchanged), and signs a
        commit's files before its TOC is renamed into place, so every
        generation a reader can see is signed. Whoosh reads every index file
        through open_file: this is the one door."""

        def __init__(self, folder: str, key: bytes):
            # No mmap: Whoosh maps each whole segment file, and at 100,000 articles the
            # mapped pages alone took the process to ~700 MB resident (370 MB of it
            # private) for a ~20% gain in search time.
            super().__init__(folder, supports_mmap=False)
            self.key = key
            self.signatures = _Signatures(Path(folder), key)
            self._verified: dict[str, tuple] = {}
            self._own: set[str] = set()  # written by this process: read back freely

        def create_file(self, name, *args, **kwargs):
            f = super().create_file(name, *args, **kwargs)
            self._own.add(name)
            return f

        def open_file(self, name, **kwargs):
            fileobj = open(self._fpath(name), "rb")
            try:
                self._check(name, fileobj)
            except BaseException:
                fileobj.close()
                raise
            return StructFile(fileobj, name=name, **kwargs)

        def verify(self, name: str) -> None:
            with open(self._fpath(name), "rb") as fileobj:
                self._check(name, fileobj)

        def _check(self, name: str, fileobj) -> None:
            # The open file itself is hashed, so what is checked is what is read.
            if name in self._own:
                return
            st = _stat_key(os.fstat(fileobj.fileno()))
            if self._verified.get(name) == st:
                return
            files, problem = self.signatures.load()
            want = files.get(name)
            if want is None:
                raise IndexUntrusted(problem or f"index unverified: {name} is not signed")
            if not (isinstance(want, list) and len(want) == 2):
                raise IndexUntrusted(f"index unverified: the signature of {name} is malformed")
            if st[0] != want[0]:
                what = "truncated" if st[0] < want[0] else "changed"
                raise SearchIndexError(f"index damaged: {name} is {what} since it was written")
            actual = _mac(self.key, name, fileobj)
            fileobj.seek(0)
            if not hmac.compare_digest(actual, str(want[1])):
                raise IndexUntrusted(f"index damaged: {name} is changed since it was written "
                                     "(its signature does not match)")
            self._verified[name] = st

        def rename_file(self, oldname, newname, safe=False):
            if toc_pattern.match(newname) and oldname in self._own:
                self._sign_commit(oldname, newname)
            super().rename_file(oldname, newname, safe=safe)

        def _sign_commit(self, tmpname: str, tocname: str) -> None:
            """Sign the new TOC and its segments' files before it becomes
            visible (the writer holds the lock). Files signed already keep
            their signature (segment files never change); entries of files
            that are gone are dropped."""
            with FileStorage.open_file(self, tmpname) as f:
                segments = _toc_segments(f)
            files, problem = self.signatures.load()
            listing = set(self.list())
            out = {} if problem else {n: v for n, v in files.items() if n in listing}
            for seg in segments:
                prefix = seg.segment_id() + "."
                for n in sorted(listing):
                    if n.startswith(prefix) and n not in out:
                        with open(self._fpath(n), "rb") as fileobj:
                            out[n] = [os.fstat(fileobj.fileno()).st_size, _mac(self.key, n, fileobj)]
            with open(self._fpath(tmpname), "rb") as fileobj:
                out[tocname] = [os.fstat(fileobj.fileno()).st_size, _mac(self.key, tocname, fileobj)]
            self.signatures.write(out)
            self._own.add(tocname)

    return SignedStorage


def _abandon(writer) -> None:
    """Cancel a failed writer and always let go of its lock. On a full disk
    cancel() itself fails before releasing the lock, which would leave every
    later writer in this process waiting for a lock nobody will release."""
    try:
        writer.cancel()
    except Exception:
        pass
    lock = getattr(writer, "writelock", None)
    if lock is not None and getattr(lock, "fd", None) is not None:
        try:
            lock.release()
        except Exception:
            pass


def merge_tiered(writer, segments):
    """Merge policy: segments are grouped in levels of ten-fold size (under
    10,000 documents, under 100,000, ...); when one level holds ten segments,
    they become one of the next level. Each document is re-merged about once
    per ten-fold growth of the library and the segment count stays bounded (at
    most nine per level), where Whoosh's MERGE_SMALL let small segments pile up
    and then merged the pile, again and again during a big import.

    Segments of _MERGE_MAX documents or more (a bulk import writes ~5,000) are
    left as they are: Whoosh merges at ~4 ms of CPU per document, so merging
    50,000 of them cut an import into a 100,000-article library to 67
    articles/s, and the search engine (fastsearch) pays only a term lookup per
    segment."""
    from whoosh.reading import SegmentReader

    levels: dict[int, list] = {}
    for seg in segments:
        if seg.doc_count_all() >= _MERGE_MAX:
            continue
        n = max(seg.doc_count_all(), 1)
        level = 0
        while n >= _TIER_BASE * _TIER_FACTOR ** (level + 1):
            level += 1
        levels.setdefault(level, []).append(seg)
    merge = next((segs for _level, segs in sorted(levels.items()) if len(segs) >= _TIER_FACTOR), None)
    if not merge:
        return list(segments)
    for seg in merge:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    ids = {id(seg) for seg in merge}
    return [seg for seg in segments if id(seg) not in ids]


_TIER_BASE = 1000
_TIER_FACTOR = 10
_MERGE_MAX = 2_000
# Documents per commit of a bulk writer (a rebuild, a big import): see writer().
BULK_CHUNK = 10_000


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
    doc["datesort"] = int(d.strftime("%Y%m%d")) if d is not None else 0
    if article.url:
        doc["url"] = article.url
    if article.feed_id is not None:
        doc["feed"] = article.feed_id
    if entity_fields:
        doc.update({k: v for k, v in entity_fields.items() if v})
    return doc


class SearchIndex:
    """Owns the index directory. Only opens an index carrying our marker with the
    library's token, and reads no index file that is not signed with this
    machine's key (index/keys.py): index files hold pickles, so a foreign or
    planted one is never read, only rebuilt from the store."""

    # How long a writer waits for another process's write lock before IndexBusy.
    lock_timeout = 120.0

    def __init__(self, path: Path, token: str, key: bytes | None = None):
        self.path = Path(path)
        self.token = token
        self._key = key
        self._storage_obj = None
        self._ix = None
        self._searcher = None
        self._parser = None
        self._lock = threading.RLock()

    def _storage(self):
        """The one signed storage of this index (it caches what it verified)."""
        if self._storage_obj is None:
            self._storage_obj = _open_storage(self.path, self._key or index_key())
        return self._storage_obj

    # -- opening ------------------------------------------------------------
    def _marker_ok(self) -> bool:
        try:
            data = json.loads((self.path / MARKER).read_text())
        except (OSError, ValueError):
            return False
        return data.get("token") == self.token and data.get("version") == INDEX_VERSION

    def exists(self) -> bool:
        try:
            self.open()
        except SearchIndexError:
            return False
        return True

    def open(self, full: bool = False):
        """Open the index or raise SearchIndexError when it is missing, foreign,
        unsigned or damaged.

        Every file of the current generation is checked against the signature
        recorded when it was written, before Whoosh reads (unpickles) any of
        it; a file without one is never read."""
        with self._lock:
            if self._ix is not None:
                try:
                    # Whoosh re-reads the newest TOC at every refresh: one
                    # planted since we opened makes the index untrusted now.
                    self._check_toc()
                    return self._ix
                except SearchIndexError:
                    self.close()
                    raise
                except Exception as exc:
                    self.close()
                    raise SearchIndexError(f"index damaged: {type(exc).__name__}: {exc}") from exc
            if not self._marker_ok():
                raise SearchIndexError("index missing or not written by this library")
            try:
                if not full and self._stamp_ok():
                    ix = self._storage().open_index()
                else:
                    self._check_toc()
                    ix = self._storage().open_index()
                    self._verify(ix)
            except SearchIndexError:
                raise
            except Exception as exc:  # whoosh raises many kinds on damaged files
                raise SearchIndexError(f"index damaged: {type(exc).__name__}: {exc}") from exc
            self._ix = ix
            return ix

    # -- the verified stamp -------------------------------------------------------
    # Hashing every index file at each open (HMAC-SHA256 over ~27 MB for the
    # BBC library, ~350 MB at 100,000 articles) was most of what a `newsdesk`
    # command cost after its imports. A process that has verified every file
    # of a generation leaves a stamp: the generation and each file's stat key
    # (size, mtime, ctime, inode, device), signed with the index key like the
    # sums file. The next process trusts a file whose stat key is the stamp's
    # (the same test SignedStorage applies within one process: a file cannot
    # be rewritten or replaced without changing its ctime or inode), and
    # hashes anything else. A stamp from another machine, an edited one or
    # one for another generation is ignored: everything is hashed as before.
    # `check` (open(full=True)) always hashes everything.

    def _stamp_mac(self, body: str) -> str:
        return hmac.new(self._storage().key, b"newsdesk verified stamp\0" + body.encode(),
                        hashlib.sha256).hexdigest()

    def _stamp_ok(self) -> bool:
        """Whether the stamp vouches for every file of the newest generation;
        if so, SignedStorage trusts them (by stat key) without hashing."""
        from whoosh.index import TOC

        storage = self._storage()
        try:
            raw = json.loads((self.path / STAMP).read_text())
            body, mac = raw["body"], raw["mac"]
            if not (isinstance(body, str) and isinstance(mac, str)
                    and hmac.compare_digest(mac, self._stamp_mac(body))):
                return False
            data = json.loads(body)
            files = data["files"]
            if data.get("key") != storage.signatures.key_id or not isinstance(files, dict):
                return False
            gen = TOC._latest_generation(storage, _INDEXNAME)
            if gen < 0 or data.get("generation") != gen or not {TOC._filename(_INDEXNAME, gen), SUMS} <= set(files):
                return False
            seen = {}
            for name, want in files.items():
                st = _stat_key(os.stat(self.path / name))
                if list(st) != want:
                    return False
                seen[name] = st
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return False
        storage._verified.update(seen)
        return True

    def _write_stamp(self, generation: int, names: list[str]) -> None:
        try:
            # The sums file too: with it rewritten, nothing is trusted on the stamp's word.
            files = {n: list(_stat_key(os.stat(self.path / n))) for n in [*names, SUMS]}
            body = json.dumps({"key": self._storage().signatures.key_id, "generation": generation,
                               "files": files}, sort_keys=True)
            tmp = self.path / f"{STAMP}.{os.getpid()}.{threading.get_ident()}.tmp"
            tmp.write_text(json.dumps({"body": body, "mac": self._stamp_mac(body)}))
            os.replace(tmp, self.path / STAMP)
        except OSError:
            pass  # a read-only library, a full disk: the next open hashes again

    def verify_all(self) -> None:
        """Open with every file hashed again, whatever the stamp says (for `check`)."""
        with self._lock:
            self.close()
            if self._storage_obj is not None:
                self._storage_obj._verified.clear()
            self.open(full=True)

    def _check_toc(self) -> None:
        """The newest TOC exists and is signed, checked before Whoosh unpickles it."""
        from whoosh.index import TOC

        storage = self._storage()
        gen = TOC._latest_generation(storage, _INDEXNAME)
        if gen < 0:
            raise SearchIndexError("index damaged: its table of contents is missing")
        storage.verify(TOC._filename(_INDEXNAME, gen))

    def _generation_files(self, ix) -> tuple[int, list, list[str]]:
        """(generation, segments, file names) of the newest TOC on disk."""
        from whoosh.index import TOC

        toc = TOC.read(ix.storage, ix.indexname)
        names = [TOC._filename(ix.indexname, toc.generation)]
        listing = set(ix.storage.list())
        for seg in toc.segments:
            prefix = seg.segment_id() + "."
            names += sorted(n for n in listing if n.startswith(prefix))
        return toc.generation, toc.segments, names

    def _verify(self, ix) -> None:
        from whoosh.index import TOC

        for _attempt in range(20):
            gen, segments, names = self._generation_files(ix)
            try:
                self._check_files(ix, segments, names)
                self._write_stamp(gen, names)
                return
            except FileNotFoundError:
                # A writer in another process committed a new generation and
                # cleaned up the files of this one; look again.
                if TOC._latest_generation(ix.storage, ix.indexname) == gen:
                    raise
        raise SearchIndexError("index keeps changing under us; try again")

    def _check_files(self, ix, segments, names: list[str]) -> None:
        storage = ix.storage
        files, _problem = storage.signatures.load()
        present = set(names)
        for seg in segments:
            sid = seg.segment_id()
            expected = {n for n in files if n.startswith(sid + ".")}
            if seg.is_compound():
                expected.add(seg.make_filename(seg.COMPOUND_EXT))
            missing = sorted(expected - present)
            if missing:
                raise SearchIndexError(f"index damaged: segment file {missing[0]} is missing")
        # Hashed here, so damage shows at open, not mid-search. HMAC-SHA256
        # costs ~1.5x the CRC-32 it replaced; hashlib lets go of the GIL, so
        # big files are hashed on every core.
        sizes = {n: (self.path / n).stat().st_size for n in names}
        big = [n for n in names if sizes[n] >= _PARALLEL_HASH_MIN]
        workers = min(len(big), os.cpu_count() or 1, 4)
        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(storage.verify, big))
        for name in names:
            storage.verify(name)  # (cached for those hashed above)
        # Open every segment's term index, postings and per-document data now.
        with ix.reader() as r:
            r.doc_count_all()
            for name in ("title", "body"):
                if name in r.schema:
                    r.field_length(name)

    def seal(self) -> None:
        """Kept for callers: a commit signs its own files (SignedStorage), so
        there is nothing left to record after it."""

    def create(self) -> None:
        """Start an empty index, wiping whatever was there (without reading it).

        The write lock is held meanwhile and its file kept, so a writer in
        another process waits for us instead of committing into a wiped folder."""
        from whoosh.filedb.filestore import FileStorage
        from whoosh.util.filelock import try_for

        with self._lock:
            self.close()
            if self.path.is_symlink() or (self.path.exists() and not self.path.is_dir()):
                self.path.unlink()
            self.path.mkdir(parents=True, mode=0o700, exist_ok=True)
            os.chmod(self.path, 0o700)
            lock = FileStorage(str(self.path)).lock(_WRITELOCK)
            if not try_for(lock.acquire, self.lock_timeout, 0.1):
                raise IndexBusy("the index is busy in another process; try again")
            try:
                (self.path / MARKER).unlink(missing_ok=True)
                for entry in self.path.iterdir():
                    if entry.name == _WRITELOCK:
                        continue
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.rmtree(entry)
                    else:
                        entry.unlink()
                self._storage_obj = None  # forget what was verified in the old folder
                self._storage().create_index(make_schema())
                tmp = self.path / (MARKER + ".tmp")
                tmp.write_text(json.dumps({"token": self.token, "version": INDEX_VERSION}))
                os.replace(tmp, self.path / MARKER)
            finally:
                lock.release()

    def clean_orphans(self) -> int:
        """Delete what a failed or killed writer left behind (segment files no
        TOC names, half-written TOCs, temp folders), so a full disk that made a
        commit fail is not kept full by its debris. Only under the write lock,
        so a live writer's files are never touched; returns files removed."""
        if not self.path.is_dir():
            return 0
        from whoosh.filedb.filestore import FileStorage
        from whoosh.index import TOC

        lock = FileStorage(str(self.path)).lock(_WRITELOCK)
        try:
            if not lock.acquire(blocking=False):
                return 0
        except OSError:
            return 0
        removed = 0
        try:
            storage = self._storage()
            gen = TOC._latest_generation(storage, _INDEXNAME)
            if gen < 0:
                return 0
            # Read through the signed storage: an unsigned TOC raises here (and the rebuild wipes all).
            live = {seg.segment_id() for seg in TOC.read(storage, _INDEXNAME, gen).segments}
            toc_name = TOC._filename(_INDEXNAME, gen)
            seg_pattern = TOC._segment_pattern(_INDEXNAME)
            for entry in self.path.iterdir():
                name = entry.name
                m = seg_pattern.match(name)
                stale = (
                    (m is not None and m.group(1) not in live)
                    or (name.startswith(f"_{_INDEXNAME}_") and name != toc_name)
                    or name == f"{_INDEXNAME}.tmp"
                    or (name.startswith((SUMS + ".", STAMP + ".")) and name.endswith(".tmp"))
                )
                if not stale:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed += 1
        except Exception:
            return removed  # a damaged TOC: the rebuild wipes everything anyway
        finally:
            lock.release()
        return removed

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
                # Not refresh(): it reuses the reader of every segment whose id
                # is unchanged, with that segment's old deletions, so articles
                # updated or deleted by a commit would still be found (twice).
                self._searcher.close()
                self._searcher = None
                self._searcher = ix.searcher()
            return self._searcher

    def query_parser(self):
        """The parser of users' queries for this index's schema, made once; like
        the searcher, it is only used inside index/ (api.py)."""
        if self._parser is None:
            from .query import make_parser

            self._parser = make_parser(self.searcher().schema)
        return self._parser

    def doc_count(self) -> int:
        with self.open().reader() as r:
            return r.doc_count()

    def all_ids(self) -> set[str]:
        s = self.searcher()
        return {fields["id"] for _, fields in s.reader().iter_docs()}

    def id_counts(self) -> Counter:
        """How many live documents carry each id (more than one is damage).
        Reads the newest commit, whatever the cached searcher last saw."""
        with self.open().reader() as r:
            return Counter(fields.get("id") for _, fields in r.iter_docs())

    # -- writing ------------------------------------------------------------
    def writer(self, *, bulk: bool = False, timeout: float | None = None):
        from whoosh.index import LockError

        from .codec import NdCodec

        ix = self.open()
        kwargs = {"timeout": self.lock_timeout if timeout is None else timeout, "delay": 0.1,
                  "codec": NdCodec()}
        if bulk and (os.cpu_count() or 1) > 1:
            # Each helper keeps BULK_CHUNK / procs documents' postings in memory
            # (~60 KB each, ~300 MB per helper for 5,000), grouped by term
            # (index/bulk.py): a pool that spills to disk costs 60% more CPU in
            # Whoosh's run merging. limitmb is for this process's own pool.
            from .bulk import BulkWriter

            kwargs.update(procs=min(4, os.cpu_count() or 1), limitmb=192, multisegment=True)
        try:
            if "procs" in kwargs:
                return BulkWriter(ix, **kwargs)
            return ix.writer(**kwargs)
        except LockError as exc:
            raise IndexBusy("the index is busy in another process; try again") from exc

    def apply(self, docs: Iterable[dict], deletes: Iterable[str] = (), *, bulk: bool = False,
              progress: Callable[[int], None] | None = None,
              committing: Callable[[], None] | None = None) -> int:
        """Write docs (replacing by id) and delete ids in one commit
        (``committing`` is called before it: merging segments can take a while)."""
        session = self.session(bulk=bulk, fresh=bulk)
        try:
            n = session.write(docs, deletes, progress=progress)
            if committing:
                committing()
            session.commit()
        except BaseException:
            session.abandon()
            raise
        if progress:
            progress(n)
        return n

    def session(self, *, bulk: bool = False, fresh: bool = False) -> WriteSession:
        """A writer that takes documents in several calls and commits once.
        ``fresh``: the caller knows none of the ids is in the index yet."""
        return WriteSession(self.writer(bulk=bulk), fresh)


class WriteSession:
    """One index writer (and its lock) over several batches of documents."""

    def __init__(self, writer, fresh: bool):
        self.writer = writer
        self.dirty = False
        # update_document looks the id up in every segment to delete the old
        # copy; new articles (most of an import) have none, and one term
        # lookup in the reader of the index as it was says so far more cheaply.
        self._present = None if fresh else writer.reader()
        # Fork the multi-process writer's helpers now, before the caller starts
        # threads of its own (a process pool's), not at the first document.
        while len(getattr(writer, "tasks", ())) < getattr(writer, "procs", 0):
            writer._new_task()

    def write(self, docs: Iterable[dict], deletes: Iterable[str] = (),
              progress: Callable[[int], None] | None = None, new: Container[str] = ()) -> int:
        """``new``: ids the caller knows the index does not hold."""
        w = self.writer
        present = self._present
        for aid in deletes:
            w.delete_by_term("id", aid)
            self.dirty = True
        n = 0
        for doc in docs:
            if present is None or doc["id"] in new or ("id", doc["id"]) not in present:
                w.add_document(**doc)
            else:
                w.update_document(**doc)
            n += 1
            if progress and n % 200 == 0:
                progress(n)
        self.dirty = self.dirty or n > 0
        return n

    def _close_reader(self) -> None:
        if self._present is not None:
            self._present.close()
            self._present = None

    def commit(self) -> None:
        if not self.dirty:
            # Nothing to write. (A multi-process writer given no documents
            # commits without stopping the helpers started above, which would
            # then keep the process from exiting.)
            self.abandon()
            return
        self._close_reader()
        if not getattr(self.writer, "_added_sub", True):
            self._stop_helpers()  # only deletions: Whoosh commits them itself
        self.writer.commit(mergetype=merge_tiered)
        self._close_queues(wait=True)

    def _close_queues(self, wait: bool) -> None:
        # The multi-process writer's job queue runs a feeder thread in this
        # process until the queue is garbage-collected, which can be later than
        # the next chunk of an import: seeing a second thread, Library.add would
        # not fork the next chunk's helpers and would index it all in this
        # process, several times slower. After a commit the helpers have taken
        # every job, so the thread ends at once; after a failure it may be
        # stuck writing to a helper that is gone, so it is not waited for.
        for q in (getattr(self.writer, "jobqueue", None), getattr(self.writer, "resultqueue", None)):
            if q is not None:
                try:
                    q.close()
                    if wait:
                        q.join_thread()
                    else:
                        q.cancel_join_thread()
                except Exception:
                    pass

    def _stop_helpers(self) -> None:
        # The multi-process writer's helpers wait for work forever otherwise,
        # and the interpreter waits for them at exit.
        for task in getattr(self.writer, "tasks", ()):
            try:
                task.terminate()
                task.join(5)
            except Exception:
                pass

    def abandon(self) -> None:
        try:
            self._close_reader()
        except Exception:
            pass
        self._stop_helpers()
        _abandon(self.writer)
        self._close_queues(wait=False)
