"""The Article model shared by readers, the store, the index and the UI."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

# A long task's report to its caller: (done, total, message). The one meaning of
# "Progress" in our code: the TUI's status-line message is ``tui.messages.Activity``.
Progress = Callable[[int, int, str], None]


@dataclass
class Draft:
    """An article as a reader produced it, before it has an id in the store.

    ``origin`` is the stable key the article is known by at its source: importing
    the same origin again updates the article in place.  Forms in use:
    ``file:/abs/path`` (one article per file), ``file:/abs/path#N`` (the Nth record
    of a JSON export), ``url:https://...`` (a saved page), ``feed:<feed id>:<entry id>``.
    """

    title: str
    body: str
    origin: str
    source: str | None = None  # outlet or site name
    author: str | None = None
    date: str | None = None  # ISO YYYY-MM-DD
    url: str | None = None
    path: str | None = None
    feed_id: int | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Article:
    id: str
    title: str
    body: str
    origin: str
    source: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    path: str | None = None
    feed_id: int | None = None
    body_hash: str = ""
    added_at: float = 0.0
    updated_at: float = 0.0
    read: bool = False
    starred: bool = False

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "author": self.author,
            "date": self.date,
            "url": self.url,
            "path": self.path,
            "body": self.body,
            "read": self.read,
            "starred": self.starred,
        }


def article_id(origin: str) -> str:
    """A short stable id derived from the origin key."""
    return hashlib.sha256(origin.encode("utf-8")).hexdigest()[:12]


def body_hash(body: str) -> str:
    """Hash of the body with whitespace and case folded, so re-saves of one text match."""
    # " ".join(split()) is re.sub(r"\s+", " ", body).strip() (both split on str.isspace), 2.5x faster.
    norm = " ".join(body.split()).casefold()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()
