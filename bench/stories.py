"""`uv run python -m bench.stories`: story grouping on the ECB+ dev set, scored.

"as imported": each article placed as it arrives (the incremental path);
"regrouped": every story rebuilt from scratch with the final idf.

Imports ``../shared/eval/stories-ecbplus-dev.jsonl`` into a fresh temporary
library in the file's arrival order (the dev id kept in each article's origin,
so predictions map back), groups it without the entity stage, then runs the
entity stage and groups again, and scores both with
``../shared/eval/score_stories.py`` (called, not copied) beside a plain TF-IDF
cosine single-pass clustering computed in the same run.

``--sweep`` also prints F1 for neighbouring values of the story threshold, so a
threshold on a knife edge shows.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
GOLD = EVAL / "stories-ecbplus-dev.jsonl"
SCORER = EVAL / "score_stories.py"
ORIGIN = "eval:"


def load(path: Path = GOLD) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def score(pred: dict[str, str], gold: Path = GOLD) -> dict:
    """Run the shared scorer on {dev id: group}; parse its two lines."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(pred, f)
    out = subprocess.run([sys.executable, str(SCORER), str(gold), f.name],
                         capture_output=True, text=True, check=True).stdout
    Path(f.name).unlink()
    res = {"groups": int(re.search(r"predicted groups (\d+)", out).group(1))}
    for kind, key in (("pairwise", "pw"), ("B-cubed", "b3")):
        m = re.search(kind + r"\s+P ([\d.]+)\s+R ([\d.]+)\s+F1 ([\d.]+)", out)
        res[key] = tuple(float(x) for x in m.groups())
    return res


# -- the baseline: plain TF-IDF cosine, single pass -------------------------------------
_TOKEN = re.compile(r"\w+")


def baseline(docs: list[dict], threshold: float = 0.25) -> dict[str, str]:
    """Each article, in arrival order, joins the cluster whose centroid is most
    cosine-similar to its TF-IDF vector (idf over the whole set), or starts one."""
    toks = [Counter(t.lower() for t in _TOKEN.findall(d["title"] + " " + d["body"])) for d in docs]
    df = Counter(t for c in toks for t in c)
    n = len(docs)
    vecs = []
    for c in toks:
        v = {t: (1 + math.log(k)) * math.log(n / df[t]) for t, k in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({t: x / norm for t, x in v.items()})
    cents: list[dict] = []
    pred = {}
    for d, v in zip(docs, vecs):
        best, best_s = None, threshold
        for i, c in enumerate(cents):
            norm = math.sqrt(sum(x * x for x in c.values())) or 1.0
            s = sum(x * c.get(t, 0.0) for t, x in v.items()) / norm
            if s > best_s:
                best, best_s = i, s
        if best is None:
            cents.append(dict(v))
            best = len(cents) - 1
        else:
            c = cents[best]
            for t, x in v.items():
                c[t] = c.get(t, 0.0) + x
        pred[d["id"]] = f"b{best}"
    return pred


# -- Newsdesk ----------------------------------------------------------------------------
def import_dev(lib, docs: list[dict]) -> None:
    from articles.model import Draft

    # One batch in file order: rows are inserted in that order, which is the
    # arrival order grouping follows (added_at, then insertion).
    lib.add_drafts([Draft(title=d["title"], body=d["body"], origin=ORIGIN + d["id"],
                          source=d.get("source"), date=d.get("date")) for d in docs])


def predictions(lib) -> dict[str, str]:
    dev = {aid: origin.removeprefix(ORIGIN) for aid, origin in
           lib.store.conn.execute("SELECT id, origin FROM articles")}
    return {dev[a]: s.id for s in lib.stories() for a in s.articles}


def _line(name: str, res: dict, secs: float | None = None) -> str:
    pw, b3 = res["pw"], res["b3"]
    t = f"  {secs:6.1f}s" if secs is not None else ""
    return (f"{name:<34} pairwise P {pw[0]:.3f} R {pw[1]:.3f} F1 {pw[2]:.3f} | "
            f"B3 P {b3[0]:.3f} R {b3[1]:.3f} F1 {b3[2]:.3f} | groups {res['groups']}{t}")


def sweep(lib, label: str) -> list[str]:
    from articles.services import stories

    out = []
    base = stories.STORY_THRESHOLD
    try:
        for f in (0.8, 0.9, 1.0, 1.1, 1.2):
            stories.STORY_THRESHOLD = base * f
            stories.regroup(lib.store, from_scratch=True)
            out.append(_line(f"  {label} threshold {stories.STORY_THRESHOLD:.3f}", score(predictions(lib))))
    finally:
        stories.STORY_THRESHOLD = base
        stories.regroup(lib.store, from_scratch=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.stories", description=__doc__)
    ap.add_argument("--gold", type=Path, default=GOLD)
    ap.add_argument("--no-entities", action="store_true", help="skip the entity-stage run")
    ap.add_argument("--sweep", action="store_true", help="F1 at neighbouring thresholds")
    ap.add_argument("--errors", type=int, default=0, help="print this many wrong groups")
    args = ap.parse_args(argv)
    if not args.gold.exists() or not SCORER.exists():
        print(f"dev set not found: {args.gold} (and {SCORER})", file=sys.stderr)
        return 2
    from articles.library import Library

    docs = load(args.gold)
    lines = [_line("TF-IDF single-pass baseline", score(baseline(docs)))]
    print(lines[-1], flush=True)
    with tempfile.TemporaryDirectory(prefix="nd-stories-eval-") as tmp:
        lib = Library(Path(tmp) / "lib")
        try:
            import_dev(lib, docs)
            t0 = time.perf_counter()
            res = score(predictions(lib))
            lines.append(_line("newsdesk, no entities, as imported", res, time.perf_counter() - t0))
            print(lines[-1], flush=True)
            from articles.services import stories


            def regrouped(label: str, sweep_label: str) -> None:
                """Regroup from scratch, score, and the optional sweep and error listing."""
                t0 = time.perf_counter()
                stories.regroup(lib.store, from_scratch=True)
                res = score(predictions(lib))
                lines.append(_line(label, res, time.perf_counter() - t0))
                print(lines[-1], flush=True)
                if args.sweep:
                    for s in sweep(lib, sweep_label):
                        print(s, flush=True)
                if args.errors:
                    show_errors(lib, docs, args.errors)

            regrouped("newsdesk, no entities, regrouped", "no entities")
            if not args.no_entities:
                t0 = time.perf_counter()
                lib.run_entity_stage()
                print(f"  (entity stage {time.perf_counter() - t0:.1f}s)", flush=True)
                regrouped("newsdesk, with entities, regrouped", "entities")
        finally:
            lib.close()
    return 0


def show_errors(lib, docs: list[dict], n: int) -> None:
    """Wrong groups, worst first: predicted stories mixing gold events, and gold
    events split over several stories (titles shown, for reading)."""
    by_id = {d["id"]: d for d in docs}
    pred = predictions(lib)
    groups: dict[str, list[str]] = {}
    for a, g in pred.items():
        groups.setdefault(g, []).append(a)
    mixed = [(len(set(by_id[a]["story"] for a in m)), m) for m in groups.values()]
    mixed = sorted((x for x in mixed if x[0] > 1), key=lambda x: -len(x[1]))
    print(f"-- {len(mixed)} predicted groups mixing gold events")
    for _, m in mixed[:n]:
        c = Counter(by_id[a]["story"] for a in m)
        print(f"   group of {len(m)}: {dict(c)}")
        for a in m[:8]:
            print(f"      {by_id[a]['story']:>4} {a:<18} {by_id[a]['date'] or '-':<10} {by_id[a]['title'][:70]}")
    gold: dict[str, list[str]] = {}
    for d in docs:
        gold.setdefault(d["story"], []).append(d["id"])
    split = sorted(((len(set(pred[a] for a in m)), s, m) for s, m in gold.items()), reverse=True)
    print("-- gold events split over most groups")
    for k, s, m in split[:n]:
        sizes = Counter(pred[a] for a in m)
        print(f"   {s}: {len(m)} articles in {k} groups, sizes {sorted(sizes.values(), reverse=True)}")


if __name__ == "__main__":
    sys.exit(main())
