"""Working on a story from the command line: notes, highlights (anchored by text
across re-imports), saved searches and batch searches, all through main."""

from __future__ import annotations

import shutil

import pytest

from conftest import S000, SEEDS, need, run_json


@pytest.fixture()
def lib(tmp_path, capsys):
    lib = tmp_path / "lib"
    run_json(capsys, "init", lib)
    run_json(capsys, "--library", lib, "add", need(SEEDS))
    return lib


def _first(capsys, lib):
    return run_json(capsys, "--library", lib, "list")["articles"][0]["id"]


def test_notes_add_show_search_remove(lib, capsys):
    import main

    aid = _first(capsys, lib)
    run_json(capsys, "--library", lib, "note", aid, "Ask the ministry about the", "reclamation plan")
    out = run_json(capsys, "--library", lib, "note", aid, "second thought")
    assert [n["text"] for n in out["notes"]] == ["Ask the ministry about the reclamation plan", "second thought"]
    notes = run_json(capsys, "--library", lib, "show", aid)["notes"]
    assert set(notes[0]) >= {"id", "text", "created"} and notes[0]["created"].endswith("Z")
    # note:WORD finds the article by its note (stemmed), and nothing else has that word
    assert [h["id"] for h in run_json(capsys, "--library", lib, "search", "note:reclamation")["hits"]] == [aid]
    run_json(capsys, "--library", lib, "note", aid, "--remove", str(notes[0]["id"]))
    assert run_json(capsys, "--library", lib, "search", "note:reclamation")["total"] == 0
    assert [n["text"] for n in run_json(capsys, "--library", lib, "show", aid)["notes"]] == ["second thought"]
    # bad input: unknown article, empty note, unknown note id
    assert main.main(["--library", str(lib), "note", "ffffffffffff", "x"]) == 1
    assert "no article with id 'ffffffffffff'" in capsys.readouterr().err
    assert main.main(["--library", str(lib), "note", aid, "   "]) == 1
    assert "a note cannot be empty" in capsys.readouterr().err
    assert main.main(["--library", str(lib), "note", aid, "--remove", "999"]) == 1
    assert "has no note 999" in capsys.readouterr().err


def test_highlight_survives_edited_reimport_and_orphan_is_kept(tmp_path, capsys):
    import main

    lib = tmp_path / "lib"
    run_json(capsys, "init", lib)
    copy = tmp_path / "story.txt"
    shutil.copy(need(SEEDS) / S000, copy)
    run_json(capsys, "--library", lib, "add", copy)
    aid = _first(capsys, lib)
    body = run_json(capsys, "--library", lib, "show", aid)["body"]
    passage = body.split(". ")[1].strip()  # the second sentence
    kept_words = body.split(". ")[2].strip()
    h = run_json(capsys, "--library", lib, "highlight", aid, "--text", passage, "--note", "key claim")
    h2 = run_json(capsys, "--library", lib, "highlight", aid, "--text", kept_words)
    first = h["highlights"][0]
    assert body[first["start"]:first["end"]] == passage and first["note"] == "key claim"
    # a highlight's note is searchable with note: too
    assert [x["id"] for x in run_json(capsys, "--library", lib, "search", "note:claim")["hits"]] == [aid]

    # An edited copy of the same article: a paragraph added before the passage.
    text = copy.read_text(encoding="utf-8")
    copy.write_text(text.replace(passage, "An editor's new sentence goes here. " + passage, 1), encoding="utf-8")
    assert run_json(capsys, "--library", lib, "add", copy)["updated"] == 1
    doc = run_json(capsys, "--library", lib, "show", aid)
    moved = next(x for x in doc["highlights"] if x["id"] == first["id"])
    assert moved["start"] > first["start"] and not moved["orphaned"]
    assert doc["body"][moved["start"]:moved["end"]] == passage

    # Another edit deletes the passage: the highlight is kept, orphaned, never lost.
    copy.write_text(copy.read_text(encoding="utf-8").replace(passage, "", 1), encoding="utf-8")
    run_json(capsys, "--library", lib, "add", copy)
    doc = run_json(capsys, "--library", lib, "show", aid)
    gone = next(x for x in doc["highlights"] if x["id"] == first["id"])
    assert gone["orphaned"] is True and gone["start"] is None and gone["text"] == passage
    assert gone["note"] == "key claim"
    still = next(x for x in doc["highlights"] if x["id"] == h2["highlights"][-1]["id"])
    assert not still["orphaned"] and doc["body"][still["start"]:still["end"]] == kept_words
    lib_wide = run_json(capsys, "--library", lib, "highlights")["highlights"]
    assert {x["id"] for x in lib_wide} == {first["id"], still["id"]}
    assert main.main(["--library", str(lib), "show", aid]) == 0
    assert "(orphaned)" in capsys.readouterr().out

    # bad input: a passage not in the article, an unknown highlight id
    assert main.main(["--library", str(lib), "highlight", aid, "--text", "words never written"]) == 1
    assert "does not contain the passage" in capsys.readouterr().err
    assert main.main(["--library", str(lib), "highlight", aid, "--remove", "999"]) == 1
    assert "has no highlight 999" in capsys.readouterr().err
    run_json(capsys, "--library", lib, "highlight", aid, "--remove", str(first["id"]))
    assert [x["id"] for x in run_json(capsys, "--library", lib, "highlights")["highlights"]] == [still["id"]]


def test_anchor_prefers_the_occurrence_with_its_context():
    from articles.text.anchor import find_anchor, make_anchor

    body = "Alpha said yes. Beta said yes. Gamma said no."
    start = body.index("yes", 20)  # Beta's "yes"
    text, prefix, suffix = make_anchor(body, start, start + 3)
    edited = "Intro. " + body.replace("Alpha", "Alfa")
    s, e = find_anchor(edited, text, prefix, suffix, start)
    assert edited[s - 10:e] == "Beta said yes"
    # re-wrapped whitespace still matches; vanished text does not
    assert find_anchor("a  said\nyes b", "said yes", "", "", 0) == (3, 11)
    assert find_anchor("nothing here", "said yes", "", "", 0) is None


def test_saved_searches_count_unread(lib, capsys):
    import main

    out = run_json(capsys, "--library", lib, "saved", "add", "korea", "kim AND sanctions")
    entry = out["saved"][0]
    assert entry["name"] == "korea" and entry["total"] >= 1 and entry["unread"] == entry["total"]
    hit = run_json(capsys, "--library", lib, "search", "kim AND sanctions")["hits"][0]["id"]
    run_json(capsys, "--library", lib, "mark", hit, "--read")
    after = run_json(capsys, "--library", lib, "saved", "list")["saved"][0]
    assert after["unread"] == entry["unread"] - 1 and after["total"] == entry["total"]
    # bad input: empty name, bad query, unknown name; nothing saved by them
    assert main.main(["--library", str(lib), "saved", "add", " ", "kim"]) == 1
    assert "needs a name" in capsys.readouterr().err
    assert main.main(["--library", str(lib), "saved", "add", "broken", "title:("]) == 2
    assert "column" in capsys.readouterr().err
    assert main.main(["--library", str(lib), "saved", "remove", "nope"]) == 1
    assert "no saved search named 'nope'" in capsys.readouterr().err
    assert [s["name"] for s in run_json(capsys, "--library", lib, "saved", "list")["saved"]] == ["korea"]
    run_json(capsys, "--library", lib, "saved", "remove", "korea")
    assert run_json(capsys, "--library", lib, "saved", "list") == {"saved": []}


def test_batch_runs_good_lines_and_reports_bad_ones(lib, tmp_path, capsys):
    import main

    f = tmp_path / "names.txt"
    f.write_text('kim\n\n   \n"unclosed\n"Mike Pompeo"\ntitle:(\n', encoding="utf-8")
    out = run_json(capsys, "--library", lib, "batch", f, "--limit", "2", code=1)
    assert [(q["line"], q["query"]) for q in out["queries"]] == [(1, "kim"), (5, '"Mike Pompeo"')]
    assert all(len(q["hits"]) <= 2 and q["total"] >= len(q["hits"]) for q in out["queries"])
    assert set(out["queries"][0]["hits"][0]) == {"id", "title", "score"}
    assert [x["line"] for x in out["failed"]] == [4, 6]
    assert main.main(["--library", str(lib), "batch", str(f), "--csv", "--limit", "1"]) == 1
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "line,query,total,rank,id,title,score" and rows[1].startswith("1,kim,")
    assert main.main(["--library", str(lib), "batch", str(tmp_path / "missing.txt")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_batch_reports_undecodable_and_control_lines_by_number_and_runs_the_rest(lib, tmp_path, capsys):
    """A batch file from a spreadsheet or another tool: a line that is not UTF-8,
    one with an escape sequence or a bidi override, blank lines and CRLF endings;
    each bad line is named with its number, the good ones still run."""
    import json

    import main

    f = tmp_path / "names.txt"
    f.write_bytes(b"\xef\xbb\xbfkim\r\n\r\n# a comment\ncaf\xe9 latin-1\nred\x1b[31m\n"
                  b"abc\xe2\x80\xaedef\ntrump\x0cmaxwell\n\"Mike Pompeo\"\n")
    assert main.main(["--library", str(lib), "batch", str(f), "--limit", "1", "--json"]) == 1
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert [(q["line"], q["query"]) for q in out["queries"]] == [(1, "kim"), (8, '"Mike Pompeo"')]
    failed = {x["line"]: x["error"] for x in out["failed"]}
    assert sorted(failed) == [4, 5, 6, 7]
    assert "not UTF-8" in failed[4] and "0xe9" in failed[4]
    assert "U+001B" in failed[5] and "U+202E" in failed[6] and "U+000C" in failed[7]
    assert out["skipped"] == [{"line": 2, "reason": "blank"}, {"line": 3, "reason": "comment"}]
    assert "\x1b" not in captured.err and "\u202e" not in captured.err
    assert "line 4: not UTF-8" in captured.err and "skipped blank line 2" in captured.err
    # the text output says the same, and a file with no query at all is one clear error
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"\n  \n")
    assert main.main(["--library", str(lib), "batch", str(empty)]) == 1
    err = capsys.readouterr().err
    assert "has no queries" in err and "Traceback" not in err


def test_export_markdown_json_csv_and_dossier_briefing(lib, tmp_path, capsys):
    import json

    import main

    hit = run_json(capsys, "--library", lib, "search", "Pompeo")["hits"][0]["id"]
    body = run_json(capsys, "--library", lib, "show", hit)["body"]
    passage = body.split(". ")[0].strip()
    run_json(capsys, "--library", lib, "highlight", hit, "--text", passage, "--note", "lede")
    run_json(capsys, "--library", lib, "note", hit, "call the embassy")
    run_json(capsys, "--library", lib, "tag", hit, "dprk")

    out = tmp_path / "tag.md"
    assert run_json(capsys, "--library", lib, "export", "--tag", "dprk", "--output", out)["output"] == str(out)
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# Tag: dprk\n") and f"“{passage}” — lede" in md
    assert "call the embassy" in md and "**Quotes**" in md
    assert main.main(["--library", str(lib), "export", "Pompeo", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert hit in [a["id"] for a in doc["articles"]]
    art = next(a for a in doc["articles"] if a["id"] == hit)
    assert art["notes"][0]["text"] == "call the embassy" and art["highlights"][0]["note"] == "lede"
    assert main.main(["--library", str(lib), "export", "--story", hit, "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("id,title") and any(r.startswith(hit) and "call the embassy" in r for r in rows)

    assert main.main(["--library", str(lib), "export", "--article", hit[:8]]) == 0
    one = capsys.readouterr().out
    assert one.count("\n## 1. ") == 1 and "## 2. " not in one and "call the embassy" in one

    # A dossier reads as a briefing: who, in brief, what was said, the reports oldest first.
    assert main.main(["--library", str(lib), "export", "--dossier", "Kim Jong Un"]) == 0
    brief = capsys.readouterr().out
    for heading in ("# Briefing: Kim Jong Un", "## In brief", "## What was said", "## The reports, oldest first"):
        assert heading in brief
    assert "Appears most with: Donald Trump" in brief and "call the embassy" in brief

    # An unwritable path: one clear line, nothing written, no temporary file left.
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main.main(["--library", str(lib), "export", "kim", "--output", str(blocker / "x.md")]) == 1
    assert "is not a folder; nothing was written" in capsys.readouterr().err
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "old.md").mkdir()  # the target is a directory: the rename fails
    assert main.main(["--library", str(lib), "export", "kim", "--output", str(folder / "old.md")]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and "nothing was written" in err and len(err.strip().splitlines()) == 1
    assert [p.name for p in folder.iterdir()] == ["old.md"]
    # bad selections
    assert main.main(["--library", str(lib), "export", "--tag", "never-used"]) == 1
    assert "no article is tagged 'never-used'" in capsys.readouterr().err
    assert main.main(["--library", str(lib), "export", "--story", "ffffffffffff"]) == 1
    assert main.main(["--library", str(lib), "export"]) == 2


def test_markdown_export_does_not_let_a_title_forge_markup():
    from articles.services.export import render

    doc = {"selection": {"label": "x"}, "exported": "now", "dossier": None, "articles": [
        {"id": "abc", "title": "# Fake heading\n- [link](javascript:x) \x1b[31mred", "source": None,
         "author": None, "date": None, "url": None, "tags": [], "notes": [{"text": "*bold*\n# h", "created": "2026"}],
         "highlights": [], "quotes": []}]}
    md = render(doc, "md")
    assert "\x1b" not in md and "\n# Fake" not in md and "\n# h" not in md
    assert "\\[link\\]" in md and "\\*bold\\*" in md


def test_dossier_briefing_prints_each_quote_once_and_no_heading_twice(lib, tmp_path, capsys):
    """The seeds' Kim Jong Un dossier: his own quotes are listed under "What was
    said" and not again under each report, the quotes two reports share (with
    other dashes, or one cut from the other) are printed once, a title made from
    the lead sentence is not repeated as the lead, and the file ends with a newline."""
    import re

    out = tmp_path / "dossier.md"
    run_json(capsys, "--library", lib, "export", "--dossier", "Kim Jong Un", "--format", "md", "--output", out)
    md = out.read_text(encoding="utf-8")
    assert md.endswith("\n") and not md.endswith("\n\n")

    def words(text):
        return " ".join(re.findall(r"\w+", text.casefold()))

    quotes = [words(m) for m in re.findall(r"^- “(.*)” — ", md, flags=re.M)]
    assert len(quotes) > 10
    for i, a in enumerate(quotes):
        for b in quotes[i + 1:]:
            assert a != b and f" {a} " not in f" {b} " and f" {b} " not in f" {a} ", (a, b)
    assert "already given in report 1" in md and "already given under What was said" in md

    # no report heading is followed by its own text as the lead quote
    for title, body in re.findall(r"^### \d+\. (.*)\n((?:(?!^### ).*\n)*)", md, flags=re.M):
        leads = [ln[2:] for ln in body.splitlines() if ln.startswith("> ")]
        assert all(not words(ld).startswith(words(title)) for ld in leads), title
    # an article with no outlet shows what it credits instead
    assert "undated · sourced from Reuters" in md
