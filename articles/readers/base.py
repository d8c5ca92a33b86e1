"""Shared pieces of the readers: the error type, limits, byte decoding."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

import charset_normalizer

from articles.model import Draft

MAX_BYTES = 20 * 1024 * 1024
MAX_MB = MAX_BYTES // (1024 * 1024)


class ReadError(Exception):
    """A file could not be turned into articles.  ``str(err)`` is a specific,
    human reason ("empty file", "permission denied", ...); ``path`` names the file
    when known."""

    def __init__(self, reason: str, path: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.path = path


@dataclass
class ReadResult:
    drafts: list[Draft]
    problems: list[str] = field(default_factory=list)  # skipped records, e.g. "record 3: no text"


# Every byte but the control bytes a binary file is full of (tab, newlines,
# form feed and escape are common in text): deleting these leaves the controls.
_NOT_BINARY_CONTROLS = bytes(b for b in range(256) if b >= 32 or b in (9, 10, 12, 13, 27))


def _looks_binary(data: bytes) -> bool:
    """NUL bytes, or many control bytes, in the first 8 KB."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = len(head.translate(None, _NOT_BINARY_CONTROLS))
    return controls > max(8, len(head) // 20)


def decode_bytes(data: bytes) -> str:
    """Decode article bytes to text.

    UTF-8 (with or without BOM) and UTF-16 with a BOM are taken as such.  A file
    that is UTF-8 apart from a few broken bytes keeps its UTF-8 reading (broken
    bytes become U+FFFD).  Otherwise the text is most likely a Western single-byte
    encoding: mostly-ASCII text that decodes as cp1252 is read as cp1252 (the
    statistical detector is unreliable on a handful of accented bytes - it calls
    a lone '£' Japanese), and anything else goes to charset-normalizer, with
    Latin-1 as the last resort since it can decode any byte.

    Raises :class:`ReadError` for binary data.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if _looks_binary(data):
        raise ReadError("not a text file (binary data)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    as_utf8 = data.decode("utf-8", errors="replace")
    broken = as_utf8.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
    valid_multibyte = sum(1 for ch in as_utf8 if ord(ch) > 127 and ch != "\ufffd")
    if valid_multibyte >= 1 and broken <= valid_multibyte:
        return as_utf8
    non_ascii = sum(1 for b in data if b > 127)
    if non_ascii <= max(1, len(data) // 10):
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.encoding:
        return str(best)
    return data.decode("latin-1")
