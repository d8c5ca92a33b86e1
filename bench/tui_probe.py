"""Run in its own process by the benchmark: start the TUI headless on a library,
time the first screen and opening an article, run searches, report peak RSS.

Prints one JSON line. ``started_at`` is the wall clock when this interpreter
began (from /proc), so the start-up figure includes Python's own start-up and
every import, as a user launching `newsdesk` would wait for them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import time


def _process_start() -> float:
    """Wall-clock time this process started, from /proc (Linux)."""
    try:
        with open(f"/proc/{os.getpid()}/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat") as f:
            btime = next(int(line.split()[1]) for line in f if line.startswith("btime"))
        return btime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, StopIteration):
        return time.time()


_STARTED = _process_start()
_IMPORTED_AT = time.time()


async def _probe(lib_path: str, searches: int) -> dict:
    from articles.library import Library
    from bench.queries import QUERIES
    from tui.app import NewsdeskApp

    import inspect

    lib = Library(lib_path, create=False)
    # The entity stage would compete with the measurement for the CPU.
    kwargs = {"run_entity_stage": False} \
        if "run_entity_stage" in inspect.signature(NewsdeskApp).parameters else {}
    app = NewsdeskApp(lib, **kwargs)
    out: dict = {}
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        ready = getattr(app, "ready_event", None)
        if ready is not None:  # an app that loads its first page in a worker says when
            await asyncio.wait_for(ready.wait(), 30)
        out["first_screen_s"] = time.time() - _STARTED
        ru = resource.getrusage(resource.RUSAGE_SELF)
        out["first_screen_cpu_s"] = ru.ru_utime + ru.ru_stime
        out["python_start_s"] = _IMPORTED_AT - _STARTED
        opener = getattr(app, "open_article", None)
        if opener is not None:
            terms = lib.search("government").terms
            rows = lib.rows(limit=200)
            times = []
            for r in rows[:20]:
                t0 = time.perf_counter()
                try:
                    res = opener(r.id, terms)
                    if asyncio.iscoroutine(res):
                        await res
                except Exception as exc:  # report the TUI's failure, keep measuring the rest
                    out["open_article_error"] = f"{type(exc).__name__}: {exc}"[:160]
                    break
                await pilot.pause()
                times.append(time.perf_counter() - t0)
                # Let the reader finish removing the previous article's widgets
                # (untimed): opening again at once trips over their ids.
                await pilot.pause(0.2)
            if times:
                out["open_article_ms"] = statistics.median(times) * 1000
        for i in range(searches):
            lib.search(QUERIES[i % len(QUERIES)].newsdesk)
    lib.close()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--searches", type=int, default=100)
    args = ap.parse_args()
    print(json.dumps(asyncio.run(_probe(args.library, args.searches))))


if __name__ == "__main__":
    main()
