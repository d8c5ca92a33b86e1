"""Profile searches with pyinstrument (a dev dependency):

    uv run python -m bench.profile_search LIBRARY_DIR [QUERY | all]

``all`` runs the benchmark's query set three times after one warm-up pass;
the profile shown in BENCHMARKS.md was made this way.
"""

from __future__ import annotations

import argparse

from pyinstrument import Profiler

from articles.library import Library

from .queries import QUERIES


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.profile_search")
    ap.add_argument("library")
    ap.add_argument("query", nargs="?", default="all")
    args = ap.parse_args()
    lib = Library(args.library, create=False)
    if lib.index_status() == "stale":
        lib.sync_index()
    qs = [q.newsdesk for q in QUERIES] if args.query == "all" else [args.query]
    for q in qs:
        lib.search(q)
    prof = Profiler(interval=0.0005)
    prof.start()
    for _ in range(3):
        for q in qs:
            lib.search(q)
    prof.stop()
    lib.close()
    print(prof.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
