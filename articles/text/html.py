"""HTML fragments to plain text: the one converter, used by feed entries and by
JSON exports whose bodies hold HTML.

The markup is untrusted: nothing in ``_SKIP`` (scripts, styles, embedded
frames, SVG, noscript fallbacks...) contributes text, and the tree is walked
iteratively so hostile markup nested thousands deep neither recurses nor loses
its words.
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterable

import lxml.etree
import lxml.html

from . import sanitize

__all__ = ["html_to_text", "paragraphs"]

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
        return paragraphs(html.split("\n\n"))
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return paragraphs(html.split("\n\n"))
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
        return paragraphs([bare]) if bare.strip() else ""
    return "\n\n".join(out)


def paragraphs(chunks: Iterable[str]) -> str:
    """Chunks of plain text as sanitized paragraphs, runs of blanks folded, empty
    lines and paragraphs dropped, paragraphs separated by blank lines."""
    out = []
    for chunk in chunks:
        lines = [" ".join(_SPACES.sub(" ", ln).split()) for ln in sanitize(chunk).split("\n")]
        text = "\n".join(ln for ln in lines if ln)
        if text:
            out.append(text)
    return "\n\n".join(out)
