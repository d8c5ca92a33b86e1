"""Feed documents (RSS / Atom bytes) to entries: no network, no database.

A feed is as untrusted as any page: XML entity declarations are refused before
parsing, feedparser sanitizes the HTML, and every string is sanitized for the
terminal.  Each entry says whether it is a teaser (``needs_page``) so the
refresh can fetch the linked page instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import feedparser

from ..errors import FeedError
from ..text import sanitize_line
from ..text.html import html_to_text, paragraphs
from .fetch import FetchError, check_url

__all__ = ["ParsedEntry", "ParsedFeed", "parse_feed", "short_reason", "http_url"]

# When an entry's text is shorter than this it is taken for a teaser and the
# linked page is fetched: a summary-only entry, or a <content> that is a stub.
SUMMARY_FULL_MIN_CHARS = 600
CONTENT_FULL_MIN_CHARS = 200
# Teasers that end like this are cut short whatever their length.
_TRUNCATED = re.compile(r"(\.\.\.|…|\[…\]|\[\.\.\.\]|read more|continue reading|read the full \w+)\W*$",
                        re.IGNORECASE)


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
    page_refused: bool = False  # the link is on a private address the feed is not on


@dataclass
class ParsedFeed:
    title: str | None
    site_url: str | None
    entries: list[ParsedEntry]
    warnings: list[str] = field(default_factory=list)


# XML may come in any of these (with or without a byte order mark); a declaration
# hidden by a wider encoding ("<\0!\0E\0..." in UTF-16) is still a declaration.
_XML_ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
_ENTITY_TEXT = re.compile(r"<!ENTITY", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(r"<[A-Za-z]")


def _declares_entities(head: bytes) -> bool:
    """Whether the document's prolog (before its first element) declares entities,
    read in every encoding XML may use."""
    for encoding in _XML_ENCODINGS:
        for skip in range(4 if encoding.startswith("utf-32") else 2 if encoding.startswith("utf-16") else 1):
            text = head[skip:].decode(encoding, errors="ignore")
            first = _FIRST_ELEMENT.search(text)
            if _ENTITY_TEXT.search(text[: first.start()] if first else text):
                return True
    return False


def parse_feed(content: bytes, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse fetched feed bytes.  Raises FeedError("malformed feed: ...") if it is not a feed.

    Only ever gives feedparser bytes (a string that looks like a URL would make it
    fetch).  A document declaring its own XML entities is refused outright: that is
    how entity-expansion bombs work, and real feeds don't need them.  (feedparser
    also strips unsafe declarations, which covers encodings this check can't see.)
    """
    if _declares_entities(content[:65536]):
        raise FeedError("refused: the feed declares XML entities (an entity-expansion attack?)")
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers["content-location"] = url
    # feedparser treats a bare `str` as a URL or path to open; bytes are parsed as is.
    parsed = feedparser.parse(bytes(content), response_headers=response_headers,
                              resolve_relative_uris=True, sanitize_html=True)
    problem = parsed.get("bozo_exception")
    feed_info = parsed.get("feed", {})
    if not parsed.get("version") and not parsed.entries:
        why = f": {short_reason(problem)}" if problem else ""
        raise FeedError(f"malformed feed (not RSS or Atom){why}")
    if parsed.get("bozo") and not parsed.entries and not feed_info.get("title"):
        raise FeedError(f"malformed feed: {short_reason(problem)}")
    warnings = []
    harmless = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    if parsed.get("bozo") and problem and not isinstance(problem, harmless):
        warnings.append(f"feed has errors, read leniently: {short_reason(problem)}")
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
        site_url=http_url(feed_info.get("link")),
        entries=entries,
        warnings=warnings,
    )


def short_reason(exc: object) -> str:
    """An exception as one sanitized line of at most 200 characters."""
    text = sanitize_line(str(exc)) or type(exc).__name__
    return text[:200]


def http_url(value: Any) -> str | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return check_url(sanitize_line(value))
    except FetchError:
        return None


def _parse_entry(raw: Mapping) -> ParsedEntry:
    link = http_url(raw.get("link"))
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
        body = max(body, paragraphs(content_html.split("\n\n")), key=len)
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
    from ..text.cleaning import clean_paragraphs

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


