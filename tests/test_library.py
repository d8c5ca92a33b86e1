"""The library core through the scriptable CLI: import, search, show, list, stats."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import main
from articles.library import Library
from conftest import BBC, ROOT, S000, S001, SEEDS, need

SEED_DATED, SEED_REREPORT = S000, S001


def run(capsys, *argv):
    code = main.main([str(a) for a in argv])
    out = capsys.readouterr().out
    return code, out


def run_json(capsys, *argv):
    code, out = run(capsys, *argv, "--json")
    return code, json.loads(out)  # exactly one JSON document on stdout


@pytest.fixture(scope="module")
def seed_lib(tmp_path_factory):
    lib = tmp_path_factory.mktemp("seeds") / "lib"
    code = main.main(["add", str(need(SEEDS)), "--library", str(lib), "--no-entities", "--json"])
    assert code == 0
    return lib


@pytest.fixture(scope="module")
def bbc_lib(tmp_path_factory):
    lib = tmp_path_factory.mktemp("bbc") / "lib"
    with Library(lib) as library:
        report = library.add([str(need(BBC))], entities=False)
    return lib, report


def test_seeds_import_and_pen_pal_search(seed_lib, capsys):
    code, res = run_json(capsys, "search", '"pen-pal diplomacy"', "--library", seed_lib)
    assert code == 0
    paths = {}
    with Library(seed_lib) as lib:
        for h in res["hits"]:
            paths[os.path.basename(lib.get(h["id"]).path)] = h
    assert set(paths) == {SEED_DATED, SEED_REREPORT}
    for hit in res["hits"]:
        assert set(hit) >= {"id", "title", "source", "date", "score", "snippet"}
        assert "pen-pal" in hit["snippet"].lower()
    assert paths[SEED_DATED]["date"] == "2020-06-14"


def test_search_contract_stemming_and_date_range(seed_lib, capsys):
    _, res = run_json(capsys, "search", "sanction", "--library", seed_lib)
    assert res["total"] == 5 and res["suggestion"] is None  # every seed says "sanctions"
    _, res = run_json(capsys, "search", "date:[2020-01-01 TO 2020-12-31]", "--library", seed_lib)
    assert [h["date"] for h in res["hits"]] == ["2020-06-14"]
    _, res = run_json(capsys, "search", "Pyongyng", "--library", seed_lib)
    assert res["total"] == 0 and res["suggestion"] == "Pyongyang"  # spelled as typed: capitalised


def test_sort_by_date_puts_dated_article_first(seed_lib, capsys):
    _, res = run_json(capsys, "search", "kim", "--sort", "date", "--library", seed_lib)
    assert res["hits"][0]["date"] == "2020-06-14"
    assert res["total"] == 5


def test_malformed_query_is_a_clear_error(seed_lib, capsys):
    code = main.main(["search", "date:[garbage TO x]", "--library", str(seed_lib)])
    captured = capsys.readouterr()
    assert code == 2
    assert "date:[garbage TO x] at column 1: 'garbage' is not a date" in captured.err and "Traceback" not in captured.err


def test_show_list_stats_contract(seed_lib, capsys):
    _, listing = run_json(capsys, "list", "--library", seed_lib)
    assert len(listing["articles"]) == 5
    first = listing["articles"][0]
    assert set(first) >= {"id", "title", "source", "date"}
    _, art = run_json(capsys, "show", first["id"][:6], "--library", seed_lib)
    assert set(art) >= {"id", "title", "source", "author", "date", "url", "path", "body"}
    assert art["id"] == first["id"] and art["body"]
    _, stats = run_json(capsys, "stats", "--library", seed_lib)
    assert stats["articles"] == 5 and stats["indexed"] == 5
    code = main.main(["show", "ffffffffffff", "--library", str(seed_lib)])
    assert code == 1 and "no article" in capsys.readouterr().err


def test_reimport_updates_in_place_and_keeps_reading_state(tmp_path, capsys):
    src = tmp_path / "story.txt"
    src.write_text("Harbour cranes idle as dockers walk out\n\nThe strike began at dawn on Monday.\n")
    lib = tmp_path / "lib"
    _, rep = run_json(capsys, "add", src, "--library", lib, "--no-entities")
    assert (rep["added"], rep["updated"], rep["failed"]) == (1, 0, [])
    aid = Library(lib).rows()[0].id
    run_json(capsys, "mark", aid, "--read", "--star", "--library", lib)
    _, rep = run_json(capsys, "add", src, "--library", lib, "--no-entities")
    assert (rep["added"], rep["updated"], rep["unchanged"]) == (0, 0, 1)
    src.write_text("Harbour cranes idle as dockers walk out\n\nThe strike began at dawn on Tuesday.\n")
    _, rep = run_json(capsys, "add", src, "--library", lib, "--no-entities")
    assert (rep["added"], rep["updated"]) == (0, 1)
    _, art = run_json(capsys, "show", aid, "--library", lib)
    assert "Tuesday" in art["body"] and art["read"] and art["starred"]
    _, res = run_json(capsys, "search", "tuesday", "--library", lib)
    assert [h["id"] for h in res["hits"]] == [aid]
    _, res = run_json(capsys, "search", "monday", "--library", lib)
    assert res["total"] == 0


def test_same_text_under_another_name_is_a_duplicate(tmp_path, capsys):
    text = "Council approves new bridge\n\nThe vote was seven to two after a long debate.\n"
    (tmp_path / "a.txt").write_text(text)
    (tmp_path / "b.txt").write_text(text.replace("two after", "two  after"))
    _, rep = run_json(capsys, "add", tmp_path / "a.txt", tmp_path / "b.txt", "--library",
                      tmp_path / "lib", "--no-entities")
    assert (rep["added"], rep["duplicates"]) == (1, 1)
    assert rep["duplicate_of"][0]["source"].endswith("b.txt")


def test_bad_inputs_are_reported_by_name_and_the_rest_imported(tmp_path, capsys):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    (src / "good.txt").write_text("A good headline\n\nA good body of text about the harbour.\n")
    (src / "sub" / "also-good.txt").write_text("Another headline\n\nMore text about the council vote.\n")
    (src / "empty.txt").write_text("")
    (src / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (src / "latin.txt").write_bytes("Caf\xe9 owners protest\n\nPrices rose to \xa315.8m this year.\n".encode("latin-1"))
    with open(src / "huge.txt", "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # 50 MB of NULs: too large and binary
    code, rep = run_json(capsys, "add", src, "--library", tmp_path / "lib", "--no-entities")
    failed = {os.path.basename(f["source"]): f["error"] for f in rep["failed"]}
    assert set(failed) == {"empty.txt", "binary.txt", "huge.txt"}
    assert all(failed.values())
    assert rep["added"] == 3 and code == 1  # sources failed -> non-zero exit
    _, res = run_json(capsys, "search", "15.8m OR café", "--library", tmp_path / "lib")
    assert res["total"] == 1
    _, stats = run_json(capsys, "stats", "--library", tmp_path / "lib")
    assert stats["articles"] == 3


def test_missing_source_is_reported(tmp_path, capsys):
    code, rep = run_json(capsys, "add", tmp_path / "nope.txt", "--library", tmp_path / "lib")
    assert code == 1 and rep["failed"][0]["source"].endswith("nope.txt")


def test_bbc_corpus_imports_completely(bbc_lib):
    lib_path, report = bbc_lib
    assert report.failed == []
    assert report.added + report.duplicates == 2225
    # The corpus really does hold some stories twice under different names:
    # each reported duplicate has the same text as the article it points at.
    from articles.model import body_hash
    from articles.readers import read_path

    with Library(lib_path) as lib:
        assert lib.count() == report.added
        for src, dup_id in report.duplicate_of:
            (draft,) = read_path(Path(src))
            assert body_hash(draft.body) == lib.get(dup_id).body_hash


@pytest.mark.parametrize("query, expected_title", [
    ('"Gordon Brown"', "Brown"),
    ("ipod", "iPod"),
    ('title:"world cup"', "World Cup"),
    ("chelsea AND mourinho", "Mourinho"),
])
def test_bbc_searches_find_what_a_reader_expects(bbc_lib, query, expected_title):
    with Library(bbc_lib[0]) as lib:
        res = lib.search(query, limit=5)
    assert res.total > 0
    assert any(expected_title.lower() in h.title.lower() for h in res.hits)
    assert all(h.snippet.text for h in res.hits)


def test_latin1_file_decodes(bbc_lib):
    with Library(bbc_lib[0]) as lib:
        res = lib.search('"15.8m"', limit=50)
        bodies = [lib.get(h.id).body for h in res.hits]
    assert any("£15.8m" in b for b in bodies)


def test_index_is_rebuilt_from_the_store_when_deleted(seed_lib, tmp_path, capsys):
    lib = tmp_path / "copy"
    shutil.copytree(seed_lib, lib)
    shutil.rmtree(lib / "index")
    _, res = run_json(capsys, "search", "pyongyang", "--library", lib)
    assert res["total"] >= 3


def test_console_script_runs_in_a_subprocess(seed_lib):
    out = subprocess.run([sys.executable, "-m", "main", "list", "--json", "--library", str(seed_lib)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert len(json.loads(out.stdout)["articles"]) == 5


def test_search_terms_and_snippet_marks_for_words_only_in_the_body(tmp_path):
    """A word found only in bodies still comes back as a search term (the
    reader highlights with them) and is marked in the snippet: Whoosh's
    existing_terms dropped every field after the first on a multi-field query."""
    from articles.model import Draft

    with Library(tmp_path / "lib") as lib:
        lib.add_drafts([Draft(title="Harbour news", origin="t:1",
                              body="Hello there.\n\nThe lighthouse keepers spoke on Monday.")])
        for query, word in (("lighthouse", "lighthouse"), ("keeper*", "keepers"),
                            ('"lighthouse keepers"', "lighthouse")):
            res = lib.search(query)
            assert res.terms, query
            snip = res.hits[0].snippet
            assert word in [snip.text[a:b] for a, b in snip.spans], query
            art = lib.get(res.hits[0].id)
            assert word in [art.body[a:b] for a, b in lib.match_spans(art.body, res.terms)], query


def test_progress_bar_starts_no_thread(monkeypatch):
    """A thread in the CLI process would make imports read files serially and
    the entity stage spawn (not fork) its workers."""
    import threading

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    before = threading.active_count()
    with main._Progress("Importing") as progress:
        progress(1, 2, "a.txt")
        progress(2, 2, "b.txt")
        assert progress.bar is not None
        assert threading.active_count() == before
