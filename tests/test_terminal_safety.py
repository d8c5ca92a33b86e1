"""Nothing from outside reaches the terminal raw: file names in `add` output,
feed titles and URLs, server errors and OPML fields all pass the sanitizer the
article text uses, and no Rich markup in them is interpreted."""

import json

import pytest

import main
from test_feeds import FeedServer

# A clipboard write (OSC 52), a window title (OSC 0), a screen clear, an 8-bit
# CSI, a right-to-left override and a newline that would forge a second line.
HOSTILE = {
    "osc52": "clip\x1b]52;c;aGVsbG8=\x07",
    "osc0": "title\x1b]0;pwned\x07",
    "clear": "wipe\x1b[2J",
    "csi8": "c1\x9b31m",
    "rlo": "rlo\u202etxt.exe",
    "newline": "nl\nfailed: forged",
    "markup": "[blink red]markup",
}
RAW = ("\x1b", "\x9b", "\x9d", "\x07", "\u202e")


def _cli(capsys, *argv):
    code = main.main([str(a) for a in argv])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _assert_inert(text: str) -> None:
    for ch in RAW:
        assert ch not in text, (ch, text)


@pytest.fixture
def hostile_files(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "original.txt").write_text("An original title\n\nThe text every duplicate repeats here.\n")
    names = {}
    for key, stem in HOSTILE.items():
        (folder / f"{stem}.txt").write_text("")  # empty: fails
        (folder / f"dup-{stem}.txt").write_text((folder / "original.txt").read_text())
        names[key] = stem
    return folder


def test_add_prints_hostile_file_names_inert_and_one_line_each(hostile_files, tmp_path, capsys,
                                                               monkeypatch):
    monkeypatch.setenv("COLUMNS", "500")  # so Rich wraps no long path: lines are lines
    code, out, err = _cli(capsys, "add", "--library", tmp_path / "lib", "--no-entities", hostile_files)
    assert code == 1  # some failed
    _assert_inert(out + err)
    lines = out.splitlines()
    # One summary line, then exactly one line per failed or duplicate file: the
    # newline in a name cannot add a line of its own.
    # The summary comes last, after the details it sums up.
    assert lines[-1].startswith("added 1,") and "duplicates 7, failed 7" in lines[-1]
    assert len(lines) == 1 + 7 + 7, lines
    assert sum(line.startswith("  failed: ") for line in lines) == 7
    assert sum(line.startswith("  duplicate: ") for line in lines) == 7
    assert "forged" in out and "[blink red]markup" in out  # shown, not interpreted


def test_add_json_stays_valid_and_exact(hostile_files, tmp_path, capsys):
    code, out, _err = _cli(capsys, "add", "--library", tmp_path / "lib", "--no-entities", "--json",
                           hostile_files)
    _assert_inert(out)  # JSON spells every such character as an escape
    doc = json.loads(out)
    failed = {f["source"] for f in doc["failed"]}
    for stem in HOSTILE.values():  # the data itself is unchanged
        assert str(hostile_files / f"{stem}.txt") in failed


def test_opml_fields_are_shown_inert_by_list_and_export(tmp_path, capsys):
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>'
        '<outline text="News \u009b2J\u202e evil" xmlUrl="http://127.0.0.1:9/feed\u202e.xml"/>'
        '<outline text="[bold]x[/bold]" xmlUrl="http://127.0.0.1:9/other\u009b.xml"/>'
        "</body></opml>", encoding="utf-8")
    lib = tmp_path / "lib"
    code, out, err = _cli(capsys, "feeds", "import", opml, "--library", lib)
    assert code == 0
    _assert_inert(out + err)
    code, out, err = _cli(capsys, "feeds", "list", "--library", lib)
    assert code == 0 and "[bold]x[/bold]" in out
    _assert_inert(out + err)
    code, out, err = _cli(capsys, "feeds", "export", "--library", lib)
    assert code == 0 and "<opml" in out
    _assert_inert(out + err)
    code, out, _ = _cli(capsys, "feeds", "list", "--library", lib, "--json")
    _assert_inert(out)
    assert len(json.loads(out)["feeds"]) == 2


def _failed_refresh(capsys, tmp_path, server, path: str, route) -> tuple:
    """A library subscribed to one feed the server answers with ``route``, refreshed
    once (and failing): the library, stdout and stderr."""
    server.routes[path] = route
    lib = tmp_path / "lib"
    assert _cli(capsys, "feeds", "add", server.url(path), "--library", lib)[0] == 0
    code, out, err = _cli(capsys, "refresh", "--library", lib, "--timeout", "3", "--no-entities")
    assert code == 1 and "failed" in out
    return lib, out, err


def test_server_errors_are_shown_inert_by_refresh_and_list(tmp_path, capsys):
    server = FeedServer()
    try:
        lib, out, err = _failed_refresh(capsys, tmp_path, server, "/broken.xml",
                                        (500, {"Content-Type": "text/plain"}, b"down"))
        _assert_inert(out + err)
        # What a hostile server got stored as the feed's last error (a redirect
        # Location with an 8-bit CSI was, in the attack run) is shown inert.
        import sqlite3

        with sqlite3.connect(lib / "library.db") as conn:
            conn.execute("UPDATE feeds SET last_error = ?",
                         ("bad redirect to /x\x9b2J\x1b]0;pwned\x07\nforged line",))
        code, out, err = _cli(capsys, "feeds", "list", "--library", lib)
        assert code == 0 and "failed" in out and "forged line" in out
        _assert_inert(out + err)
        assert not any(line.startswith("forged") for line in out.splitlines())
    finally:
        server.close()


def _unsafe_chars(value) -> list[str]:
    """Control, format (bidi) and space characters: nothing a stored name or URL may hold."""
    import unicodedata

    return [ch for ch in value or "" if ch.isspace() and ch != " " or unicodedata.category(ch)[0] == "C"]


def test_opml_fields_are_cleaned_before_they_are_stored(tmp_path, capsys):
    # Cleaning only when printing leaves the raw text for every other reader of
    # the store (the TUI, an export, a later version): the stored row is clean.
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>'
        '<outline text="Fold\u009b2J\u202eer">'
        '<outline text="Ti\u009b31m\u202etle" xmlUrl="http://127.0.0.1:9/feed?x=\u009b\u202ey"/>'
        "</outline></body></opml>", encoding="utf-8")
    lib = tmp_path / "lib"
    assert _cli(capsys, "feeds", "import", opml, "--library", lib)[0] == 0
    import sqlite3

    with sqlite3.connect(lib / "library.db") as conn:
        rows = conn.execute("SELECT url, title, tag FROM feeds").fetchall()
    assert len(rows) == 1
    for value in rows[0]:
        assert value and not _unsafe_chars(value), rows
    url, title, tag = rows[0]
    assert (title, tag) == ("Title", "Folder")  # the escapes are gone, the text kept
    # The URL still names the same resource: what the request would have sent.
    assert url == "http://127.0.0.1:9/feed?x=%C2%9B%E2%80%AEy"
    code, out, _ = _cli(capsys, "feeds", "remove", "http://127.0.0.1:9/feed?x=\u009b\u202ey", "--library", lib)
    assert code == 0, out  # found by the URL as the OPML file spelled it


def test_a_hostile_redirect_is_stored_clean_as_the_feeds_last_error(tmp_path, capsys):
    server = FeedServer()
    try:
        lib, _out, _err = _failed_refresh(capsys, tmp_path, server, "/moved.xml",
                                          (302, {"Location": "/x\x9b2J\x1b]0;pwned\x07y"}, b""))
        import sqlite3

        with sqlite3.connect(lib / "library.db") as conn:
            (error,) = conn.execute("SELECT last_error FROM feeds").fetchone()
        assert error and not _unsafe_chars(error), error
    finally:
        server.close()
