"""Hostile import files: article URLs other than http(s) are dropped (and
reported) by every reader and refused by the TUI's `o`; one bad JSON Lines
line is skipped and reported with its line number, the rest imported."""

import asyncio
import json

import pytest

import main
from articles.library import Library
from articles.model import Draft
from articles.text import safe_url

BAD_URLS = [
    "javascript:alert(document.cookie)",
    "file:///etc/passwd",
    "/usr/share/applications/evil.desktop",
    "--new-window=file:///etc/passwd",
    "data:text/html,<script>alert(1)</script>",
    "http:///etc/passwd",  # no host
]
GOOD = "https://news.example.org/2024/05/harbour-story?x=1#top"
BODY = ("The harbour council met on Tuesday to discuss the new budget for the river "
        "defences, which residents have asked for since the storm last winter.\n")


@pytest.mark.parametrize("url", BAD_URLS + ["https://example.org/\u202etxt", "http://a b/",
                                            "  " + GOOD + " "])
def test_safe_url(url):
    assert safe_url(url) == (GOOD if url.strip() == GOOD else None)


def _add(tmp_path, files: dict[str, str], capsys=None):
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    with Library(tmp_path / "lib") as lib:
        report = lib.add([str(folder)], entities=False)
        urls = {r[0]: r[1] for r in lib.store.conn.execute("SELECT path, url FROM articles")}
    return report, {str(k).rsplit("/", 1)[-1]: v for k, v in urls.items()}


def test_markdown_front_matter_urls_other_than_http_are_dropped_and_reported(tmp_path):
    files = {f"bad{i}.md": f"---\ntitle: Story {i}\nurl: {json.dumps(u)}\n---\n\n{BODY}Number {i}.\n"
             for i, u in enumerate(BAD_URLS)}
    files["good.md"] = f"---\ntitle: Good story\nurl: {GOOD}\n---\n\n{BODY}The good one.\n"
    report, urls = _add(tmp_path, files)
    assert report.added == len(files) and not report.failed
    assert urls["good.md"] == GOOD
    assert all(urls[f"bad{i}.md"] is None for i in range(len(BAD_URLS))), urls
    dropped = {src.rsplit("/", 1)[-1] for src, w in report.warnings if "url dropped" in w}
    assert dropped == {f"bad{i}.md" for i in range(len(BAD_URLS))}


def test_html_canonical_and_og_url_other_than_http_are_dropped(tmp_path):
    def page(url):
        return (f'<!doctype html><html><head><title>Harbour story</title>'
                f'<link rel="canonical" href="{url}"><meta property="og:url" content="{url}">'
                f'</head><body><article><h1>Harbour story</h1><p>{BODY}</p><p>{BODY}</p>'
                f'</article></body></html>')

    report, urls = _add(tmp_path, {"good.html": page(GOOD),
                                   "bad.html": page("javascript:alert(1)").replace("harbour", "dock")})
    assert report.added == 2
    assert urls["good.html"] == GOOD  # the reader does read these fields
    # (trafilatura already ignores a non-http canonical link; the dispatcher
    # and the store would drop it if it did not)
    assert urls["bad.html"] is None


def test_json_fields_and_feed_drafts_are_checked_too(tmp_path):
    records = [{"title": f"Record {i}", "body": f"{BODY} Record {i}.", "url": u}
               for i, u in enumerate(BAD_URLS + [GOOD])]
    report, urls = _add(tmp_path, {"export.json": json.dumps(records)})
    assert report.added == len(records)
    with Library(tmp_path / "lib") as lib:
        stored = {r[0]: r[1] for r in lib.store.conn.execute("SELECT title, url FROM articles")}
        assert stored == {f"Record {i}": (GOOD if u == GOOD else None)
                          for i, u in enumerate(BAD_URLS + [GOOD])}
        # Feeds and fetched pages give the store drafts directly: it keeps only http(s) too.
        lib.add_drafts([Draft(title="From a feed", body=BODY + "feed item", origin="feed:1:x",
                              url="javascript:alert(1)")])
        assert lib.store.conn.execute(
            "SELECT url FROM articles WHERE title='From a feed'").fetchone() == (None,)


def test_tui_o_refuses_a_stored_javascript_url(tmp_path, monkeypatch):
    pytest.importorskip("textual")
    import webbrowser

    from tui.app import NewsdeskApp

    opened = []
    # The real browser cannot run here: record what would be handed to it.
    monkeypatch.setattr(webbrowser, "open", lambda url, new=0, autoraise=True: opened.append(url) or True)
    lib_dir = tmp_path / "lib"
    with Library(lib_dir) as lib:
        lib.add_drafts([Draft(title="Bad link", body=BODY + "bad", origin="t:bad", date="2024-01-02"),
                        Draft(title="Good link", body=BODY + "good", origin="t:good", url=GOOD,
                              date="2024-01-01")])
        # A library written before URLs were checked may hold anything.
        lib.store.conn.execute("UPDATE articles SET url='javascript:alert(1)' WHERE title='Bad link'")
        lib.store.conn.commit()

    async def flow():
        lib = Library(lib_dir)
        app = NewsdeskApp(lib)
        async with app.run_test(size=(120, 36)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("enter")  # the newest: "Bad link"
            await pilot.pause()
            assert app.reader.article.title == "Bad link"
            await pilot.press("o")
            await pilot.pause()
            assert opened == []
            await pilot.press("escape", "j", "enter")
            await pilot.pause()
            assert app.reader.article.title == "Good link"
            await pilot.press("o")
            await pilot.pause()
        lib.close()

    asyncio.run(flow())
    assert opened == [GOOD]


def test_one_bad_json_lines_line_is_skipped_and_reported(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "500")  # no wrapped lines in the plain output
    def rec(i):
        return json.dumps({"title": f"Line story {i}", "body": f"{BODY} Line {i}."})

    lines = [
        rec(1),
        '{"title": "Huge", "body": "x x x", "n": ' + "9" * 5000 + "}",  # ValueError in int()
        rec(3),
        "[" * 10000 + "]" * 10000,  # RecursionError while parsing
        '{"title": "Deep", "body": ' + "[" * 980 + '"deep"' + "]" * 980 + "}",  # ... while reading
        "{not json",
        rec(7),
    ]
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / "export.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code = main.main(["add", "--library", str(tmp_path / "lib"), "--no-entities", "--json", str(folder)])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["added"] == 3 and doc["failed"] == []
    assert [(w["source"], w["warning"].split(":")[0]) for w in doc["warnings"]] == [
        (str(path), f"line {n}") for n in (2, 4, 5, 6)]
    with Library(tmp_path / "lib") as lib:
        assert sorted(r.title for r in lib.rows()) == ["Line story 1", "Line story 3", "Line story 7"]

    # And the plain output names the file and line of each.
    code = main.main(["add", "--library", str(tmp_path / "lib2"), "--no-entities", str(path)])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0 and out.count("warning: ") == 4
    assert f"{path}: line 2: invalid JSON" in out and f"{path}: line 4: invalid JSON" in out
