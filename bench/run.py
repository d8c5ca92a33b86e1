"""The measurements. Each returns plain dicts of figures; report.py lays them out."""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from articles.library import Library
from index.schema import INDEX_VERSION

from . import corpus
from .fts import Fts
from .queries import QUERIES

CACHE = Path(os.environ.get("NEWSDESK_BENCH_CACHE", "/tmp/newsdesk-bench"))
ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return s[k]


def _tokens(texts) -> int:
    """Tokens as spaCy's English tokenizer counts them (the entity stage's unit)."""
    import spacy

    nlp = spacy.blank("en")
    return sum(len(doc) for doc in nlp.tokenizer.pipe(texts, batch_size=256))


# -- import -----------------------------------------------------------------------
def import_library(n: int, folder: Path, *, files: bool | None = None,
                   entity_articles: int = 0) -> dict:
    """Import ``n`` synthetic articles into a new library at ``folder`` (text and
    index, no entities) and the same articles into FTS5 beside it.

    With ``entity_articles``, that many articles (the first copy of each BBC
    text) are imported first, untimed, with the entity stage, so that entity
    queries have something to find; the timed import is the rest."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if files is None:
        files = _have_readers()
    drafts = list(corpus.drafts(n))
    k = min(entity_articles, n)
    lib = Library(folder / "lib")
    if k:
        lib.add_drafts(drafts[:k], entities=True)
    timed = drafts[k:]
    out: dict = {"articles": len(timed), "path": "Library.add (files)" if files else "Library.add_drafts",
                 "with_entities_before": k}
    if files:
        src = folder / "files"
        corpus.write_files(n, src, start=k)
        c0, t0 = _cpu(), time.perf_counter()
        report = lib.add([str(src)], entities=False)
        secs = time.perf_counter() - t0
    else:
        c0, t0 = _cpu(), time.perf_counter()
        report = lib.add_drafts(timed)
        secs = time.perf_counter() - t0
    cpu = _cpu() - c0
    out.update(seconds=secs, rate=len(timed) / secs, cpu_seconds=cpu, rate_per_cpu_s=len(timed) / cpu,
               added=report.added, failed=len(report.failed),
               duplicates=report.duplicates, indexed=lib.index.doc_count())
    lib.close()
    fts = Fts(folder / "fts.db")
    fts.create()
    if k:
        fts.add(drafts[:k])
    fsecs = fts.add(timed)
    fts.close()
    out.update(fts_seconds=fsecs, fts_rate=len(timed) / fsecs)
    return out


def _cpu() -> float:
    """CPU seconds used by this process and its finished children (the reader
    pool and Whoosh's writer processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _have_readers() -> bool:
    try:
        from articles.readers import expand_sources, read_path  # noqa: F401
    except ImportError:
        return False
    return True


def cached_library(n: int, rebuild: bool = False, log=print, entity_articles: int = 0) -> tuple[Path, dict]:
    """The n-article library under CACHE, built once; returns (folder, import figures)."""
    folder = CACHE / f"lib-{n}"
    marker = folder / "bench.json"
    if not rebuild and marker.exists():
        info = json.loads(marker.read_text())
        return folder, info["import"]
    log(f"building the {n:,}-article library in {folder} (cached for later runs) ...")
    fig = import_library(n, folder, entity_articles=entity_articles)
    fig["measured"] = time.strftime("%Y-%m-%d %H:%M")
    marker.write_text(json.dumps({"import": fig, "index_version": INDEX_VERSION}))
    # The source files were only needed to measure the file import path.
    shutil.rmtree(folder / "files", ignore_errors=True)
    return folder, fig


# -- search -----------------------------------------------------------------------
def _time(fn, repeats: int) -> tuple[float, float]:
    """Median wall-clock and median CPU seconds of ``fn``. On a shared, loaded
    machine the CPU time is what the call would take on an idle one (search is
    single-threaded, and SQLite runs inside this process too)."""
    wall, cpu = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def search(folder: Path, repeats: int = 5, log=print) -> dict:
    """p50/p95 over the 30 queries of each query's median latency, with snippets
    for the first 20 hits, for Newsdesk and FTS5 on the same library."""
    t0 = time.perf_counter()
    lib = Library(folder / "lib")
    # Not ensure_index(): its repair can turn into a full rebuild, minutes at
    # 100k, inside what is meant to be a search measurement.
    status = lib.index_status()
    if status == "stale":
        log(f"index: indexing {lib.sync_index()} queued articles first")
    elif status != "ok":
        raise RuntimeError(f"the cached index is not usable ({status}); run with --rebuild")
    opened = time.perf_counter() - t0
    t0 = time.perf_counter()
    lib.search(QUERIES[0].newsdesk)
    first = time.perf_counter() - t0
    fts = Fts(folder / "fts.db")
    per_query = []
    for q in QUERIES:
        t0 = time.perf_counter()
        res = lib.search(q.newsdesk)  # warm: caches and the OS page cache
        first_ms = (time.perf_counter() - t0) * 1000
        total_f, _ = fts.search(q)
        nd, nd_cpu = _time(lambda q=q: lib.search(q.newsdesk), repeats)
        ft, ft_cpu = _time(lambda q=q: fts.search(q), repeats)
        per_query.append({"kind": q.kind, "query": q.newsdesk, "ms": nd * 1000, "first_ms": first_ms,
                          "fts_ms": ft * 1000,
                          "cpu_ms": nd_cpu * 1000, "fts_cpu_ms": ft_cpu * 1000,
                          "total": res.total, "fts_total": total_f,
                          "suggestion": res.suggestion})
    lib.close()
    fts.close()
    nd_ms = [r["ms"] for r in per_query]
    ft_ms = [r["fts_ms"] for r in per_query]
    nd_cpu = [r["cpu_ms"] for r in per_query]
    ft_cpu = [r["fts_cpu_ms"] for r in per_query]
    return {
        "open_s": opened, "first_search_s": first, "repeats": repeats, "queries": per_query,
        "cpu_p50": percentile(nd_cpu, 50), "cpu_p95": percentile(nd_cpu, 95),
        "fts_cpu_p50": percentile(ft_cpu, 50), "fts_cpu_p95": percentile(ft_cpu, 95),
        "p50": percentile(nd_ms, 50), "p95": percentile(nd_ms, 95), "max": max(nd_ms),
        "fts_p50": percentile(ft_ms, 50), "fts_p95": percentile(ft_ms, 95), "fts_max": max(ft_ms),
    }


# -- opening an article -------------------------------------------------------------
def open_article(folder: Path, samples: int = 50) -> dict:
    """Fetch an article with what the reader shows beside it (entities when the
    library has them) and the spans of a search's terms to highlight."""
    lib = Library(folder / "lib")
    res = lib.search("government", limit=20)
    rows = lib.rows(limit=5000)
    rng = random.Random(3)
    ids = [r.id for r in rng.sample(rows, min(samples, len(rows)))]
    extras = getattr(lib, "article_extras", None)
    times = []
    for aid in ids:
        t0 = time.perf_counter()
        art = lib.get(aid)
        if extras is not None:
            extras(art)
        lib.match_spans(art.body, res.terms)
        times.append(time.perf_counter() - t0)
    fts = Fts(folder / "fts.db")
    ftimes = []
    for aid in ids:
        t0 = time.perf_counter()
        fts.conn.execute("SELECT title, body, source, date FROM fts WHERE id=?", (aid,)).fetchone()
        ftimes.append(time.perf_counter() - t0)
    lib.close()
    fts.close()
    return {"ms": statistics.median(times) * 1000, "p95_ms": percentile(times, 95) * 1000,
            "fts_ms": statistics.median(ftimes) * 1000, "with_entities": extras is not None}


# -- the TUI, in a subprocess so its memory is its own ------------------------------
def tui(folder: Path, searches: int = 100, timeout: float = 300) -> dict:
    cmd = [sys.executable, "-m", "bench.tui_probe", str(folder / "lib"), "--searches", str(searches)]
    # Start-up as a user sees it from the second launch on: with compiled
    # bytecode. With PYTHONDONTWRITEBYTECODE set (as on the shared machine),
    # every launch compiled Textual & co. from source again: +0.6 s CPU. The
    # bytecode goes to a folder of the cache, compiled by one untimed import.
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(CACHE / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-c", "import tui.app, bench.tui_probe, bench.queries"],
                   cwd=ROOT, env=env, capture_output=True, timeout=timeout)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- entities -----------------------------------------------------------------------
def entity_stage(n: int, log=print) -> dict:
    """The entity stage over a fresh n-article library, in spaCy tokens per second."""
    lib_cls = Library
    if not hasattr(lib_cls, "run_entity_stage"):
        return {"error": "no entity stage"}
    try:
        from articles.services import entities  # noqa: F401
    except ImportError:
        return {"error": "articles.services.entities is not there yet"}
    folder = CACHE / f"entities-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    drafts = list(corpus.drafts(n))
    lib = Library(folder)
    lib.add_drafts(drafts)
    tokens = _tokens(d.title + "\n\n" + d.body for d in drafts)
    t0 = time.perf_counter()
    done = lib.run_entity_stage()
    secs = time.perf_counter() - t0
    lib.close()
    shutil.rmtree(folder, ignore_errors=True)
    if not done:
        return {"error": "the entity stage did nothing"}
    return {"articles": n, "tokens": tokens, "seconds": secs, "tokens_per_s": tokens / secs,
            "processed": done}
