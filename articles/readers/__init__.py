"""Reading article files from disk into Drafts.

Public API (used by the Library and the CLI):

* :class:`ReadError` - a file could not be read; ``str(err)`` is the human reason.
* :func:`expand_sources` - files, folders and globs -> sorted file list + problems.
* :func:`read_path` - one file -> list of Drafts (JSON exports give many).
* :func:`read_file` - like ``read_path`` but also returns per-record problems
  (records of a JSON/JSONL export that were skipped).
* :func:`decode_bytes` - bytes -> str for UTF-8 / UTF-16 / Latin-1 / cp1252 text.

Formats are chosen by extension (.txt, .md/.markdown, .html/.htm, .json,
.jsonl/.ndjson) and by sniffing the content for anything else.
"""

from __future__ import annotations


from articles.readers.base import MAX_BYTES, ReadError, ReadResult, decode_bytes
from articles.readers.sources import ARTICLE_SUFFIXES, expand_sources
from articles.readers.dispatch import read_file, read_path

__all__ = [
    "ARTICLE_SUFFIXES",
    "MAX_BYTES",
    "ReadError",
    "ReadResult",
    "decode_bytes",
    "expand_sources",
    "read_file",
    "read_path",
]
