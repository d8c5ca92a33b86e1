"""OPML subscription lists: read one into outlines, write one from feeds.
No database here: services/feeds.py subscribes to what is read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

import lxml.etree

from ..errors import FeedError
from ..text import sanitize_line

__all__ = ["OpmlOutline", "read_opml", "write_opml"]


@dataclass(frozen=True)
class OpmlOutline:
    """One feed of an OPML file; ``tag`` is its folder (or first category)."""

    url: str
    title: str | None
    tag: str | None


def read_opml(path: str | Path) -> list[OpmlOutline]:
    """The feeds of an OPML file, in document order.  Folders become tags.

    Raises FeedError naming the file if it cannot be read or is not OPML.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeedError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    # No DTDs, no entity expansion, no network: an OPML file is as untrusted as a feed.
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                  huge_tree=False, recover=False)
    try:
        root = lxml.etree.fromstring(data, parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise FeedError(f"{path}: not a valid OPML file: {exc}") from exc
    if root.tag != "opml" or root.find("body") is None:
        raise FeedError(f"{path}: not an OPML file (no <opml><body>)")
    out: list[OpmlOutline] = []

    def visit(el, folder: str | None) -> None:
        for outline in el.iterchildren("outline"):
            url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
            label = outline.get("title") or outline.get("text")
            if url:
                if label and label.strip() == url:
                    label = None  # an untitled feed: let the feed name itself
                out.append(OpmlOutline(url, label, folder or _first_category(outline.get("category"))))
            else:
                visit(outline, sanitize_line(label or "") or folder)

    visit(root.find("body"), None)
    return out


def _first_category(value: str | None) -> str | None:
    if not value:
        return None
    first = value.split(",")[0].strip().strip("/")
    return first.split("/")[-1] or None


def write_opml(feeds: Iterable, title: str = "Newsdesk subscriptions") -> str:
    """Feeds (anything with url, title, tag, site_url) as an OPML 2.0 document;
    each tag becomes a folder."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = formatdate(usegmt=True)
    body = ET.SubElement(opml, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        parent = body
        if feed.tag:
            if feed.tag not in folders:
                folders[feed.tag] = ET.SubElement(body, "outline", text=feed.tag, title=feed.tag)
            parent = folders[feed.tag]
        attrs = {"type": "rss", "text": feed.title or feed.url, "xmlUrl": feed.url}
        if feed.title:
            attrs["title"] = feed.title
        if feed.site_url:
            attrs["htmlUrl"] = feed.site_url
        ET.SubElement(parent, "outline", attrs)
    ET.indent(opml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(opml, encoding="unicode") + "\n"
