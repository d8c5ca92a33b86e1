"""Credit detection ("who reported it first") over the BBC corpus.

    uv run python -m bench.provenance [--show N] [--seed S]

Counts the credits articles.analysis.provenance finds in the 2,225 BBC articles
(read in place from ../shared/corpora/bbc), by kind, with the time it takes,
and prints a random sample of N credits of outlets other than the BBC with their evidence, for reading by
hand (precision is estimated from that reading; there is no gold here)."""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

from articles.analysis.outlets import is_own_outlet
from articles.analysis.provenance import find_credits
from bench.corpus import BBC, load_bbc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", type=int, default=20, help="credits to print for reading")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--all", action="store_true", help="sample from the BBC's self-credits too")
    args = ap.parse_args(argv)
    docs = load_bbc(BBC)
    t0 = time.perf_counter()
    found = []
    for path, title, body in docs:
        for c in find_credits(body):
            found.append((path, c, body))
    took = time.perf_counter() - t0
    # The corpus is the BBC's own: "told the BBC" is not a credit of another report.
    others = [(p, c, b) for p, c, b in found if not is_own_outlet(c.outlet, "BBC News")]
    with_credit = len({p for p, _, _ in found})
    kinds = Counter(c.kind for _, c, _ in found)
    outlets = Counter(c.outlet for _, c, _ in found if c.outlet)
    print(f"{len(docs)} articles, {len(found)} credits in {with_credit} articles "
          f"({took:.2f} s, {1000 * took / len(docs):.2f} ms/article)")
    print("by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    print("top outlets: " + ", ".join(f"{k} {n}" for k, n in outlets.most_common(15)))
    print(f"crediting another outlet than the BBC: {len(others)} credits in "
          f"{len({p for p, _, _ in others})} articles")
    rng = random.Random(args.seed)
    pool = found if args.all else others
    for path, c, body in rng.sample(pool, min(args.show, len(pool))):
        lo, hi = max(0, c.start - 60), min(len(body), c.end + 40)
        ctx = " ".join(body[lo:hi].split())
        print(f"\n{path}  [{c.kind}] outlet={c.outlet!r} author={c.author!r} title={c.title!r}"
              f" via={c.via!r}\n    …{ctx}…")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
