"""A store transaction under the library's write lock."""

from __future__ import annotations

import threading
from contextlib import contextmanager, nullcontext

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import Store


@contextmanager
def writing(store: Store, lock: threading.Lock | None, derived: bool = False):
    """A store transaction under ``lock``, the library's write lock (the TUI
    writes from worker threads over one connection; imports hold the same lock).
    ``lock`` None: the caller is the connection's only writer.

    ``derived``: the transaction writes only what is rebuilt from the store
    (sketches, pairs, placements, never the user's corrections), so its commit
    need not wait for the disk (``synchronous=NORMAL``; in WAL mode a power cut
    can lose it, never corrupt it, and the outbox then still holds the work).
    Waiting for the disk twice was most of assigning one article its story."""
    conn = store.conn
    with lock if lock is not None else nullcontext():
        relaxed = derived and not conn.in_transaction
        if relaxed:
            mode = conn.execute("PRAGMA synchronous").fetchone()[0]
            conn.execute("PRAGMA synchronous=NORMAL")
        try:
            with store.transaction():
                yield
        finally:
            if relaxed:
                conn.execute(f"PRAGMA synchronous={int(mode)}")
