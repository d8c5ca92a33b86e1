"""Web pages to articles: fetch one page (read it later), or extract the article
text of a page already fetched.  Extraction is the HTML reader's, the same as for
a saved .html file; this adds the web's way of naming the encoding."""

from __future__ import annotations

import codecs
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from ..model import Draft
from ..text import sanitize_line
from ..text.html import paragraphs
from .fetch import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, FetchError, fetch, make_client

__all__ = ["PageText", "extract_page", "decode_page", "looks_like_html", "fetch_page"]

# Extraction libraries log to the root logger's last-resort handler (stderr) when
# nothing is configured, which would scribble over a full-screen terminal UI.
for _name in ("trafilatura", "htmldate", "courlan", "justext"):
    logging.getLogger(_name).addHandler(logging.NullHandler())


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
    from ..readers.base import ReadError  # trafilatura is slow to import: only when needed
    from ..readers.html import parse_html

    try:
        fields = parse_html(decode_page(content, headers), url=url)
    except ReadError:
        return None
    text = paragraphs((fields.get("body") or "").split("\n\n"))
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
    from ..readers.base import decode_bytes

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


def looks_like_html(resp_headers: Mapping[str, str], content: bytes) -> bool:
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
    if not looks_like_html(resp.headers, resp.content):
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


