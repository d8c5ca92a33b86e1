"""HTML pages: main text and metadata extracted by trafilatura."""

from __future__ import annotations

import logging

from articles.text.cleaning import _norm, clean_paragraphs, derive_title, parse_date, split_paragraphs
from articles.readers.base import ReadError

# trafilatura logs every page it finds too short at WARNING; we report that ourselves.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


def parse_html(text: str, url: str | None = None) -> dict:
    """-> dict(title, body, date, author, source, url, removed).  Raises ReadError
    when the page has no extractable article text."""
    # Imported here: it takes a third of a second, which every `newsdesk add`
    # (and the TUI's import) paid even for a folder without one HTML file.
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(text, url=url, favor_precision=True, with_metadata=True)
    except Exception as exc:  # trafilatura/lxml raise many types on malformed pages
        raise ReadError(f"could not parse HTML: {exc}") from exc
    if doc is None:
        raise ReadError("no article text found in the HTML page")
    get = doc.get if isinstance(doc, dict) else lambda k: getattr(doc, k, None)
    # trafilatura puts one paragraph per line.
    paragraphs = split_paragraphs((get("text") or "").replace("\n", "\n\n"))
    title = " ".join((get("title") or "").split()) or None
    if title:
        skip = 0
        while skip < min(len(paragraphs), 3) and _norm(paragraphs[skip]) == _norm(title):
            skip += 1
        paragraphs = paragraphs[skip:]
    kept, removed = clean_paragraphs(paragraphs)
    body = "\n\n".join(kept)
    if not body:
        raise ReadError("no article text found in the HTML page")
    return {
        "title": title or derive_title(body),
        "body": body,
        "date": parse_date(get("date")),
        "author": get("author") or None,
        "source": get("sitename") or None,
        "url": get("url") or url,
        "removed": removed,
    }
