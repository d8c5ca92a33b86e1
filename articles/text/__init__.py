"""Making untrusted text safe to store and to show in a terminal."""

from __future__ import annotations

import re
import unicodedata

# CSI, OSC (terminated by BEL or ST), and other ESC sequences, then any C0/C1
# control character except tab and newline.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL / ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS / SOS / PM / APC strings
    r"|\x1b[@-Z\\-_]"  # two-byte ESC sequences
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"  # 8-bit OSC
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u2028\u2029\ufeff]")


def sanitize(text: str) -> str:
    """Remove terminal escape sequences and control characters (keeps \\n and \\t).

    ``\\r\\n`` and lone ``\\r`` become ``\\n``; bidi overrides are dropped too since
    they can make a title display as something it is not.
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text or "\x9b" in text or "\x9d" in text:  # what every escape starts with
        text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("", text)
    if text.isascii():  # no format characters possible; most news text
        return text
    return _NON_ASCII.sub(_drop_format, text)


# Only non-ASCII characters can be format (Cf) characters: matching those alone
# keeps the per-character Python work to the few that need it.
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _drop_format(m: re.Match) -> str:
    ch = m.group()
    return "" if unicodedata.category(ch) == "Cf" and ch not in "\u00ad\u200d" else ch


def sanitize_line(text: str) -> str:
    """Sanitize and fold to one line (titles, names, table cells)."""
    return " ".join(sanitize(text).split())


_MAX_URL = 4096


def safe_url(value) -> str | None:
    """``value`` if it is an absolute http(s) URL, safe to store and to hand to a
    browser; else None. Articles claim URLs (front matter, canonical links,
    JSON fields, feeds): a ``javascript:``, ``file:`` or ``data:`` URL, a local
    path, or a string starting with ``-`` (taken by a browser as an option)
    must never reach ``webbrowser.open``."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > _MAX_URL:
        return None
    # No spaces, controls, format (bidi) or unassigned characters anywhere.
    if any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in url):
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return url


# Characters whose width terminals and Rich's measure disagree on: a zero-width
# joiner (Rich joins its neighbours into one cell, terminals show both), a soft
# hyphen, emoji variation selectors and skin-tone modifiers.
_UNMEASURED = re.compile("[\u00ad\u200d\ufe00-\ufe0f\U0001f3fb-\U0001f3ff]")


def for_columns(text: str) -> str:
    """One line of untrusted text fit for a fixed-width column: sanitized, composed
    (NFC, so accents join their letters) and without the characters whose width a
    terminal and the layout would count differently, which misalign the columns."""
    line = sanitize_line(text)
    if line.isascii():
        return line
    return _UNMEASURED.sub("", unicodedata.normalize("NFC", line))
