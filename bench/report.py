"""The benchmark's Markdown table, and its place in BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
# The commands section has its own block, so a commands-only run leaves the rest.
COMMANDS_START, COMMANDS_END = "<!-- bench:commands:start -->", "<!-- bench:commands:end -->"
# Each command as a process: at most this many times the FTS5 script's time.
COMMANDS_RATIO = 2.0

TARGETS = {
    "p95": 50.0, "p50": 15.0, "first_screen_s": 1.0, "open_ms": 50.0,
    "import_rate": 800.0, "tokens_per_s": 15_000.0, "rss_mb": 300.0,
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(next(line.split()[1] for line in f if line.startswith("MemTotal")))
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, {platform.system()}"


def _rev() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[1]).stdout.strip() or "?"
    except OSError:
        return "?"


def _met(value, target, higher_is_better=False) -> str:
    if value is None:
        return "not measured"
    ok = value >= target if higher_is_better else value <= target
    return "**met**" if ok else "**missed**"


def _ratio(a, b) -> str:
    return f"{a / b:.1f}×" if a and b else "–"


def _into(imp: dict) -> str:
    k = imp.get("with_entities_before") or 0
    return f" into a library of {k:,} with entities" if k else ""


def render(r: dict) -> str:
    s = r["search"]
    imp = r["import"]
    small = r.get("import_small")
    op = r["open"]
    tui = r.get("tui") or {}
    ent = r.get("entities") or {}
    n = r["articles"]
    lines = [
        f"Run {r['date']} at commit {_rev()} on {machine()}.",
        f"Load average during the run: {r.get('load', '?')} (the machine is shared; CPU-time rows "
        "show what a query costs without waiting for a core).",
        f"Library: {n:,} articles (BBC corpus replicated with variations); "
        f"search figures are the median of {s['repeats']} runs of each query.",
        "",
        "| measure | Newsdesk | SQLite FTS5 | ratio (Newsdesk / FTS5) | target | |",
        "|---|---|---|---|---|---|",
        f"| search p50, 30 queries, 20 hits with snippets | {s['p50']:.1f} ms | {s['fts_p50']:.1f} ms "
        f"| {_ratio(s['p50'], s['fts_p50'])} | ≤ 15 ms | {_met(s['p50'], TARGETS['p50'])} |",
        f"| search p95 | {s['p95']:.1f} ms | {s['fts_p95']:.1f} ms | {_ratio(s['p95'], s['fts_p95'])} "
        f"| ≤ 50 ms | {_met(s['p95'], TARGETS['p95'])} |",
        f"| search p50, CPU time | {s['cpu_p50']:.1f} ms | {s['fts_cpu_p50']:.1f} ms "
        f"| {_ratio(s['cpu_p50'], s['fts_cpu_p50'])} | ≤ 15 ms | {_met(s['cpu_p50'], TARGETS['p50'])} |",
        f"| search p95, CPU time | {s['cpu_p95']:.1f} ms | {s['fts_cpu_p95']:.1f} ms "
        f"| {_ratio(s['cpu_p95'], s['fts_cpu_p95'])} | ≤ 50 ms | {_met(s['cpu_p95'], TARGETS['p95'])} |",
        f"| search, slowest query | {s['max']:.1f} ms | {s['fts_max']:.1f} ms | "
        f"{_ratio(s['max'], s['fts_max'])} | | |",
        f"| import {imp['articles']:,} articles{_into(imp)} ({imp['path']}, no entities; measured "
        f"{imp.get('measured', 'now')}) | {imp['rate']:.0f} articles/s | {imp['fts_rate']:.0f} articles/s "
        f"| {_ratio(imp['fts_rate'], imp['rate'])} slower | ≥ 800/s | "
        f"{_met(imp['rate'], TARGETS['import_rate'], True)} |",
    ]
    if imp.get("cpu_seconds"):
        lines.append(
            f"| import {imp['articles']:,}: CPU seconds used (all processes) | {imp['cpu_seconds']:.0f} s "
            f"= {imp['rate_per_cpu_s']:.0f} articles per CPU-second; on 2 idle cores at best "
            f"{2 * imp['rate_per_cpu_s']:.0f}/s | | | ≥ 800/s | |")
    if small:
        lines.append(
            f"| import {small['articles']:,} articles, fresh ({small['path']}) | {small['rate']:.0f} articles/s "
            f"| {small['fts_rate']:.0f} articles/s | {_ratio(small['fts_rate'], small['rate'])} slower "
            f"| ≥ 800/s | {_met(small['rate'], TARGETS['import_rate'], True)} |")
    lines.append(
        f"| open an article (store + {'entities + ' if op['with_entities'] else ''}highlight spans) "
        f"| {op['ms']:.2f} ms | {op['fts_ms']:.2f} ms | {_ratio(op['ms'], op['fts_ms'])} | ≤ 50 ms "
        f"| {_met(op['ms'], TARGETS['open_ms'])} |")
    lines.append(f"| open the library + first search (cold) | {s['open_s'] * 1000:.0f} + "
                 f"{s['first_search_s'] * 1000:.0f} ms | | | | |")
    if "error" in tui:
        lines.append(f"| TUI first screen, RSS | not measured: {tui['error']} | | | | |")
    elif tui:
        lines.append(f"| TUI first interactive screen (headless, from process start) | "
                     f"{tui['first_screen_s']:.2f} s | | | ≤ 1.0 s | "
                     f"{_met(tui['first_screen_s'], TARGETS['first_screen_s'])} |")
        if "first_screen_cpu_s" in tui:
            lines.append(f"| TUI first screen, CPU time used by then | {tui['first_screen_cpu_s']:.2f} s | | | "
                         f"≤ 1.0 s | {_met(tui['first_screen_cpu_s'], TARGETS['first_screen_s'])} |")
        if "open_article_ms" in tui:
            lines.append(f"| TUI open an article | {tui['open_article_ms']:.1f} ms | | | ≤ 50 ms | "
                         f"{_met(tui['open_article_ms'], TARGETS['open_ms'])} |")
        if "open_article_error" in tui:
            lines.append(f"| TUI open an article | failed: {tui['open_article_error']} | | | ≤ 50 ms | |")
        lines.append(f"| TUI peak RSS after 100 searches | {tui['peak_rss_mb']:.0f} MB | | | ≤ 300 MB | "
                     f"{_met(tui['peak_rss_mb'], TARGETS['rss_mb'])} |")
    if "error" in ent:
        lines.append(f"| entity stage | not measured: {ent['error']} | | | ≥ 15,000 tokens/s | |")
    elif ent:
        lines.append(f"| entity stage ({ent['articles']:,} articles, {ent['tokens']:,} tokens) | "
                     f"{ent['tokens_per_s']:,.0f} tokens/s | | | ≥ 15,000 tokens/s | "
                     f"{_met(ent['tokens_per_s'], TARGETS['tokens_per_s'], True)} |")
    st = r.get("stories") or {}
    if st:
        lines.append(f"| stories: regroup {st['articles']:,} from scratch (copies {st['regroup_copies_s']:.0f} s "
                     f"+ stories {st['regroup_stories_s']:.0f} s) | {st['regroup_s']:.0f} s | | | ≤ 600 s at 100k | "
                     f"{_met(st['regroup_s'], 600.0)} |")
        lines.append(f"| stories: assign one new article (median of {st['assign_n']}, p95 "
                     f"{st['assign_p95_ms']:.0f} ms) | {st['assign_ms']:.1f} ms | | | ≤ 50 ms | "
                     f"{_met(st['assign_ms'], 50.0)} |")
    lines += ["", "Per query (median ms; first: the query's first run in this process, before "
              "anything it reads is cached; totals are matching articles):", "",
              "| kind | query | Newsdesk ms | first run ms | Newsdesk CPU ms | FTS5 ms | FTS5 CPU ms | Newsdesk total | FTS5 total | suggestion |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for q in s["queries"]:
        query = q["query"].replace("|", "\\|")
        first = f"{q['first_ms']:.1f}" if "first_ms" in q else ""
        lines.append(f"| {q['kind']} | `{query}` | {q['ms']:.1f} | {first} | {q['cpu_ms']:.1f} | {q['fts_ms']:.1f} "
                     f"| {q['fts_cpu_ms']:.1f} | {q['total']:,} "
                     f"| {q['fts_total']:,} | {q['suggestion'] or ''} |")
    return "\n".join(lines) + "\n"


def render_commands(sections: list[tuple[str, dict]], tui: dict | None, date: str) -> str:
    """The commands table of each library measured, and the TUI launch on the first."""
    lines = [f"Run {date} at commit {_rev()} on {machine()}."]
    for title, c in sections:
        rows = {r["command"]: r for r in c["rows"]}
        fts = rows.get("FTS5 script")
        lines += ["", f"{title}: {c['articles']:,} articles; medians of {c['runs']} rounds (each round runs "
                  f"every process once); load average at the end {c['load']}. Article `{c['subjects']['article'][:12]}`, "
                  f"entity `{c['subjects']['entity']}`.", "",
                  "| command (`--json`) | wall ms | CPU ms | wall / FTS5 | CPU / FTS5 | first launch ms (CPU) "
                  f"| ≤ {COMMANDS_RATIO:g}× FTS5 |",
                  "|---|---|---|---|---|---|---|"]
        for r in c["rows"]:
            first = f"{r['first_ms']:.0f} ({r['first_cpu_ms']:.0f})" if "first_ms" in r else ""
            if "error" in r:
                verdict = f"failed: {r['error']}"
            elif r is fts or r["command"].startswith("python"):
                verdict = ""
            else:
                verdict = _met(r["ms"], COMMANDS_RATIO * fts["ms"]) if fts else ""
            lines.append(f"| `{r['command']}` | {r['ms']:.0f} | {r['cpu_ms']:.0f} | {_ratio(r['ms'], fts['ms'])} "
                         f"| {_ratio(r['cpu_ms'], fts['cpu_ms'])} | {first} | {verdict} |")
    if tui:
        lines.append("")
        if "error" in tui:
            lines.append(f"TUI launch on the {sections[0][0]} library: not measured: {tui['error']}")
        else:
            lines.append(f"TUI launch to first screen on the {sections[0][0]} library (headless probe, from "
                         f"process start, bytecode cached): {tui['first_screen_s']:.2f} s wall, "
                         f"{tui['first_screen_cpu_s']:.2f} s CPU (target ≤ 0.5 s: "
                         f"{_met(tui['first_screen_s'], 0.5)}).")
    return "\n".join(lines) + "\n"


def write(path: Path, text: str, start: str = START, end: str = END) -> None:
    """Replace the generated section of ``path``, keeping the prose around it."""
    block = f"{start}\n{text}{end}"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in old and end in old:
        head, rest = old.split(start, 1)
        new = head + block + rest.split(end, 1)[1]
    else:
        new = (old.rstrip() + "\n\n" if old else "# Benchmarks\n\n") + block + "\n"
    path.write_text(new, encoding="utf-8")
