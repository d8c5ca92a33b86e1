"""Feed subscriptions and refreshing them: the use case over the store's feed
tables and the web layer.

``refresh`` fetches every feed concurrently, turns new or changed entries into
``Draft`` objects and hands them to a ``save`` callable (the Library's import
pipeline), one feed at a time, from the calling thread.  Nothing already stored
is ever removed by a refresh; a feed's ETag / Last-Modified and its record of
seen entries only move forward after its entries were saved, so a failed save is
simply retried next time.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx

from ..errors import FeedError, FeedExists, UnknownFeed
from ..model import Draft
from ..store import feeds as table
from ..store.feeds import FEEDS_SCHEMA, Feed
from ..text import sanitize_line
from ..web.feedparse import ParsedEntry, ParsedFeed, parse_feed, short_reason
from ..web.fetch import (DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, FetchError, check_url, deadline, fetch,
                         host_kinds, make_client)
from ..web.opml import read_opml, write_opml
from ..web.pages import extract_page, looks_like_html

if TYPE_CHECKING:
    from ..store import Store

__all__ = [
    "FEEDS_SCHEMA", "Feed", "FeedError", "FeedExists", "UnknownFeed", "FeedResult", "OpmlImport",
    "normalize_feed_url", "add_feed", "remove_feed", "list_feeds", "get_feed", "feed_article_ids",
    "import_opml", "export_opml", "refresh",
]

# At most this many linked pages are fetched per feed per refresh; the rest keep
# their summaries and are retried on a later refresh.
MAX_PAGES_PER_FEED = 30


@dataclass
class FeedResult:
    """What one feed's refresh did.  ``status``: new / updated / unchanged / failed."""

    feed_id: int
    url: str
    title: str | None
    status: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # same text as an article already in the library
    entries: int = 0  # entries the feed listed
    pages_fetched: int = 0
    pages_failed: int = 0
    reason: str | None = None  # why it failed
    cut_off: bool = False  # failed because the refresh's time limit ran out
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class OpmlImport:
    added: list[Feed] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)


# --------------------------------------------------------------------------
# Subscriptions


def normalize_feed_url(url: str) -> str:
    """Accept ``example.com/feed`` as ``https://example.com/feed``; refuse non-web URLs."""
    # Control, format (bidi) and space characters are percent-encoded before the
    # URL is stored: it then names what a request would have asked for anyway,
    # and no reader of the store (list, export, the TUI) meets them raw.
    url = "".join(quote(ch, safe="") if ch.isspace() or unicodedata.category(ch)[0] == "C" else ch
                  for ch in (url or "").strip())
    if url and "://" not in url and not url.startswith(("/", ".")):
        url = "https://" + url
    try:
        return check_url(url)
    except FetchError as exc:
        raise FeedError(exc.reason) from None


def add_feed(store: Store, url: str, tag: str | None = None, title: str | None = None) -> Feed:
    """Subscribe to ``url`` (no network access).  Raises FeedExists if already there."""
    url = normalize_feed_url(url)
    tag = sanitize_line(tag) or None if tag else None
    title = sanitize_line(title) or None if title else None
    existing = _find(store, url)
    if existing is not None:
        raise FeedExists(f"already subscribed to {url} (feed {existing.id})")
    return table.insert_feed(store, url, tag, title)


def get_feed(store: Store, url_or_id: int | str) -> Feed:
    feed = _find(store, url_or_id)
    if feed is None:
        raise UnknownFeed(f"no feed {url_or_id!s} (see `newsdesk feeds list`)")
    return feed


def _find(store: Store, url_or_id: int | str) -> Feed | None:
    if isinstance(url_or_id, int) or str(url_or_id).strip().isdigit():
        return table.feed_by_id(store, int(url_or_id))
    feed = table.feed_by_url(store, str(url_or_id).strip())
    if feed is None:
        try:
            url = normalize_feed_url(str(url_or_id))
        except FeedError:
            return None
        feed = table.feed_by_url(store, url)
    return feed


def remove_feed(store: Store, url_or_id: int | str) -> Feed:
    """Unsubscribe.  Articles already saved from the feed stay in the library."""
    feed = get_feed(store, url_or_id)
    table.delete_feed(store, feed.id)
    return feed


def list_feeds(store: Store, tag: str | None = None) -> list[Feed]:
    """Subscriptions, untagged first then by tag, each with ``articles`` and ``unread`` counts."""
    feeds = table.list_feeds(store, tag=tag)
    counts = table.article_counts(store)
    for f in feeds:
        f.articles, f.unread = counts.get(f.id, (0, 0))
    return feeds


def feed_article_ids(store: Store, feed: int | None = None, tag: str | None = None) -> list[str]:
    """Articles saved from one feed, from the feeds tagged ``tag``, or (neither
    given) from any subscribed feed."""
    return table.feed_article_ids(store, feed=feed, tag=tag)


def import_opml(store: Store, path: str | Path) -> OpmlImport:
    """Subscribe to every feed in an OPML file.  Folders become tags.

    Feeds already subscribed, or with unusable URLs, are skipped with a reason.
    """
    result = OpmlImport()
    for outline in read_opml(path):
        try:
            result.added.append(add_feed(store, outline.url, tag=outline.tag, title=outline.title))
        except FeedError as exc:
            result.skipped.append((outline.url, str(exc)))
    return result


def export_opml(store: Store, title: str = "Newsdesk subscriptions") -> str:
    """All subscriptions as an OPML 2.0 document; each tag becomes a folder."""
    return write_opml(table.list_feeds(store), title)


# --------------------------------------------------------------------------
# Refreshing

@dataclass
class _FeedFetch:
    feed: Feed
    not_modified: bool = False
    parsed: ParsedFeed | None = None
    fresh: list[ParsedEntry] = field(default_factory=list)  # new or changed entries
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    cut_off: bool = False  # not fetched before the refresh's time limit
    timed_out: bool = False  # the error is a timeout (the refresh's limit, if it has passed)
    # The kinds of address the feed was served from (see web.fetch.address_kind):
    # its links may reach those besides public ones.
    kinds: set[str] = field(default_factory=set)


def _fetch_feed(client: httpx.Client, feed: Feed, seen: dict[str, str], max_bytes: int,
                timeout: float, until: float | None = None) -> _FeedFetch:
    """Runs in a worker thread: network and parsing only, never the database."""
    out = _FeedFetch(feed)
    headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
                         "text/xml;q=0.9, */*;q=0.5"}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    try:
        with deadline(until):
            resp = fetch(client, feed.url, headers=headers, max_bytes=max_bytes, timeout=timeout)
        if resp.not_modified:
            out.not_modified = True
            return out
        out.parsed = parse_feed(resp.content, resp.url, resp.headers)
    except (FetchError, FeedError) as exc:
        out.error = getattr(exc, "reason", None) or str(exc)
        out.timed_out = getattr(exc, "kind", None) == "timeout"
        return out
    except Exception as exc:  # a parser bug on odd input must not stop the other feeds
        out.error = f"could not read the feed: {type(exc).__name__}: {short_reason(exc)}"
        return out
    try:
        out.kinds = set(host_kinds(urlsplit(resp.url).hostname or "").values())
    except FetchError:
        out.kinds = set()  # its links may then reach public addresses only
    lower = {k.lower(): v for k, v in resp.headers.items()}
    out.etag = lower.get("etag")
    out.last_modified = lower.get("last-modified")
    out.fresh = [e for e in out.parsed.entries if seen.get(e.key) != e.digest]
    pages = 0
    for e in out.fresh:
        if e.needs_page:
            pages += 1
            if pages > MAX_PAGES_PER_FEED:
                e.needs_page = False
                e.page_error = "page not fetched this time (too many in one refresh)"
                e.page_retry = True
    return out


def _fetch_entry_page(client: httpx.Client, entry: ParsedEntry, max_bytes: int, timeout: float,
                      until: float | None = None, allow: set[str] | None = None):
    """Runs in a worker thread: the linked page's text, or the FetchError that
    stopped it. The entry itself is changed only by the calling thread (see
    _apply_page), so one abandoned at the refresh's time limit is left as it was."""
    try:
        with deadline(until):
            resp = fetch(client, entry.link, max_bytes=max_bytes, timeout=timeout,
                         allow=set() if allow is None else allow)
        if resp.not_modified or not looks_like_html(resp.headers, resp.content):
            raise FetchError("content", "the link is not a web page")
        page = extract_page(resp.content, resp.url, resp.headers)
        if page is None or len(page.text) <= len(entry.body):
            raise FetchError("content", "no article text found on the page")
    except FetchError as exc:
        return exc
    except Exception as exc:
        return FetchError("content", f"{type(exc).__name__}: {short_reason(exc)}")
    return page


def _apply_page(entry: ParsedEntry, outcome) -> None:
    """Replace a teaser with the linked page's text, or note why it could not be."""
    if isinstance(outcome, FetchError):
        entry.page_error = outcome.reason
        entry.page_refused = outcome.kind == "refused"
        entry.page_retry = outcome.kind in ("timeout", "connect", "dns", "network") or (
            outcome.kind == "http" and (outcome.status or 0) in (408, 429) or (outcome.status or 0) >= 500)
        return
    page = outcome
    entry.body = page.text
    entry.body_from = "page"
    if not entry.author and page.author:
        entry.author = page.author
    if not entry.date and page.date:
        entry.date = page.date


def _count(report: Any, name: str) -> int:
    value = report.get(name) if isinstance(report, Mapping) else getattr(report, name, 0)
    if isinstance(value, (list, tuple, set)):
        return len(value)
    return int(value or 0)


def _select_feeds(store: Store, feeds: Iterable[int | str | Feed] | None) -> list[Feed]:
    if feeds is None:
        return table.list_feeds(store)
    out: list[Feed] = []
    for f in feeds:
        feed = get_feed(store, f.id if isinstance(f, Feed) else f)
        if all(x.id != feed.id for x in out):
            out.append(feed)
    return out


# Past the refresh's time limit, requests still running get this long to notice
# (every socket operation is cut to the limit, so they end at once) before the
# refresh stops waiting for them.
CUT_OFF_GRACE = 1.0


def refresh(
    store: Store,
    save: Callable[[list[Draft]], Any],
    *,
    feeds: Iterable[int | str | Feed] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    concurrency: int = 8,
    client: httpx.Client | None = None,
    lock: AbstractContextManager | None = None,
    cancel: threading.Event | None = None,
    deadline: float | None = None,
) -> list[FeedResult]:
    """Fetch feeds (all, or those named in ``feeds`` by id or URL) and save new entries.

    ``save(drafts)`` is called from this thread once per feed that has new or changed
    entries and must return counts ``added``, ``updated``, ``unchanged`` (attributes
    or keys).  Blocking; safe to call from a worker thread as long as ``store`` and
    ``save`` may be used from it.  ``lock``, if given, is held around this
    function's own writes to ``store`` (never while ``save`` runs), so other
    threads sharing the connection can serialise their writes with it.
    Setting ``cancel`` stops the refresh soon: feeds already saved stay saved, the
    rest are left exactly as they were and are missing from the results.
    ``deadline`` (seconds) bounds the fetching of the whole refresh, however many
    feeds and pages are slow: when it runs out, feeds not yet fetched fail as cut
    off (``FeedResult.cut_off``) and entries whose pages were not fetched keep their
    summaries (their pages are tried again next time).
    Returns one FeedResult per feed, in list order.
    """
    targets = _select_feeds(store, feeds)
    seen = {f.id: table.seen_entries(store, f.id) for f in targets}
    total = len(targets)
    results: dict[int, FeedResult] = {}
    if progress:
        progress(0, total, f"refreshing {total} feed{'s' if total != 1 else ''}")
    if not targets:
        return []

    until = None if deadline is None else time.monotonic() + max(deadline, 0.0)
    if until is not None:
        timeout = min(timeout, max(deadline, 0.1))
    own = client is None
    client = client or make_client(timeout, max_connections=max(concurrency, 1) * 2)
    pool = ThreadPoolExecutor(max_workers=max(concurrency, 1), thread_name_prefix="feeds")
    pending: dict[Future, tuple[str, Any]] = {}

    def finish(fetched: _FeedFetch) -> None:
        result = _finish(store, save, fetched, lock or nullcontext())
        results[fetched.feed.id] = result
        if progress:
            progress(len(results), total, _describe(result))

    try:
        waiting_pages: dict[int, list] = {}
        for feed in targets:
            fut = pool.submit(_fetch_feed, client, feed, seen[feed.id], max_bytes, timeout, until)
            pending[fut] = ("feed", feed)
        while pending:
            if cancel is not None and cancel.is_set():
                break
            if until is not None and time.monotonic() > until + CUT_OFF_GRACE:
                _cut_off(pending, waiting_pages, deadline or 0.0, finish)
                break
            # A short wait, so a cancel is noticed while slow servers are pending.
            finished, _ = wait(list(pending), timeout=0.25, return_when=FIRST_COMPLETED)
            for fut in finished:
                kind, payload = pending.pop(fut)
                if kind == "feed":
                    fetched: _FeedFetch = fut.result()
                    if until is not None and fetched.timed_out and time.monotonic() >= until:
                        fetched.error = _cut_off_reason(deadline or 0.0)
                        fetched.cut_off = True
                    need = [e for e in fetched.fresh if e.needs_page]
                    if need:
                        waiting_pages[fetched.feed.id] = [fetched, len(need)]
                        for entry in need:
                            pf = pool.submit(_fetch_entry_page, client, entry, max_bytes, timeout, until,
                                             fetched.kinds)
                            pending[pf] = ("page", (fetched, entry))
                        continue
                else:
                    fetched, entry = payload
                    _apply_page(entry, fut.result())
                    waiting_pages[fetched.feed.id][1] -= 1
                    if waiting_pages[fetched.feed.id][1]:
                        continue
                    del waiting_pages[fetched.feed.id]
                finish(fetched)
    finally:
        # On cancel (or an exception from save/progress) queued fetches are dropped
        # and running ones are abandoned: they end within their timeout and their
        # results are never saved, so nothing half-done reaches the library.
        abandoning = bool(pending)
        pool.shutdown(wait=not abandoning, cancel_futures=True)
        if own and not abandoning:
            client.close()
    return [results[f.id] for f in targets if f.id in results]


def _not_fetched(entry: ParsedEntry) -> None:
    entry.page_error = "page not fetched: the refresh's time limit ran out"
    entry.page_retry = True


def _cut_off_reason(limit: float) -> str:
    return f"cut off: the refresh's time limit ({limit:g}s) ran out"


def _cut_off(pending: dict, waiting_pages: dict, limit: float, finish) -> None:
    """The refresh's time limit ran out: feeds still being fetched fail as cut off
    (their state is untouched, so the next refresh fetches them again); feeds
    whose pages are still being fetched are saved with the summaries."""
    for fut, (kind, payload) in list(pending.items()):
        if kind == "feed":
            if fut.done():  # ended just in time: saved, with the summaries
                fetched = fut.result()
                if fetched.timed_out:  # stopped by the limit (its socket operations were cut to it)
                    fetched.error, fetched.cut_off = _cut_off_reason(limit), True
                for entry in fetched.fresh:
                    if entry.needs_page:
                        _not_fetched(entry)
                finish(fetched)
            else:
                finish(_FeedFetch(payload, error=_cut_off_reason(limit), cut_off=True))
        elif fut.done():
            _apply_page(payload[1], fut.result())
        else:
            _not_fetched(payload[1])
    for fetched, _left in list(waiting_pages.values()):
        finish(fetched)
    waiting_pages.clear()


def _describe(r: FeedResult) -> str:
    name = r.title or r.url
    if r.status == "failed":
        return f"{name}: failed: {r.reason}"
    if r.status == "unchanged":
        return f"{name}: unchanged"
    merged = f", {r.duplicates} merged as duplicates of saved articles" if r.duplicates else ""
    return f"{name}: {r.added} new, {r.updated} updated{merged}"


def _finish(store: Store, save: Callable[[list[Draft]], Any], fetched: _FeedFetch,
            lock: AbstractContextManager) -> FeedResult:
    """Save one feed's entries and record the outcome (in the calling thread)."""
    feed = fetched.feed
    result = FeedResult(feed.id, feed.url, feed.title, "unchanged")
    now = time.time()
    if fetched.error:
        result.status, result.reason = "failed", fetched.error
        result.cut_off = fetched.cut_off
        with lock:
            table.record_status(store, feed.id, now, "failed", fetched.error)
        return result
    if fetched.not_modified:
        with lock:
            table.record_status(store, feed.id, now, "unchanged", None)
        return result

    parsed = fetched.parsed
    assert parsed is not None
    source = parsed.title or feed.title or urlsplit(feed.url).hostname
    result.title = feed.title or parsed.title
    result.entries = len(parsed.entries)
    result.warnings.extend(parsed.warnings)
    drafts = []
    for e in fetched.fresh:
        if e.body_from == "page":
            result.pages_fetched += 1
        elif e.page_error:
            result.pages_failed += 1
        body = e.body or (f"{e.title}\n\n{e.link}" if e.link else e.title)
        drafts.append(Draft(
            title=e.title, body=body, origin=f"feed:{feed.id}:{e.key}", source=source,
            author=e.author, date=e.date, url=e.link, feed_id=feed.id,
            extra={"body_from": e.body_from, **({"page_error": e.page_error} if e.page_error else {})},
        ))
    if result.pages_failed:
        result.warnings.append(f"{result.pages_failed} linked page(s) could not be fetched; kept the summaries")
    refused = [e for e in fetched.fresh if e.page_refused]
    for e in refused[:5]:
        result.warnings.append(sanitize_line(f"{e.link}: {e.page_error}"))
    if len(refused) > 5:
        result.warnings.append(f"and {len(refused) - 5} more links to addresses the feed is not on")
    result.unchanged = len(parsed.entries) - len(fetched.fresh)
    if drafts:
        try:
            report = save(drafts)
        except Exception as exc:  # the library is untouched by a failed save: try again next time
            result.status, result.reason = "failed", f"could not save entries: {short_reason(exc)}"
            with lock:
                table.record_status(store, feed.id, now, "failed", result.reason)
            return result
        if report is None:
            result.added = len(drafts)
        else:
            result.added = _count(report, "added")
            result.updated = _count(report, "updated")
            result.unchanged += _count(report, "unchanged")
            result.duplicates = _count(report, "duplicates")
            failed = report.get("failed") if isinstance(report, Mapping) else getattr(report, "failed", None)
            for item in failed if isinstance(failed, (list, tuple)) else []:
                text = ": ".join(map(str, item)) if isinstance(item, tuple) else str(item)
                result.warnings.append("not saved: " + sanitize_line(text))
    result.status = "new" if result.added else "updated" if result.updated else "unchanged"
    # Entries whose page fetch failed for a passing reason are not marked seen, so
    # the next refresh that gets the feed again tries the page once more.
    done = [e for e in fetched.fresh if not e.page_retry]
    with lock:
        table.record_refresh(store, feed.id, [(e.key, e.digest) for e in done], now,
                             etag=fetched.etag, last_modified=fetched.last_modified,
                             title=parsed.title, site_url=parsed.site_url, status=result.status)
    return result
