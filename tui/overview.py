"""What the middle pane shows when no article is open: the library at a glance
(counts, followed entities with unread counts, recent stories, newest articles)
and the keys to start with. Gathered in a worker on its own connection; only
the finished Text reaches the UI thread."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text

from articles.library import Library
from articles.text import sanitize_line

# The overview never groups stories itself: grouping costs seconds at BBC
# size and writes sketches, and a write from here would look to the app's
# library watcher like another process's import (reload, index check again).
# It lists the grouping the app already made (ctrl+g), or says how to get one.
SHOWN = 5


@dataclass
class OverviewData:
    articles: int = 0
    unread: int = 0
    starred: int = 0
    follows: list[dict] = field(default_factory=list)
    # (title, articles, outlets, newest date) per story of two or more, newest first
    stories: list[tuple[str, int, int, str | None]] | None = None
    newest: list = field(default_factory=list)  # ArticleRows


def gather(path, groups=None) -> OverviewData:
    """Everything the overview shows, read only; ``groups`` is the app's last
    grouping ((story id, ids) per story) when it has one."""
    with Library(path, create=False) as lib:
        data = OverviewData(**lib.counts())
        try:
            data.follows = lib.follows()
        except Exception:  # follows are extra: the counts are still worth showing
            data.follows = []
        data.newest = lib.rows(sort="date", limit=SHOWN)
        if groups is not None:
            data.stories = _recent_stories(lib, [ids for _sid, ids in groups if len(ids) > 1])
    return data


def _recent_stories(lib, groups: list[tuple[str, ...]]):
    rows = {r.id: r for r in lib.rows(ids=[a for ids in groups for a in ids])}
    out = []
    for ids in groups:
        members = [rows[a] for a in ids if a in rows]
        if not members:
            continue
        lead = max(members, key=lambda r: (r.date or "", r.id))
        outlets = {r.source for r in members if r.source}
        out.append((lead.title, len(members), len(outlets), lead.date))
    out.sort(key=lambda st: (st[3] or "", st[1]), reverse=True)
    return out[:SHOWN]


def render(data: OverviewData) -> Text:
    """Plain text with styles; every title and name is sanitized, never markup.
    One line per entry, cut with an ellipsis at the pane's edge (wrapped
    entries read as two)."""
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append("Your library\n", style="bold")
    t.append(f"  {data.articles:,} articles · {data.unread:,} unread · {data.starred:,} starred\n\n")
    t.append("Followed\n", style="bold")
    if data.follows:
        for f in data.follows[:SHOWN]:
            t.append(f"  {sanitize_line(str(f['name']))}", style="bold" if f.get("unread") else "")
            t.append(f" — {f['articles']:,} articles, {f['unread']:,} unread\n", style="dim")
    else:
        t.append("  nothing yet: newsdesk follow NAME\n", style="dim")
    t.append("\n")
    t.append("Recent stories\n", style="bold")
    if data.stories is None:
        t.append("  ctrl+g groups the list by story\n", style="dim")
    elif not data.stories:
        t.append("  no story has two articles yet\n", style="dim")
    else:
        for title, n, outlets, date in data.stories:
            # The size first: a long title is cut at the pane's edge, its count is not.
            t.append(f"  {n} articles" + (f", {outlets} outlets" if outlets > 1 else "") + " · ",
                     style="dim")
            t.append(sanitize_line(title))
            t.append((f"  {date}" if date else "") + "\n", style="dim")
    t.append("\n")
    t.append("Newest\n", style="bold")
    for r in data.newest:
        t.append("  ● " if not r.read else "    ", style="bold")
        t.append(f"{sanitize_line(r.title)}", style="bold" if not r.read else "")
        if r.date:
            t.append(f"  {r.date}", style="dim")
        t.append("\n")
    if not data.newest:
        t.append("  none yet: ctrl+p → Import files…\n", style="dim")
    t.append("\n")
    for hint in ("j/k: the article under the cursor shows here",
                 "enter: open it (marks it read)", "/: search   ?: every key"):
        t.append(hint + "\n", style="italic dim")
    t.rstrip()
    return t
