"""JSON and JSON Lines exports holding one or many articles.

Accepted shapes: an object (one article), an array of objects, or an object
with an ``articles`` / ``items`` / ``entries`` / ``data`` list.  Per record:
``title``; body from ``body`` / ``text`` / ``content`` (a string, or a list of
strings or of ``{"value": ...}`` objects; HTML is reduced to text); ``date``
(also ``published`` / ``pubDate`` / ``published_at``); ``url`` (also ``link``);
``source`` (a string or an object with ``name``/``title``; also ``site`` /
``publisher``); ``author`` (a string, an object with ``name``, or a list).

Bad records are skipped and described in the returned problems; the file only
fails as a whole (ReadError) when no record at all is readable.
"""

from __future__ import annotations

import json
import re

from articles.text.cleaning import clean_text, derive_title, parse_date
from articles.readers.base import ReadError
from articles.text.html import html_to_text

_LIST_KEYS = ("articles", "items", "entries", "data", "results", "posts")
_BODY_KEYS = ("body", "text", "content", "content_text", "article", "description", "summary")
_DATE_KEYS = ("date", "published", "published_at", "publishedAt", "pubDate", "datePublished", "created_at", "updated")
_URL_KEYS = ("url", "link", "href", "canonical_url")
_SOURCE_KEYS = ("source", "site", "sitename", "publisher", "outlet", "feed")
_HTMLISH = re.compile(r"<(?:p|br|div|span|a|em|strong|b|i|h[1-6]|ul|li|blockquote)\b[^>]{0,200}>", re.I)


def _as_text(value) -> str | None:
    """A string out of a JSON value that may be a string, a list, or a {"value": ...} object."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict):
        for key in ("value", "text", "name", "title", "content"):
            if isinstance(value.get(key), str):
                return value[key]
        return None
    if isinstance(value, list):
        parts = [t for t in (_as_text(v) for v in value) if t]
        return "\n\n".join(parts) if parts else None
    return None


def _first(record: dict, keys) -> str | None:
    for key in keys:
        text = _as_text(record.get(key))
        if text and text.strip():
            return text
    return None


def record_to_fields(record) -> dict:
    """One JSON record -> dict(title, body, date, author, source, url). Raises ValueError."""
    if not isinstance(record, dict):
        raise ValueError(f"not an object (got {type(record).__name__})")
    raw_body = _first(record, _BODY_KEYS)
    raw_title = _first(record, ("title", "headline", "name"))
    if not raw_body:
        raise ValueError("no body text (expected 'body', 'text' or 'content')")
    if _HTMLISH.search(raw_body[:5000]):
        raw_body = html_to_text(raw_body)
    cleaned = clean_text(raw_body if not raw_title else raw_title + "\n\n" + raw_body)
    title = " ".join(raw_title.split()) if raw_title else cleaned.title
    body = cleaned.body
    if not body:
        raise ValueError("body is empty after cleaning")
    url = _first(record, _URL_KEYS)
    url = url.strip() if url else None
    return {
        "title": title or derive_title(body),
        "body": body,
        "date": parse_date(_first(record, _DATE_KEYS)) or cleaned.date,
        "author": _first(record, ("author", "authors", "byline", "creator")),
        "source": _first(record, _SOURCE_KEYS),
        "url": url,  # checked (and a bad one reported) by the dispatcher
    }


def _records_of(data) -> list:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in _LIST_KEYS:
            if isinstance(data.get(key), list):
                return data[key]
        return [data]
    raise ReadError(f"JSON holds a {type(data).__name__}, not an article object or a list of them")


def parse_json(text: str) -> tuple[list[tuple[int, dict]], list[str]]:
    """-> ([(record number from 1, fields)], problems)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    except RecursionError as exc:  # crafted [[[[... would otherwise crash the reader
        raise ReadError("invalid JSON: nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ReadError(f"invalid JSON: {exc}") from exc
    records = _records_of(data)
    return _convert(enumerate(records, 1), "record")


def parse_jsonl(text: str) -> tuple[list[tuple[int, dict]], list[str]]:
    """One JSON object per line; numbers are line numbers."""
    items = []
    problems = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            items.append((lineno, json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(f"line {lineno}: invalid JSON: {exc.msg}")
        except RecursionError:
            problems.append(f"line {lineno}: invalid JSON: nested too deeply")
        except ValueError as exc:  # an integer of more than 4,300 digits: one bad line, not a bad file
            problems.append(f"line {lineno}: invalid JSON: {_short(exc)}")
    good, bad = _convert(items, "line")
    return good, problems + bad


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."


def _convert(numbered, label: str) -> tuple[list[tuple[int, dict]], list[str]]:
    good: list[tuple[int, dict]] = []
    problems: list[str] = []
    for n, record in numbered:
        try:
            good.append((n, record_to_fields(record)))
        except ValueError as exc:
            problems.append(f"{label} {n}: {exc}")
        except RecursionError:  # a value nested deep enough to parse but not to walk
            problems.append(f"{label} {n}: nested too deeply")
    return good, sorted(problems, key=lambda p: int(re.search(r"\d+", p).group()))
