"""The `newsdesk` command: the TUI by default, plus scriptable subcommands.

Every subcommand takes --library DIR; --json prints one JSON document on stdout
and nothing else there (progress and errors go to stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
# Duplicate lines `add` prints before folding the rest (--verbose shows all).
DUPLICATES_SHOWN = 10


# -- output helpers -----------------------------------------------------------
def _console(stderr: bool = False):
    from rich.console import Console
    from rich.segment import Segment

    from articles.text import sanitize

    class SafeConsole(Console):
        """Every string printed is untrusted somewhere (titles, file names, feed
        fields, server errors): no markup or emoji codes are interpreted, and
        each text segment passes the article-text sanitizer on its way out, so
        no escape sequence or control character reaches the terminal whatever
        a call site forgot. (Single-line fields are folded with _clean too, so
        a newline cannot forge a line.)"""

        def _render_buffer(self, buffer):
            return super()._render_buffer(
                seg if seg.control else Segment(sanitize(seg.text), seg.style)
                for seg in buffer)

    stream = sys.stderr if stderr else sys.stdout
    # Into a pipe or file, lines are never hard-wrapped at 80 columns: the
    # reader there is a script (grep, cut, a spreadsheet), not a terminal.
    piped = not _isatty(stream)
    return SafeConsole(stderr=stderr, highlight=False, markup=False, emoji=False, soft_wrap=piped)


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _print_table(table, con=None) -> None:
    """A Rich table in a terminal; into a pipe, tab-separated lines with a
    header, nothing wrapped or cut (tabs and newlines inside cells folded to
    spaces), so that `newsdesk list | cut -f5` gets whole titles."""
    con = con or _console()
    if _isatty(sys.stdout) or not table.columns:
        con.print(table)
        return
    from rich.text import Text

    def plain(cell) -> str:
        text = cell.plain if isinstance(cell, Text) else str(cell)
        return " ".join(_clean(text).split())

    columns = [list(col.cells) for col in table.columns]
    if table.show_header:
        sys.stdout.write("\t".join(plain(col.header) or f"col{i + 1}" for i, col in enumerate(table.columns))
                         + "\n")
    for row in zip(*columns):
        sys.stdout.write("\t".join(plain(c) for c in row) + "\n")


def _clean(value) -> str:
    """One line of untrusted text (a path, URL, feed field, error) for the terminal."""
    from articles.text import sanitize_line

    return "" if value is None else sanitize_line(str(value))


# Characters JSON leaves raw with ensure_ascii=False that a terminal still acts
# on or that disguise text: C1 controls (U+009B is an 8-bit CSI), line and
# paragraph separators, and bidi / zero-width format characters.
_JSON_RAW_UNSAFE = None


def _emit_json(doc) -> None:
    global _JSON_RAW_UNSAFE
    import re

    if _JSON_RAW_UNSAFE is None:
        _JSON_RAW_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    # These only occur inside strings, where \uXXXX means the same character:
    # the document is unchanged, only spelled so that a terminal shows it inert.
    text = _JSON_RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    sys.stdout.write(text + "\n")
    _RUN["json_written"] = True


# The last error of this run, for --json: a failing command prints
# {"error": {"code", "message"}} on stdout when it printed nothing else there.
_RUN = {"json_written": False, "error": None}


def _error(msg: str, code: str = "error") -> None:
    from rich.text import Text

    _RUN["error"] = (code, _clean(msg))
    _console(stderr=True).print(Text("newsdesk: ", style="bold red") + Text(_clean(msg)))


def _open(args):
    from articles.library import Library

    create = getattr(args, "creating", True)
    return Library.open(args.library, create=create, notice=_notice)


def _notice(msg: str) -> None:
    from rich.text import Text

    _console(stderr=True).print(Text("newsdesk: ", style="bold") + Text(_clean(msg)))


def cmd_init(args) -> int:
    from articles.library import Library, default_library_path, is_library

    folder = Path(args.folder or args.library or default_library_path()).expanduser()
    existed = is_library(folder)
    if not existed and folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        _error(f"{folder} exists and is not an empty folder: choose a new or empty one", "usage")
        return EXIT_FAIL
    with Library(folder):
        pass
    if args.json:
        _emit_json({"library": str(folder), "created": not existed})
    else:
        _console().print(f"{'library already exists at' if existed else 'created an empty library at'} {folder}")
    return EXIT_OK


class _Progress:
    """A Rich progress bar on stderr, or nothing when stderr is not a terminal."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        # The reader runs the entity stage as this command and shows its
        # progress: with NEWSDESK_PROGRESS=lines, one "progress<TAB>stage<TAB>done<TAB>total"
        # line a step on stderr instead of a bar.
        self.lines = os.environ.get("NEWSDESK_PROGRESS") == "lines"
        self._drawn = 0.0
        if sys.stderr.isatty() and not self.lines:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            # No auto-refresh: its thread would make the import read files
            # serially and the entity stage spawn its workers instead of forking
            # (neither forks a process that has other threads).
            # Each stage its own bar: count, rate, elapsed and time left.
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                                TextColumn("left"), TimeRemainingColumn(),
                                console=_console(stderr=True), transient=True, auto_refresh=False)
            self.bar.__enter__()
            self._drawn = 0.0
        return self

    def __call__(self, done: int, total: int, message: str = "") -> None:
        if self.lines:
            now = time.monotonic()
            if now - self._drawn > 0.2 or done >= total or done == 0:
                self._drawn = now
                print(f"progress\t{_stage_of(message, self.label)}\t{done}\t{total}", file=sys.stderr, flush=True)
            return
        if self.bar is None:
            return
        stage = _stage_of(message, self.label)
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage[:1].upper() + stage[1:], total=total, rate="")
        task = self.tasks[stage]
        self.bar.update(task, completed=done, total=total)
        speed = self.bar.tasks[task].speed if total > 1 else None
        self.bar.update(task, rate=f"{speed:,.0f}/s" if speed else "")
        now = time.monotonic()
        if now - self._drawn > 0.1 or done >= total:
            self._drawn = now
            self.bar.refresh()

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)


# The stages a progress callback's message names (else the command's own label).
_STAGES = ("indexing", "saving the index", "loading the entity model", "linking entities")


def _stage_of(message: str, label: str) -> str:
    if message in _STAGES:
        return message
    return "entities" if message.startswith("entit") else label


def _snippet_text(snippet: str, spans):
    from rich.text import Text

    t = Text(snippet)
    for s, e in spans:
        t.stylize("bold yellow", s, e)
    return t


# -- commands -----------------------------------------------------------------
def cmd_add(args) -> int:
    with _open(args) as lib, _Progress("Reading") as prog:
        report = lib.add(args.sources, progress=prog, entities=not args.no_entities,
                         timeout=args.timeout, follow_links=args.follow_links)
    if args.json:
        _emit_json(report.to_json())
    else:
        from rich.text import Text

        con = _console()
        # Details first and the summary last, where a terminal leaves the eye;
        # a long run of duplicates is folded unless asked for.
        shown = report.duplicate_of if args.verbose else report.duplicate_of[:DUPLICATES_SHOWN]
        for src, dup in shown:
            con.print(Text(f"  duplicate: {_clean(src)} (same text as {_clean(dup)})", style="dim"))
        if len(shown) < len(report.duplicate_of):
            con.print(Text(f"  … and {len(report.duplicate_of) - len(shown)} more duplicates "
                           "(--verbose lists them all)", style="dim"))
        for src, err in report.failed:
            con.print(Text("  failed: ", style="red") + Text(f"{_clean(src)}: {_clean(err)}"))
        for src, what in report.warnings:
            con.print(Text("  warning: ", style="yellow") + Text(f"{_clean(src)}: {_clean(what)}"))
        con.print(Text(f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
                       f"duplicates {report.duplicates}, failed {len(report.failed)}"))
    # Scripts need to notice a source that failed even when others imported.
    return EXIT_FAIL if report.failed else EXIT_OK


def cmd_search(args) -> int:
    from articles.library import QueryError

    with _open(args) as lib:
        lib.ensure_index(notice=_error)
        try:
            res = lib.search(args.query, limit=args.limit, sort=args.sort)
        except QueryError as exc:
            _error(str(exc), "bad_query")
            return EXIT_USAGE
    if args.json:
        _emit_json(res.to_json())
        return EXIT_OK
    from rich.table import Table
    from rich.text import Text

    con = _console()
    con.print(Text(f"{res.total_label()} for ") + Text(args.query, style="bold"))
    if res.suggestion:
        con.print(Text("did you mean: ") + Text(res.suggestion, style="bold cyan"))
    table = Table(show_header=True, header_style="bold", expand=True, show_lines=True)
    table.add_column("id", style="dim", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("article", ratio=1)
    for h in res.hits:
        head = Text(h.title, style="bold") + Text(f"  {h.source or ''}", style="dim")
        table.add_row(h.id[:8], h.date or "", Text("\n").join([head, _snippet_text(h.snippet.text, h.snippet.spans)]))
    if res.hits:
        _print_table(table, con)
    return EXIT_OK


def _find(lib, ref: str):
    from articles.library import LibraryError

    try:
        art = lib.get(ref)
    except LibraryError as exc:
        _error(str(exc))
        return None
    if art is None:
        _error(f"no article with id {ref!r}", "not_found")
    return art


def cmd_show(args) -> int:
    with _open(args) as lib:
        art = _find(lib, args.id)
        if art is None:
            return EXIT_FAIL
        doc = art.to_json()
        extend = getattr(lib, "article_extras", None)
        if extend is not None:
            doc.update(extend(art))
    if args.json:
        _emit_json(doc)
        return EXIT_OK
    from rich.text import Text

    con = _console()
    con.print(Text(art.title, style="bold"))
    meta = " · ".join(_clean(x) for x in (art.source, art.author, art.date, art.url) if x)
    if meta:
        con.print(Text(meta, style="dim"))
    if doc.get("sources"):
        from articles.services.sourcing import sourced_from_line
        from articles.text import sanitize_line

        con.print(Text("Sourced from: ", style="cyan") + Text(sanitize_line(sourced_from_line(doc["sources"]))))
    con.print(Text(f"id {art.id}", style="dim"))
    con.print()
    con.print(Text(art.body))
    _print_desk(con, doc)
    return EXIT_OK


def _print_desk(con, doc) -> None:
    """The user's notes and highlights under the article (plain Text: never markup)."""
    from rich.text import Text

    if doc.get("highlights"):
        con.print()
        con.print(Text("Highlights", style="bold"))
        for h in doc["highlights"]:
            line = Text(f"  [{h['id']}] “{_clean(h['text'])}”")
            if h["orphaned"]:
                line.append("  (orphaned)", style="yellow")
            if h["note"]:
                line.append(f" — {_clean(h['note'])}", style="italic")
            con.print(line)
    if doc.get("notes"):
        con.print()
        con.print(Text("Notes", style="bold"))
        for n in doc["notes"]:
            con.print(Text(f"  [{n['id']}] {n['created']}  ", style="dim") + Text(_clean(n["text"])))


def cmd_list(args) -> int:
    with _open(args) as lib:
        rows = lib.rows(sort=args.sort, limit=args.limit)
    if args.json:
        _emit_json({"articles": [r.to_json() for r in rows]})
        return EXIT_OK
    from rich.table import Table
    from rich.text import Text

    table = Table(expand=True)
    for col, kw in (("id", {"style": "dim", "no_wrap": True}), ("state", {"no_wrap": True}),
                    ("date", {"no_wrap": True}), ("source", {"no_wrap": True, "max_width": 24}),
                    ("title", {"ratio": 1, "no_wrap": True, "overflow": "ellipsis"})):
        table.add_column(col, **kw)
    for r in rows:
        mark = ("★" if r.starred else " ") + ("●" if not r.read else " ")
        table.add_row(r.id[:8], mark, r.date or "", Text(r.source or ""), Text(r.title))
    _print_table(table)
    return EXIT_OK


def cmd_stats(args) -> int:
    with _open(args) as lib:
        lib.ensure_index(notice=_error)  # an unsigned or damaged index is rebuilt, never read
        stats = lib.stats()
    if args.json:
        _emit_json(stats)
    else:
        from rich.text import Text

        for k, v in stats.items():
            _console().print(Text(f"{k:>12}  {v}"))
    return EXIT_OK


def cmd_check(args) -> int:
    done, recovered = _check_store(args)
    if done is not None:
        return done
    with _open(args) as lib:
        report = lib.check(repair=args.repair)
    if recovered:  # what was found before the library opened, and what was done
        report.problems.insert(0, recovered[0])
        report.repaired[:0] = recovered[1:]
    if args.json:
        _emit_json(report.to_json())
    else:
        from rich.text import Text

        con = _console()
        con.print(Text(f"{report.articles} articles, {report.indexed} indexed, "
                       f"{report.queued} queued changes"))
        for p in report.problems:
            con.print(Text("  found: ", style="yellow") + Text(p))
        for r in report.repaired:
            con.print(Text("  repaired: ", style="green") + Text(r))
        for u in report.unrepairable:
            con.print(Text("  not repaired: ", style="red") + Text(u))
        if report.clean:
            con.print(Text("library is consistent", style="green"))
        elif not args.repair:
            con.print(Text("run `newsdesk check --repair` to fix what can be fixed"))
    return EXIT_OK if report.clean else EXIT_FAIL


def _check_store(args) -> tuple[int | None, list[str]]:
    """A damaged store is found before the library opens (it may not open at all);
    under --repair it is recovered first. Returns (an exit code when check ends
    here, what the recovery did)."""
    from rich.text import Text

    from articles.library import Library, default_library_path

    folder = Path(args.library or default_library_path()).expanduser()
    damage = Library.store_damage(folder)
    if damage is None:
        return None, []
    if not args.repair:
        if args.json:
            _emit_json({"clean": False, "articles": 0, "indexed": None, "queued": 0, "missing": 0,
                        "extra": 0, "duplicated": 0, "problems": [f"store damaged: {damage}"],
                        "repaired": [], "unrepairable": ["run newsdesk check --repair"]})
        else:
            con = _console()
            con.print(Text("  found: ", style="yellow") + Text(_clean(f"store damaged: {damage}")))
            con.print(Text("run `newsdesk check --repair` to recover it (from its backups, "
                           "or what can still be read)"))
        return EXIT_FAIL, []
    return None, [f"store damaged: {damage}"] + Library.recover_store(folder).lines()


def cmd_reindex(args) -> int:
    with _open(args) as lib, _Progress("Indexing") as prog:
        n = lib.reindex(prog)
    if args.json:
        _emit_json({"indexed": n})
    else:
        _console().print(f"indexed {n} articles")
    return EXIT_OK


def cmd_mark(args) -> int:
    with _open(args) as lib:
        art = _find(lib, args.id)
        if art is None:
            return EXIT_FAIL
        for flag, setter in (("read", lib.set_read), ("starred", lib.set_starred)):
            value = getattr(args, flag)
            if value is not None:
                setter(art.id, value)
        art = lib.get(art.id)
    doc = {"id": art.id, "read": art.read, "starred": art.starred}
    if args.json:
        _emit_json(doc)
    else:
        _console().print(f"{art.id}: read={art.read} starred={art.starred}")
    return EXIT_OK


def cmd_feeds_add(args) -> int:
    with _open(args) as lib:
        feed = lib.add_feed(args.url, tag=args.tag)
    if args.json:
        _emit_json(feed.to_json())
    else:
        from rich.text import Text

        _console().print(Text(f"subscribed to {_clean(feed.url)} (feed {feed.id})"))
    return EXIT_OK


def cmd_feeds_remove(args) -> int:
    with _open(args) as lib:
        feed = lib.remove_feed(args.feed)
    if args.json:
        _emit_json(feed.to_json())
    else:
        from rich.text import Text

        _console().print(Text(f"unsubscribed from {_clean(feed.url)}; its saved articles stay in the library"))
    return EXIT_OK


def cmd_feeds_list(args) -> int:
    with _open(args) as lib:
        feeds = lib.list_feeds(tag=args.tag)
    if args.json:
        _emit_json({"feeds": [f.to_json() for f in feeds]})
        return EXIT_OK
    from rich.table import Table
    from rich.text import Text

    table = Table(expand=True)
    for col, kw in (("id", {"style": "dim", "no_wrap": True}), ("tag", {"no_wrap": True}),
                    ("feed", {"ratio": 1, "overflow": "fold"}), ("unread", {"justify": "right"}),
                    ("last refresh", {"ratio": 1, "overflow": "fold"})):
        table.add_column(col, **kw)
    for f in feeds:
        status = Text(f.last_status or "never", style="red" if f.last_status == "failed" else "")
        if f.last_error:
            status += Text(f": {_clean(f.last_error)}", style="dim")
        table.add_row(str(f.id), Text(_clean(f.tag)), Text(_clean(f.name)) + Text(f"\n{_clean(f.url)}", style="dim"),
                      f"{f.unread}/{f.articles}", status)
    _print_table(table)
    return EXIT_OK


def cmd_feeds_import(args) -> int:
    with _open(args) as lib:
        res = lib.import_opml(args.file)
    if args.json:
        _emit_json({"added": [f.to_json() for f in res.added],
                    "skipped": [{"url": u, "reason": r} for u, r in res.skipped]})
    else:
        from rich.text import Text

        con = _console()
        con.print(Text(f"subscribed to {len(res.added)} feeds, skipped {len(res.skipped)}"))
        for url, reason in res.skipped:
            con.print(Text(f"  skipped: {_clean(url)}: {_clean(reason)}", style="dim"))
    return EXIT_OK


def cmd_feeds_export(args) -> int:
    with _open(args) as lib:
        from articles.text import sanitize

        # OPML fields come from feeds and imported files: no escape or format
        # character reaches the terminal (XML cannot carry most of them anyway).
        sys.stdout.write(sanitize(lib.export_opml()))
    return EXIT_OK


def cmd_refresh(args) -> int:
    with _open(args) as lib, _Progress("Refreshing") as prog:
        # --timeout bounds the whole refresh; no one server is waited on for longer
        # than the usual per-read timeout within it.
        results = lib.refresh_feeds(args.feed or None, progress=prog, entities=not args.no_entities,
                                    timeout=min(args.timeout, 10.0), deadline=args.timeout)
    failed = [r for r in results if r.status == "failed"]
    cut_off = [r for r in results if r.cut_off]
    if args.json:
        _emit_json({"feeds": [r.to_json() for r in results],
                    "added": sum(r.added for r in results), "updated": sum(r.updated for r in results),
                    "failed": len(failed), "cut_off": len(cut_off)})
    else:
        from rich.text import Text

        con = _console()
        for r in results:
            name = Text(_clean(r.title or r.url), style="bold")
            if r.status == "failed":
                con.print(Text("✗ ", style="red") + name + Text(f"  failed: {_clean(r.reason)}", style="red"))
            else:
                con.print(Text("✓ ", style="green") + name + Text(
                    f"  {r.status}: {r.added} new, {r.updated} updated"
                    + (f", {r.duplicates} merged as duplicates of saved articles" if r.duplicates else ""),
                    style="dim"))
            for w in r.warnings:
                con.print(Text(f"    {_clean(w)}", style="dim"))
        con.print(Text(f"{len(results)} feeds: {sum(r.added for r in results)} new articles, "
                       f"{sum(r.updated for r in results)} updated, {len(failed)} failed"
                       + (f" ({len(cut_off)} cut off by the {args.timeout:g}s time limit; "
                          "they are fetched again next time)" if cut_off else "")))
    # Like `add`: scripts must notice a feed that failed even when others worked.
    return EXIT_FAIL if failed else EXIT_OK


_ENTITY_ACTIONS = {"merge": 2, "rename": 2, "retype": 2, "hide": 1, "unhide": 1}


def cmd_entities(args) -> int:
    """List entities (library-wide or one article's), run the entity stage, or correct one."""
    words = list(args.words)
    action = words[0] if words and words[0] in _ENTITY_ACTIONS else None
    if action is not None:
        if len(words) - 1 != _ENTITY_ACTIONS[action]:
            usage = {"merge": "merge A B", "rename": "rename OLD NEW", "retype": "retype NAME TYPE",
                     "hide": "hide NAME", "unhide": "unhide NAME"}[action]
            _error(f"usage: newsdesk entities {usage}")
            return EXIT_USAGE
        return _entities_correct(args, action, words[1:])
    if len(words) > 1:
        _error(f"expected one article id, or one of {', '.join(_ENTITY_ACTIONS)}; got {' '.join(words)!r}")
        return EXIT_USAGE
    with _open(args) as lib:
        if args.extract or args.rebuild:
            with _Progress("Entities") as prog:
                n = lib.run_entity_stage(prog, rebuild=args.rebuild)
            if args.json and not words:
                _emit_json({"extracted": n})
                return EXIT_OK
            if not args.json:
                _console(stderr=True).print(f"entities extracted from {n} texts")
            if not words:
                return EXIT_OK
        if words:
            art = _find(lib, words[0])
            if art is None:
                return EXIT_FAIL
            refs = lib.article_entities(art.id)
            infos = {e.entity_id: e for e in lib.library_entities(include_hidden=True)} if refs else {}
            if args.type:
                refs = [r for r in refs if r.type == args.type]
            rows = [{"id": r.entity_id, "name": r.name, "type": r.type, "count": r.count,
                     "articles": infos[r.entity_id].articles if r.entity_id in infos else 1,
                     "mentions": r.count,
                     "aliases": infos[r.entity_id].aliases if r.entity_id in infos else [],
                     "confidence": r.confidence, "sure": r.sure, "titles": r.titles}
                    for r in refs]
        else:
            rows = [e.to_json() for e in lib.library_entities(type=args.type, limit=args.limit)]
    if args.json:
        _emit_json({"entities": rows})
        return EXIT_OK
    from rich.table import Table
    from rich.text import Text

    table = Table(expand=True)
    table.add_column("name", ratio=2)
    table.add_column("type", no_wrap=True)
    table.add_column("articles", justify="right")
    table.add_column("mentions", justify="right")
    table.add_column("also called", ratio=2)
    for r in rows:
        table.add_row(Text(r["name"]), r["type"], str(r["articles"]), str(r["mentions"]),
                      Text(", ".join(r["aliases"]), style="dim"))
    _print_table(table)
    return EXIT_OK


def _entity_type(value: str) -> str:
    from articles.analysis.entities.names import normalise_type

    try:
        return normalise_type(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _entities_correct(args, action: str, operands: list[str]) -> int:
    with _open(args) as lib:
        method = {"merge": lib.merge_entities, "rename": lib.rename_entity, "retype": lib.retype_entity,
                  "hide": lib.hide_entity, "unhide": lib.unhide_entity}[action]
        info = method(*operands)
    doc = {"action": action, "entity": info.to_json() if info is not None else None}
    if args.json:
        _emit_json(doc)
    elif info is not None:
        from rich.text import Text

        state = " (hidden)" if info.hidden else ""
        _console().print(Text(f"{action}: {info.name} [{info.type}]{state}, "
                              f"{info.articles} articles, {info.mentions} mentions"))
    return EXIT_OK


def cmd_story_correction(args) -> int:
    """`stories split ID`, `stories merge A B`, `stories regroup`."""
    action, refs = args.words[0], args.words[1:]
    want = {"split": 1, "merge": 2, "regroup": 0}.get(action)
    if want is None or len(refs) != want:
        _error("usage: newsdesk stories [split ID | merge A B | regroup]")
        return EXIT_USAGE
    with _open(args) as lib:
        arts = [_find(lib, r) for r in refs]
        if any(a is None for a in arts):
            return EXIT_FAIL
        try:
            if action == "split":
                story = lib.split_story(arts[0].id)
            elif action == "merge":
                story = lib.merge_stories(arts[0].id, arts[1].id)
            else:
                n = lib.regroup_stories()
                story = None
        except ValueError as exc:
            _error(str(exc))
            return EXIT_FAIL
    if args.json:
        _emit_json({"action": action, "story": story.to_json() if story else None,
                    **({"stories": n} if story is None else {})})
        return EXIT_OK
    from rich.text import Text

    if story is None:
        _console().print(Text(f"regrouped: {n} stories"))
    else:
        _console().print(Text(f"{action}: ") + Text(story.title, style="bold")
                         + Text(f"  {len(story.articles)} article(s)  {story.id[:8]}", style="dim"))
    return EXIT_OK


def cmd_stories(args) -> int:
    """Articles grouped by story (singletons included), biggest first; with --versions ID,
    what each version of that story adds."""
    if args.words:
        return cmd_story_correction(args)
    with _open(args) as lib:
        if args.versions:
            art = _find(lib, args.versions)
            if art is None:
                return EXIT_FAIL
            versions = lib.story_versions(art.id)
            if args.json:
                _emit_json({"story": lib.story_of(art.id).to_json(), "versions": versions})
                return EXIT_OK
        else:
            stories = lib.stories(min_size=2 if args.grouped else 1)
            if args.json:
                _emit_json({"stories": [s.to_json() for s in stories]})
                return EXIT_OK
            titles = {r.id: r for r in lib.rows(ids=[a for s in stories if len(s.articles) > 1
                                                      for a in s.articles])}
    from rich.text import Text

    con = _console()
    if args.versions:
        for v in versions:
            con.print(Text(v["title"], style="bold")
                      + Text(f"  {v['source'] or ''} {v['date'] or ''}  {v['id'][:8]}", style="dim"))
            if v.get("role"):
                from articles.services.sourcing import chain_line

                con.print(Text(f"  {v['role']} ", style="magenta") + Text(chain_line(v.get("chain", []))))
            if v["adds"]["entities"]:
                con.print(Text("  adds: ", style="cyan") + Text(", ".join(v["adds"]["entities"])))
            for q in v["adds"]["quotes"]:
                con.print(Text("  “") + Text(q["text"]) + Text(f"” — {q['speaker'] or 'unattributed'}",
                                                               style="dim"))
        return EXIT_OK
    for s in stories:
        extra = f"  also reported by {len(s.articles) - 1}" if len(s.articles) > 1 else ""
        con.print(Text(s.id[:8], style="dim") + Text("  ") + Text(s.title, style="bold")
                  + Text(extra, style="cyan"))
        for aid in s.articles[1:] if len(s.articles) > 1 else []:
            r = titles.get(aid)
            if r is not None:
                con.print(Text(f"    {aid[:8]}  ", style="dim") + Text(r.title)
                          + Text(f"  {r.source or ''}", style="dim"))
    return EXIT_OK


def cmd_related(args) -> int:
    """The articles most related to one, with the entities and key terms they share."""
    with _open(args) as lib:
        art = _find(lib, args.id)
        if art is None:
            return EXIT_FAIL
        rel = lib.related(art.id, limit=args.limit)
    if args.json:
        _emit_json({"id": art.id, "related": [r.to_json() for r in rel]})
        return EXIT_OK
    from rich.table import Table
    from rich.text import Text

    table = Table(expand=True, show_lines=True)
    table.add_column("id", style="dim", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("article", ratio=1)
    for r in rel:
        why = []
        if r.same_story:
            why.append("same story")
        if r.shared_entities:
            why.append("shares " + ", ".join(r.shared_entities[:5]))
        if r.shared_terms:
            why.append("terms " + ", ".join(r.shared_terms[:6]))
        cell = Text(r.title, style="bold") + Text(f"  {r.source or ''}", style="dim")
        if why:
            cell += Text("\n" + "; ".join(why), style="dim")
        table.add_row(r.id[:8], f"{r.score:.2f}", cell)
    _console().print(Text("related to ") + Text(art.title, style="bold"))
    _print_table(table)
    return EXIT_OK


def cmd_quotes(args) -> int:
    """Direct quotations with their speakers: one article's, or the library's."""
    with _open(args) as lib:
        aid = None
        if args.id:
            art = _find(lib, args.id)
            if art is None:
                return EXIT_FAIL
            aid = art.id
        quotes = lib.quotes(aid, speaker=args.speaker)
    if args.json:
        _emit_json({"quotes": [q.to_json() for q in quotes]})
        return EXIT_OK
    from rich.text import Text

    con = _console()
    for q in quotes:
        head = Text(q.speaker or "(no speaker)", style="bold" if q.speaker else "dim italic")
        head += Text(f"  {q.article[:8]}", style="dim")
        if q.conflict:
            others = ", ".join(sorted({o["speaker"] for o in q.also_attributed_to if o["speaker"]}))
            head += Text(f"  ⚠ also attributed to {others}", style="yellow")
        con.print(head)
        con.print(Text("  “") + Text(q.text) + Text("”"))
    if not quotes:
        con.print(Text("no quotes found", style="dim"))
    return EXIT_OK


def cmd_dossier(args) -> int:
    """Everything about one person, organisation or place across the library."""
    with _open(args) as lib:
        doc = lib.dossier(args.name)
    if args.json:
        _emit_json(doc)
        return EXIT_OK
    from rich.text import Text

    from articles.services.dossier import sparkline

    con = _console()
    ent = doc["entity"]
    con.print(Text(ent["name"], style="bold") + Text(f"  {ent['type'] or ''}  {ent['articles']} articles, "
                                                    f"{ent['mentions']} mentions", style="dim"))
    if ent["aliases"]:
        con.print(Text("also called " + ", ".join(ent["aliases"]), style="dim"))
    spark = sparkline(doc["timeline"])
    if spark:
        months = [t["month"] for t in doc["timeline"] if t["month"] != "undated"]
        con.print(Text(f"{months[0]} ") + Text(spark, style="cyan") + Text(f" {months[-1]}"))
    if doc["co_mentioned"]:
        con.print(Text("with: ", style="dim") + Text(", ".join(f"{c['name']} ({c['articles']})"
                                                            for c in doc["co_mentioned"])))
    con.print()
    for a in doc["articles"]:
        con.print(Text(a["date"] or "undated", style="dim") + Text("  ") + Text(a["title"], style="bold")
                  + Text(f"  {a['source'] or ''} {a['id'][:8]}", style="dim"))
        con.print(Text("    ") + Text(a["sentence"]))
    if doc["quotes"]:
        con.print()
        con.print(Text("quotes", style="bold"))
        for q in doc["quotes"]:
            con.print(Text("  “") + Text(q["text"]) + Text(f"”  {q['article'][:8]}", style="dim"))
    return EXIT_OK


def cmd_follow(args) -> int:
    with _open(args) as lib:
        row = lib.follow(args.name)
    if args.json:
        _emit_json(row)
    else:
        _console().print(f"following {row['name']}: {row['articles']} articles, {row['unread']} unread")
    return EXIT_OK


def cmd_unfollow(args) -> int:
    with _open(args) as lib:
        gone = lib.unfollow(args.name)
    if args.json:
        _emit_json({"name": args.name, "unfollowed": gone})
    elif gone:
        _console().print(f"no longer following {args.name}")
    else:
        _error(f"not following {args.name!r}")
    return EXIT_OK if gone else EXIT_FAIL


def cmd_follows(args) -> int:
    with _open(args) as lib:
        rows = lib.follows()
    if args.json:
        _emit_json({"follows": rows})
        return EXIT_OK
    from rich.text import Text

    for r in rows:
        _console().print(Text(f"{r['unread']:>4} unread  ", style="cyan" if r["unread"] else "dim")
                         + Text(r["name"], style="bold") + Text(f"  {r['articles']} articles", style="dim"))
    if not rows:
        _console().print(Text("not following anyone yet (newsdesk follow NAME)", style="dim"))
    return EXIT_OK


def cmd_tag(args) -> int:
    """Add tags to an article (or every article of its story), or --remove them."""
    from articles.library import LibraryError

    with _open(args) as lib:
        try:
            if args.story:
                changed = lib.tag_story(args.id, args.names, remove=args.remove)
            else:
                art = _find(lib, args.id)
                if art is None:
                    return EXIT_FAIL
                changed = {art.id: lib.tag(art.id, args.names, remove=args.remove)}
        except LibraryError as exc:
            _error(str(exc))
            return EXIT_FAIL
    if args.json:
        _emit_json({"articles": [{"id": a, "tags": t} for a, t in changed.items()]})
    else:
        con = _console()
        for a, t in changed.items():
            con.print(f"{a}: {', '.join(_clean(x) for x in t) or '(no tags)'}")
    return EXIT_OK


def cmd_tags(args) -> int:
    """Every tag with its article count; --rename OLD NEW renames (or merges) one."""
    from articles.library import LibraryError

    with _open(args) as lib:
        if args.rename:
            try:
                n = lib.rename_tag(*args.rename)
            except LibraryError as exc:
                _error(str(exc))
                return EXIT_FAIL
            if not args.json:
                _console().print(f"renamed on {n} article(s)")
        tags = lib.tags()
    if args.json:
        _emit_json({"tags": tags})
    elif not args.rename:
        con = _console()
        for t in tags:
            con.print(f"{t['articles']:>5}  {_clean(t['name'])}")
    return EXIT_OK


def _lib_call(fn, *args, **kw):
    """Run a Library call, turning its LibraryError into one line (None then)."""
    from articles.library import LibraryError

    try:
        return True, fn(*args, **kw)
    except LibraryError as exc:
        _error(str(exc), "not_found" if "no article with id" in str(exc) else "error")
        return False, None


def cmd_note(args) -> int:
    """Add a note to an article, or --remove NOTE_ID."""
    with _open(args) as lib:
        art = _find(lib, args.id)
        if art is None:
            return EXIT_FAIL
        if args.remove is not None:
            ok, _ = _lib_call(lib.remove_note, art.id, args.remove)
        elif not args.text:
            _error("give the note's text (or --remove NOTE_ID)")
            return EXIT_USAGE
        else:
            ok, note = _lib_call(lib.add_note, art.id, " ".join(args.text))
        if not ok:
            return EXIT_FAIL
        notes = lib.article_notes(art.id)
    if args.json:
        _emit_json({"id": art.id, "notes": notes})
    else:
        con = _console()
        for n in notes:
            con.print(f"{n['id']:>4}  {n['created']}  {_clean(n['text'])}")
    return EXIT_OK


def cmd_highlight(args) -> int:
    """Highlight an exact passage of an article (--text), or --remove HID."""
    with _open(args) as lib:
        art = _find(lib, args.id)
        if art is None:
            return EXIT_FAIL
        if args.remove is not None:
            ok, _ = _lib_call(lib.remove_highlight, art.id, args.remove)
        elif args.text is None:
            _error("give the passage with --text (or --remove HIGHLIGHT_ID)")
            return EXIT_USAGE
        else:
            ok, _ = _lib_call(lib.add_highlight, art.id, args.text, args.note)
        if not ok:
            return EXIT_FAIL
        found = lib.article_highlights(art)
    if args.json:
        _emit_json({"id": art.id, "highlights": found})
    else:
        _print_highlights(found)
    return EXIT_OK


def _print_highlights(found) -> None:
    from rich.text import Text

    con = _console()
    for h in found:
        line = Text(f"{h['id']:>4}  ")
        if h.get("title"):
            line.append(f"{h['article_id'][:8]} ", style="dim")
        line.append(f"“{_clean(h['text'])}”")
        if h["orphaned"]:
            line.append("  (orphaned: the text is no longer in the article)", style="yellow")
        if h["note"]:
            line.append(f"  — {_clean(h['note'])}", style="italic")
        con.print(line)


def cmd_highlights(args) -> int:
    """Every highlight in the library."""
    with _open(args) as lib:
        found = lib.all_highlights()
    if args.json:
        _emit_json({"highlights": found})
    else:
        _print_highlights(found)
    return EXIT_OK


def cmd_saved(args) -> int:
    """saved add NAME QUERY / saved list / saved remove NAME."""
    from articles.library import QueryError

    with _open(args) as lib:
        lib.ensure_index(notice=_error)
        try:
            if args.saved_command == "add":
                ok, _ = _lib_call(lib.save_search, args.name, " ".join(args.query))
            elif args.saved_command == "remove":
                ok, _ = _lib_call(lib.remove_saved, args.name)
            else:
                ok = True
        except QueryError as exc:
            _error(str(exc), "bad_query")
            return EXIT_USAGE
        if not ok:
            return EXIT_FAIL
        saved = lib.saved_searches()
    if args.json:
        _emit_json({"saved": saved})
    else:
        con = _console()
        for s in saved:
            con.print(f"{s['unread']:>5} unread {s['total']:>6} total  {_clean(s['name'])}: {_clean(s['query'])}")
    return EXIT_OK


def cmd_batch(args) -> int:
    """One query per line of FILE: the hit count and top hits of each."""
    try:
        lines = Path(args.file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        _error(f"cannot read {args.file}: {exc.strerror or exc}")
        return EXIT_FAIL
    with _open(args) as lib:
        lib.ensure_index(notice=_error)
        ok, result = _lib_call(lib.batch, lines, limit=args.limit)
        if not ok:
            return EXIT_FAIL
    if args.json:
        _emit_json(result)
    elif args.csv:
        import csv

        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(["line", "query", "total", "rank", "id", "title", "score"])
        for q in result["queries"]:
            for rank, h in enumerate(q["hits"], 1):
                out.writerow([q["line"], q["query"], q["total"], rank, h["id"], _clean(h["title"]), h["score"]])
            if not q["hits"]:
                out.writerow([q["line"], q["query"], 0, "", "", "", ""])
    else:
        con = _console()
        for q in result["queries"]:
            con.print(f"line {q['line']}: {_clean(q['query'])} — {q['total']} hit(s)")
            for h in q["hits"]:
                con.print(f"    {h['id'][:8]}  {h['score']:>8.3f}  {_clean(h['title'])}")
    for f in result["failed"]:
        _console(stderr=True).print(f"newsdesk: line {f['line']}: {_clean(f['error'])}")
    return EXIT_OK if not result["failed"] else EXIT_FAIL



def cmd_export(args) -> int:
    """A query, tag, story, saved search or dossier as Markdown, JSON or CSV."""
    from articles.library import QueryError

    chosen = [x for x in (args.query, args.tag, args.story, args.dossier, args.saved, args.article)
              if x is not None]
    if len(chosen) != 1:
        _error("export one selection: a QUERY, --article ID, --tag T, --story ID, --saved NAME or --dossier NAME")
        return EXIT_USAGE
    if args.output is not None and not args.output.parent.is_dir():
        _error(f"cannot write {args.output}: {args.output.parent} is not a folder; nothing was written")
        return EXIT_FAIL
    with _open(args) as lib:
        lib.ensure_index(notice=_error)
        try:
            ok, text = _lib_call(lib.export, args.format, query=args.query, tag=args.tag,
                                 story=args.story, dossier=args.dossier, saved=args.saved,
                                 ids=[args.article] if args.article else None)
        except QueryError as exc:
            _error(str(exc), "bad_query")
            return EXIT_USAGE
        if not ok:
            return EXIT_FAIL
    if args.output is None:
        sys.stdout.write(text)
        _RUN["json_written"] = True
        return EXIT_OK
    from articles.library import write_whole

    try:
        write_whole(args.output, text)
    except OSError as exc:
        _error(f"cannot write {args.output}: {exc.strerror or exc}; nothing was written")
        return EXIT_FAIL
    if args.json:
        _emit_json({"output": str(args.output), "format": args.format, "bytes": len(text.encode("utf-8"))})
    else:
        _notice(f"exported to {args.output}")
    return EXIT_OK


def cmd_tui(args) -> int:
    if args.library is not None or os.environ.get("NEWSDESK_LIBRARY"):
        # A mistyped --library is an error before the screen opens, not an empty library.
        from articles.library import default_library_path, require_library

        require_library(args.library or default_library_path())
    from tui.app import run

    return run(args.library)


# -- parser -------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--library", type=Path, default=argparse.SUPPRESS,
                        help="library folder (default: $NEWSDESK_LIBRARY or the user data dir)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print one JSON document on stdout")

    p = _Parser(prog="newsdesk", parents=[common],
                                description="Read, search and investigate saved news in the terminal.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    ini = sub.add_parser("init", parents=[common], help="create an empty library folder")
    ini.add_argument("folder", type=Path, nargs="?", help="where (default: --library or the default library)")
    ini.set_defaults(func=cmd_init)

    a = sub.add_parser("add", parents=[common], help="import files, folders, globs or URLs")
    a.add_argument("sources", nargs="+")
    a.add_argument("--no-entities", action="store_true", help="skip the entity stage")
    a.add_argument("--verbose", "-v", action="store_true", help="list every duplicate")
    a.add_argument("--timeout", type=float, default=10.0,
                   help="seconds to wait on a silent server (URLs)")
    a.add_argument("--follow-links", action="store_true",
                   help="also import symbolic links that lead outside an imported folder")
    a.set_defaults(func=cmd_add)

    s = sub.add_parser("search", parents=[common], help="full-text search")
    s.add_argument("query")
    s.add_argument("--limit", type=int, default=20)
    s.add_argument("--sort", choices=("relevance", "date"), default="relevance")
    s.set_defaults(func=cmd_search)

    sh = sub.add_parser("show", parents=[common], help="print one article")
    sh.add_argument("id")
    sh.set_defaults(func=cmd_show)

    ls = sub.add_parser("list", parents=[common], help="list articles")
    ls.add_argument("--sort", choices=("date", "date-asc", "title", "source", "added"), default="date")
    ls.add_argument("--limit", type=int, default=None)
    ls.set_defaults(func=cmd_list)

    st = sub.add_parser("stats", parents=[common], help="library statistics")
    st.set_defaults(func=cmd_stats)

    ri = sub.add_parser("reindex", parents=[common], help="rebuild the search index from the store")
    ri.set_defaults(func=cmd_reindex)

    ck = sub.add_parser("check", parents=[common],
                        help="verify that the store and the search index agree")
    ck.add_argument("--repair", action="store_true",
                    help="fix what can be fixed (the index is rebuilt from the store)")
    ck.set_defaults(func=cmd_check)

    mk = sub.add_parser("mark", parents=[common], help="set read / starred state")
    mk.add_argument("id")
    mk.add_argument("--read", dest="read", action="store_true", default=None)
    mk.add_argument("--unread", dest="read", action="store_false")
    mk.add_argument("--star", dest="starred", action="store_true", default=None)
    mk.add_argument("--unstar", dest="starred", action="store_false")
    mk.set_defaults(func=cmd_mark)

    fd = sub.add_parser("feeds", parents=[common], help="manage feed subscriptions")
    fsub = fd.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    fa = fsub.add_parser("add", parents=[common], help="subscribe to an RSS or Atom feed")
    fa.add_argument("url")
    fa.add_argument("--tag", help="a label to group and filter feeds by")
    fa.set_defaults(func=cmd_feeds_add)
    fr = fsub.add_parser("remove", parents=[common], help="unsubscribe (saved articles stay)")
    fr.add_argument("feed", help="feed id or URL")
    fr.set_defaults(func=cmd_feeds_remove)
    fl = fsub.add_parser("list", parents=[common], help="list subscriptions")
    fl.add_argument("--tag")
    fl.set_defaults(func=cmd_feeds_list)
    fi = fsub.add_parser("import", parents=[common], help="subscribe to the feeds in an OPML file")
    fi.add_argument("file", type=Path)
    fi.set_defaults(func=cmd_feeds_import)
    fe = fsub.add_parser("export", parents=[common], help="print subscriptions as OPML 2.0")
    fe.set_defaults(func=cmd_feeds_export)

    rf = sub.add_parser("refresh", parents=[common], help="fetch new articles from subscribed feeds")
    rf.add_argument("feed", nargs="*", help="feed ids or URLs (default: all)")
    rf.add_argument("--timeout", type=float, default=60.0,
                    help="seconds the whole refresh may spend fetching (default 60); feeds not "
                         "fetched by then are reported as cut off and tried again next time")
    rf.add_argument("--no-entities", action="store_true", help="skip the entity stage")
    rf.set_defaults(func=cmd_refresh)

    en = sub.add_parser(
        "entities", parents=[common], help="people, organisations and places; correct them",
        usage="newsdesk entities [ID] [--type TYPE] [--extract | --rebuild]\n"
              "       newsdesk entities merge A B | rename OLD NEW | retype NAME TYPE | hide NAME | unhide NAME",
        description="Without arguments, every entity in the library (most articles first); with an "
                    "article id, that article's. Corrections are remembered and survive re-imports.")
    en.add_argument("words", nargs="*", metavar="ID | ACTION ARGS", help=argparse.SUPPRESS)
    en.add_argument("--type", type=_entity_type, metavar="TYPE",
                    help="only this type: person, organization (org), place, group, event, other")
    en.add_argument("--limit", type=int, default=None)
    en.add_argument("--extract", action="store_true",
                    help="extract entities for articles that have none yet")
    en.add_argument("--rebuild", action="store_true", help="extract entities again for every article")
    en.set_defaults(func=cmd_entities)

    sr = sub.add_parser("stories", parents=[common], help="articles grouped by the story they report")
    sr.add_argument("--grouped", action="store_true", help="only stories reported more than once")
    sr.add_argument("--versions", metavar="ID", help="what each version of this article's story adds")
    sr.add_argument("words", nargs="*", metavar="split ID | merge A B | regroup",
                    help="corrections, remembered across regrouping: 'split ID' takes an article out "
                         "of its story, 'merge A B' makes two stories one; 'regroup' rebuilds every story")
    sr.set_defaults(func=cmd_stories)

    rl = sub.add_parser("related", parents=[common], help="the articles most related to one, and why")
    rl.add_argument("id")
    rl.add_argument("--limit", type=int, default=10)
    rl.set_defaults(func=cmd_related)

    qu = sub.add_parser("quotes", parents=[common], help="who said what: quotations and speakers")
    qu.add_argument("id", nargs="?", help="one article (default: the whole library)")
    qu.add_argument("--speaker", help="only quotes by this person or organisation")
    qu.set_defaults(func=cmd_quotes)

    ds = sub.add_parser("dossier", parents=[common], help="everything about one entity")
    ds.add_argument("name")
    ds.set_defaults(func=cmd_dossier)

    fo = sub.add_parser("follow", parents=[common], help="follow an entity (a watch with unread counts)")
    fo.add_argument("name")
    fo.set_defaults(func=cmd_follow)
    uf = sub.add_parser("unfollow", parents=[common], help="stop following an entity")
    uf.add_argument("name")
    uf.set_defaults(func=cmd_unfollow)
    fs = sub.add_parser("follows", parents=[common], help="followed entities with unread counts")
    fs.set_defaults(func=cmd_follows)

    tg = sub.add_parser("tag", parents=[common], help="tag an article (or its whole story)")
    tg.add_argument("id")
    tg.add_argument("names", nargs="+", metavar="NAME")
    tg.add_argument("--remove", action="store_true", help="remove these tags instead")
    tg.add_argument("--story", action="store_true", help="every article of ID's story")
    tg.set_defaults(func=cmd_tag)
    tgs = sub.add_parser("tags", parents=[common], help="tags with their article counts")
    tgs.add_argument("--rename", nargs=2, metavar=("OLD", "NEW"), help="rename (or merge) a tag")
    tgs.set_defaults(func=cmd_tags)

    nt = sub.add_parser("note", parents=[common], help="add a note to an article (or --remove one)")
    nt.add_argument("id")
    nt.add_argument("text", nargs="*", metavar="TEXT")
    nt.add_argument("--remove", type=int, metavar="NOTE_ID", help="remove this note")
    nt.set_defaults(func=cmd_note)
    hl = sub.add_parser("highlight", parents=[common], help="highlight a passage of an article")
    hl.add_argument("id")
    hl.add_argument("--text", help="the exact passage to highlight")
    hl.add_argument("--note", help="a note on the highlight")
    hl.add_argument("--remove", type=int, metavar="HIGHLIGHT_ID", help="remove this highlight")
    hl.set_defaults(func=cmd_highlight)
    hls = sub.add_parser("highlights", parents=[common], help="every highlight in the library")
    hls.set_defaults(func=cmd_highlights)
    sv = sub.add_parser("saved", parents=[common], help="saved searches with their unread counts")
    svs = sv.add_subparsers(dest="saved_command", metavar="ACTION", required=True)
    sva = svs.add_parser("add", parents=[common], help="save a query under a name")
    sva.add_argument("name")
    sva.add_argument("query", nargs="+")
    svs.add_parser("list", parents=[common], help="saved searches, total and unread")
    svr = svs.add_parser("remove", parents=[common], help="forget a saved search")
    svr.add_argument("name")
    sv.set_defaults(func=cmd_saved)
    bt = sub.add_parser("batch", parents=[common], help="run one query per line of FILE")
    bt.add_argument("file", type=Path)
    bt.add_argument("--csv", action="store_true", help="one CSV row per query and hit")
    bt.add_argument("--limit", type=int, default=5, help="top hits per query (default 5)")
    bt.set_defaults(func=cmd_batch)

    ex = sub.add_parser("export", parents=[common], help="export a selection to Markdown, JSON or CSV")
    ex.add_argument("query", nargs="?", help="a search query (or use --tag, --story, --saved, --dossier)")
    ex.add_argument("--article", metavar="ID", help="one article")
    ex.add_argument("--tag", help="every article with this tag")
    ex.add_argument("--story", metavar="ID", help="every article of this article's story")
    ex.add_argument("--saved", metavar="NAME", help="a saved search's articles")
    ex.add_argument("--dossier", metavar="NAME", help="an entity's dossier, as a briefing")
    ex.add_argument("--format", choices=("md", "json", "csv"), default="md")
    ex.add_argument("--output", type=Path, metavar="FILE", help="write here (whole or not at all)")
    ex.set_defaults(func=cmd_export)

    tu = sub.add_parser("tui", parents=[common], help="open the reader (the default)")
    tu.set_defaults(func=cmd_tui)
    return p


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """Usage errors raise instead of exiting, so that --json can report them
    as an error document like any other failure."""

    def error(self, message):
        raise _UsageError(f"{self.prog}: {message}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    _RUN.update(json_written=False, error=None)
    want_json = "--json" in argv
    code = _main(argv)
    if want_json and code != EXIT_OK and not _RUN["json_written"]:
        kind, message = _RUN["error"] or ("error", f"exit status {code}")
        _emit_json({"error": {"code": kind, "message": message}})
    return code


def _main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
    except _UsageError as exc:
        _error(str(exc), "usage")
        return EXIT_USAGE
    args.library = getattr(args, "library", None)
    args.json = getattr(args, "json", False)
    func = getattr(args, "func", cmd_tui)
    # Commands that bring articles or subscriptions in may start a library;
    # every other one needs an existing library (a typo is an error).
    args.creating = func in (cmd_add, cmd_init, cmd_feeds_add, cmd_feeds_import, cmd_tui)
    from articles.library import LibraryError

    try:
        return func(args)
    except LibraryError as exc:
        _error(str(exc), "library")
        return EXIT_FAIL
    except BrokenPipeError:
        # The reader of a pipe left (`| head`): not an error worth a traceback.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_OK
    except KeyboardInterrupt:
        _error("interrupted; everything imported so far is saved", "interrupted")
        _exit_now_if_threads_linger(130)
        return 130
    except Exception as exc:  # noqa: BLE001 - no command ever ends in a traceback
        if os.environ.get("NEWSDESK_DEBUG"):  # for developers: the full traceback
            raise
        _error(_one_line(exc), "failure")
        return EXIT_FAIL


def _one_line(exc: BaseException) -> str:
    """A clear line for a failure no command handled itself."""
    import errno
    import sqlite3

    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return (f"the library's store is damaged ({exc}); "
                "run 'newsdesk check --repair' to recover it")
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "the disk is full: nothing more could be written (what was saved before is kept)"
    if isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc):
        return "the disk is full: nothing more could be written (what was saved before is kept)"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"could not use a file{where}: {exc.strerror or exc}"
    return f"unexpected failure: {type(exc).__name__}: {exc}"


def _exit_now_if_threads_linger(code: int) -> None:
    """End the process at once when worker threads are still running.

    Abandoned fetches (a refresh cut short) sit in non-daemon pool threads that
    Python would wait for at exit; everything worth keeping is committed already,
    so a ctrl-C must not wait on a slow server.
    """
    import os
    import threading

    if any(t.is_alive() and not t.daemon and t is not threading.main_thread()
           for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
