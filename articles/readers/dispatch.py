"""Reading one file: limits, decoding, choosing the format, building Drafts."""

from __future__ import annotations

import stat
from pathlib import Path

from articles.text.cleaning import clean_text
from articles.model import Draft
from articles.readers.base import MAX_BYTES, MAX_MB, ReadError, ReadResult, decode_bytes
from articles.readers.html import parse_html
from articles.readers.jsonfmt import parse_json, parse_jsonl
from articles.readers.markdown import parse_markdown
from articles.text import safe_url, sanitize, sanitize_line

_BY_SUFFIX = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "text",
    ".text": "text",
}


def sniff_format(text: str) -> str:
    """Guess the format of a file whose extension says nothing."""
    head = text[:2000].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in head):
        return "html"
    if head.startswith(("{", "[")):
        return "jsonl" if "\n{" in text[:200000].strip() and not head.startswith("[") else "json"
    if head.startswith("---\n") or head.startswith("# "):
        return "markdown"
    return "text"


def _read_bytes(path: Path) -> bytes:
    try:
        st = path.stat()
    except OSError as exc:
        raise ReadError(_os_reason(exc), str(path)) from exc
    if stat.S_ISDIR(st.st_mode):
        raise ReadError("is a folder, not a file", str(path))
    if not stat.S_ISREG(st.st_mode):
        raise ReadError("not a regular file", str(path))
    if st.st_size > MAX_BYTES:
        raise ReadError(f"file too large ({st.st_size / (1024 * 1024):.0f} MB > {MAX_MB} MB limit)", str(path))
    try:
        with open(path, "rb") as fh:
            # Read one byte past the limit: the file may have grown since stat().
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ReadError(_os_reason(exc), str(path)) from exc
    if len(data) > MAX_BYTES:
        raise ReadError(f"file too large (> {MAX_MB} MB limit)", str(path))
    return data


def _os_reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _clean_field(value) -> str | None:
    if value is None:
        return None
    text = sanitize_line(str(value))
    return text or None


def _url(fields: dict, problems: list[str], where: str = "") -> str | None:
    """The article's URL if it is http(s); anything else is dropped and reported."""
    raw = fields.get("url")
    url = safe_url(raw) if isinstance(raw, str) else None
    if raw and url is None:
        shown = sanitize_line(str(raw))
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        problems.append(f"{where}url dropped (not an http(s) link): {shown!r}")
    fields["url"] = url
    return url


def _draft(fields: dict, origin: str, path: Path, extra: dict | None = None) -> Draft:
    return Draft(
        title=sanitize_line(fields["title"]) or "Untitled",
        body=sanitize(fields["body"]).strip(),
        origin=origin,
        source=_clean_field(fields.get("source")),
        author=_clean_field(fields.get("author")),
        date=fields.get("date"),
        url=safe_url(fields.get("url")),
        path=str(path),
        extra=extra or {},
    )


def read_file(path: Path | str, *, resolved: bool = False) -> ReadResult:
    """Read one file -> ReadResult(drafts, problems).  Raises ReadError when the
    file yields no article at all.  ``resolved``: the caller's path is already
    absolute with every symlink resolved (expand_sources gives such paths), so
    resolving it again (a system call per folder in it) is skipped."""
    path = Path(path).expanduser().absolute()
    real = path if resolved else path.resolve()
    data = _read_bytes(path)
    if not data.strip():
        raise ReadError("empty file", str(path))
    try:
        text = decode_bytes(data)
    except ReadError as exc:
        raise ReadError(exc.reason, str(path)) from exc
    if not sanitize(text).strip():
        raise ReadError("empty file", str(path))
    fmt = _BY_SUFFIX.get(path.suffix.lower()) or sniff_format(text)
    origin = "file:" + str(real)
    try:
        if fmt in ("json", "jsonl"):
            records, problems = (parse_json if fmt == "json" else parse_jsonl)(text)
            if not records:
                detail = problems[0] if problems else "no records"
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                raise ReadError(f"no readable article in {fmt.upper()} file: {detail}{more}")
            drafts = []
            label = "line" if fmt == "jsonl" else "record"
            for n, fields in records:
                url = _url(fields, problems, f"{label} {n}: ")
                rec_origin = f"url:{url}" if url else f"{origin}#{n}"
                drafts.append(_draft(fields, rec_origin, real, {"format": fmt, "record": n}))
            return ReadResult(drafts, problems)
        if fmt == "html":
            fields = parse_html(text)
        elif fmt == "markdown":
            fields = parse_markdown(text)
        else:
            result = clean_text(text)
            fields = {
                "title": result.title,
                "body": result.body,
                "date": result.date,
                "author": result.author,
                "source": result.source,
                "url": result.url,
            }
    except ReadError as exc:
        raise ReadError(exc.reason, str(path)) from exc
    if not fields["body"].strip():
        raise ReadError("no article text left after cleaning", str(path))
    problems: list[str] = []
    _url(fields, problems)
    return ReadResult([_draft(fields, origin, real, {"format": fmt})], problems)


def read_path(path: Path | str, *, resolved: bool = False) -> list[Draft]:
    """Read one file into one or more Drafts (JSON/JSONL exports give many).

    Skipped records of an export are dropped silently here; use ``read_file``
    to get them as problems.  Raises ReadError.
    """
    return read_file(path, resolved=resolved).drafts


__all__ = ["read_file", "read_path", "sniff_format"]
