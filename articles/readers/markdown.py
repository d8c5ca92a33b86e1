"""Markdown articles: optional front matter, a leading ``# heading`` as title,
and the body rendered to plain readable paragraphs."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from articles.text.cleaning import _Meta, _norm, clean_paragraphs, derive_title, split_breadcrumb

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<fm>.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FM_LINE = re.compile(r"^(?P<key>[A-Za-z_][\w -]{0,30}?)\s*:\s*(?P<value>.*)$")
_FM_KEYS = {
    "title": "title",
    "date": "date",
    "published": "date",
    "author": "author",
    "authors": "author",
    "by": "author",
    "source": "source",
    "publisher": "source",
    "site": "source",
    "url": "url",
    "link": "url",
    "canonical_url": "url",
}

_md = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def split_front_matter(text: str) -> tuple[_Meta, str]:
    """YAML-ish front matter (``key: value`` lines between ``---`` fences) -> (meta, rest)."""
    meta = _Meta()
    # Bounded search: front matter lives at the very top of the file.
    m = _FRONT_MATTER.match(text[:20000])
    if not m:
        return meta, text
    for line in m.group("fm").splitlines():
        fm = _FM_LINE.match(line.strip())
        if not fm:
            continue
        key = fm.group("key").strip().lower()
        if key in _FM_KEYS:
            value = fm.group("value").strip()
            if value.startswith("[") and value.endswith("]"):  # authors: [A, B]
                value = ", ".join(v.strip().strip("\"'") for v in value[1:-1].split(",") if v.strip())
            meta.set(_FM_KEYS[key], value)
    return meta, text[m.end() :]


def _inline_text(token) -> str:
    """Plain text of an inline token: link text kept, images and raw HTML dropped."""
    out: list[str] = []
    for child in token.children or []:
        kind = child.type
        if kind in ("text", "code_inline"):
            out.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
    return " ".join("".join(out).split())


# markdown-it's link-label scan is quadratic in unclosed "[" (a crafted file of
# two million of them would take hours). A text with that many brackets has no
# links worth keeping, so its brackets are escaped and read as plain text.
_MAX_BRACKETS = 5000


# What markdown-it (CommonMark with tables and strikethrough) can read as
# syntax: its punctuation anywhere, list, heading and rule markers starting a
# line, indented code. A text with none of it is plain paragraphs. Two
# patterns, the second searched in "\n" + text: one ^-anchored re.M pattern
# tried every position and cost five times as much.
_SYNTAX_CHARS = re.compile(r"[\\`*_\[\]<>#!&|~\t\r]")
_SYNTAX_LINE_START = re.compile(r"\n(?: {0,3}(?:[-+=]|\d{1,9}[.)](?: |\n|\Z))| {4})")
_BLANK_LINE = re.compile(r"\n *\n")


def _plain_paragraphs(text: str) -> list[tuple[str, str]] | None:
    """The blocks markdown-it gives a text without Markdown syntax (most saved
    articles): its paragraphs, white space folded. None when there is syntax.
    Parsing costs a quarter of reading a file; tests check both agree."""
    if _SYNTAX_CHARS.search(text) or _SYNTAX_LINE_START.search("\n" + text):
        return None
    return [("para", content) for para in _BLANK_LINE.split(text)
            if (content := " ".join(para.split()))]


def markdown_paragraphs(text: str) -> tuple[list[tuple[str, str]], set[int]]:
    """Render Markdown to [(kind, text)] blocks; kinds: heading1..6, para, code.
    Also returns the indexes of code blocks, which cleaning must not touch."""
    plain = _plain_paragraphs(text)
    if plain is not None:
        return plain, set()
    return _parsed_paragraphs(text)


def _parsed_paragraphs(text: str) -> tuple[list[tuple[str, str]], set[int]]:
    if text.count("[") > _MAX_BRACKETS:
        text = text.replace("\\", "\\\\").replace("[", "\\[")
    tokens = _md.parse(text)
    blocks: list[tuple[str, str]] = []
    code: set[int] = set()
    list_depth = 0
    pending_heading: str | None = None
    row_cells: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif tok.type == "heading_open":
            pending_heading = tok.tag  # "h1".."h6"
        elif tok.type == "inline" and i > 0:
            content = _inline_text(tok)
            if not content:
                continue
            opener = tokens[i - 1].type
            if opener == "heading_open" and pending_heading:
                blocks.append(("heading" + pending_heading[1], content))
                pending_heading = None
            elif opener in ("th_open", "td_open"):
                row_cells.append(content)
            else:
                blocks.append(("para", ("• " + content) if list_depth else content))
        elif tok.type == "tr_open":
            row_cells = []
        elif tok.type == "tr_close":
            if row_cells:
                blocks.append(("para", " | ".join(row_cells)))
        elif tok.type in ("fence", "code_block"):
            body = tok.content.rstrip("\n")
            if body.strip():
                code.add(len(blocks))
                blocks.append(("code", body))
    return blocks, code


def parse_markdown(text: str) -> dict:
    """-> dict(title, body, date, author, source, url, removed)."""
    meta, rest = split_front_matter(text)
    blocks, code = markdown_paragraphs(rest)
    title = meta.title
    if blocks and blocks[0][0].startswith("heading") and not title:
        title = blocks[0][1]
        blocks = blocks[1:]
        code = {i - 1 for i in code}
    elif blocks and title and blocks[0][0].startswith("heading") and " ".join(blocks[0][1].split()).casefold() == " ".join(title.split()).casefold():
        blocks = blocks[1:]  # the front matter title repeated as a heading
        code = {i - 1 for i in code}
    paragraphs = [content for _, content in blocks]
    # A breadcrumb trail above the text; its last segment is the headline.
    if paragraphs and 0 not in code:
        crumb = split_breadcrumb(paragraphs[0])
        if crumb is not None:
            last = crumb[1]
            if not last or (title and _norm(last) == _norm(title)):
                paragraphs, code = paragraphs[1:], {i - 1 for i in code}
            elif not title:
                title = last
                paragraphs, code = paragraphs[1:], {i - 1 for i in code}
            else:
                paragraphs[0] = last
    kept, removed = clean_paragraphs(paragraphs, protected=code)
    body = "\n\n".join(kept)
    return {
        "title": title or derive_title(body),
        "body": body,
        "date": meta.date,
        "author": meta.author,
        "source": meta.source,
        "url": meta.url,
        "removed": removed,
    }
