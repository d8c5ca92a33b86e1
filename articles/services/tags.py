"""Tagging articles: names cleaned and checked, written under the write lock.

The index's ``tag`` field is derived from these tables, so every change here
is followed by the caller's index sync (the store queues the articles)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from ..store import LibraryError, Store
from ..store import tags as tag_store

__all__ = ["clean", "tag_articles", "rename"]


def clean(name: str, *, new: bool = True) -> str:
    """The tag's stored form; a LibraryError saying why a name is unusable
    (``new=False``: a name already stored, to remove or rename)."""
    try:
        return tag_store.clean_tag(name, new=new)
    except ValueError as exc:
        raise LibraryError(str(exc)) from None


def tag_articles(store: Store, lock: threading.Lock, ids: Sequence[str], names: Sequence[str], *,
                 remove: bool = False) -> dict[str, list[str]]:
    """Add (or remove) the tags on each article; each article's tags afterwards."""
    clean_names = [clean(n, new=not remove) for n in names]
    if not clean_names:
        raise LibraryError("give at least one tag name")
    out = {}
    with lock:
        for aid in ids:
            out[aid] = tag_store.remove_tags(store, aid, clean_names) if remove \
                else tag_store.add_tags(store, aid, clean_names, time.time())
    return out


def rename(store: Store, lock: threading.Lock, old: str, new: str) -> int:
    """Rename (or merge into an existing) tag; the number of articles it touched."""
    old_, new_ = clean(old, new=False), clean(new)
    with lock:
        n = tag_store.rename_tag(store, old_, new_)
    if n == 0:
        raise LibraryError(f"no article is tagged {old_!r}")
    return n
