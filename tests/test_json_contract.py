"""The JSON contract: every ``newsdesk`` command's ``--json`` output keeps its shape.

A library of the shipped samples and the five seeds gets every command with
``--json``; each output is reduced to its shape (keys, and value types) and
compared with ``fixtures/json_shapes.json``, recorded from the code before the
domain redesign (issue #15) by running this file as a script:

    uv run python tests/test_json_contract.py > tests/fixtures/json_shapes.json

Values are not compared: story grouping and entities are being improved, so
their numbers and names will change, but a client reading the JSON must find
the same keys with the same kinds of value.  ``null`` matches any type and an
empty list any list (those are values, not shape).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SHAPES = HERE / "fixtures" / "json_shapes.json"
OPML = HERE / "fixtures" / "feeds" / "subscriptions.opml"
# Nothing listens on port 9 here: a refresh of this feed fails at once,
# without DNS or a real server, and its result still has the full shape.
DEAD_FEED = "http://127.0.0.1:9/feed.xml"


def shape(value):
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        merged = None
        for item in value:
            merged = _merge(merged, shape(item))
        return [] if merged is None else [merged]
    if value is None:
        return "null"
    return type(value).__name__


def _merge(a, b):
    """One shape for the items of a list (a dict's keys united, nulls absorbed)."""
    if a is None or a == "null":  # None: nothing yet (a key one item lacks)
        return b
    if b is None or b == "null" or a == b:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _merge(a.get(k), b.get(k)) for k in sorted(set(a) | set(b))}
    if isinstance(a, list) and isinstance(b, list):
        return [_merge(a[0] if a else None, b[0] if b else None)] if a or b else []
    return "|".join(sorted(set(str(a).split("|")) | set(str(b).split("|"))))


def differences(want, got, where="$") -> list[str]:
    if want == "null" or got == "null":
        return []
    if isinstance(want, dict) and isinstance(got, dict):
        out = [f"{where}: key {k!r} missing" for k in want if k not in got]
        out += [f"{where}: new key {k!r}" for k in got if k not in want]
        for k in want:
            if k in got:
                out += differences(want[k], got[k], f"{where}.{k}")
        return out
    if isinstance(want, list) and isinstance(got, list):
        if not want or not got:
            return []
        return differences(want[0], got[0], where + "[]")
    if isinstance(want, str) and isinstance(got, str):
        # A union recorded from several values: the new value must be one of them.
        if set(got.split("|")) <= set(want.split("|")) or set(want.split("|")) <= set(got.split("|")):
            return []
    return [f"{where}: was {want!r}, now {got!r}"]


def _run(argv: list[str]):
    import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main.main([str(a) for a in argv] + ["--json"])
    return code, out.getvalue()


def collect(library: Path, samples: Path, seeds: Path) -> dict[str, dict]:
    """{command label: {"code": exit status, "shape": shape of its JSON}}, in order."""
    lib = ["--library", str(library)]
    results: dict[str, dict] = {}

    def run(label: str, *argv) -> dict | list | None:
        code, text = _run(list(argv) + lib)
        # Exactly one JSON document on stdout, or (a failure) nothing at all:
        # the error goes to stderr.
        doc = json.loads(text) if text.strip() or code == 0 else None
        results[label] = {"code": code, "shape": shape(doc) if doc is not None else "no output"}
        return doc

    run("add", "add", samples, seeds)
    run("add (again, unchanged)", "add", samples, "--no-entities")
    rows = run("list", "list")["articles"]
    sample = next(r["id"] for r in rows if "Haraldsen" in r["title"])
    run("list --sort title --limit 3", "list", "--sort", "title", "--limit", "3")
    run("search", "search", "harbour")
    run("search --sort date", "search", "harbour exhibition", "--sort", "date", "--limit", "3")
    run("search (no hits)", "search", "zzyzxquux")
    run("search (bad query)", "search", "date:>notadate AND (")
    run("tag", "tag", sample, "harbour", "museums")
    run("show", "show", sample[:8])
    run("tags", "tags")
    run("show (unknown id)", "show", "ffffffff")
    run("mark", "mark", sample, "--read", "--star")
    run("stats", "stats")
    run("check", "check")
    run("reindex", "reindex")
    run("entities", "entities")
    run("entities --type person", "entities", "--type", "person", "--limit", "5")
    run("entities --type person --limit 1", "entities", "--type", "person", "--limit", "1")
    # ID is an article id (an entity id once matched an article's id prefix by chance).
    run("entities ID", "entities", sample)
    run("stories", "stories")
    run("stories --grouped", "stories", "--grouped")
    run("stories --versions", "stories", "--versions", sample)
    run("related", "related", sample)
    run("quotes", "quotes")
    run("quotes ID", "quotes", sample)
    run("quotes --speaker", "quotes", "--speaker", "Haraldsen")
    run("dossier", "dossier", "Haraldsen")
    run("follow", "follow", "Haraldsen")
    run("follows", "follows")
    run("unfollow", "unfollow", "Haraldsen")
    feed = run("feeds add", "feeds", "add", DEAD_FEED, "--tag", "local")
    run("feeds import", "feeds", "import", OPML)
    run("feeds list", "feeds", "list")
    run("refresh", "refresh", str(feed["id"]), "--timeout", "2", "--no-entities")
    run("feeds remove", "feeds", "remove", str(feed["id"]))
    # Working on a story (issue #18): notes, highlights, saved and batch searches, export.
    run("note", "note", sample, "check the museum's dates")
    run("highlight", "highlight", sample, "--text", "Haraldsen", "--note", "the name")
    run("highlights", "highlights")
    run("show (notes and highlights)", "show", sample)
    run("saved add", "saved", "add", "harbour", "harbour")
    run("saved list", "saved", "list")
    run("saved remove", "saved", "remove", "harbour")
    queries = library.parent / "queries.txt"
    queries.write_text('harbour\n\n"unclosed\n', encoding="utf-8")
    run("batch", "batch", queries)
    run("export --format json", "export", "--tag", "harbour", "--format", "json")
    return results


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    from conftest import SAMPLES, SEEDS, need

    return collect(tmp_path_factory.mktemp("contract") / "lib", SAMPLES, need(SEEDS))


def test_every_command_keeps_its_json_shape(outputs):
    want = json.loads(SHAPES.read_text(encoding="utf-8"))
    assert list(outputs) == list(want), "the commands run differ from the recorded ones"
    problems = []
    for label, rec in want.items():
        got = outputs[label]
        if got["code"] != rec["code"]:
            problems.append(f"{label}: exit status was {rec['code']}, now {got['code']}")
        problems += [f"{label}: {d}" for d in differences(rec["shape"], got["shape"])]
    assert not problems, "\n".join(problems)


def test_shape_comparison_catches_a_renamed_key():
    before = shape({"id": "a", "items": [{"n": 1, "when": None}, {"n": 2, "when": "x"}]})
    assert differences(before, shape({"id": "b", "items": [{"n": 5, "when": "y"}]})) == []
    assert differences(before, shape({"ident": "a", "items": []})) == [
        "$: key 'id' missing", "$: new key 'ident'"]
    assert differences(before, shape({"id": 3, "items": []})) == ["$.id: was 'str', now 'int'"]


if __name__ == "__main__":
    root = HERE.parent
    shared = root.parent / "shared"
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        doc = collect(Path(tmp) / "lib", root / "articles" / "samples", shared / "seeds")
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write("\n")
