"""Dossiers of frequent entities: `uv run python -m bench.dossier [--library DIR]`.

The dossier of a name that runs through a library ("Tony Blair" on BBC, in 158
articles) gathers every article's mentions, sentence, co-mentioned entities and
quotes. This times it for the most widespread people of a library, first call
(a fresh process's caches empty) and again, beside the simple baseline of
listing the entity's articles alone (one indexed query).

Without ``--library`` it imports the BBC corpus with its entity stage into a
temporary folder first (a few minutes on two cores).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

BBC = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "bbc"


def measure(folder: Path, people: int = 3, repeats: int = 3, log=print) -> dict:
    from articles.library import Library

    out = {}
    with Library(folder) as lib:
        top = [e for e in lib.library_entities(type="person", limit=people)]
        for ent in top:
            t0 = time.perf_counter()
            doc = lib.dossier(ent.name)
            first = time.perf_counter() - t0
            again = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                lib.dossier(ent.name)
                again.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            lib.entity_articles(ent.entity_id)
            baseline = time.perf_counter() - t0
            out[ent.name] = {"articles": doc["entity"]["articles"], "first_s": round(first, 3),
                             "median_s": round(statistics.median(again), 3),
                             "baseline_articles_only_s": round(baseline, 4)}
            log(f"  {ent.name}: {doc['entity']['articles']} articles, first {first:.2f}s, "
                f"median {statistics.median(again):.2f}s (baseline, its article list: {baseline * 1000:.1f} ms)")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.dossier", description=__doc__.splitlines()[0])
    ap.add_argument("--library", type=Path, help="an existing library with entities (default: BBC, built)")
    ap.add_argument("--people", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    tmp = None
    folder = args.library
    if folder is None:
        if not BBC.is_dir():
            print(f"the BBC corpus is not at {BBC}; pass --library", file=sys.stderr)
            return 2
        from articles.library import Library

        tmp = tempfile.TemporaryDirectory(prefix="nd-dossier-bench-")
        folder = Path(tmp.name) / "lib"
        t0 = time.perf_counter()
        with Library(folder) as lib:
            lib.add([str(BBC)], entities=True)
        print(f"  BBC imported with entities in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    try:
        result = measure(folder, args.people, log=(lambda *a: print(*a, file=sys.stderr)) if args.json else print)
    finally:
        if tmp is not None:
            tmp.cleanup()
    if args.json:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
