"""Feed subscriptions, refreshing them, and saving single web pages.

Subscriptions live in the library's SQLite store (``FEEDS_SCHEMA``); the functions
here take the store's ``sqlite3.Connection``.  ``refresh`` fetches every feed
concurrently, turns new or changed entries into ``Draft`` objects and hands them
to a ``save`` callable (the Library's import pipeline), one feed at a time, from the
calling thread.  Nothing already stored is ever removed by a refresh; a feed's
ETag / Last-Modified and its record of seen entries only move forward after its
entries were saved, so a failed save is simply retried next time.
"""

from __future__ import annotations

import hashlib
import html as _html
import logging
import re
import sqlite3
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import httpx
import lxml.etree
import lxml.html

from .fetch import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, FetchError, check_url, fetch, make_client
from .model import Draft
from .text import sanitize, sanitize_line

__all__ = [
    "FEEDS_SCHEMA", "Feed", "FeedError", "FeedExists", "UnknownFeed", "FeedResult", "FetchError",
    "OpmlImport", "add_feed", "remove_feed", "list_feeds", "get_feed", "import_opml", "export_opml",
    "refresh", "fetch_page", "parse_feed", "html_to_text", "extract_page",
]

# Extraction libraries log to the root logger's last-resort handler (stderr) when
# nothing is configured, which would scribble over a full-screen terminal UI.
for _name in ("trafilatura", "htmldate", "courlan", "justext"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

FEEDS_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT,
    tag TEXT,
    site_url TEXT,
    etag TEXT,
    last_modified TEXT,
    last_fetched REAL,
    last_status TEXT,
    last_error TEXT,
    added_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS feeds_tag ON feeds(tag);
-- Entries already handed to the library, with a digest of what the feed said,
-- so an unchanged entry is neither re-saved nor has its page fetched again.
CREATE TABLE IF NOT EXISTS feed_entries (
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    entry_key TEXT NOT NULL,
    digest TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
);
"""

# When an entry's text is shorter than this it is taken for a teaser and the
# linked page is fetched: a summary-only entry, or a <content> that is a stub.
SUMMARY_FULL_MIN_CHARS = 600
CONTENT_FULL_MIN_CHARS = 200
# Teasers that end like this are cut short whatever their length.
_TRUNCATED = re.compile(r"(\.\.\.|…|\[…\]|\[\.\.\.\]|read more|continue reading|read the full \w+)\W*$",
                        re.IGNORECASE)
# At most this many linked pages are fetched per feed per refresh; the rest keep
# their summaries and are retried on a later refresh.
MAX_PAGES_PER_FEED = 30

_FEED_COLS = ("id, url, title, tag, site_url, etag, last_modified, last_fetched, "
              "last_status, last_error, added_at")


class FeedError(Exception):
    """A subscription problem, with a message fit to show the user."""


class FeedExists(FeedError):
    pass


class UnknownFeed(FeedError):
    pass


@dataclass
class Feed:
    id: int
    url: str
    title: str | None = None
    tag: str | None = None
    site_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_fetched: float | None = None
    last_status: str | None = None
    last_error: str | None = None
    added_at: float = 0.0
    # Filled in by the Library from the articles table; not stored here.
    articles: int = 0
    unread: int = 0

    @property
    def name(self) -> str:
        return self.title or urlsplit(self.url).hostname or self.url

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class FeedResult:
    """What one feed's refresh did.  ``status``: new / updated / unchanged / failed."""

    feed_id: int
    url: str
    title: str | None
    status: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # same text as an article already in the library
    entries: int = 0  # entries the feed listed
    pages_fetched: int = 0
    pages_failed: int = 0
    reason: str | None = None  # why it failed
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------
# Subscriptions


def _row_to_feed(r: Iterable) -> Feed:
    return Feed(*r)


def normalize_feed_url(url: str) -> str:
    """Accept ``example.com/feed`` as ``https://example.com/feed``; refuse non-web URLs."""
    url = (url or "").strip()
    if url and "://" not in url and not url.startswith(("/", ".")):
        url = "https://" + url
    try:
        return check_url(url)
    except FetchError as exc:
        raise FeedError(exc.reason) from None


def add_feed(conn: sqlite3.Connection, url: str, tag: str | None = None, title: str | None = None) -> Feed:
    """Subscribe to ``url`` (no network access).  Raises FeedExists if already there."""
    url = normalize_feed_url(url)
    tag = sanitize_line(tag) or None if tag else None
    title = sanitize_line(title) or None if title else None
    existing = _find(conn, url)
    if existing is not None:
        raise FeedExists(f"already subscribed to {url} (feed {existing.id})")
    with _tx(conn):
        cur = conn.execute("INSERT INTO feeds(url, title, tag, added_at) VALUES (?, ?, ?, ?)",
                           (url, title, tag, time.time()))
    return get_feed(conn, cur.lastrowid)


def get_feed(conn: sqlite3.Connection, url_or_id: int | str) -> Feed:
    feed = _find(conn, url_or_id)
    if feed is None:
        raise UnknownFeed(f"no feed {url_or_id!s} (see `newsdesk feeds list`)")
    return feed


def _find(conn: sqlite3.Connection, url_or_id: int | str) -> Feed | None:
    if isinstance(url_or_id, int) or str(url_or_id).strip().isdigit():
        r = conn.execute(f"SELECT {_FEED_COLS} FROM feeds WHERE id=?", (int(url_or_id),)).fetchone()
    else:
        r = conn.execute(f"SELECT {_FEED_COLS} FROM feeds WHERE url=?", (str(url_or_id).strip(),)).fetchone()
        if r is None:
            try:
                url = normalize_feed_url(str(url_or_id))
            except FeedError:
                return None
            r = conn.execute(f"SELECT {_FEED_COLS} FROM feeds WHERE url=?", (url,)).fetchone()
    return _row_to_feed(r) if r else None


def remove_feed(conn: sqlite3.Connection, url_or_id: int | str) -> Feed:
    """Unsubscribe.  Articles already saved from the feed stay in the library."""
    feed = get_feed(conn, url_or_id)
    with _tx(conn):
        conn.execute("DELETE FROM feed_entries WHERE feed_id=?", (feed.id,))
        conn.execute("DELETE FROM feeds WHERE id=?", (feed.id,))
    return feed


def list_feeds(conn: sqlite3.Connection, tag: str | None = None) -> list[Feed]:
    sql = f"SELECT {_FEED_COLS} FROM feeds"
    args: tuple = ()
    if tag:
        sql += " WHERE tag=?"
        args = (tag,)
    sql += " ORDER BY COALESCE(tag, ''), LOWER(COALESCE(title, url)), id"
    return [_row_to_feed(r) for r in conn.execute(sql, args)]


@contextmanager
def _tx(conn: sqlite3.Connection):
    """One transaction whatever the connection's isolation mode (the Store uses autocommit)."""
    if conn.in_transaction:
        yield  # the caller's transaction
    elif conn.isolation_level is None:
        conn.execute("BEGIN IMMEDIATE")  # take the write lock up front, like the Store
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    else:
        with conn:
            yield


# --------------------------------------------------------------------------
# OPML


@dataclass
class OpmlImport:
    added: list[Feed] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)


def import_opml(conn: sqlite3.Connection, path: str | Path) -> OpmlImport:
    """Subscribe to every feed in an OPML file.  Folders become tags.

    Feeds already subscribed, or with unusable URLs, are skipped with a reason.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeedError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    # No DTDs, no entity expansion, no network: an OPML file is as untrusted as a feed.
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                  huge_tree=False, recover=False)
    try:
        root = lxml.etree.fromstring(data, parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise FeedError(f"{path}: not a valid OPML file: {exc}") from exc
    if root.tag != "opml" or root.find("body") is None:
        raise FeedError(f"{path}: not an OPML file (no <opml><body>)")
    result = OpmlImport()

    def visit(el, folder: str | None) -> None:
        for outline in el.iterchildren("outline"):
            url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
            label = outline.get("title") or outline.get("text")
            if url:
                if label and label.strip() == url:
                    label = None  # an untitled feed: let the feed name itself
                tag = folder or _first_category(outline.get("category"))
                try:
                    result.added.append(add_feed(conn, url, tag=tag, title=label))
                except FeedError as exc:
                    result.skipped.append((url, str(exc)))
            else:
                visit(outline, sanitize_line(label or "") or folder)

    visit(root.find("body"), None)
    return result


def _first_category(value: str | None) -> str | None:
    if not value:
        return None
    first = value.split(",")[0].strip().strip("/")
    return first.split("/")[-1] or None


def export_opml(conn: sqlite3.Connection, title: str = "Newsdesk subscriptions") -> str:
    """All subscriptions as an OPML 2.0 document; each tag becomes a folder."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = formatdate(usegmt=True)
    body = ET.SubElement(opml, "body")
    folders: dict[str, ET.Element] = {}
    for feed in list_feeds(conn):
        parent = body
        if feed.tag:
            if feed.tag not in folders:
                folders[feed.tag] = ET.SubElement(body, "outline", text=feed.tag, title=feed.tag)
            parent = folders[feed.tag]
        attrs = {"type": "rss", "text": feed.title or feed.url, "xmlUrl": feed.url}
        if feed.title:
            attrs["title"] = feed.title
        if feed.site_url:
            attrs["htmlUrl"] = feed.site_url
        ET.SubElement(parent, "outline", attrs)
    ET.indent(opml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(opml, encoding="unicode") + "\n"


# --------------------------------------------------------------------------
# HTML to text

_BLOCK = frozenset(
    "address article aside blockquote caption dd div dl dt figcaption figure footer form h1 h2 h3 "
    "h4 h5 h6 header hr li main nav ol p pre section table tbody thead tfoot tr ul".split()
)
_SKIP = frozenset("script style template noscript head title iframe object svg math".split())
# Markers while assembling: paragraph break, line break (<br>).  Control
# characters from the source are dropped first, so these cannot be forged.
_PARA, _BR = "\x00", "\x01"
_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u3000]+")


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML fragment: paragraphs separated by blank lines."""
    if not html or not html.strip():
        return ""
    html = html.replace(_PARA, "").replace(_BR, "")
    if "<" not in html:
        return _paragraphs(html.split("\n\n"))
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return _paragraphs(html.split("\n\n"))
    parts: list[str] = []
    skipping = 0
    # iterwalk rather than recursion: hostile markup can nest thousands deep.
    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else None  # None: comment / PI
        if event == "start":
            if tag in _SKIP:
                skipping += 1
            if skipping:
                continue
            if tag in _BLOCK:
                parts.append(_PARA)
            elif tag == "br":
                parts.append(_BR)
            if tag is not None and el.text:
                parts.append(el.text)
        else:
            if tag in _SKIP:
                skipping -= 1
            if skipping:
                continue
            if tag in _BLOCK:
                parts.append(_PARA)
            if el.tail and el is not root:
                parts.append(el.tail)
    out = []
    for chunk in "".join(parts).split(_PARA):
        lines = (" ".join(_SPACES.sub(" ", sanitize(line)).split()) for line in chunk.split(_BR))
        para = "\n".join(line for line in lines if line)
        if para:
            out.append(para)
    if not out:
        # libxml2 gives up on absurdly deep nesting and drops the text; fall back
        # to stripping tags so the words at least survive.
        bare = _html.unescape(_TAGS.sub(" ", html))
        return _paragraphs([bare]) if bare.strip() else ""
    return "\n\n".join(out)


def _paragraphs(chunks: Iterable[str]) -> str:
    out = []
    for chunk in chunks:
        lines = [" ".join(_SPACES.sub(" ", ln).split()) for ln in sanitize(chunk).split("\n")]
        text = "\n".join(ln for ln in lines if ln)
        if text:
            out.append(text)
    return "\n\n".join(out)


# --------------------------------------------------------------------------
# Parsing feeds


@dataclass
class ParsedEntry:
    key: str  # the entry's id, else its link, else a hash of its title
    digest: str  # of everything the feed said about the entry
    title: str
    body: str
    link: str | None
    author: str | None
    date: str | None
    needs_page: bool
    body_from: str = "feed"
    page_error: str | None = None
    page_retry: bool = False  # the page failed in a way that may pass (timeout, 5xx, ...)


@dataclass
class ParsedFeed:
    title: str | None
    site_url: str | None
    entries: list[ParsedEntry]
    warnings: list[str] = field(default_factory=list)


_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)


def parse_feed(content: bytes, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse fetched feed bytes.  Raises FeedError("malformed feed: ...") if it is not a feed.

    Only ever gives feedparser bytes (a string that looks like a URL would make it
    fetch).  A document declaring its own XML entities is refused outright: that is
    how entity-expansion bombs work, and real feeds don't need them.  (feedparser
    also strips unsafe declarations, which covers encodings this check can't see.)
    """
    head = content[:65536]
    first_element = re.search(rb"<[A-Za-z]", head)
    prolog = head[: first_element.start()] if first_element else head
    if _ENTITY_DECL.search(prolog):
        raise FeedError("refused: the feed declares XML entities (an entity-expansion attack?)")
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers["content-location"] = url
    # feedparser treats a bare `str` as a URL or path to open; bytes are parsed as is.
    parsed = feedparser.parse(bytes(content), response_headers=response_headers,
                              resolve_relative_uris=True, sanitize_html=True)
    problem = parsed.get("bozo_exception")
    feed_info = parsed.get("feed", {})
    if not parsed.get("version") and not parsed.entries:
        why = f": {_short(problem)}" if problem else ""
        raise FeedError(f"malformed feed (not RSS or Atom){why}")
    if parsed.get("bozo") and not parsed.entries and not feed_info.get("title"):
        raise FeedError(f"malformed feed: {_short(problem)}")
    warnings = []
    harmless = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    if parsed.get("bozo") and problem and not isinstance(problem, harmless):
        warnings.append(f"feed has errors, read leniently: {_short(problem)}")
    entries: list[ParsedEntry] = []
    seen: set[str] = set()
    for raw in parsed.entries:
        try:
            entry = _parse_entry(raw)
        except Exception as exc:  # one odd entry must not sink the feed
            warnings.append(f"skipped an entry: {exc}")
            continue
        if entry.key in seen:
            continue
        seen.add(entry.key)
        entries.append(entry)
    return ParsedFeed(
        title=sanitize_line(feed_info.get("title", "")) or None,
        site_url=_http_url(feed_info.get("link")),
        entries=entries,
        warnings=warnings,
    )


def _short(exc: object) -> str:
    text = sanitize_line(str(exc)) or type(exc).__name__
    return text[:200]


def _http_url(value: Any) -> str | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return check_url(sanitize_line(value))
    except FetchError:
        return None


def _parse_entry(raw: Mapping) -> ParsedEntry:
    link = _http_url(raw.get("link"))
    content_html, content_plain = "", False
    for c in raw.get("content") or []:
        value = c.get("value") or ""
        if len(value) > len(content_html):
            content_html, content_plain = value, c.get("type") == "text/plain"
    summary = raw.get("summary") or ""
    body = html_to_text(content_html) if content_html else ""
    summary_text = html_to_text(summary)
    cut_short = any(_TRUNCATED.search(t[-60:]) for t in (body, summary_text) if t)
    body, summary_text = _strip_feed_furniture(body), _strip_feed_furniture(summary_text)
    if len(summary_text) > len(body):
        body = summary_text  # many RSS feeds carry the full text in <description>
    if content_plain and content_html:
        body = max(body, _paragraphs(content_html.split("\n\n")), key=len)
    title = sanitize_line(raw.get("title", ""))
    if not title:
        title = (body.split("\n")[0][:80].rstrip() + "…") if body else "(untitled)"
    key = sanitize_line(raw.get("id") or "") or link
    if not key:
        key = "sha:" + hashlib.sha256((title + "\n" + body).encode()).hexdigest()[:16]
    digest_src = "\x1f".join([title, link or "", summary, content_html,
                              str(raw.get("updated", "")), str(raw.get("published", ""))])
    return ParsedEntry(
        key=key,
        digest=hashlib.sha256(digest_src.encode("utf-8", "replace")).hexdigest(),
        title=title,
        body=body,
        link=link,
        author=_entry_author(raw),
        date=_entry_date(raw),
        needs_page=bool(link) and (cut_short or _is_teaser(body, has_content=bool(content_html))),
    )


# What feed generators append to entries: a link to the article, a footer
# naming the site.  Not part of the text.
_READ_MORE = re.compile(r"\s*[\[(]?\b(read more|continue reading|read the full (story|article|post))\W{0,12}$",
                        re.IGNORECASE)
_APPEARED_FIRST = re.compile(r"^the post .{1,300} appeared first on .{1,200}$", re.IGNORECASE)


def _strip_feed_furniture(text: str) -> str:
    """Feed-specific trailers, then the same furniture rules as imported files."""
    from .cleaning import clean_paragraphs

    paragraphs = text.split("\n\n")
    while paragraphs and _APPEARED_FIRST.match(paragraphs[-1]):
        paragraphs.pop()
    if paragraphs:
        paragraphs[-1] = _READ_MORE.sub("", paragraphs[-1]).rstrip()
    paragraphs = [p for p in paragraphs if p]
    kept, _removed = clean_paragraphs(paragraphs)
    return "\n\n".join(kept or paragraphs)


def _is_teaser(body: str, has_content: bool) -> bool:
    return len(body) < (CONTENT_FULL_MIN_CHARS if has_content else SUMMARY_FULL_MIN_CHARS)


def _entry_author(raw: Mapping) -> str | None:
    detail = raw.get("author_detail") or {}
    name = detail.get("name") or raw.get("author") or ""
    return sanitize_line(name) or None


def _entry_date(raw: Mapping) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        st = raw.get(key)
        if st and 1900 <= st.tm_year <= 2200:
            return f"{st.tm_year:04d}-{st.tm_mon:02d}-{st.tm_mday:02d}"
    return None


# --------------------------------------------------------------------------
# Pages


@dataclass
class PageText:
    title: str | None
    author: str | None
    date: str | None
    site: str | None
    text: str


MIN_PAGE_TEXT_CHARS = 40
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def extract_page(content: bytes, url: str, headers: Mapping[str, str] | None = None) -> PageText | None:
    """The main article text and metadata of an HTML page, or None if none was found.

    Extraction and cleaning are the HTML reader's (the same as for a saved .html
    file); this adds the web's way of naming the encoding.
    """
    from .readers.base import ReadError  # trafilatura is slow to import: only when needed
    from .readers.html import parse_html

    try:
        fields = parse_html(decode_page(content, headers), url=url)
    except ReadError:
        return None
    text = _paragraphs((fields.get("body") or "").split("\n\n"))
    if len(text) < MIN_PAGE_TEXT_CHARS:
        return None  # a menu or a cookie notice, not an article
    date = fields.get("date") or ""
    return PageText(
        title=sanitize_line(fields.get("title") or "") or None,
        author=sanitize_line(fields.get("author") or "") or None,
        date=date[:10] if _ISO_DATE.match(date) else None,
        site=sanitize_line(fields.get("source") or "") or None,
        text=text,
    )


_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


def decode_page(content: bytes, headers: Mapping[str, str] | None = None) -> str:
    """Page bytes to text: a BOM, else the HTTP charset, else <meta charset>, else a guess."""
    import codecs

    from .readers.base import decode_bytes

    if content.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_bytes(content)
    ctype = {k.lower(): v for k, v in (headers or {}).items()}.get("content-type", "")
    declared = _HEADER_CHARSET.search(ctype)
    name = declared.group(1) if declared else None
    if name is None:
        meta = _META_CHARSET.search(content[:4096])
        name = meta.group(1).decode("ascii", "ignore") if meta else None
    if name:
        try:
            encoding = codecs.lookup(name).name
        except LookupError:
            encoding = None
        if encoding == "latin-1" or encoding == "iso8859-1":
            encoding = "cp1252"  # what browsers do: the two differ only in unused C1 slots
        if encoding:
            return content.decode(encoding, errors="replace")
    return decode_bytes(content)


def _looks_like_html(resp_headers: Mapping[str, str], content: bytes) -> bool:
    ctype = {k.lower(): v for k, v in resp_headers.items()}.get("content-type", "").lower()
    if "html" in ctype:
        return True
    if ctype and not ctype.startswith("text/") and "xml" not in ctype:
        return False  # a PDF, an image, ...
    return b"<" in content[:4096]


def fetch_page(
    url: str,
    *,
    client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Draft:
    """Fetch one web page and make it an article (read it later).

    Raises FetchError with a readable reason if the page can't be fetched or has no
    article text.
    """
    own = client is None
    client = client or make_client(timeout)
    try:
        resp = fetch(client, url, max_bytes=max_bytes, timeout=timeout)
    finally:
        if own:
            client.close()
    if resp.not_modified or not resp.content:
        raise FetchError("content", f"{url}: the server sent no page")
    if not _looks_like_html(resp.headers, resp.content):
        raise FetchError("content", f"{url}: not a web page ({resp.headers.get('content-type', '?')})")
    page = extract_page(resp.content, resp.url, resp.headers)
    if page is None:
        raise FetchError("content", f"{url}: no article text found on the page")
    host = urlsplit(resp.url).hostname or resp.url
    return Draft(
        title=page.title or sanitize_line(host + urlsplit(resp.url).path),
        body=page.text,
        origin=f"url:{resp.url}",
        source=page.site or host,
        author=page.author,
        date=page.date,
        url=resp.url,
        extra={"fetched_at": time.time()},
    )


# --------------------------------------------------------------------------
# Refreshing


@dataclass
class _FeedFetch:
    feed: Feed
    not_modified: bool = False
    parsed: ParsedFeed | None = None
    fresh: list[ParsedEntry] = field(default_factory=list)  # new or changed entries
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None


def _fetch_feed(client: httpx.Client, feed: Feed, seen: dict[str, str], max_bytes: int,
                timeout: float) -> _FeedFetch:
    """Runs in a worker thread: network and parsing only, never the database."""
    out = _FeedFetch(feed)
    headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
                         "text/xml;q=0.9, */*;q=0.5"}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    try:
        resp = fetch(client, feed.url, headers=headers, max_bytes=max_bytes, timeout=timeout)
        if resp.not_modified:
            out.not_modified = True
            return out
        out.parsed = parse_feed(resp.content, resp.url, resp.headers)
    except (FetchError, FeedError) as exc:
        out.error = getattr(exc, "reason", None) or str(exc)
        return out
    except Exception as exc:  # a parser bug on odd input must not stop the other feeds
        out.error = f"could not read the feed: {type(exc).__name__}: {_short(exc)}"
        return out
    lower = {k.lower(): v for k, v in resp.headers.items()}
    out.etag = lower.get("etag")
    out.last_modified = lower.get("last-modified")
    out.fresh = [e for e in out.parsed.entries if seen.get(e.key) != e.digest]
    pages = 0
    for e in out.fresh:
        if e.needs_page:
            pages += 1
            if pages > MAX_PAGES_PER_FEED:
                e.needs_page = False
                e.page_error = "page not fetched this time (too many in one refresh)"
                e.page_retry = True
    return out


def _fetch_entry_page(client: httpx.Client, entry: ParsedEntry, max_bytes: int, timeout: float) -> None:
    """Runs in a worker thread: replace a teaser with the linked page's text if possible."""
    try:
        resp = fetch(client, entry.link, max_bytes=max_bytes, timeout=timeout)
        if resp.not_modified or not _looks_like_html(resp.headers, resp.content):
            raise FetchError("content", "the link is not a web page")
        page = extract_page(resp.content, resp.url, resp.headers)
        if page is None or len(page.text) <= len(entry.body):
            raise FetchError("content", "no article text found on the page")
    except FetchError as exc:
        entry.page_error = exc.reason
        entry.page_retry = exc.kind in ("timeout", "connect", "dns", "network") or (
            exc.kind == "http" and (exc.status or 0) in (408, 429) or (exc.status or 0) >= 500)
        return
    except Exception as exc:
        entry.page_error = f"{type(exc).__name__}: {_short(exc)}"
        return
    entry.body = page.text
    entry.body_from = "page"
    if not entry.author and page.author:
        entry.author = page.author
    if not entry.date and page.date:
        entry.date = page.date


def _count(report: Any, name: str) -> int:
    value = report.get(name) if isinstance(report, Mapping) else getattr(report, name, 0)
    if isinstance(value, (list, tuple, set)):
        return len(value)
    return int(value or 0)


def _select_feeds(conn: sqlite3.Connection, feeds: Iterable[int | str | Feed] | None) -> list[Feed]:
    if feeds is None:
        return list_feeds(conn)
    out: list[Feed] = []
    for f in feeds:
        feed = get_feed(conn, f.id if isinstance(f, Feed) else f)
        if all(x.id != feed.id for x in out):
            out.append(feed)
    return out


def refresh(
    conn: sqlite3.Connection,
    save: Callable[[list[Draft]], Any],
    *,
    feeds: Iterable[int | str | Feed] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    concurrency: int = 8,
    client: httpx.Client | None = None,
    lock: AbstractContextManager | None = None,
    cancel: threading.Event | None = None,
) -> list[FeedResult]:
    """Fetch feeds (all, or those named in ``feeds`` by id or URL) and save new entries.

    ``save(drafts)`` is called from this thread once per feed that has new or changed
    entries and must return counts ``added``, ``updated``, ``unchanged`` (attributes
    or keys).  Blocking; safe to call from a worker thread as long as ``conn`` and
    ``save`` may be used from it.  ``lock``, if given, is held around this
    function's own writes to ``conn`` (never while ``save`` runs), so other
    threads sharing the connection can serialise their writes with it.
    Setting ``cancel`` stops the refresh soon: feeds already saved stay saved, the
    rest are left exactly as they were and are missing from the results.
    Returns one FeedResult per feed, in list order.
    """
    targets = _select_feeds(conn, feeds)
    seen = {f.id: dict(conn.execute("SELECT entry_key, digest FROM feed_entries WHERE feed_id=?",
                                    (f.id,)).fetchall()) for f in targets}
    total = len(targets)
    results: dict[int, FeedResult] = {}
    if progress:
        progress(0, total, f"refreshing {total} feed{'s' if total != 1 else ''}")
    if not targets:
        return []

    own = client is None
    client = client or make_client(timeout, max_connections=max(concurrency, 1) * 2)
    pool = ThreadPoolExecutor(max_workers=max(concurrency, 1), thread_name_prefix="feeds")
    pending: dict[Future, tuple[str, Any]] = {}
    try:
        waiting_pages: dict[int, int] = {}
        for feed in targets:
            fut = pool.submit(_fetch_feed, client, feed, seen[feed.id], max_bytes, timeout)
            pending[fut] = ("feed", feed)
        while pending:
            if cancel is not None and cancel.is_set():
                break
            # A short wait, so a cancel is noticed while slow servers are pending.
            finished, _ = wait(list(pending), timeout=0.25, return_when=FIRST_COMPLETED)
            for fut in finished:
                kind, payload = pending.pop(fut)
                if kind == "feed":
                    fetched: _FeedFetch = fut.result()
                    need = [e for e in fetched.fresh if e.needs_page]
                    if need:
                        waiting_pages[fetched.feed.id] = len(need)
                        for entry in need:
                            pf = pool.submit(_fetch_entry_page, client, entry, max_bytes, timeout)
                            pending[pf] = ("page", fetched)
                        continue
                else:
                    fetched = payload
                    fut.result()
                    waiting_pages[fetched.feed.id] -= 1
                    if waiting_pages[fetched.feed.id]:
                        continue
                result = _finish(conn, save, fetched, lock or nullcontext())
                results[fetched.feed.id] = result
                if progress:
                    progress(len(results), total, _describe(result))
    finally:
        # On cancel (or an exception from save/progress) queued fetches are dropped
        # and running ones are abandoned: they end within their timeout and their
        # results are never saved, so nothing half-done reaches the library.
        abandoning = bool(pending)
        pool.shutdown(wait=not abandoning, cancel_futures=True)
        if own and not abandoning:
            client.close()
    return [results[f.id] for f in targets if f.id in results]


def _describe(r: FeedResult) -> str:
    name = r.title or r.url
    if r.status == "failed":
        return f"{name}: failed: {r.reason}"
    if r.status == "unchanged":
        return f"{name}: unchanged"
    return f"{name}: {r.added} new, {r.updated} updated"


def _finish(conn: sqlite3.Connection, save: Callable[[list[Draft]], Any], fetched: _FeedFetch,
            lock: AbstractContextManager) -> FeedResult:
    """Save one feed's entries and record the outcome (in the calling thread)."""
    feed = fetched.feed
    result = FeedResult(feed.id, feed.url, feed.title, "unchanged")
    now = time.time()
    if fetched.error:
        result.status, result.reason = "failed", fetched.error
        with lock:
            _record(conn, feed.id, now, "failed", fetched.error)
        return result
    if fetched.not_modified:
        with lock:
            _record(conn, feed.id, now, "unchanged", None)
        return result

    parsed = fetched.parsed
    assert parsed is not None
    source = parsed.title or feed.title or urlsplit(feed.url).hostname
    result.title = feed.title or parsed.title
    result.entries = len(parsed.entries)
    result.warnings.extend(parsed.warnings)
    drafts = []
    for e in fetched.fresh:
        if e.body_from == "page":
            result.pages_fetched += 1
        elif e.page_error:
            result.pages_failed += 1
        body = e.body or (f"{e.title}\n\n{e.link}" if e.link else e.title)
        drafts.append(Draft(
            title=e.title, body=body, origin=f"feed:{feed.id}:{e.key}", source=source,
            author=e.author, date=e.date, url=e.link, feed_id=feed.id,
            extra={"body_from": e.body_from, **({"page_error": e.page_error} if e.page_error else {})},
        ))
    if result.pages_failed:
        result.warnings.append(f"{result.pages_failed} linked page(s) could not be fetched; kept the summaries")
    result.unchanged = len(parsed.entries) - len(fetched.fresh)
    if drafts:
        try:
            report = save(drafts)
        except Exception as exc:  # the library is untouched by a failed save: try again next time
            result.status, result.reason = "failed", f"could not save entries: {_short(exc)}"
            with lock:
                _record(conn, feed.id, now, "failed", result.reason)
            return result
        if report is None:
            result.added = len(drafts)
        else:
            result.added = _count(report, "added")
            result.updated = _count(report, "updated")
            result.unchanged += _count(report, "unchanged")
            result.duplicates = _count(report, "duplicates")
            failed = report.get("failed") if isinstance(report, Mapping) else getattr(report, "failed", None)
            for item in failed if isinstance(failed, (list, tuple)) else []:
                text = ": ".join(map(str, item)) if isinstance(item, tuple) else str(item)
                result.warnings.append("not saved: " + sanitize_line(text))
    result.status = "new" if result.added else "updated" if result.updated else "unchanged"
    # Entries whose page fetch failed for a passing reason are not marked seen, so
    # the next refresh that gets the feed again tries the page once more.
    done = [e for e in fetched.fresh if not e.page_retry]
    with lock, _tx(conn):
        conn.executemany(
            "INSERT INTO feed_entries(feed_id, entry_key, digest, seen_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(feed_id, entry_key) DO UPDATE SET digest=excluded.digest, seen_at=excluded.seen_at",
            [(feed.id, e.key, e.digest, now) for e in done],
        )
        conn.execute(
            "UPDATE feeds SET etag=?, last_modified=?, title=COALESCE(NULLIF(title, ''), ?), "
            "site_url=COALESCE(?, site_url), last_fetched=?, last_status=?, last_error=NULL WHERE id=?",
            (fetched.etag, fetched.last_modified, parsed.title, parsed.site_url, now, result.status, feed.id),
        )
    return result


def _record(conn: sqlite3.Connection, feed_id: int, now: float, status: str, error: str | None) -> None:
    with _tx(conn):
        conn.execute("UPDATE feeds SET last_fetched=?, last_status=?, last_error=? WHERE id=?",
                     (now, status, error, feed_id))
