"""Exports of a selection of articles: Markdown (to read, or to brief someone),
JSON and CSV (for other tools).

The input is plain data gathered by the Library (``Library.export_selection``):
articles with their tags, notes, highlights and quotes, and for a dossier the
entity's timeline, companions and quotes. Everything in it is untrusted text
(titles, bodies, notes): it is sanitized for the terminal and kept on one line
where Markdown needs one, so a title cannot start a heading or forge a list.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from ..text import sanitize, sanitize_line
from .sourcing import outlet_key, sourced_from_line

__all__ = ["FORMATS", "render", "write_whole", "select"]

FORMATS = ("md", "json", "csv")


def render(doc: dict, fmt: str) -> str:
    if fmt == "md":
        return to_markdown(doc)
    if fmt == "json":
        return json.dumps(doc, ensure_ascii=True, indent=2) + "\n"
    if fmt == "csv":
        return to_csv(doc)
    raise ValueError(f"unknown export format {fmt!r} (md, json or csv)")


def _line(value) -> str:
    """One Markdown-safe line: no control characters, no newline, and no
    character that would make Markdown read it as a heading, list or quote."""
    text = " ".join(sanitize_line(str(value or "")).split())
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("`", "\\`") \
        .replace("[", "\\[").replace("]", "\\]").replace("<", "&lt;")


def _quote_block(text: str) -> str:
    return "\n".join("> " + _line(p) for p in sanitize(text).split("\n") if p.strip())


def _meta(art: dict) -> str:
    parts = [_line(x) for x in (art.get("source"), art.get("author"), art.get("date") or "undated") if x]
    if not art.get("source") and art.get("sources"):
        # No outlet recorded (a pasted text file): what the article itself credits is what is known.
        parts.append("sourced from " + _line(sourced_from_line(art["sources"])))
    return " · ".join(parts)


def _words(text) -> str:
    """A passage reduced to its words, so the same quote with other dashes,
    quote marks, ellipses, spacing or case compares equal."""
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", str(text or "")).casefold()))


def _same_passage(a: str, b: str) -> bool:
    """``a`` and ``b`` (both _words) are one passage: equal, or the shorter one,
    if more than a few words, quoted inside the longer."""
    if a == b:
        return bool(a)
    short, long_ = sorted((a, b), key=len)
    return short.count(" ") >= 2 and f" {short} " in f" {long_} "


def _article_md(art: dict, n: int, level: str = "###", lead: str | None = None,
                quotes: list[dict] | None = None, quotes_elsewhere: str | None = None) -> list[str]:
    out = [f"{level} {n}. {_line(art.get('title')) or '(untitled)'}", "", _meta(art)]
    if art.get("url"):
        url = sanitize_line(art["url"]).replace(">", "%3E").replace(" ", "%20")
        out += ["", f"<{url}>"]
    out += ["", f"Article id: `{sanitize_line(art['id']).replace('`', '')}`"]
    if art.get("tags"):
        out += ["", "Tags: " + ", ".join(_line(t) for t in art["tags"])]
    # A title made from the lead sentence is not printed twice.
    if lead and not _words(lead).startswith(_words(art.get("title")) or "\0"):
        out += ["", _quote_block(lead)]
    if art.get("highlights"):
        out += ["", "**Highlights**", ""]
        for h in art["highlights"]:
            item = f"- “{_line(h['text'])}”"
            if h.get("note"):
                item += f" — {_line(h['note'])}"
            if h.get("orphaned"):
                item += " *(orphaned: no longer in the article's text)*"
            out.append(item)
    if art.get("notes"):
        out += ["", "**Notes**", ""]
        out += [f"- {_line(x['created'][:10])}: {_line(x['text'])}" for x in art["notes"]]
    quotes = art.get("quotes") if quotes is None else quotes
    if quotes or quotes_elsewhere:
        out += ["", "**Quotes**", ""]
        for q in quotes:
            out.append(f"- “{_line(q['text'])}” — {_line(q.get('speaker')) or 'unattributed'}")
        if quotes_elsewhere:
            out.append(f"- *{quotes_elsewhere}*")
    return out + [""]


class _Quoted:
    """The quotes a briefing has printed so far and where, so each is printed once."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []  # (words, where it was printed)

    def where(self, text: str) -> str | None:
        key = _words(text)
        return next((place for seen, place in self.seen if _same_passage(key, seen)), None)

    def add(self, text: str, place: str) -> None:
        self.seen.append((_words(text), place))

    def split(self, quotes, place: str) -> tuple[list[dict], str | None]:
        """The quotes not printed yet (now marked as printed in ``place``) and a
        line saying where the others already are, e.g. "2 more quote(s) also in
        report 1"."""
        new, elsewhere = [], {}
        for q in quotes or ():
            before = self.where(q["text"])
            if before is None:
                new.append(q)
                self.add(q["text"], place)
            else:
                elsewhere[before] = elsewhere.get(before, 0) + 1
        if not elsewhere:
            return new, None
        return new, "; ".join(f"{k} quote(s) from this report already given {v}" for v, k in elsewhere.items())


def to_markdown(doc: dict) -> str:
    sel = doc["selection"]
    arts = doc["articles"]
    out: list[str] = []
    dossier = doc.get("dossier")
    if dossier:
        ent = dossier["entity"]
        out += [f"# Briefing: {_line(ent['name'])}", ""]
        facts = [_line(ent.get("type"))]
        if ent.get("aliases"):
            facts.append("also written " + ", ".join(_line(a) for a in ent["aliases"]))
        facts.append(f"{ent.get('articles', len(arts))} article(s), {ent.get('mentions', 0)} mention(s)")
        out += [" · ".join(f for f in facts if f), "", f"Exported {_line(doc['exported'])}.", ""]
        out += ["## In brief", ""]
        dated = [a for a in arts if a.get("date")]
        if dated:
            first, last = _line(dated[0]["date"]), _line(dated[-1]["date"])
            out.append((f"- Reported from {first} to {last}" if first != last else f"- Dated report: {first}")
                       + (f"; {len(arts) - len(dated)} undated report(s)" if len(dated) < len(arts) else ""))
        sources = sorted({a["source"] for a in arts if a.get("source")})
        if sources:
            out.append("- Outlets: " + ", ".join(_line(s) for s in sources))
        # "Daily Beast" and "The Daily Beast" are one outlet
        credited = sorted({outlet_key(s["outlet"]): s["outlet"] for a in arts if not a.get("source")
                           for s in a.get("sources") or () if s.get("outlet")}.values())
        if credited:
            out.append(("- Reports with no outlet recorded credit: " if sources else "- No outlet recorded; "
                        "the reports credit: ") + ", ".join(_line(s) for s in credited))
        if dossier.get("timeline"):
            out.append("- Mentions by month: " + "; ".join(
                f"{_line(t['month'])}: {t['mentions']} in {t['articles']} article(s)" for t in dossier["timeline"]))
        if dossier.get("co_mentioned"):
            out.append("- Appears most with: " + ", ".join(
                f"{_line(c['name'])} ({c['articles']})" for c in dossier["co_mentioned"][:8]))
        n_h = sum(len(a.get("highlights") or ()) for a in arts)
        n_n = sum(len(a.get("notes") or ()) for a in arts)
        if n_h or n_n:
            out.append(f"- Working notes: {n_h} highlight(s), {n_n} note(s) on these articles")
        out.append("")
        own = [q for q in dossier.get("quotes") or () if q.get("speaker") == ent["name"]]
        about = [q for q in dossier.get("quotes") or () if q.get("speaker") != ent["name"]]
        titles = {a["id"]: a.get("title") for a in arts}
        quoted = _Quoted()
        said, _ = quoted.split((own + about)[:12], "under What was said")
        if said:
            out += ["## What was said", ""]
            for q in said:
                where = titles.get(q.get("article"))
                out.append(f"- “{_line(q['text'])}” — {_line(q.get('speaker')) or 'unattributed'}"
                           + (f", in *{_line(where)}*" if where else ""))
            out.append("")
        out += ["## The reports, oldest first", ""]
        for n, art in enumerate(arts, 1):
            # Reports are oldest first, so a quote is printed under the earliest report giving it.
            quotes, elsewhere = quoted.split(art.get("quotes"), f"in report {n}")
            out += _article_md(art, n, lead=art.get("sentence"), quotes=quotes, quotes_elsewhere=elsewhere)
    else:
        out += [f"# {_line(sel['label'])}", "", f"{len(arts)} article(s) · exported {_line(doc['exported'])}", ""]
        for n, art in enumerate(arts, 1):
            out += _article_md(art, n, level="##")
    return "\n".join(out).rstrip() + "\n"


def to_csv(doc: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "title", "source", "author", "date", "url", "tags", "highlights", "notes"])
    for a in doc["articles"]:
        w.writerow([a["id"], sanitize_line(a.get("title") or ""), sanitize_line(a.get("source") or ""),
                    sanitize_line(a.get("author") or ""), a.get("date") or "", a.get("url") or "",
                    ", ".join(a.get("tags") or ()),
                    " | ".join(sanitize_line(h["text"]) + (" [orphaned]" if h.get("orphaned") else "")
                               for h in a.get("highlights") or ()),
                    " | ".join(sanitize_line(n["text"]) for n in a.get("notes") or ())])
    return buf.getvalue()

def write_whole(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file beside it,
    flushed to disk, then renamed over it (a failure leaves no half file)."""
    import tempfile

    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# -- gathering a selection -----------------------------------------------------------
def select(store, *, query: str | None = None, tag: str | None = None, story: str | None = None,
           dossier: str | None = None, saved: str | None = None, ids=None, limit: int = 500,
           find: Callable, dossier_of: Callable, story_of: Callable, tagged: Callable,
           saved_query: Callable, matching_ids: Callable, extras: Callable) -> dict:
    """The articles of one selection (the first of dossier, story, tag, ids, saved
    or query given) with everything the user made on them: {"selection",
    "exported", "articles", "dossier"}.  The lookups are the Library's, handed
    in: ``find(ref)`` an Article or LibraryError, ``dossier_of(name)``,
    ``story_of(id)``, ``tagged(name)`` ids oldest first, ``saved_query(name)``,
    ``matching_ids(query)``, and ``extras(art)`` its tags, notes, highlights and quotes."""
    from ..store import LibraryError
    from ..store.tags import clean_tag

    doss = None
    if dossier is not None:
        doss = dossier_of(dossier)
        picked = [a["id"] for a in doss["articles"]]
        label, kind, value = f"Dossier: {doss['entity']['name']}", "dossier", dossier
    elif story is not None:
        art = find(story)
        picked = list(story_of(art.id).articles)
        label, kind, value = f"Story of {art.title}", "story", art.id
    elif tag is not None:
        try:
            name = clean_tag(tag)
        except ValueError as exc:
            raise LibraryError(str(exc)) from None
        picked = tagged(name)
        if not picked:
            raise LibraryError(f"no article is tagged {name!r}")
        label, kind, value = f"Tag: {name}", "tag", name
    elif ids is not None:
        picked = [find(i).id for i in ids]
        label = find(picked[0]).title if len(picked) == 1 else "Articles"
        kind, value = "articles", ",".join(picked)
    else:
        if saved is not None:
            query = saved_query(saved)
        if not query or not query.strip():
            raise LibraryError("give a query, --tag, --story or --dossier to export")
        picked = matching_ids(query)[:limit]
        label, kind, value = (f"Saved search: {saved}" if saved else f"Search: {query}"), \
            ("saved" if saved else "query"), query
    arts = store.get_many(picked)
    sentences = {a["id"]: a.get("sentence") for a in doss["articles"]} if doss else {}
    out = []
    for aid in picked:
        art = arts.get(aid)
        if art is None:
            continue
        doc = {k: v for k, v in art.to_json().items() if k not in ("body", "path")}
        doc.update(extras(art))
        if aid in sentences:
            doc["sentence"] = sentences[aid]
        out.append(doc)
    return {"selection": {"kind": kind, "value": value, "label": label},
            "exported": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "articles": out, "dossier": doss}
