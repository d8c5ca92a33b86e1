"""Sourcing: the reports each article credits, linked to the library.

Detection (articles.analysis.provenance) is kept per article in
``article_credit``, keyed by article and rebuilt when its body (or its own
outlet, which decides what is a self-credit) changes. It is filled when first
needed (showing an article, a story's versions), not at import: at about 2 ms
an article it would add minutes to a 100,000-article import for credits most
articles never have read.

Linking a credit to the credited article is done at read time against the
library as it is now, so a link appears as soon as the credited report is
imported, whichever of the two came first. A credited report is in the
library when an article matches its outlet (the article's ``source`` or the
host of its ``url``: "Daily Beast" ~ "thedailybeast.com"), its author or its
title, and is about the same thing (shared words) and not newer than the
crediting article.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Sequence
from datetime import date as _date, timedelta

from ..analysis import credit_match as cm
from ..analysis.outlets import outlet_key, outlets_match
from ..analysis.provenance import RULES_VERSION, Credit, find_credits
from ..store import Store, StoreError
from ..store import credits as table

CANDIDATES = 200  # newest articles of a matched outlet looked at
WINDOW = 60  # days: how far back a dated article's credited report is looked for


def credits_of(store: Store, art, lock: threading.Lock | None = None) -> list[Credit]:
    """The reports ``art`` credits, from the store when found in this body
    already, else found now (and stored when the library can be written).
    ``lock``: the library's write lock, when other threads write over the
    same connection."""
    conn = store.conn
    own = cm.own_outlet(art.source, art.url)
    key = f"{RULES_VERSION}:{own}"  # new rules or another own outlet: find them again
    if table.done_with(conn, art.id) == (art.body_hash, key):
        return [Credit(o, a, t, s, e, k, v, ((s, e),)) for o, a, t, v, k, s, e in table.stored(conn, art.id)]
    found = find_credits(art.body, exclude_outlets=[own] if own else [])
    if store.read_only:
        return found
    try:
        with table.writing_briefly(store, lock):
            table.replace(conn, art.id, [(c.outlet, c.author, c.title, c.via, c.kind, c.start, c.end)
                                         for c in found], art.body_hash, key)
    except (table.Busy, StoreError, sqlite3.Error):
        pass  # busy or full: the credits are still right, just not kept for next time
    return found


# -- linking -------------------------------------------------------------------------------
class _Linker:
    """Resolves credits against the library; one per request (caches the
    library's outlet names and candidate texts)."""

    def __init__(self, store: Store):
        self.conn = store.conn
        self._sources: list[str] | None = None
        self._by_key: dict[tuple, list[tuple]] = {}
        self._words: dict[str, set[str]] = {}

    def sources(self) -> list[str]:
        if self._sources is None:
            self._sources = table.sources(self.conn)
        return self._sources

    def outlet_articles(self, outlet: str, when: _date | None) -> list[tuple]:
        """The newest CANDIDATES articles of this outlet (by source name or web
        host), within WINDOW days before ``when`` (when known). Each lookup walks
        an index: the source index by name, the URL index for hosts."""
        key = outlet_key(outlet)
        cache_key = (key, when)
        if cache_key in self._by_key:
            return self._by_key[cache_key]
        span = None
        if when is not None:
            span = ((when - timedelta(days=WINDOW)).isoformat(),
                    (when + timedelta(days=cm.DATE_SLACK)).isoformat() + "~")
        rows: list[tuple] = []
        for name in (s for s in self.sources() if outlets_match(outlet, s)):
            rows += table.by_source(self.conn, name, span, CANDIDATES)
        if len(key) >= 3:
            # Articles known by their web address: the host names the outlet.
            urls = [u for u in table.urls_like(self.conn, key)
                    if outlets_match(outlet, cm.host(u))][:CANDIDATES * 5]
            seen = {r[0] for r in rows}
            for i in range(0, len(urls), 500):
                for r in table.by_urls(self.conn, urls[i:i + 500], span):
                    if r[0] not in seen:
                        seen.add(r[0])
                        rows.append(r)
        rows.sort(key=lambda r: r[3] or "", reverse=True)
        rows = rows[:CANDIDATES * 2]
        self._by_key[cache_key] = rows
        return rows

    def title_articles(self, title: str) -> list[tuple]:
        words = sorted(re.findall(r"\w{5,}", title), key=len, reverse=True)
        if not words:
            return []
        return table.by_title_word(self.conn, words[0], CANDIDATES)

    def words(self, aid: str, title: str, body: str) -> set[str]:
        got = self._words.get(aid)
        if got is None:
            got = self._words[aid] = cm.words(title + "\n" + body)
        return got

    def resolve(self, art, credit: Credit) -> str | None:
        """The id of the library article ``credit`` names, or None."""
        cands: dict[str, tuple] = {}
        if credit.outlet:
            for r in self.outlet_articles(credit.outlet, cm.day(art.date)):
                cands[r[0]] = r
        if credit.title:
            for r in self.title_articles(credit.title):
                cands.setdefault(r[0], r)
        cands.pop(art.id, None)
        if not cands:
            return None
        mine = self.words(art.id, art.title, art.body)
        when = cm.day(art.date)
        best, best_score = None, 0.0
        for aid, title, author, date, source, url, body in cands.values():
            score = cm.match_score(credit, when, mine, title, author, date, source, url,
                                   self.words(aid, title, body))
            if score is not None and score > best_score:
                best, best_score = aid, score
        return best


def _record(c: Credit, article_id: str | None, body: str) -> dict:
    return {"outlet": c.outlet, "author": c.author, "title": c.title, "article_id": article_id,
            "via": c.via, "kind": c.kind, "evidence": body[c.start:c.end],
            "start": c.start, "end": c.end}


def article_sources(store: Store, art, linker: _Linker | None = None,
                    lock: threading.Lock | None = None) -> list[dict]:
    """``[{"outlet", "author", "title", "article_id", "via", "kind", "evidence",
    "start", "end"}]``: the reports ``art`` credits, ``article_id`` the credited
    article when the library has it (else None); start/end index ``art.body``."""
    linker = linker or _Linker(store)
    return [_record(c, linker.resolve(art, c), art.body) for c in credits_of(store, art, lock)]


def sourced_from_line(sources: Sequence[dict]) -> str:
    """The one-line summary the reader and `show` print: "Raw Story, citing The
    Daily Beast; Global News" (a report credited through another is shown with it)."""

    def one(s: dict) -> str:
        name = s.get("outlet") or s.get("author") or "?"
        extra = []
        if s.get("outlet") and s.get("author"):
            extra.append(s["author"])
        if s.get("title"):
            extra.append(f"“{s['title']}”")
        text = name + (f" ({', '.join(extra)})" if extra else "")
        return text + (" [in library]" if s.get("article_id") else "")

    keys = {outlet_key(s.get("outlet")) for s in sources if s.get("outlet")}
    children: dict[str, list[dict]] = {}
    top = []
    for s in sources:
        via = outlet_key(s.get("via"))
        if via and via in keys:
            children.setdefault(via, []).append(s)
        else:
            top.append(s)
    parts = []
    for s in top:
        text = one(s)
        kids = children.get(outlet_key(s.get("outlet")), []) if s.get("outlet") else []
        if kids:
            text += ", citing " + ", ".join(one(k) for k in kids)
        elif s.get("via"):
            text += f", via {s['via']}"
        parts.append(text)
    return "; ".join(parts)


def chain_line(chain: Sequence[dict]) -> str:
    """ "of Raw Story → The Daily Beast" for a credit chain ("" when empty)."""
    if not chain:
        return ""
    steps = []
    for s in chain:
        name = s.get("outlet") or s.get("author") or "?"
        if s.get("article_id"):
            name += f" [{s['article_id'][:8]}]"
        steps.append(name)
    return "of " + " → ".join(steps)


# -- stories: who reported it first ----------------------------------------------------------
def story_provenance(store: Store, ids: Sequence[str], lock: threading.Lock | None = None) -> dict[str, dict]:
    """For each article of a story: ``{"role": "original" | "re-report" | None,
    "sources": [...], "chain": [...], "credited_by": [ids]}``.

    A *re-report* credits another report; an *original* is credited by another
    article of the library and credits nobody itself; None when neither.
    ``chain``: the line of credits from this article back towards the first
    report, each step ``{"outlet", "author", "title", "article_id"}``, following
    "via" credits ("according to Raw Story, the Daily Beast report ...": Raw
    Story, then the Daily Beast) and links into the library."""
    arts = store.get_many(list(ids))
    linker = _Linker(store)
    sources = {aid: article_sources(store, arts[aid], linker, lock) for aid in ids if aid in arts}
    credited_by: dict[str, list[str]] = {aid: [] for aid in sources}
    for aid, srcs in sources.items():
        for s in srcs:
            target = s["article_id"]
            if target and target != aid:
                credited_by.setdefault(target, [])
                if aid not in credited_by[target]:
                    credited_by[target].append(aid)

    def chain(aid: str, seen: frozenset) -> list[dict]:
        srcs = sources.get(aid)
        if srcs is None:
            target = arts.get(aid) or store.get(aid)
            if target is None:
                return []
            srcs = sources[aid] = article_sources(store, target, linker, lock)
        if not srcs:
            return []
        # The credit others came through goes first: Raw Story before "the Daily Beast, via Raw Story".
        vias = {outlet_key(s["via"]) for s in srcs if s["via"]}
        head = next((s for s in srcs if outlet_key(s["outlet"]) in vias), None)
        first = head or srcs[0]
        steps = [first]
        nxt = next((s for s in srcs if s["via"] and outlet_key(s["via"]) == outlet_key(first["outlet"])),
                   None)
        if nxt is not None:
            steps.append(nxt)
        out = [{k: s[k] for k in ("outlet", "author", "title", "article_id")} for s in steps]
        last = steps[-1]["article_id"] or next((s["article_id"] for s in steps if s["article_id"]), None)
        if last and last not in seen:
            out += chain(last, seen | {last})
        return out

    out = {}
    for aid in ids:
        if aid not in sources:
            continue
        srcs = sources[aid]
        role = "re-report" if srcs else ("original" if credited_by.get(aid) else None)
        out[aid] = {"role": role, "sources": srcs, "chain": chain(aid, frozenset({aid})),
                    "credited_by": credited_by.get(aid, [])}
    return out
