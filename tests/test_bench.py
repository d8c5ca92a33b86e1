"""The benchmark runs end to end at a tiny size, and the speed-ups it led to
keep their behaviour (snippets, fuzzy prefix, suggestions, id-aware writes,
parallel file reading). No timings are asserted."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

# bench/ is a tool beside the packages, not an installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from articles import library as library_mod
from articles.library import Library
from articles.model import Draft
from index.query import cut_snippet, make_parser, term_spans
from index.schema import make_schema

from conftest import BBC
needs_bbc = pytest.mark.skipif(not BBC.is_dir(), reason=f"shared BBC corpus not found at {BBC}")


@needs_bbc
def test_benchmark_smoke_run_writes_a_complete_table(tmp_path):
    from bench.__main__ import main
    from bench.queries import QUERIES

    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n\nprose kept\n")
    # --commands-runs 0: the commands section (which times every command as a
    # process on the whole BBC corpus unless told a size) has its own small test below.
    rc = main(["--articles", "60", "--import-articles", "30", "--entities", "0", "--repeats", "1",
               "--commands-runs", "0", "--cache", str(tmp_path / "cache"), "--output", str(out)])
    assert rc == 0
    text = out.read_text()
    assert "prose kept" in text  # only the generated section is replaced
    assert text.count("<!-- bench:start -->") == 1
    for q in QUERIES:
        assert f"`{q.newsdesk.replace('|', chr(92) + '|')}`" in text
    assert re.search(r"search p95 \| [\d.]+ ms \| [\d.]+ ms", text)
    assert "import 60 articles" in text and "import 30 articles, fresh" in text
    # A second run reuses the cached library rather than rebuilding it.
    marker = tmp_path / "cache" / "lib-60" / "bench.json"
    before = marker.stat().st_mtime_ns
    assert main(["--articles", "60", "--import-articles", "0", "--entities", "0", "--repeats", "1",
                 "--no-tui", "--commands-runs", "0", "--cache", str(tmp_path / "cache"), "--output", "-"]) == 0
    assert marker.stat().st_mtime_ns == before


@needs_bbc
def test_commands_section_times_each_command_as_a_process_beside_fts5(tmp_path):
    from bench.__main__ import main

    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n\nprose kept\n<!-- bench:start -->\nsearch table\n<!-- bench:end -->\n")
    cache = tmp_path / "cache"
    assert main(["--commands-only", "--bbc-articles", "30", "--commands-runs", "1",
                 "--cache", str(cache), "--output", str(out)]) == 0
    text = out.read_text()
    assert "prose kept" in text and "search table" in text  # the other block is left alone
    assert text.count("<!-- bench:commands:start -->") == 1
    section = text.split("<!-- bench:commands:start -->")[1]
    for command in ("search Blair", "show ID", "list --limit 50", "stats", "entities --limit 50",
                    "quotes ID", "dossier", "related ID"):
        # wall, CPU, both ratios to FTS5, a first-launch figure and a verdict: every command answered
        assert re.search(rf"\| `{re.escape(command)}[^`]*` \| \d+ \| \d+ \| [\d.]+× \| [\d.]+× "
                         rf"\| \d+ \(\d+\) \| \*\*(met|missed)\*\* \|", section), command
    assert "failed" not in section
    assert re.search(r"\| `FTS5 script` \| \d+ \| \d+ \| 1\.0× \| 1\.0× \| \d+ \(\d+\) \|", section)
    assert re.search(r"TUI launch to first screen .*: [\d.]+ s wall", section)
    # The measured processes compiled their bytecode into the cache, not the source tree;
    # the first-launch folder is gone again.
    assert list((cache / "pycache").rglob("main*.pyc"))
    assert not (cache / "pycache-first-launch").exists()


@needs_bbc
def test_synthetic_copies_are_distinct_and_keep_the_text():
    from bench.corpus import drafts, load_bbc

    base = load_bbc()
    ds = list(drafts(len(base) + 5, base))
    assert len({d.origin for d in ds}) == len(ds)
    first, copy = ds[0], ds[len(base)]
    assert copy.body != first.body
    assert set(first.body.split("\n\n")[:-1]) == set(copy.body.split("\n\n")[:-1])
    assert all(d.date and d.source for d in ds)


def _analyzer():
    return make_schema()["body"].analyzer


def test_term_spans_find_every_inflection_of_a_stemmed_term():
    text = "Governments govern. The government's plan, GOVERNMENT policy; governor."
    spans = term_spans(text, {"govern"}, _analyzer())
    words = [text[a:b] for a, b in spans]
    assert words == ["Governments", "govern", "government", "GOVERNMENT"]


def test_snippet_is_cut_around_matches_with_spans_inside_it():
    body = ("Filler words here. " * 40 + "The central bank raised interest rates today. "
            + "More filler text. " * 40 + "Rates will rise again, the bank said.")
    spans = term_spans(body, {"rate", "bank"}, _analyzer())
    snip = cut_snippet(body, spans, width=120)
    assert " … " in snip.text  # two separate passages
    assert len(snip.text) <= 2 * 120 + 3
    assert {snip.text[a:b].lower() for a, b in snip.spans} == {"bank", "rates"}
    assert cut_snippet(body, [], width=120) is None


def test_fuzzy_terms_default_to_a_one_letter_prefix():
    q = make_parser(make_schema()).parse("gordn~")
    assert {sub.prefixlength for sub in q.subqueries} == {1}
    explicit = make_parser(make_schema()).parse("gordn~2/3")
    assert {sub.prefixlength for sub in explicit.subqueries} == {3}


def _drafts(n: int) -> list[Draft]:
    return [Draft(title=f"Report {i}", body=f"Gordon Brown met the council about item {i}. "
                  "The government spoke about schools.", origin=f"test:{i}") for i in range(n)]


def test_search_fuzzy_snippets_and_suggestions(tmp_path):
    with Library(tmp_path / "lib") as lib:
        lib.add_drafts(_drafts(5))
        res = lib.search("gordn~")
        assert res.total == 5 and res.suggestion is None
        snip = res.hits[0].snippet
        assert [snip.text[a:b] for a, b in snip.spans] == ["Gordon"]
        # Every word is in the library: no "did you mean" work is done.
        assert lib.search("government schools").suggestion is None
        assert lib.search("counsil").suggestion == "council"


def test_updating_an_indexed_article_replaces_it_and_new_ones_are_added(tmp_path):
    with Library(tmp_path / "lib") as lib:
        lib.add_drafts(_drafts(3))
        changed = _drafts(4)
        changed[0].body = "Entirely different words about rivers."
        lib.add_drafts(changed)
        assert lib.index.doc_count() == 4
        assert lib.search("rivers").total == 1
        assert lib.search("council").total == 3


def test_parallel_file_reading_keeps_order_and_reports_bad_files(tmp_path, monkeypatch):
    monkeypatch.setattr(library_mod, "PARALLEL_READ_MIN", 2)
    src = tmp_path / "src"
    src.mkdir()
    for i in range(6):
        (src / f"a{i}.txt").write_text(f"Title {i}\n\nBody number {i} about harbours and ships.\n")
    (src / "bad.txt").write_bytes(b"")  # an empty file is refused by the reader
    with Library(tmp_path / "lib") as lib:
        report = lib.add([str(src)], entities=False)
        assert report.added == 6
        assert [Path(s).name for s, _ in report.failed] == ["bad.txt"]
        assert lib.search("harbours").total == 6


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_tui_probe_reports_its_own_peak_memory_not_its_parents(tmp_path):
    """The benchmark starts the TUI probe from a process that may hold hundreds
    of MB (it just built the library). Linux carries ``ru_maxrss`` across
    execve, so the probe must not report that figure as the TUI's."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    child = ("import json, resource; from bench.tui_probe import peak_rss_mb; "
             "print(json.dumps([peak_rss_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))")
    parent = ("import subprocess, sys\n"
              "ballast = bytearray(300 * 1024 * 1024)\n"
              "for i in range(0, len(ballast), 4096): ballast[i] = 1\n"
              f"print(subprocess.run([sys.executable, '-c', {child!r}], cwd={str(root)!r},\n"
              "                     capture_output=True, text=True, check=True).stdout)\n")
    out = subprocess.run([sys.executable, "-c", parent], capture_output=True, text=True, check=True)
    own, rusage = json.loads(out.stdout.strip())
    assert own < 150, (own, rusage)
