"""Run in its own process by the benchmark: start the TUI headless on a library,
time the first screen and opening an article, run searches, report peak RSS.

Prints one JSON line. The start-up figure counts from when this interpreter
began (from /proc), so it includes Python's own start-up and every import, as a
user launching `newsdesk` would wait for them.

What is timed, and why this way:

- ``first_screen_s``: process start until the first frame is on screen and every
  message queued by then is handled (the app answers keys from there on). Not
  until the process is idle: work the app does in background threads after
  the first frame (checking the search index) is not on the user's path.
  ``first_key_ms`` then times one key press (cursor down) while that
  background work runs, so a worker that starves the UI still shows.
  ``first_screen_idle_s`` is the older, stricter figure: until the whole
  process (background threads included) is idle, at most 1 s after the first.
- ``open_article_ms``: ``app.open_article`` until the screen has handled every
  resulting message and painted. Not with ``pilot.pause()``, whose idle wait
  sleeps at least 20 ms whatever the app does (``open_article_idle_ms`` keeps
  that figure for comparison). ``open_article_cpu_ms``: the process's CPU
  time over the same span (the index check has finished by then).
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
    """Wall-clock time this process started, from /proc (Linux), to ~10 ms.

    The process's age is the time since boot now (CLOCK_BOOTTIME) minus its
    start in ticks since boot. Not /proc/stat's ``btime`` + ticks: btime is
    whole seconds, truncated, which made every start look up to 1 s earlier
    (0.56 s on the machine this was found on)."""
    try:
        with open(f"/proc/{os.getpid()}/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
        return time.time() - age
    except (OSError, ValueError, AttributeError):
        return time.time()


_STARTED = _process_start()
_IMPORTED_AT = time.time()


def peak_rss_mb() -> float:
    """This process's own peak resident memory, in MB.

    From /proc's VmHWM, not ``getrusage``: on Linux ``ru_maxrss`` survives
    ``execve``, so a process started by a big parent (the benchmark, after it
    built a 100,000-article library) reports the parent's peak as its own.
    That inflated this figure to 618-812 MB on the first TUI run after a build;
    the TUI itself peaked under 100 MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _settled(pilot) -> None:
    """Every message queued on the screen and its widgets handled and the
    pending frame painted (what Textual's refresh timer would do next), again
    until nothing is left: work scheduled after a refresh (scrolling to the
    first search match) counts too."""
    for _ in range(20):
        await pilot._wait_for_screen()
        screen = pilot.app.screen
        busy = (screen._layout_required or screen._repaint_required or screen._scroll_required
                or bool(screen._dirty_widgets) or bool(screen._callbacks))
        screen._on_timer_update()
        if not busy:
            return


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
        ready = getattr(app, "ready_event", None)
        if ready is not None:  # set once the first frame is up (and its first page loaded)
            await asyncio.wait_for(ready.wait(), 30)
        await _settled(pilot)
        out["first_screen_s"] = time.time() - _STARTED
        ru = resource.getrusage(resource.RUSAGE_SELF)
        out["first_screen_cpu_s"] = ru.ru_utime + ru.ru_stime
        out["python_start_s"] = _IMPORTED_AT - _STARTED
        lst = getattr(app, "article_list", None)
        if lst is not None and lst.total > 1:
            # Not pilot.press: it waits for the process to be idle after the key.
            from textual import events

            before = lst.cursor
            t0 = time.perf_counter()
            app._driver.send_message(events.Key("down", None))
            while lst.cursor == before and time.perf_counter() - t0 < 30:
                await pilot._wait_for_screen()
            await _settled(pilot)
            out["first_key_ms"] = (time.perf_counter() - t0) * 1000
            lst.cursor = before
        await pilot.pause()
        out["first_screen_idle_s"] = time.time() - _STARTED
        opener = getattr(app, "open_article", None)
        if opener is not None:
            terms = lib.search("government").terms
            rows = lib.rows(limit=200)
            times, idle_times, cpu_times = [], [], []
            for r in rows[:20]:
                t0 = time.perf_counter()
                c0 = time.process_time()
                try:
                    res = opener(r.id, terms)
                    if asyncio.iscoroutine(res):
                        await res
                except Exception as exc:  # report the TUI's failure, keep measuring the rest
                    out["open_article_error"] = f"{type(exc).__name__}: {exc}"[:160]
                    break
                await _settled(pilot)
                times.append(time.perf_counter() - t0)
                cpu_times.append(time.process_time() - c0)
                await pilot.pause()
                idle_times.append(time.perf_counter() - t0)
                # Let the reader finish removing the previous article's widgets
                # (untimed): opening again at once trips over their ids.
                await pilot.pause(0.2)
            if times:
                out["open_article_ms"] = statistics.median(times) * 1000
                out["open_article_cpu_ms"] = statistics.median(cpu_times) * 1000
                out["open_article_idle_ms"] = statistics.median(idle_times) * 1000
        for i in range(searches):
            lib.search(QUERIES[i % len(QUERIES)].newsdesk)
    lib.close()
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--searches", type=int, default=100)
    args = ap.parse_args()
    print(json.dumps(asyncio.run(_probe(args.library, args.searches))))


if __name__ == "__main__":
    main()
