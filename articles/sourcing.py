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

import difflib
import re
import sqlite3
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import date as _date, timedelta
from urllib.parse import urlsplit

from .analysis.provenance import RULES_VERSION, Credit, find_credits, outlet_key, outlets_match
from .store import EXTRA_SCHEMAS, StoreError

SCHEMA = """
-- The reports an article credits (articles.analysis.provenance), per article:
-- article_credit_done says which body, own outlet and rules they were found with.
CREATE TABLE IF NOT EXISTS article_credit_done (
    article_id TEXT PRIMARY KEY, body_hash TEXT NOT NULL, own TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS article_credit (
    article_id TEXT NOT NULL, seq INTEGER NOT NULL,
    outlet TEXT, author TEXT, title TEXT, via TEXT, kind TEXT NOT NULL,
    start INTEGER NOT NULL, stop INTEGER NOT NULL,
    PRIMARY KEY (article_id, seq)
);
"""
EXTRA_SCHEMAS.append(SCHEMA)

# How alike a candidate's words must be to the crediting article's (overlap
# coefficient of content words): a re-report shares the event's names and terms.
SAME_TOPIC = 0.2
SAME_TITLE = 0.8  # a credited headline this close names the article by itself
TITLE_WITH_OUTLET = 0.55
CANDIDATES = 200  # newest articles of a matched outlet looked at
DATE_SLACK = 1  # days: a credited report may carry a date one day later (time zones)
WINDOW = 60  # days: how far back a dated article's credited report is looked for

_WORD = re.compile(r"[^\W\d_][\w’'\-]{3,}|\d[\d,.]*\d|\d")
_STOP = set("""
about above after again against also among another because been before being below between
both could does doing down during each either every from further have having here into itself
just more most much must neither never once only other ought over said same says should since
some such than that their theirs them then there these they this those through under until upon
very were what when where which while whom whose will with within without would year years your
according report reported told week weeks month months today yesterday tomorrow people time
""".split())


def ensure_schema(conn) -> None:
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name='article_credit'").fetchone() is None:
        conn.executescript(SCHEMA)


# Keeping credits is a cache write made while reading: it never waits long for
# another writer (an import in another process holds the store for seconds).
WRITE_WAIT_MS = 100


class _Busy(Exception):
    pass


@contextmanager
def _writing(store, lock):
    if lock is not None and not lock.acquire(timeout=WRITE_WAIT_MS / 1000):
        raise _Busy()
    conn = store.conn
    try:
        wait = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        conn.execute(f"PRAGMA busy_timeout={WRITE_WAIT_MS}")
        try:
            with store.transaction():
                yield
        finally:
            conn.execute(f"PRAGMA busy_timeout={int(wait)}")
    finally:
        if lock is not None:
            lock.release()


def _own(art) -> str:
    """The article's own outlet: its source, else its URL's host."""
    if art.source:
        return art.source
    if art.url:
        try:
            return urlsplit(art.url).hostname or ""
        except ValueError:
            return ""
    return ""


def credits_of(store, art, lock=None) -> list[Credit]:
    """The reports ``art`` credits, from the store when found in this body
    already, else found now (and stored when the library can be written).
    ``lock``: the library's write lock, when other threads write over the
    same connection."""
    conn = store.conn
    own = _own(art)
    key = f"{RULES_VERSION}:{own}"  # new rules or another own outlet: find them again
    try:
        done = conn.execute("SELECT body_hash, own FROM article_credit_done WHERE article_id=?",
                            (art.id,)).fetchone()
    except sqlite3.OperationalError:
        done = None  # a read-only library opened before this table existed
    if done is not None and tuple(done) == (art.body_hash, key):
        return [Credit(o, a, t, s, e, k, v, ((s, e),)) for o, a, t, v, k, s, e in conn.execute(
            "SELECT outlet, author, title, via, kind, start, stop FROM article_credit "
            "WHERE article_id=? ORDER BY seq", (art.id,))]
    found = find_credits(art.body, exclude_outlets=[own] if own else [])
    if store.read_only:
        return found
    try:
        with _writing(store, lock):
            conn.execute("DELETE FROM article_credit WHERE article_id=?", (art.id,))
            conn.executemany(
                "INSERT INTO article_credit(article_id, seq, outlet, author, title, via, kind, start, stop) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                [(art.id, i, c.outlet, c.author, c.title, c.via, c.kind, c.start, c.end)
                 for i, c in enumerate(found)])
            conn.execute("INSERT OR REPLACE INTO article_credit_done(article_id, body_hash, own) "
                         "VALUES (?,?,?)", (art.id, art.body_hash, key))
    except (_Busy, StoreError, sqlite3.Error):
        pass  # busy or full: the credits are still right, just not kept for next time
    return found


# -- linking -------------------------------------------------------------------------------
def _words(text: str) -> set[str]:
    # The headline and lead: where a re-report and its original share the event's names.
    return {w.casefold().replace("’", "'") for w in _WORD.findall(text[:2000])} - _STOP


def _topic(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _title_sim(a: str, b: str) -> float:
    fa = " ".join(re.findall(r"\w+", a.casefold()))
    fb = " ".join(re.findall(r"\w+", b.casefold()))
    if not fa or not fb:
        return 0.0
    return difflib.SequenceMatcher(None, fa, fb).ratio()


def _day(value: str | None) -> _date | None:
    try:
        return _date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _surname_match(credited: str | None, author: str | None) -> bool:
    if not credited or not author:
        return False
    last = credited.split()[-1].casefold()
    return len(last) >= 3 and re.search(rf"\b{re.escape(last)}\b", author.casefold()) is not None


class _Linker:
    """Resolves credits against the library; one per request (caches the
    library's outlet names and candidate texts)."""

    _COLS = "id, title, author, date, source, url, body"

    def __init__(self, store):
        self.conn = store.conn
        self._sources: list[str] | None = None
        self._by_key: dict[tuple, list[tuple]] = {}
        self._words: dict[str, set[str]] = {}

    def sources(self) -> list[str]:
        if self._sources is None:
            self._sources = [r[0] for r in self.conn.execute(
                "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL")]
        return self._sources

    def outlet_articles(self, outlet: str, when: _date | None) -> list[tuple]:
        """The newest CANDIDATES articles of this outlet (by source name or web
        host), within WINDOW days before ``when`` (when known). Each lookup walks
        an index: the source index by name, the URL index for hosts."""
        key = outlet_key(outlet)
        cache_key = (key, when)
        if cache_key in self._by_key:
            return self._by_key[cache_key]
        span, args = "", []
        if when is not None:
            span = " AND date >= ? AND date <= ?"
            args = [(when - timedelta(days=WINDOW)).isoformat(),
                    (when + timedelta(days=DATE_SLACK)).isoformat() + "~"]
        rows: list[tuple] = []
        for name in (s for s in self.sources() if outlets_match(outlet, s)):
            rows += self.conn.execute(
                f"SELECT {self._COLS} FROM articles WHERE source IS NULL = 0 AND source = ? COLLATE NOCASE"
                f"{span} ORDER BY date DESC LIMIT ?", (name, *args, CANDIDATES)).fetchall()
        if len(key) >= 3:
            # Articles known by their web address: the host names the outlet.
            urls = [u for (u,) in self.conn.execute("SELECT url FROM articles WHERE url LIKE ?",
                                                    (f"%{key}%",))
                    if outlets_match(outlet, _host(u))][:CANDIDATES * 5]
            seen = {r[0] for r in rows}
            for i in range(0, len(urls), 500):
                for r in self.conn.execute(
                        f"SELECT {self._COLS} FROM articles WHERE url IN (SELECT value FROM json_each(?))"
                        + span, (_json(urls[i:i + 500]), *args)):
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
        return self.conn.execute(f"SELECT {self._COLS} FROM articles WHERE title LIKE ? LIMIT ?",
                                 (f"%{words[0]}%", CANDIDATES)).fetchall()

    def words(self, aid: str, title: str, body: str) -> set[str]:
        got = self._words.get(aid)
        if got is None:
            got = self._words[aid] = _words(title + "\n" + body)
        return got

    def resolve(self, art, credit: Credit) -> str | None:
        """The id of the library article ``credit`` names, or None."""
        cands: dict[str, tuple] = {}
        if credit.outlet:
            for r in self.outlet_articles(credit.outlet, _day(art.date)):
                cands[r[0]] = r
        if credit.title:
            for r in self.title_articles(credit.title):
                cands.setdefault(r[0], r)
        cands.pop(art.id, None)
        if not cands:
            return None
        mine = self.words(art.id, art.title, art.body)
        when = _day(art.date)
        best, best_score = None, 0.0
        for aid, title, author, day, source, url, body in cands.values():
            d = _day(day)
            if when and d and d > when + timedelta(days=DATE_SLACK):
                continue  # newer than the article crediting it: not the credited report
            same_outlet = bool(credit.outlet) and (
                outlets_match(credit.outlet, source) or
                (bool(url) and outlets_match(credit.outlet, _host(url))))
            t_sim = _title_sim(credit.title, title) if credit.title else 0.0
            by_author = _surname_match(credit.author, author)
            topic = _topic(mine, self.words(aid, title, body))
            if credit.outlet and not same_outlet and t_sim < SAME_TITLE:
                continue
            ok = (t_sim >= SAME_TITLE or (same_outlet and t_sim >= TITLE_WITH_OUTLET)
                  or (same_outlet and topic >= SAME_TOPIC) or (by_author and topic >= SAME_TOPIC))
            if credit.author and author and not by_author and t_sim < SAME_TITLE:
                ok = False  # the report is by someone else
            if not ok:
                continue
            score = t_sim * 2 + topic + (0.5 if by_author else 0) + (0.5 if same_outlet else 0)
            if score > best_score:
                best, best_score = aid, score
        return best


def _host(url: str | None) -> str:
    try:
        return urlsplit(url).hostname or "" if url else ""
    except ValueError:
        return ""


def _json(values) -> str:
    import json

    return json.dumps(list(values))


def _record(c: Credit, article_id: str | None, body: str) -> dict:
    return {"outlet": c.outlet, "author": c.author, "title": c.title, "article_id": article_id,
            "via": c.via, "kind": c.kind, "evidence": body[c.start:c.end],
            "start": c.start, "end": c.end}


def article_sources(store, art, linker: _Linker | None = None, lock=None) -> list[dict]:
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
def story_provenance(store, ids: Sequence[str], lock=None) -> dict[str, dict]:
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
