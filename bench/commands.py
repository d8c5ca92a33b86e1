"""The commands section: each `newsdesk` command as a whole process, beside a
small FTS5 script answering the same search, in the same run.

What a script calling ``newsdesk ... --json`` in a loop waits for is the
process: interpreter start, imports, opening the store and index, the work,
the JSON. Each command is started as the installed ``newsdesk`` entry point
(the venv's python running it), with ``--json``; the yardstick is
``bench/fts_process.py`` (stdlib only) on an FTS5 copy of the same articles.

Bytecode: this machine sets PYTHONDONTWRITEBYTECODE, which would make every
launch compile the project and its dependencies again (what no user's second
launch does). The measured processes run without it, with their bytecode in a
folder of the cache (PYTHONPYCACHEPREFIX), warmed by one untimed run of each
command. The first-launch figure runs each command once with only the
standard library's bytecode (as Python ships it) in a fresh copy of that
folder: the project and every dependency compiled from source.

Rounds: every round runs each process once, in the same order, so a burst of
load on the shared machine hits all of them alike; figures are medians over
the rounds, wall-clock and CPU (user + system of the child)."""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FTS_SCRIPT = Path(__file__).with_name("fts_process.py")
SEARCH_QUERY = "Blair"  # the example; the same words in both query languages


def bbc_library(cache: Path, articles: int | None = None, log=print) -> Path:
    """A library of the shared BBC corpus as a user would import it
    (``Library.add`` of its files, entity stage included), and an FTS5 copy
    of the articles it stored, under ``cache``; built once. ``articles``:
    only the first N files (for the smoke test)."""
    from articles.library import Library

    from .corpus import BBC, CorpusMissing

    folder = cache / ("bbc" if articles is None else f"bbc-{articles}")
    marker = folder / "bench.json"
    if marker.exists():
        return folder
    files = sorted(BBC.glob("*/*.txt"))
    if not files:
        raise CorpusMissing(f"the BBC corpus is not at {BBC}")
    if articles is not None:
        files = files[:articles]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    log(f"building the BBC library ({len(files):,} files, with entities) in {folder} ...")
    t0 = time.perf_counter()
    with Library(folder / "lib") as lib:
        report = lib.add([str(f) for f in files], entities=True)
        n = lib.count()
    fts_copy(folder / "lib" / "library.db", folder / "fts.db")
    marker.write_text(json.dumps({"files": len(files), "articles": n, "added": report.added,
                                  "duplicates": report.duplicates,
                                  "seconds": time.perf_counter() - t0}))
    return folder


def fts_copy(store: Path, db: Path) -> None:
    """An FTS5 table of the articles in a Newsdesk store (the same texts)."""
    db.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    dst = sqlite3.connect(str(db))
    dst.execute("CREATE VIRTUAL TABLE fts USING fts5(id UNINDEXED, title, body, source, "
                "date UNINDEXED, tokenize='porter unicode61')")
    dst.execute("INSERT INTO fts(fts, rank) VALUES('rank', 'bm25(0, 2.0, 1.0, 1.0, 0)')")
    with dst:
        dst.executemany("INSERT INTO fts(id, title, body, source, date) VALUES (?,?,?,?,?)",
                        src.execute("SELECT id, title, body, source, date FROM articles"))
    src.close()
    dst.close()


def _subjects(lib_dir: Path) -> dict:
    """An article and an entity for the commands that take one: the first hit
    of the search (an article with entities and quotes in the BBC library),
    and the person most articles name."""
    from articles.library import Library

    with Library(lib_dir, create=False) as lib:
        lib.ensure_index()
        hits = lib.search(SEARCH_QUERY, limit=1).hits
        aid = hits[0].id if hits else lib.rows(limit=1)[0].id
        people = lib.library_entities(type="person", limit=1)
        name = people[0].name if people else SEARCH_QUERY
    return {"article": aid, "entity": name}


def command_lines(lib_dir: Path, subjects: dict) -> list[tuple[str, list[str]]]:
    """(label, argv after the program) of each measured command."""
    lib = ["--library", str(lib_dir), "--json"]
    aid, name = subjects["article"][:12], subjects["entity"]
    return [
        (f"search {SEARCH_QUERY}", ["search", SEARCH_QUERY, *lib]),
        ("show ID", ["show", aid, *lib]),
        ("list --limit 50", ["list", "--limit", "50", *lib]),
        ("stats", ["stats", *lib]),
        ("entities --limit 50", ["entities", "--limit", "50", *lib]),
        ("quotes ID", ["quotes", aid, *lib]),
        (f"dossier \"{name}\"", ["dossier", name, *lib]),
        ("related ID", ["related", aid, *lib]),
    ]


def _program() -> list[str]:
    """The installed entry point run by this venv's python (else ``-m main``)."""
    script = Path(sys.executable).parent / "newsdesk"
    return [sys.executable, str(script)] if script.is_file() else [sys.executable, "-m", "main"]


def _env(pycache: Path) -> dict:
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(pycache))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _run(argv: list[str], env: dict, timeout: float = 600) -> dict:
    # (The empty interpreter, the floor under every process, prints nothing.)
    quiet = argv[1:] == ["-c", "pass"]
    """One process: wall and CPU seconds, and whether it answered with JSON."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out = {"s": wall, "cpu_s": cpu}
    try:
        ok = proc.returncode == 0 and (quiet or json.loads(proc.stdout) is not None)
    except ValueError:
        ok = False
    if not ok:
        out["error"] = (proc.stderr.strip().splitlines() or proc.stdout.strip().splitlines()
                        or [f"exit status {proc.returncode}"])[-1][:200]
    return out


def _stdlib_only(warm: Path, fresh: Path) -> None:
    """``fresh``: the standard library's bytecode from ``warm`` and nothing else
    (a prefix folder mirrors each source's absolute path)."""
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    src = warm / stdlib.relative_to(stdlib.anchor)
    if src.is_dir():
        shutil.copytree(src, fresh / stdlib.relative_to(stdlib.anchor),
                        ignore=shutil.ignore_patterns("site-packages"))


def measure(folder: Path, runs: int = 7, first_launch: bool = True, log=print,
            pycache: Path | None = None) -> dict:
    """Every command of ``command_lines`` on ``folder``/lib, the FTS5 script on
    ``folder``/fts.db and an empty interpreter, ``runs`` rounds."""
    lib_dir = folder / "lib"
    pycache = pycache or folder.parent / "pycache"
    env = _env(pycache)
    subjects = _subjects(lib_dir)
    prog = _program()
    procs = [(label, prog + argv) for label, argv in command_lines(lib_dir, subjects)]
    procs.append(("FTS5 script", [sys.executable, str(FTS_SCRIPT), str(folder / "fts.db"), SEARCH_QUERY]))
    procs.append(("python -c pass", [sys.executable, "-c", "pass"]))
    log(f"commands: warming bytecode, then {runs} rounds of {len(procs)} processes ...")
    for _label, argv in procs:  # warm the bytecode and the OS page cache, untimed
        _run(argv, env)
    samples: dict[str, list[dict]] = {label: [] for label, _ in procs}
    for _ in range(runs):
        for label, argv in procs:
            samples[label].append(_run(argv, env))
    rows = []
    for label, _argv in procs:
        got = samples[label]
        row = {"command": label, "ms": statistics.median(r["s"] for r in got) * 1000,
               "cpu_ms": statistics.median(r["cpu_s"] for r in got) * 1000}
        errors = [r["error"] for r in got if "error" in r]
        if errors:
            row["error"] = errors[-1]
        rows.append(row)
    if first_launch:
        log("commands: first launch (no bytecode but the standard library's) ...")
        fresh = pycache.parent / "pycache-first-launch"
        for row, (_label, argv) in zip(rows, procs):
            _stdlib_only(pycache, fresh)
            r = _run(argv, _env(fresh))
            row["first_ms"], row["first_cpu_ms"] = r["s"] * 1000, r["cpu_s"] * 1000
        shutil.rmtree(fresh, ignore_errors=True)
    with sqlite3.connect(f"file:{lib_dir / 'library.db'}?mode=ro", uri=True) as conn:
        n = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    conn.close()
    return {"articles": n, "runs": runs, "rows": rows, "subjects": subjects,
            "load": " / ".join(f"{x:.1f}" for x in os.getloadavg())}
