"""`uv run python -m bench [--articles N]`: measure, print a table, update BENCHMARKS.md."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import report, run
from .corpus import CorpusMissing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--articles", type=int, default=100_000,
                    help="size of the library searched (built once, cached under /tmp)")
    ap.add_argument("--import-articles", type=int, default=10_000,
                    help="size of the fresh import measured in every run (0: skip)")
    ap.add_argument("--entities", type=int, default=500,
                    help="articles put through the entity stage (0: skip)")
    ap.add_argument("--entity-articles", type=int, default=2225,
                    help="articles of the searched library put through the entity stage before the "
                         "timed import, so entity queries find something (0: none; never more than "
                         "--entities allows: with --entities 0 there are none)")
    ap.add_argument("--stories", type=int, default=0,
                    help="story grouping at this library size: regroup from scratch, assign one new "
                         "article (bench/story_timing.py; 0: skip, 100000 for the issue's targets)")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs of each query")
    ap.add_argument("--commands-runs", type=int, default=7,
                    help="rounds of the commands section (each command as a process beside an FTS5 "
                         "script, bench/commands.py) on the BBC library and the searched one; 0: skip")
    ap.add_argument("--commands-only", action="store_true",
                    help="only the commands section and the TUI launch on the BBC library (and the "
                         "--articles library if it is cached already)")
    ap.add_argument("--no-first-launch", action="store_true",
                    help="skip the commands' first-launch figure (bytecode cleared)")
    ap.add_argument("--bbc-articles", type=int, default=None, help=argparse.SUPPRESS)  # smoke test
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached library")
    ap.add_argument("--no-tui", action="store_true", help="skip the TUI start-up and memory probe")
    ap.add_argument("--cache", type=Path, default=None, help=f"cache folder (default {run.CACHE})")
    ap.add_argument("--output", type=Path, default=run.ROOT / "BENCHMARKS.md",
                    help="Markdown file whose generated section is replaced ('-' for none)")
    args = ap.parse_args(argv)
    if args.cache is not None:
        run.CACHE = args.cache

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    results: dict = {"articles": args.articles, "date": time.strftime("%Y-%m-%d %H:%M %Z")}
    if args.commands_only:
        cached = run.CACHE / f"lib-{args.articles}"
        return _commands(args, log, cached if (cached / "bench.json").exists() else None)
    try:
        if args.import_articles:
            log(f"import: {args.import_articles:,} articles, fresh ...")
            results["import_small"] = run.import_library(
                args.import_articles, run.CACHE / f"import-{args.import_articles}")
        folder, results["import"] = run.cached_library(
            args.articles, args.rebuild, log,
            entity_articles=args.entity_articles if args.entities else 0)
    except CorpusMissing as exc:
        log(f"bench: {exc}")
        return 2
    log("search ...")
    results["search"] = run.search(folder, args.repeats, log)
    log("open article ...")
    results["open"] = run.open_article(folder)
    if not args.no_tui:
        log("TUI start-up and memory ...")
        results["tui"] = run.tui(folder)
    if args.entities:
        log(f"entity stage: {args.entities:,} articles ...")
        results["entities"] = run.entity_stage(args.entities, log)
    if args.stories:
        from . import story_timing

        log(f"stories: {args.stories:,} articles ...")
        results["stories"] = story_timing.measure(args.stories, log=log)
    results["load"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    text = report.render(results)
    print(text)
    if str(args.output) != "-":
        report.write(args.output, text)
        log(f"wrote {args.output}")
    if args.commands_runs:
        return _commands(args, log, folder)
    return 0


def _commands(args, log, big: Path | None) -> int:
    """The commands section: on the BBC library, then on ``big`` (the searched library)."""
    from . import commands

    date = time.strftime("%Y-%m-%d %H:%M %Z")
    try:
        bbc = commands.bbc_library(run.CACHE, args.bbc_articles, log)
    except CorpusMissing as exc:
        log(f"bench: {exc}")
        return 2
    runs = max(args.commands_runs, 1)
    sections = [("BBC", commands.measure(bbc, runs, not args.no_first_launch, log, run.CACHE / "pycache"))]
    if big is not None:
        sections.append((f"{args.articles:,}-article", commands.measure(
            big, runs, not args.no_first_launch, log, run.CACHE / "pycache")))
    tui = None
    if not args.no_tui:
        log("TUI launch on the BBC library ...")
        tui = run.tui(bbc, searches=10)
    text = report.render_commands(sections, tui, date)
    print(text)
    if str(args.output) != "-":
        report.write(args.output, text, report.COMMANDS_START, report.COMMANDS_END)
        log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
