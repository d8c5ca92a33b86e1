"""The CLI as scripts use it: pipes get whole lines, a mistyped library is an
error, creating one is explicit, and --json failures are a JSON document."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import main
from articles.library import Library
from articles.model import Draft
from conftest import ROOT

LONG_TITLE = "A headline long enough to be cut by any table that fits eighty columns of a terminal window"


def _lib(tmp_path):
    path = tmp_path / "lib"
    with Library(path) as lib:
        lib.add_drafts([Draft(title=LONG_TITLE, body="Dockworkers " * 30 + "walked out.",
                              source="Port Wire", date="2023-03-14", origin="test:long")])
    return path


def _run(*argv):
    env = dict(os.environ, COLUMNS="80")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, argv)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_piped_list_and_search_are_tab_separated_and_never_cut(tmp_path):
    lib = _lib(tmp_path)
    out = _run("list", "--library", lib).stdout.splitlines()
    assert out[0].split("\t") == ["id", "state", "date", "source", "title"]
    assert out[1].split("\t")[-1] == LONG_TITLE
    res = _run("search", "dockworkers", "--library", lib).stdout.splitlines()
    assert any(LONG_TITLE in line and "\t" in line for line in res)


def test_a_mistyped_library_is_an_error_naming_it_and_creates_nothing(tmp_path, capsys):
    typo = tmp_path / "libary"
    assert main.main(["stats", "--library", str(typo)]) == 1
    err = capsys.readouterr().err
    assert str(typo) in " ".join(err.split()) and "newsdesk init" in err
    assert not typo.exists()
    other = tmp_path / "photos"
    other.mkdir()
    (other / "a.jpg").write_bytes(b"x")
    assert main.main(["list", "--library", str(other)]) == 1
    assert "not a Newsdesk library" in " ".join(capsys.readouterr().err.split())


def test_init_creates_an_empty_library_and_then_it_opens(tmp_path, capsys):
    where = tmp_path / "new"
    assert main.main(["init", str(where), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"library": str(where), "created": True}
    assert main.main(["stats", "--library", str(where), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["articles"] == 0


def test_json_failures_print_an_error_document(tmp_path, capsys):
    lib = _lib(tmp_path)
    cases = [(["search", '"open', "--library", lib], 2, "bad_query"),
             (["show", "ffffffff", "--library", lib], 1, "not_found"),
             (["stats", "--library", tmp_path / "nope"], 1, "library"),
             (["search"], 2, "usage")]
    for argv, code, kind in cases:
        assert main.main([str(a) for a in argv] + ["--json"]) == code
        doc = json.loads(capsys.readouterr().out)
        assert doc["error"]["code"] == kind and doc["error"]["message"], argv


def test_add_folds_long_runs_of_duplicates_and_ends_with_the_summary(tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(15):
        (src / f"{i:02}.txt").write_text("Same story\n\nThe same body every time, word for word.\n")
    assert main.main(["add", str(src), "--library", str(tmp_path / "lib"), "--no-entities"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("added 1,") and "duplicates 14" in lines[-1]
    assert sum("duplicate:" in line for line in lines) == main.DUPLICATES_SHOWN
    assert "4 more duplicates (--verbose lists them all)" in lines[-2]
    assert main.main(["add", str(src), "--library", str(tmp_path / "lib2"), "--no-entities", "-v"]) == 0
    assert sum("duplicate:" in line for line in capsys.readouterr().out.splitlines()) == 14
