"""The `newsdesk` command: the TUI by default, plus scriptable subcommands.

Every subcommand takes --library DIR; --json prints one JSON document on stdout
and nothing else there (progress and errors go to stderr).

The shape of this file: output helpers; ``Result`` and the one ``emit()``
that prints a command's result as JSON or for a person; the commands, each a
function from parsed arguments to a Result, beside the Result classes that
render it; the parser; ``main``.  A command asks the Library for its data and
shapes nothing itself.

Why it is longer than ~500 lines: it holds the text rendering of some thirty
commands (tables, pipes as tab-separated lines, the article, the dossier),
each a few lines of Rich that belong to no one else.  The domain returns
plain records and must not render; the reader has its own screens; and the
project's layout gives the command line no package of its own.  Splitting
the renderers into a second file would only move them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

# numpy's OpenBLAS starts one spinning thread per core when numpy is imported;
# Newsdesk never multiplies matrices with it (the search engine's arrays are
# element-wise, spaCy's layers go through blis), so those threads only cost:
# ~60 ms of CPU per `search` process on two cores. A user's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
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

        def on_broken_pipe(self) -> None:
            # Rich ends with exit status 1 when the reader of a pipe leaves
            # (`newsdesk stats | head -1`); that is not a failure: the
            # BrokenPipeError is handled like any other (exit 0, no traceback).
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise BrokenPipeError

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


# -- results ------------------------------------------------------------------
class Fail(Exception):
    """A command that cannot go on: its one-line message, JSON error code and exit status."""

    def __init__(self, message: str, kind: str = "error", code: int = EXIT_FAIL):
        super().__init__(message)
        self.kind, self.code = kind, code


class Result:
    """What a command produced: its JSON document and its rendering for a person."""

    code = EXIT_OK
    # Lines for stderr after the output, whatever its format (a batch's failed lines).
    stderr_lines: tuple[str, ...] = ()

    def to_json(self):
        """The --json document, or None when the output is not JSON (OPML, an export)."""
        raise NotImplementedError

    def render(self, con) -> None:
        raise NotImplementedError


def emit(result: Result, as_json: bool) -> int:
    """Print a command's result as its JSON document or for a person; its exit status."""
    doc = result.to_json() if as_json else None
    if doc is not None:
        _emit_json(doc)
    else:
        result.render(_console())
    for line in result.stderr_lines:
        _console(stderr=True).print(line)
    return result.code


class Doc(Result):
    """A JSON document and, for a person, one line (on stderr with ``stderr``, or none)."""

    def __init__(self, doc, line=None, code: int = EXIT_OK, stderr: bool = False):
        self.doc, self.line, self.code, self.stderr = doc, line, code, stderr

    def to_json(self):
        return self.doc

    def render(self, con) -> None:
        if self.line is not None:
            (_console(stderr=True) if self.stderr else con).print(self.line)


class Raw(Result):
    """Text that is the output itself (OPML, an export), the same with --json."""

    def __init__(self, text: str):
        self.text = text

    def to_json(self):
        return None

    def render(self, con) -> None:
        sys.stdout.write(self.text)
        _RUN["json_written"] = True


class Lines(Result):
    """A JSON document and, for a person, a list of Rich lines (or a table)."""

    def __init__(self, doc, lines=(), code: int = EXIT_OK):
        self.doc, self.lines, self.code = doc, lines, code

    def to_json(self):
        return self.doc

    def render(self, con) -> None:
        from rich.table import Table

        for line in self.lines:
            if isinstance(line, Table):
                _print_table(line, con)
            else:
                con.print(line)


def _text(*parts):
    """Rich Text from (text, style) pairs and plain strings; never markup. As with
    ``Text(a, style) + Text(b)``, the first part's style is the whole line's."""
    from rich.text import Text

    out = Text()
    for i, part in enumerate(parts):
        part = Text(*part) if isinstance(part, tuple) else Text(part)
        out = part if i == 0 else out + part
    return out


def _table(columns, rows, **kw):
    """A Rich table: ``columns`` as (header, column options) pairs."""
    from rich.table import Table

    table = Table(**kw)
    for name, opts in columns:
        table.add_column(name, **opts)
    for row in rows:
        table.add_row(*row)
    return table


def _find(lib, ref: str):
    from articles.library import LibraryError

    try:
        art = lib.get(ref)
    except LibraryError as exc:
        raise Fail(str(exc)) from exc
    if art is None:
        raise Fail(f"no article with id {ref!r}", "not_found")
    return art


def _lib_call(fn, *args, not_found: str = "not_found", **kw):
    """Run a Library call, its LibraryError as a Fail (one line); ``not_found`` is
    the JSON error code for an unknown article id (tag and tags have said "error")."""
    from articles.library import LibraryError

    try:
        return fn(*args, **kw)
    except LibraryError as exc:
        raise Fail(str(exc), not_found if "no article with id" in str(exc) else "error") from exc


def _query_call(fn, *args, **kw):
    """Run a Library call that parses a query: a bad query is a usage error."""
    from articles.library import QueryError

    try:
        return fn(*args, **kw)
    except QueryError as exc:
        raise Fail(str(exc), "bad_query", EXIT_USAGE) from exc


# -- library commands -----------------------------------------------------------
def cmd_init(args) -> Result:
    from articles.library import Library, default_library_path, is_library

    folder = Path(args.folder or args.library or default_library_path()).expanduser()
    existed = is_library(folder)
    if not existed and folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise Fail(f"{folder} exists and is not an empty folder: choose a new or empty one", "usage")
    with Library(folder):
        pass
    return Doc({"library": str(folder), "created": not existed},
               f"{'library already exists at' if existed else 'created an empty library at'} {folder}")


class AddResult(Result):
    def __init__(self, report, verbose: bool):
        self.report, self.verbose = report, verbose
        # Scripts need to notice a source that failed even when others imported.
        self.code = EXIT_FAIL if report.failed else EXIT_OK

    def to_json(self):
        return self.report.to_json()

    def render(self, con) -> None:
        report = self.report
        # Details first and the summary last, where a terminal leaves the eye;
        # a long run of duplicates is folded unless asked for.
        shown = report.duplicate_of if self.verbose else report.duplicate_of[:DUPLICATES_SHOWN]
        for src, dup in shown:
            con.print(_text((f"  duplicate: {_clean(src)} (same text as {_clean(dup)})", "dim")))
        if len(shown) < len(report.duplicate_of):
            con.print(_text((f"  … and {len(report.duplicate_of) - len(shown)} more duplicates "
                             "(--verbose lists them all)", "dim")))
        for src, err in report.failed:
            con.print(_text(("  failed: ", "red"), f"{_clean(src)}: {_clean(err)}"))
        for src, what in report.warnings:
            con.print(_text(("  warning: ", "yellow"), f"{_clean(src)}: {_clean(what)}"))
        con.print(_text(f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
                        f"duplicates {report.duplicates}, failed {len(report.failed)}"))


def cmd_add(args) -> Result:
    with _open(args) as lib, _Progress("Reading") as prog:
        report = lib.add(args.sources, progress=prog, entities=not args.no_entities,
                         timeout=args.timeout, follow_links=args.follow_links)
    return AddResult(report, args.verbose)


class SearchResult(Result):
    def __init__(self, query: str, res):
        self.query, self.res = query, res

    def to_json(self):
        return self.res.to_json()

    def render(self, con) -> None:
        from rich.text import Text

        res = self.res
        con.print(_text(f"{res.total_label()} for ", (self.query, "bold")))
        if res.suggestion:
            con.print(_text("did you mean: ", (res.suggestion, "bold cyan")))
        rows = [(h.id[:8], h.date or "",
                 Text("\n").join([_text((h.title, "bold"), (f"  {h.source or ''}", "dim")),
                                  _snippet_text(h.snippet.text, h.snippet.spans)]))
                for h in res.hits]
        if rows:
            _print_table(_table([("id", {"style": "dim", "no_wrap": True}), ("date", {"no_wrap": True}),
                                 ("article", {"ratio": 1})], rows,
                                show_header=True, header_style="bold", expand=True, show_lines=True), con)


def cmd_search(args) -> Result:
    with _open(args) as lib:
        lib.ensure_index(notice=_error)
        return SearchResult(args.query, _query_call(lib.search, args.query, limit=args.limit, sort=args.sort))


class ShowResult(Result):
    """One article with what the library knows of it (tags, notes, highlights, entities, sources)."""

    def __init__(self, art, doc: dict):
        self.art, self.doc = art, doc

    def to_json(self):
        return self.doc

    def render(self, con) -> None:
        art, doc = self.art, self.doc
        con.print(_text((art.title, "bold")))
        meta = " · ".join(_clean(x) for x in (art.source, art.author, art.date, art.url) if x)
        if meta:
            con.print(_text((meta, "dim")))
        if doc.get("sources"):
            from articles.services.sourcing import sourced_from_line
            from articles.text import sanitize_line

            con.print(_text(("Sourced from: ", "cyan"), sanitize_line(sourced_from_line(doc["sources"]))))
        con.print(_text((f"id {art.id}", "dim")))
        con.print()
        con.print(_text(art.body))
        # The user's notes and highlights under the article (plain Text: never markup).
        if doc.get("highlights"):
            con.print()
            con.print(_text(("Highlights", "bold")))
            for h in doc["highlights"]:
                line = _text(f"  [{h['id']}] “{_clean(h['text'])}”")
                if h["orphaned"]:
                    line.append("  (orphaned)", style="yellow")
                if h["note"]:
                    line.append(f" — {_clean(h['note'])}", style="italic")
                con.print(line)
        if doc.get("notes"):
            con.print()
            con.print(_text(("Notes", "bold")))
            for n in doc["notes"]:
                con.print(_text((f"  [{n['id']}] {n['created']}  ", "dim"), _clean(n["text"])))


def cmd_show(args) -> Result:
    with _open(args) as lib:
        art = _find(lib, args.id)
        return ShowResult(art, {**art.to_json(), **lib.article_extras(art)})


def cmd_list(args) -> Result:
    with _open(args) as lib:
        rows = lib.rows(sort=args.sort, limit=args.limit)
    table = _table((("id", {"style": "dim", "no_wrap": True}), ("state", {"no_wrap": True}),
                    ("date", {"no_wrap": True}), ("source", {"no_wrap": True, "max_width": 24}),
                    ("title", {"ratio": 1, "no_wrap": True, "overflow": "ellipsis"})),
                   [(r.id[:8], ("★" if r.starred else " ") + ("●" if not r.read else " "), r.date or "",
                     _text(r.source or ""), _text(r.title)) for r in rows], expand=True)
    return Lines({"articles": [r.to_json() for r in rows]}, [table])


def cmd_stats(args) -> Result:
    with _open(args) as lib:
        lib.ensure_index(notice=_error)  # an unsigned or damaged index is rebuilt, never read
        stats = lib.stats()
    return Lines(stats, [_text(f"{k:>12}  {v}") for k, v in stats.items()])


class CheckResult(Result):
    def __init__(self, report, repair: bool):
        self.report, self.repair = report, repair
        self.code = EXIT_OK if report.clean else EXIT_FAIL

    def to_json(self):
        return self.report.to_json()

    def render(self, con) -> None:
        report = self.report
        con.print(_text(f"{report.articles} articles, {report.indexed} indexed, {report.queued} queued changes"))
        for label, style, items in (("  found: ", "yellow", report.problems), ("  repaired: ", "green", report.repaired),
                                    ("  not repaired: ", "red", report.unrepairable)):
            for item in items:
                con.print(_text((label, style), item))
        if report.clean:
            con.print(_text(("library is consistent", "green")))
        elif not self.repair:
            con.print(_text("run `newsdesk check --repair` to fix what can be fixed"))


def cmd_check(args) -> Result:
    from articles.library import Library, default_library_path

    # A damaged store is found before the library opens (it may not open at all);
    # under --repair it is recovered first.
    folder = Path(args.library or default_library_path()).expanduser()
    damage = Library.store_damage(folder, full=args.repair)
    recovered = []
    if damage is not None and not args.repair:
        return Lines({"clean": False, "articles": 0, "indexed": None, "queued": 0, "missing": 0,
                      "extra": 0, "duplicated": 0, "problems": [f"store damaged: {damage}"],
                      "repaired": [], "unrepairable": ["run newsdesk check --repair"]},
                     [_text(("  found: ", "yellow"), _clean(f"store damaged: {damage}")),
                      _text("run `newsdesk check --repair` to recover it (from its backups, "
                            "or what can still be read)")], code=EXIT_FAIL)
    if damage is not None:
        recovered = [f"store damaged: {damage}"] + Library.recover_store(folder).lines()
    with _open(args) as lib:
        report = lib.check(repair=args.repair)
    if recovered:  # what was found before the library opened, and what was done
        report.problems.insert(0, recovered[0])
        report.repaired[:0] = recovered[1:]
    return CheckResult(report, args.repair)


def cmd_reindex(args) -> Result:
    with _open(args) as lib, _Progress("Indexing") as prog:
        n = lib.reindex(prog)
    return Doc({"indexed": n}, f"indexed {n} articles")


def cmd_mark(args) -> Result:
    with _open(args) as lib:
        art = _find(lib, args.id)
        for flag, setter in (("read", lib.set_read), ("starred", lib.set_starred)):
            value = getattr(args, flag)
            if value is not None:
                setter(art.id, value)
        art = lib.get(art.id)
    return Doc({"id": art.id, "read": art.read, "starred": art.starred},
               f"{art.id}: read={art.read} starred={art.starred}")


# -- feeds ----------------------------------------------------------------------
def cmd_feeds_add(args) -> Result:
    with _open(args) as lib:
        feed = lib.add_feed(args.url, tag=args.tag)
    return Doc(feed.to_json(), _text(f"subscribed to {_clean(feed.url)} (feed {feed.id})"))


def cmd_feeds_remove(args) -> Result:
    with _open(args) as lib:
        feed = lib.remove_feed(args.feed)
    return Doc(feed.to_json(), _text(f"unsubscribed from {_clean(feed.url)}; its saved articles stay in the library"))


def cmd_feeds_list(args) -> Result:
    with _open(args) as lib:
        feeds = lib.list_feeds(tag=args.tag)
    rows = []
    for f in feeds:
        status = _text((f.last_status or "never", "red" if f.last_status == "failed" else ""))
        if f.last_error:
            status += _text((f": {_clean(f.last_error)}", "dim"))
        rows.append((str(f.id), _text(_clean(f.tag)), _text(_clean(f.name), (f"\n{_clean(f.url)}", "dim")),
                     f"{f.unread}/{f.articles}", status))
    table = _table((("id", {"style": "dim", "no_wrap": True}), ("tag", {"no_wrap": True}),
                    ("feed", {"ratio": 1, "overflow": "fold"}), ("unread", {"justify": "right"}),
                    ("last refresh", {"ratio": 1, "overflow": "fold"})), rows, expand=True)
    return Lines({"feeds": [f.to_json() for f in feeds]}, [table])


def cmd_feeds_import(args) -> Result:
    with _open(args) as lib:
        res = lib.import_opml(args.file)
    return Lines({"added": [f.to_json() for f in res.added],
                  "skipped": [{"url": u, "reason": r} for u, r in res.skipped]},
                 [_text(f"subscribed to {len(res.added)} feeds, skipped {len(res.skipped)}")]
                 + [_text((f"  skipped: {_clean(url)}: {_clean(reason)}", "dim")) for url, reason in res.skipped])


def cmd_feeds_export(args) -> Result:
    from articles.text import sanitize

    with _open(args) as lib:
        # OPML fields come from feeds and imported files: no escape or format
        # character reaches the terminal (XML cannot carry most of them anyway).
        return Raw(sanitize(lib.export_opml()))


class RefreshResult(Result):
    def __init__(self, results, timeout: float):
        self.results, self.timeout = results, timeout
        self.failed = [r for r in results if r.status == "failed"]
        self.cut_off = [r for r in results if r.cut_off]
        # Like `add`: scripts must notice a feed that failed even when others worked.
        self.code = EXIT_FAIL if self.failed else EXIT_OK

    def to_json(self):
        return {"feeds": [r.to_json() for r in self.results],
                "added": sum(r.added for r in self.results), "updated": sum(r.updated for r in self.results),
                "failed": len(self.failed), "cut_off": len(self.cut_off)}

    def render(self, con) -> None:
        results = self.results
        for r in results:
            name = (_clean(r.title or r.url), "bold")
            if r.status == "failed":
                con.print(_text(("✗ ", "red"), name, (f"  failed: {_clean(r.reason)}", "red")))
            else:
                con.print(_text(("✓ ", "green"), name, (
                    f"  {r.status}: {r.added} new, {r.updated} updated"
                    + (f", {r.duplicates} merged as duplicates of saved articles" if r.duplicates else ""), "dim")))
            for w in r.warnings:
                con.print(_text((f"    {_clean(w)}", "dim")))
        con.print(_text(f"{len(results)} feeds: {sum(r.added for r in results)} new articles, "
                        f"{sum(r.updated for r in results)} updated, {len(self.failed)} failed"
                        + (f" ({len(self.cut_off)} cut off by the {self.timeout:g}s time limit; "
                           "they are fetched again next time)" if self.cut_off else "")))


def cmd_refresh(args) -> Result:
    with _open(args) as lib, _Progress("Refreshing") as prog:
        # --timeout bounds the whole refresh; no one server is waited on for longer
        # than the usual per-read timeout within it.
        return RefreshResult(lib.refresh_feeds(args.feed or None, progress=prog, entities=not args.no_entities,
                                               timeout=min(args.timeout, 10.0), deadline=args.timeout),
                             args.timeout)


# -- entities -----------------------------------------------------------------
def cmd_entities(args) -> Result:
    """List entities (library-wide or one article's), after running the entity stage if asked."""
    extracted = None
    with _open(args) as lib:
        article = _find(lib, args.id).id if args.id is not None else None
        if args.extract or args.rebuild:
            with _Progress("Entities") as prog:
                extracted = lib.run_entity_stage(prog, rebuild=args.rebuild)
            if article is None:
                return Doc({"extracted": extracted}, f"entities extracted from {extracted} texts", stderr=True)
        rows = lib.entity_rows(article, type=args.type, limit=args.limit)
    return EntitiesResult(rows, extracted)


class EntitiesResult(Result):
    """The entity table, after the entity stage's line on stderr when it ran."""

    def __init__(self, rows: list[dict], extracted: int | None):
        self.rows, self.extracted = rows, extracted

    def to_json(self):
        return {"entities": self.rows}

    def render(self, con) -> None:
        if self.extracted is not None:
            _console(stderr=True).print(f"entities extracted from {self.extracted} texts")
        _print_table(_table((("name", {"ratio": 2}), ("type", {"no_wrap": True}), ("articles", {"justify": "right"}),
                             ("mentions", {"justify": "right"}), ("also called", {"ratio": 2})),
                            [(_text(r["name"]), r["type"], str(r["articles"]), str(r["mentions"]),
                              _text((", ".join(r["aliases"]), "dim"))) for r in self.rows], expand=True), con)


def _entity_type(value: str) -> str:
    from articles.analysis.entities.names import normalise_type

    try:
        return normalise_type(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


# `newsdesk entities ACTION ...`: each a subcommand of `entities` with its operands.
ENTITY_CORRECTIONS = {"merge": ("A", "B"), "rename": ("OLD", "NEW"), "retype": ("NAME", "TYPE"),
                      "hide": ("NAME",), "unhide": ("NAME",)}


def cmd_entity_correction(args) -> Result:
    with _open(args) as lib:
        method = {"merge": lib.merge_entities, "rename": lib.rename_entity, "retype": lib.retype_entity,
                  "hide": lib.hide_entity, "unhide": lib.unhide_entity}[args.action]
        info = method(*_operands(args))
    line = None if info is None else _text(
        f"{args.action}: {info.name} [{info.type}]{' (hidden)' if info.hidden else ''}, "
        f"{info.articles} articles, {info.mentions} mentions")
    return Doc({"action": args.action, "entity": info.to_json() if info is not None else None}, line)


# -- stories --------------------------------------------------------------------
STORY_CORRECTIONS = {"split": ("ID",), "merge": ("A", "B"), "regroup": ()}


def cmd_story_correction(args) -> Result:
    """`stories split ID`, `stories merge A B`, `stories regroup`."""
    with _open(args) as lib:
        arts = [_find(lib, r) for r in _operands(args)]
        try:
            if args.action == "split":
                story = lib.split_story(arts[0].id)
            elif args.action == "merge":
                story = lib.merge_stories(arts[0].id, arts[1].id)
            else:
                n = lib.regroup_stories()
                return Doc({"action": "regroup", "story": None, "stories": n}, _text(f"regrouped: {n} stories"))
        except ValueError as exc:
            raise Fail(str(exc)) from exc
    return Doc({"action": args.action, "story": story.to_json()},
               _text(f"{args.action}: ", (story.title, "bold"),
                     (f"  {len(story.articles)} article(s)  {story.id[:8]}", "dim")))


def cmd_stories(args) -> Result:
    """Articles grouped by story (singletons included), biggest first; with --versions ID,
    what each version of that story adds."""
    with _open(args) as lib:
        if args.versions:
            art = _find(lib, args.versions)
            versions = lib.story_versions(art.id)
            return Lines({"story": lib.story_of(art.id).to_json(), "versions": versions}, _version_lines(versions))
        stories = lib.stories(min_size=2 if args.grouped else 1)
        titles = {r.id: r for r in lib.rows(ids=[a for s in stories if len(s.articles) > 1 for a in s.articles])}
    lines = []
    for s in stories:
        extra = f"  also reported by {len(s.articles) - 1}" if len(s.articles) > 1 else ""
        lines.append(_text((s.id[:8], "dim"), "  ", (s.title, "bold"), (extra, "cyan")))
        for aid in s.articles[1:] if len(s.articles) > 1 else []:
            r = titles.get(aid)
            if r is not None:
                lines.append(_text((f"    {aid[:8]}  ", "dim"), r.title, (f"  {r.source or ''}", "dim")))
    return Lines({"stories": [s.to_json() for s in stories]}, lines)


def _version_lines(versions) -> list:
    from articles.services.sourcing import chain_line

    lines = []
    for v in versions:
        lines.append(_text((v["title"], "bold"), (f"  {v['source'] or ''} {v['date'] or ''}  {v['id'][:8]}", "dim")))
        if v.get("role"):
            lines.append(_text((f"  {v['role']} ", "magenta"), chain_line(v.get("chain", []))))
        if v["adds"]["entities"]:
            lines.append(_text(("  adds: ", "cyan"), ", ".join(v["adds"]["entities"])))
        for q in v["adds"]["quotes"]:
            lines.append(_text("  “", q["text"], (f"” — {q['speaker'] or 'unattributed'}", "dim")))
    return lines


def cmd_related(args) -> Result:
    """The articles most related to one, with the entities and key terms they share."""
    with _open(args) as lib:
        art = _find(lib, args.id)
        rel = lib.related(art.id, limit=args.limit)
    rows = []
    for r in rel:
        why = (["same story"] if r.same_story else []) \
            + (["shares " + ", ".join(r.shared_entities[:5])] if r.shared_entities else []) \
            + (["terms " + ", ".join(r.shared_terms[:6])] if r.shared_terms else [])
        cell = _text((r.title, "bold"), (f"  {r.source or ''}", "dim"))
        if why:
            cell += _text(("\n" + "; ".join(why), "dim"))
        rows.append((r.id[:8], f"{r.score:.2f}", cell))
    table = _table((("id", {"style": "dim", "no_wrap": True}), ("score", {"justify": "right", "no_wrap": True}),
                    ("article", {"ratio": 1})), rows, expand=True, show_lines=True)
    return Lines({"id": art.id, "related": [r.to_json() for r in rel]},
                 [_text("related to ", (art.title, "bold")), table])


def cmd_quotes(args) -> Result:
    """Direct quotations with their speakers: one article's, or the library's."""
    with _open(args) as lib:
        aid = _find(lib, args.id).id if args.id else None
        quotes = lib.quotes(aid, speaker=args.speaker)
    lines = []
    for q in quotes:
        head = _text((q.speaker or "(no speaker)", "bold" if q.speaker else "dim italic"), (f"  {q.article[:8]}", "dim"))
        if q.conflict:
            others = ", ".join(sorted({o["speaker"] for o in q.also_attributed_to if o["speaker"]}))
            head += _text((f"  ⚠ also attributed to {others}", "yellow"))
        lines += [head, _text("  “", q.text, "”")]
    return Lines({"quotes": [q.to_json() for q in quotes]}, lines or [_text(("no quotes found", "dim"))])


def cmd_dossier(args) -> Result:
    """Everything about one person, organisation or place across the library."""
    from articles.services.dossier import sparkline

    with _open(args) as lib:
        doc = lib.dossier(args.name)
    ent = doc["entity"]
    lines = [_text((ent["name"], "bold"),
                   (f"  {ent['type'] or ''}  {ent['articles']} articles, {ent['mentions']} mentions", "dim"))]
    if ent["aliases"]:
        lines.append(_text(("also called " + ", ".join(ent["aliases"]), "dim")))
    spark = sparkline(doc["timeline"])
    if spark:
        months = [t["month"] for t in doc["timeline"] if t["month"] != "undated"]
        lines.append(_text(f"{months[0]} ", (spark, "cyan"), f" {months[-1]}"))
    if doc["co_mentioned"]:
        lines.append(_text(("with: ", "dim"), ", ".join(f"{c['name']} ({c['articles']})" for c in doc["co_mentioned"])))
    lines.append(_text())
    for a in doc["articles"]:
        lines.append(_text((a["date"] or "undated", "dim"), "  ", (a["title"], "bold"),
                           (f"  {a['source'] or ''} {a['id'][:8]}", "dim")))
        lines.append(_text("    ", a["sentence"]))
    if doc["quotes"]:
        lines += [_text(), _text(("quotes", "bold"))]
        lines += [_text("  “", q["text"], (f"”  {q['article'][:8]}", "dim")) for q in doc["quotes"]]
    return Lines(doc, lines)


def cmd_follow(args) -> Result:
    with _open(args) as lib:
        row = lib.follow(args.name)
    return Doc(row, f"following {row['name']}: {row['articles']} articles, {row['unread']} unread")


class UnfollowResult(Doc):
    def render(self, con) -> None:
        if self.code == EXIT_OK:
            con.print(self.line)
        else:
            _error(self.line)


def cmd_unfollow(args) -> Result:
    with _open(args) as lib:
        gone = lib.unfollow(args.name)
    return UnfollowResult({"name": args.name, "unfollowed": gone},
                          f"no longer following {args.name}" if gone else f"not following {args.name!r}",
                          EXIT_OK if gone else EXIT_FAIL)


def cmd_follows(args) -> Result:
    with _open(args) as lib:
        rows = lib.follows()
    lines = [_text((f"{r['unread']:>4} unread  ", "cyan" if r["unread"] else "dim"), (r["name"], "bold"),
                   (f"  {r['articles']} articles", "dim")) for r in rows]
    return Lines({"follows": rows}, lines or [_text(("not following anyone yet (newsdesk follow NAME)", "dim"))])


# -- the desk: tags, notes, highlights, saved searches ------------------------------
def cmd_tag(args) -> Result:
    """Add tags to an article (or every article of its story), or --remove them."""
    with _open(args) as lib:
        if args.story:
            changed = _lib_call(lib.tag_story, args.id, args.names, remove=args.remove, not_found="error")
        else:
            art = _find(lib, args.id)
            changed = {art.id: _lib_call(lib.tag, art.id, args.names, remove=args.remove, not_found="error")}
    return Lines({"articles": [{"id": a, "tags": t} for a, t in changed.items()]},
                 [f"{a}: {', '.join(_clean(x) for x in t) or '(no tags)'}" for a, t in changed.items()])


def cmd_tags(args) -> Result:
    """Every tag with its article count; --rename OLD NEW renames (or merges) one."""
    with _open(args) as lib:
        renamed = _lib_call(lib.rename_tag, *args.rename, not_found="error") if args.rename else None
        tags = lib.tags()
    return Lines({"tags": tags}, [f"renamed on {renamed} article(s)"] if args.rename
                 else [f"{t['articles']:>5}  {_clean(t['name'])}" for t in tags])


def cmd_note(args) -> Result:
    """Add a note to an article, or --remove NOTE_ID."""
    with _open(args) as lib:
        art = _find(lib, args.id)
        if args.remove is not None:
            _lib_call(lib.remove_note, art.id, args.remove)
        elif not args.text:
            raise Fail("give the note's text (or --remove NOTE_ID)", code=EXIT_USAGE)
        else:
            _lib_call(lib.add_note, art.id, " ".join(args.text))
        notes = lib.article_notes(art.id)
    return Lines({"id": art.id, "notes": notes},
                 [f"{n['id']:>4}  {n['created']}  {_clean(n['text'])}" for n in notes])


def _highlight_lines(found) -> list:
    lines = []
    for h in found:
        line = _text(f"{h['id']:>4}  ")
        if h.get("title"):
            line.append(f"{h['article_id'][:8]} ", style="dim")
        line.append(f"“{_clean(h['text'])}”")
        if h["orphaned"]:
            line.append("  (orphaned: the text is no longer in the article)", style="yellow")
        if h["note"]:
            line.append(f"  — {_clean(h['note'])}", style="italic")
        lines.append(line)
    return lines


def cmd_highlight(args) -> Result:
    """Highlight an exact passage of an article (--text), or --remove HID."""
    with _open(args) as lib:
        art = _find(lib, args.id)
        if args.remove is not None:
            _lib_call(lib.remove_highlight, art.id, args.remove)
        elif args.text is None:
            raise Fail("give the passage with --text (or --remove HIGHLIGHT_ID)", code=EXIT_USAGE)
        else:
            _lib_call(lib.add_highlight, art.id, args.text, args.note)
        found = lib.article_highlights(art)
    return Lines({"id": art.id, "highlights": found}, _highlight_lines(found))


def cmd_highlights(args) -> Result:
    """Every highlight in the library."""
    with _open(args) as lib:
        found = lib.all_highlights()
    return Lines({"highlights": found}, _highlight_lines(found))


def cmd_saved(args) -> Result:
    """saved add NAME QUERY / saved list / saved remove NAME."""
    with _open(args) as lib:
        lib.ensure_index(notice=_error)
        if args.saved_command == "add":
            _query_call(_lib_call, lib.save_search, args.name, " ".join(args.query))
        elif args.saved_command == "remove":
            _lib_call(lib.remove_saved, args.name)
        saved = lib.saved_searches()
    return Lines({"saved": saved}, [f"{s['unread']:>5} unread {s['total']:>6} total  {_clean(s['name'])}: "
                                    f"{_clean(s['query'])}" for s in saved])


class BatchResult(Result):
    def __init__(self, result: dict, csv: bool):
        self.result, self.csv = result, csv
        self.code = EXIT_OK if not result["failed"] else EXIT_FAIL
        self.stderr_lines = [f"newsdesk: line {f['line']}: {_clean(f['error'])}" for f in result["failed"]]
        blank = [str(x["line"]) for x in result.get("skipped", ()) if x["reason"] == "blank"]
        if blank:
            self.stderr_lines.append(f"newsdesk: skipped blank line{'s' if len(blank) > 1 else ''} "
                                     + ", ".join(blank[:20]) + (", …" if len(blank) > 20 else ""))

    def to_json(self):
        return self.result

    def render(self, con) -> None:
        queries = self.result["queries"]
        if self.csv:
            import csv

            out = csv.writer(sys.stdout, lineterminator="\n")
            out.writerow(["line", "query", "total", "rank", "id", "title", "score"])
            for q in queries:
                for rank, h in enumerate(q["hits"], 1):
                    out.writerow([q["line"], q["query"], q["total"], rank, h["id"], _clean(h["title"]), h["score"]])
                if not q["hits"]:
                    out.writerow([q["line"], q["query"], 0, "", "", "", ""])
            return
        for q in queries:
            con.print(f"line {q['line']}: {_clean(q['query'])} — {q['total']} hit(s)")
            for h in q["hits"]:
                con.print(f"    {h['id'][:8]}  {h['score']:>8.3f}  {_clean(h['title'])}")


def cmd_batch(args) -> Result:
    """One query per line of FILE: the hit count and top hits of each."""
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise Fail(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    # Raw lines, split on newlines only: each is decoded on its own, so one
    # line that is not UTF-8 is reported with its number and the rest run
    # (and a form feed or U+2028 inside a line does not make two queries).
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not any(line.strip() for line in lines):
        raise Fail(f"{args.file} has no queries: write one query per line")
    with _open(args) as lib:
        lib.ensure_index(notice=_error)
        return BatchResult(_lib_call(lib.batch, lines, limit=args.limit), args.csv)


def cmd_export(args) -> Result:
    """A query, tag, story, saved search or dossier as Markdown, JSON or CSV."""
    from articles.library import write_whole

    chosen = [x for x in (args.query, args.tag, args.story, args.dossier, args.saved, args.article)
              if x is not None]
    if len(chosen) != 1:
        raise Fail("export one selection: a QUERY, --article ID, --tag T, --story ID, --saved NAME or --dossier NAME",
                   code=EXIT_USAGE)
    if args.output is not None and not args.output.parent.is_dir():
        raise Fail(f"cannot write {args.output}: {args.output.parent} is not a folder; nothing was written")
    with _open(args) as lib:
        lib.ensure_index(notice=_error)
        text = _query_call(_lib_call, lib.export, args.format, query=args.query, tag=args.tag,
                           story=args.story, dossier=args.dossier, saved=args.saved,
                           ids=[args.article] if args.article else None)
    if args.output is None:
        return Raw(text)
    try:
        write_whole(args.output, text)
    except OSError as exc:
        raise Fail(f"cannot write {args.output}: {exc.strerror or exc}; nothing was written") from exc
    return Doc({"output": str(args.output), "format": args.format, "bytes": len(text.encode("utf-8"))},
               _text(("newsdesk: ", "bold"), _clean(f"exported to {args.output}")), stderr=True)


def cmd_tui(args) -> int:
    if args.library is not None or os.environ.get("NEWSDESK_LIBRARY"):
        # A mistyped --library is an error before the screen opens, not an empty library.
        from articles.library import default_library_path, require_library

        require_library(args.library or default_library_path())
    from tui.app import run

    return run(args.library)


# -- parser -------------------------------------------------------------------
def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``only``, just that command's parser (the
    others are not built: building all of them was a third of a `show`'s
    time). ``_parse`` falls back on the whole parser for anything else."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--library", type=Path, default=argparse.SUPPRESS,
                        help="library folder (default: $NEWSDESK_LIBRARY or the user data dir)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print one JSON document on stdout")

    p = _Parser(prog="newsdesk", parents=[common],
                                description="Read, search and investigate saved news in the terminal.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser,
                           **({"action": _OnlyOne, "only": only} if only else {}))

    ini = sub.add_parser("init", parents=[common], help="create an empty library folder")
    ini.add_argument("folder", type=Path, nargs="?", help="where (default: --library or the default library)")
    ini.set_defaults(func=cmd_init)

    a = sub.add_parser("add", parents=[common], help="import files, folders, globs or URLs")
    a.add_argument("sources", nargs="+")
    a.add_argument("--no-entities", action="store_true", help="skip the entity stage")
    a.add_argument("--verbose", "-v", action="store_true", help="list every duplicate")
    a.add_argument("--timeout", type=float, default=30.0,
                   help="seconds one URL may take in all, however slowly its server answers")
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
    _entity_listing_options(en)
    en.set_defaults(func=cmd_entities, id=None)
    ens = en.add_subparsers(metavar="ACTION", action=_SubcommandOrWord, otherwise="ID")
    # Any other first word is an article id: its options may follow it.
    enl = ens.add_parser("ID", parents=[common], prog="newsdesk entities",
                         extra_words=lambda ns, extra: "expected one article id, or one of "
                         f"{', '.join(ENTITY_CORRECTIONS)}; got {' '.join([ns.id, *extra])!r}")
    enl.add_argument("id")
    _entity_listing_options(enl, inherit=True)
    for action, operands in ENTITY_CORRECTIONS.items():
        usage = f"newsdesk entities {action} {' '.join(operands)}"
        c = ens.add_parser(action, parents=[common], usage=usage, operands_usage=f"usage: {usage}",
                           help={"merge": "make B part of A (A keeps its name and type)", "rename": "give an entity a new name",
                                 "retype": "correct an entity's type", "hide": "hide an entity everywhere",
                                 "unhide": "show a hidden entity again"}[action])
        _add_operands(c, operands)
        c.set_defaults(func=cmd_entity_correction, action=action)

    sr = sub.add_parser("stories", parents=[common], help="articles grouped by the story they report",
                        usage="newsdesk stories [--grouped] [--versions ID]\n"
                              "       newsdesk stories split ID | merge A B | regroup",
                        epilog="Corrections are remembered across regrouping.")
    sr.add_argument("--grouped", action="store_true", help="only stories reported more than once")
    sr.add_argument("--versions", metavar="ID", help="what each version of this article's story adds")
    sr.set_defaults(func=cmd_stories)
    story_usage = "usage: newsdesk stories [split ID | merge A B | regroup]"
    srs = sr.add_subparsers(metavar="split ID | merge A B | regroup", action=_SubcommandOrWord, otherwise=story_usage)
    for action, operands in STORY_CORRECTIONS.items():
        c = srs.add_parser(action, parents=[common], operands_usage=story_usage,
                           help={"split": "take an article out of its story", "merge": "make two stories one",
                                 "regroup": "rebuild every story"}[action])
        _add_operands(c, operands)
        c.set_defaults(func=cmd_story_correction, action=action)

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


def _add_operands(p, names) -> None:
    """A correction's operands, one positional each (nargs=2 with two metavars
    breaks argparse's "required" message); read back with _operands."""
    for i, name in enumerate(names):
        p.add_argument(f"operand{i}", metavar=name)
    p.set_defaults(arity=len(names))


def _operands(args) -> list[str]:
    return [getattr(args, f"operand{i}") for i in range(args.arity)]


def _entity_listing_options(p, inherit: bool = False) -> None:
    """`entities`' listing options: given before an article id they belong to `entities`,
    after it to the id's parser, which must then not reset them (``inherit``)."""
    default = (lambda value: argparse.SUPPRESS) if inherit else (lambda value: value)
    p.add_argument("--type", type=_entity_type, metavar="TYPE", default=default(None),
                   help="only this type: person, organization (org), place, group, event, other")
    p.add_argument("--limit", type=int, default=default(None))
    p.add_argument("--extract", action="store_true", default=default(False),
                   help="extract entities for articles that have none yet")
    p.add_argument("--rebuild", action="store_true", default=default(False),
                   help="extract entities again for every article")


class _UsageError(Exception):
    def __init__(self, message: str, kind: str = "usage"):
        super().__init__(message)
        self.kind = kind


class _Parser(argparse.ArgumentParser):
    """Usage errors raise instead of exiting, so that --json can report them
    as an error document like any other failure.

    A correction's parser (``operands_usage``) answers any wrong operands with
    its one-line usage, and ``extra_words(namespace, words)`` is the message for
    words left over: the messages these commands have always given."""

    def __init__(self, *args, operands_usage: str | None = None, extra_words=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.operands_usage, self.extra_words = operands_usage, extra_words

    def parse_known_args(self, args=None, namespace=None):
        namespace, extra = super().parse_known_args(args, namespace)
        if extra and self.operands_usage:
            self.error(f"unrecognized arguments: {' '.join(extra)}")
        if extra and self.extra_words:
            raise _UsageError(self.extra_words(namespace, extra), "error")
        return namespace, extra

    def error(self, message):
        if self.operands_usage:
            raise _UsageError(self.operands_usage, "error")
        raise _UsageError(f"{self.prog}: {message}")


class _SubcommandOrWord(argparse._SubParsersAction):
    """Subcommands beside a first word that is not one: `entities merge A B` is a
    correction, `entities ID` lists an article's entities. Any other first word
    leads into the parser named ``otherwise``, or, when no parser has that
    name, ``otherwise`` is the usage error it gets."""

    def __init__(self, *args, otherwise: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.otherwise = otherwise
        self.choices = None  # the first word is checked here, not by argparse

    def __call__(self, parser, namespace, values, option_string=None):
        if values[0] not in self._name_parser_map or values[0] == self.otherwise:
            if self.otherwise not in self._name_parser_map:
                raise _UsageError(self.otherwise, "error")
            values = [self.otherwise, *values]
        super().__call__(parser, namespace, values, option_string)


class _Unbuilt:
    """Stands in for a command's parser that ``build_parser(only=...)`` skips:
    everything done to it is nothing."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: self


class _OnlyOne(argparse._SubParsersAction):
    """Top-level subcommands where only the one named ``only`` is built."""

    def __init__(self, *args, only: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.only = only

    def add_parser(self, name, **kwargs):
        return super().add_parser(name, **kwargs) if name == self.only else _Unbuilt()


def _command_word(argv: list[str]) -> str | None:
    """The first word that may name the command (after the top-level options)."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word == "--library":
            skip = True
        elif word == "--":
            return None
        elif not word.startswith("-"):
            return word
    return None


def _parse(argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed by the named command's parser alone when it accepts
    them; anything else (help, no command, a usage error, an abbreviated
    option) by the whole parser, so every message is the one it gives."""
    word = _command_word(argv)
    if word and not any(w in ("-h", "--help") for w in argv):
        try:
            args = build_parser(only=word).parse_args(argv)
            if getattr(args, "command", None) == word:
                return args
        except _UsageError:
            pass
    return build_parser().parse_args(argv)


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
        args = _parse(argv)
    except _UsageError as exc:
        _error(str(exc), exc.kind)
        return EXIT_USAGE
    args.library = getattr(args, "library", None)
    args.json = getattr(args, "json", False)
    func = getattr(args, "func", cmd_tui)
    # Commands that bring articles or subscriptions in may start a library;
    # every other one needs an existing library (a typo is an error).
    args.creating = func in (cmd_add, cmd_init, cmd_feeds_add, cmd_feeds_import, cmd_tui)
    from articles.library import LibraryError

    try:
        result = func(args)
        return result if isinstance(result, int) else emit(result, args.json)
    except Fail as exc:
        _error(str(exc), exc.kind)
        return exc.code
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
    if isinstance(exc, sqlite3.OperationalError) and "could not decode to utf-8" in str(exc).lower():
        # A flipped byte in a stored text; SQLite's message quotes the damaged
        # text itself, which is no part of a clear line.
        return ("the library's store is damaged (a stored text is no longer valid UTF-8); "
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
