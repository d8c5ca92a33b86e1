"""Story grouping at library scale: `uv run python -m bench.story_timing --articles N`.

Builds a synthetic library of N articles (bench.corpus: the BBC corpus, each
article again in varied copies, dated over a year), then measures

* regrouping every article from scratch (`stories.update` for the copy level,
  then `stories.regroup(from_scratch=True)`), wall and CPU time;
* assigning one new article at a time (the incremental path the TUI and the CLI
  take after an import: `stories.update` + `stories.place` for one article),
  median and p95 over ``--new`` articles.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def measure(n: int, new: int = 50, log=print, folder: Path | None = None) -> dict:
    from articles.services import stories
    from articles.library import Library

    from .corpus import drafts
    from .run import percentile

    tmp = None
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="nd-story-bench-")
        folder = Path(tmp.name)
    lib = Library(folder / "lib")
    try:
        all_drafts = drafts(n + new)
        t0 = time.perf_counter()
        for batch in iter(lambda: list(itertools.islice(all_drafts, 5000)), []):
            lib.add_drafts(batch)
            if lib.store.count() >= n:
                break
        log(f"  library of {lib.store.count():,} built in {time.perf_counter() - t0:.0f}s")
        t0, c0 = time.perf_counter(), time.process_time()
        stories.update(lib.store)
        t1, c1 = time.perf_counter(), time.process_time()
        stories.regroup(lib.store, from_scratch=True)
        t2, c2 = time.perf_counter(), time.process_time()
        sizes = lib.store.conn.execute(
            "SELECT count(*) FROM (SELECT story_id FROM story_member GROUP BY story_id)").fetchone()[0]
        log(f"  regroup: copies {t1 - t0:.1f}s, stories {t2 - t1:.1f}s ({sizes:,} stories)")
        # The remaining drafts are new articles: one at a time.
        from .corpus import load_bbc

        extra = list(itertools.islice(drafts(n + new), n, n + new))
        times = []
        for d in extra:
            lib.add_drafts([d])
            s = time.perf_counter()
            stories.update(lib.store)
            stories.place(lib.store)
            times.append(time.perf_counter() - s)
        res = {"articles": lib.store.count() - len(extra), "stories": sizes,
               "regroup_copies_s": t1 - t0, "regroup_stories_s": t2 - t1,
               "regroup_s": t2 - t0, "regroup_cpu_s": (c2 - c0),
               "assign_ms": statistics.median(times) * 1000, "assign_p95_ms": percentile(times, 95) * 1000,
               "assign_n": len(times)}
        log(f"  assign one: median {res['assign_ms']:.1f} ms, p95 {res['assign_p95_ms']:.1f} ms")
        return res
    finally:
        lib.close()
        if tmp is not None:
            tmp.cleanup()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.story_timing", description=__doc__)
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--new", type=int, default=50)
    args = ap.parse_args(argv)
    res = measure(args.articles, args.new, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
