"""Readers: every format, bad inputs, the BBC corpus, the seeds, the shipped samples."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from articles.readers import ReadError, decode_bytes, expand_sources, read_file, read_path

from conftest import BBC, SAMPLES, SEEDS


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- real corpora -------------------------------------------------------------


def test_bbc_corpus_all_read_with_line_one_as_title():
    if not BBC.is_dir():
        pytest.skip(f"BBC corpus not found at {BBC}")
    files, errors = expand_sources([str(BBC)])
    assert errors == [] and len(files) == 2225  # README.TXT is not an article
    for path in files:
        (draft,) = read_path(path)
        first_line = " ".join(path.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace").split())
        if "\ufffd" not in first_line:
            assert draft.title == first_line, path
        assert len(draft.body) > 100, path
        assert draft.origin == "file:" + str(path.resolve())
        assert draft.path == str(path.resolve())


def test_bbc_latin1_file_decodes_pound_sign():
    path = BBC / "sport" / "199.txt"
    if not path.exists():
        pytest.skip(f"{path} not found")
    assert "£15.8m" in decode_bytes(path.read_bytes())
    (draft,) = read_path(path)
    assert draft.title == "Chelsea sack Mutu" and "£15.8m" in draft.body


def test_seeds_read_as_drafts():
    seeds = SEEDS
    if not seeds.is_dir():
        pytest.skip(f"seeds not found at {seeds}")
    drafts = [read_path(p)[0] for p in sorted(seeds.glob("*.txt"))]
    assert [d.date for d in drafts] == ["2020-06-14", None, None, None, None]
    assert drafts[3].title.startswith("Kim Jong-un gives up on Trump")


# --- samples ------------------------------------------------------------------


def test_samples_are_complete_and_marked():
    paths = sorted(SAMPLES.glob("*.md"))
    assert len(paths) == 12
    sources = set()
    for path in paths:
        (draft,) = read_path(path)
        assert draft.title and draft.date and draft.source and draft.author, path
        assert "Sample" in draft.source
        assert draft.body.endswith("An invented sample article: its people, places and events are not real.")
        assert 200 <= len(draft.body.split()) <= 600, path
        assert "*" not in draft.body and "#" not in draft.body
        sources.add(draft.source)
    assert len(sources) >= 3


def test_sample_with_furniture_is_cleaned():
    (draft,) = read_path(SAMPLES / "03-courier-dockers-walk-out.md")
    for phrase in ("Subscribe", "Enter a valid email", "Share this article", "Related Stories", "Most Read", "Home / News"):
        assert phrase not in draft.body
    assert draft.body.startswith("More than 900 dockworkers")
    assert draft.url == "https://sample-courier.example/news/port-strike-ships-waiting"


# --- formats ------------------------------------------------------------------


def test_markdown_front_matter_and_syntax_stripped(tmp_path):
    path = write(tmp_path, "a.md", """---
title: "Front title"
date: 2024-05-06
author: Jo Writer
source: Example Post
url: https://example.org/a
---

# Front title

Some *emphasis*, **strong** and a [link text](https://example.org/l) here.
![an image](pic.png)

## A subhead

- item one
- item two

```
code line 1
code line 2
```
""")
    (d,) = read_path(path)
    assert (d.title, d.date, d.author, d.source, d.url) == ("Front title", "2024-05-06", "Jo Writer", "Example Post", "https://example.org/a")
    paras = d.body.split("\n\n")
    assert paras[0] == "Some emphasis, strong and a link text here."
    assert "A subhead" in paras and "• item one" in paras
    assert "code line 1\ncode line 2" in paras
    assert "pic.png" not in d.body and "an image" not in d.body and "Front title" not in d.body
    assert d.origin == "file:" + str(path.resolve())


def test_markdown_heading_as_title_without_front_matter(tmp_path):
    (d,) = read_path(write(tmp_path, "b.markdown", "# Just a heading\n\nText of the article.\n"))
    assert d.title == "Just a heading" and d.body == "Text of the article." and d.date is None


HTML = """<!doctype html><html><head><title>Harbour strike ends | Example Wire</title>
<meta property="og:site_name" content="Example Wire"><meta name="author" content="Jo Bloggs">
<meta property="article:published_time" content="2024-03-05T10:00:00Z">
<link rel="canonical" href="https://example.org/a/1"></head>
<body><nav><a href="/">Home</a> / <a href="/news">News</a></nav><article><h1>Harbour strike ends after nine days</h1>
<p>The strike at the harbour ended on Tuesday after nine days of talks between the union and the port authority, officials said.</p>
<p>Workers will return on Wednesday morning, according to the union, which called the deal “a fair result”.</p>
<p>Another paragraph of real text that is long enough to count as article content for the extractor.</p></article>
<footer>Subscribe to our newsletter</footer></body></html>"""


def test_html_reader(tmp_path):
    (d,) = read_path(write(tmp_path, "page.html", HTML))
    assert d.title == "Harbour strike ends after nine days"
    assert (d.date, d.author, d.source, d.url) == ("2024-03-05", "Jo Bloggs", "Example Wire", "https://example.org/a/1")
    paras = d.body.split("\n\n")
    assert paras[0].startswith("The strike at the harbour") and len(paras) == 3
    assert "Subscribe" not in d.body and "“a fair result”" in d.body


def test_html_sniffed_without_extension(tmp_path):
    (d,) = read_path(write(tmp_path, "saved_page", HTML))
    assert d.title == "Harbour strike ends after nine days"


def test_html_without_article_text_is_an_error(tmp_path):
    with pytest.raises(ReadError, match="no article text"):
        read_path(write(tmp_path, "empty.html", "<html><head><title>T</title><script>var a = 1;</script></head><body><div></div></body></html>"))


def test_json_array_object_and_wrapped(tmp_path):
    records = [
        {"title": "One", "body": "First body. It is here.", "date": "2021-01-02T03:04:05Z", "url": "https://example.org/1", "source": {"name": "Wire"}},
        {"title": "Two", "text": "<p>Second <b>body</b>.</p><p>More.</p>", "author": "Ann"},
        {"title": "No body"},
        "not an object",
        {"content": [{"value": "Third body has no title. Really."}]},
    ]
    path = write(tmp_path, "export.json", json.dumps(records))
    result = read_file(path)
    assert [d.title for d in result.drafts] == ["One", "Two", "Third body has no title"]
    one, two, three = result.drafts
    assert one.origin == "url:https://example.org/1" and one.date == "2021-01-02" and one.source == "Wire"
    assert two.origin == f"file:{path.resolve()}#2" and two.body == "Second body.\n\nMore." and two.author == "Ann"
    assert three.origin == f"file:{path.resolve()}#5"
    assert result.problems == ["record 3: no body text (expected 'body', 'text' or 'content')", "record 4: not an object (got str)"]
    assert len(read_path(path)) == 3

    (single,) = read_path(write(tmp_path, "one.json", json.dumps(records[0])))
    assert single.title == "One"
    wrapped = read_path(write(tmp_path, "wrapped.json", json.dumps({"articles": records[:2]})))
    assert [d.title for d in wrapped] == ["One", "Two"]


def test_invalid_json_reports_line(tmp_path):
    with pytest.raises(ReadError, match=r"invalid JSON at line 3"):
        read_path(write(tmp_path, "bad.json", '{\n"title": "x",\n"body": oops\n}'))


def test_json_with_no_readable_record_fails_whole_file(tmp_path):
    with pytest.raises(ReadError, match="no readable article"):
        read_path(write(tmp_path, "none.json", json.dumps([{"title": "a"}, 3])))


def test_jsonl_skips_bad_lines(tmp_path):
    lines = [json.dumps({"title": "A", "body": "Alpha text."}), "{broken", "", json.dumps({"title": "B", "content": "Beta text."})]
    path = write(tmp_path, "feed.jsonl", "\n".join(lines))
    result = read_file(path)
    assert [d.title for d in result.drafts] == ["A", "B"]
    assert [d.origin for d in result.drafts] == [f"file:{path.resolve()}#1", f"file:{path.resolve()}#4"]
    assert len(result.problems) == 1 and result.problems[0].startswith("line 2: invalid JSON")
    (d,) = read_path(write(tmp_path, "x.ndjson", lines[0]))
    assert d.title == "A"


# --- bad inputs -----------------------------------------------------------------


def test_empty_and_whitespace_files(tmp_path):
    for name, content in [("e.txt", ""), ("w.txt", " \n\t\n"), ("c.txt", "\x1b[2J\n")]:
        with pytest.raises(ReadError, match="^empty file$"):
            read_path(write(tmp_path, name, content))


def test_binary_file(tmp_path):
    with pytest.raises(ReadError, match=r"not a text file \(binary data\)"):
        read_path(write(tmp_path, "img.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 10))


def test_invalid_bytes_decoded_by_fallback(tmp_path):
    # Mostly UTF-8 with one stray byte: keep the UTF-8 reading.
    mixed = "Café headline\n\nNaïve text “quoted” ".encode() + b"\xff" + " end.".encode()
    (d,) = read_path(write(tmp_path, "mixed.txt", mixed))
    assert d.title == "Café headline" and "“quoted”" in d.body and "\ufffd" in d.body
    # cp1252 smart quotes and a pound sign.
    (d,) = read_path(write(tmp_path, "cp.txt", "Price rise\n\nIt cost £5 \u201cor so\u201d.".encode("cp1252")))
    assert d.body == "It cost £5 “or so”."
    # UTF-8 with BOM and UTF-16 with BOM.
    assert decode_bytes("\ufeffHello".encode("utf-8")) == "Hello"
    assert decode_bytes("Héllo".encode("utf-16")) == "Héllo"


def test_file_too_large(tmp_path):
    path = tmp_path / "big.txt"
    with open(path, "wb") as fh:
        fh.truncate(21 * 1024 * 1024)  # sparse: no need to write 21 MB
    with pytest.raises(ReadError, match=r"file too large \(21 MB > 20 MB limit\)"):
        read_path(path)


def test_unreadable_paths(tmp_path):
    folder = tmp_path / "looks_like_a_file.txt"
    folder.mkdir()
    with pytest.raises(ReadError, match="is a folder"):
        read_path(folder)
    with pytest.raises(ReadError, match="no such file"):
        read_path(tmp_path / "missing.txt")


@pytest.mark.skipif(os.geteuid() == 0, reason="running as root: chmod 000 does not stop root from reading")
def test_permission_denied(tmp_path):
    path = write(tmp_path, "secret.txt", "Title\n\nBody.")
    path.chmod(0)
    try:
        with pytest.raises(ReadError, match="permission denied"):
            read_path(path)
    finally:
        path.chmod(0o644)


def test_pathological_5mb_line_file(tmp_path):
    (d,) = read_path(write(tmp_path, "long.txt", "word, " * 850_000 + "end."))
    assert d.body.endswith("end.") and len(d.title) <= 91


def test_escape_sequences_removed_from_title_and_body(tmp_path):
    raw = "Evil \x1b]0;pwned\x07headline\x1b[2J\n\nBody \x1b]0;title\x07with \x1b[2Jescapes.\n"
    for name in ("e.txt", "e.md"):
        (d,) = read_path(write(tmp_path, name, raw))
        assert "\x1b" not in d.title + d.body and "\x07" not in d.title + d.body
        assert "pwned" not in d.title and "title" not in d.body
    (d,) = read_path(write(tmp_path, "e.json", json.dumps({"title": "T\x1b[2Jx\x1b]0;t\x07", "body": "B\x1b[2Jody."})))
    assert (d.title, d.body) == ("Tx", "Body.")


# --- expand_sources ---------------------------------------------------------------


def test_expand_sources_folders_globs_and_missing(tmp_path):
    a = write(tmp_path, "a.txt", "x")
    b = write(tmp_path, "sub/b.md", "x")
    c = write(tmp_path, "sub/deeper/c.json", "x")
    write(tmp_path, ".hidden.txt", "x")
    write(tmp_path, ".git/d.txt", "x")
    write(tmp_path, "sub/photo.jpg", b"\x00")
    write(tmp_path, "README.txt", "x")
    (tmp_path / "emptydir").mkdir()

    files, errors = expand_sources([str(tmp_path)])
    assert files == sorted([a.resolve(), b.resolve(), c.resolve()]) and errors == []

    files, errors = expand_sources([str(tmp_path / "**" / "*.md"), str(a), str(a)])
    assert files == sorted([a.resolve(), b.resolve()]) and errors == []

    files, errors = expand_sources([str(tmp_path / "sub" / "photo.jpg")])  # named explicitly: taken
    assert len(files) == 1

    missing = str(tmp_path / "nope.txt")
    pattern = str(tmp_path / "*.zzz")
    files, errors = expand_sources([missing, pattern, str(tmp_path / "emptydir")])
    assert files == []
    assert errors == [
        (missing, "no such file or folder"),
        (pattern, "no files match this pattern"),
        (str(tmp_path / "emptydir"), "folder contains no article files"),
    ]


def test_plain_text_shortcut_gives_what_markdown_it_gives():
    """Markdown without syntax skips the parser; on every BBC and seed text
    the shortcut, where it applies, gives exactly the parser's blocks."""
    from articles.readers.markdown import _parsed_paragraphs, _plain_paragraphs
    from conftest import BBC, SEEDS, need

    texts = [p.read_bytes().decode("utf-8", "replace")
             for p in sorted(need(BBC).glob("*/*.txt")) + sorted(need(SEEDS).glob("*.txt"))]
    texts += ["", "\n\n", "one\ntwo\n\n\nthree", "  lead spaces\n   and more  \n \nnext",
              "Price rose 2.5% in 2004.\nIt was 10. Then 11) fell", "a\xa0b\n\xa0\nc"]
    shortcut = 0
    for text in texts:
        plain = _plain_paragraphs(text)
        if plain is not None:
            shortcut += 1
            assert (plain, set()) == _parsed_paragraphs(text), text[:120]
    assert shortcut > len(texts) // 2  # the shortcut is really taken
    # Syntax anywhere sends the text to the parser.
    for text in ("a *b* c", "# head", "1. item", "- item", "a\n---", "    code", "x &amp; y", "[l](u)"):
        assert _plain_paragraphs(text) is None


@pytest.mark.parametrize("seed", range(3))
def test_plain_text_shortcut_on_random_text(seed):
    import random

    from articles.readers.markdown import _parsed_paragraphs, _plain_paragraphs

    rng = random.Random(seed)
    alphabet = "ab cd.,;:'\"()?-+=1234567890\n\n  \xa0é£"
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        plain = _plain_paragraphs(text)
        if plain is not None:
            assert (plain, set()) == _parsed_paragraphs(text), repr(text)


def test_binary_check_counts_control_bytes_as_before():
    """_looks_binary counts control bytes with bytes.translate, not a Python
    loop; on random bytes (and the edges of its thresholds) it gives what the
    loop gave."""
    import random

    from articles.readers.base import _looks_binary

    def by_loop(data: bytes) -> bool:
        head = data[:8192]
        if b"\x00" in head:
            return True
        controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
        return controls > max(8, len(head) // 20)

    rng = random.Random(7)
    samples = [b"", b"plain text\n", b"\x01" * 8, b"\x01" * 9, b"a" * 191 + b"\x02" * 9,
               b"\x1b[31mred\x1b[0m\r\n\t\x0c", b"x" * 9000 + b"\x00"]
    for _ in range(300):
        alphabet = bytes(rng.sample(range(1, 256), rng.randint(1, 40))) + b"text "
        samples.append(bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 600))))
    for data in samples:
        assert _looks_binary(data) == by_loop(data), data[:60]
    assert any(by_loop(d) for d in samples) and not all(by_loop(d) for d in samples)


def test_call_to_action_check_matches_the_case_insensitive_pattern():
    """The furniture vocabulary is matched on the lowercased line (four times
    faster than re.I); on every short BBC and seed paragraph, and on mixed-case
    furniture, it finds what the case-insensitive pattern finds."""
    import re

    from articles.text.cleaning import _CTA, MAX_SHORT_LINE, cta_phrase, split_paragraphs
    from conftest import BBC, SEEDS, need

    insensitive = re.compile(_CTA.pattern, re.I)
    lines = ["SUBSCRIBE to our Newsletter", "Sign-Up today", "Read More", "Share", "12 Comments",
             "Enter your E-mail", "Skip To Main Content", "All Rights Reserved 2024",
             "Download the BBC News App now", "The share price fell", "Loginov said"]
    for p in sorted(need(BBC).glob("*/*.txt"))[::4] + sorted(need(SEEDS).glob("*.txt")):
        lines += split_paragraphs(p.read_bytes().decode("utf-8", "replace"))
    hits = 0
    for line in lines:
        want = len(line) <= MAX_SHORT_LINE and bool(insensitive.search(line))
        assert cta_phrase(line) == want, line
        hits += want
    assert hits >= 9


def test_folder_walk_resolves_symlinks_and_skips_what_it_should(tmp_path):
    from articles.readers import expand_sources

    root = tmp_path / "saved"
    (root / "a" / "b").mkdir(parents=True)
    (root / ".hidden").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for p in [root / "one.md", root / "a" / "two.txt", root / "a" / "b" / "three.html",
              root / ".hidden" / "no.md", root / "a" / ".dot.md", root / "README.md",
              root / "a" / "photo.jpg", elsewhere / "target.md", elsewhere / "inside.md"]:
        p.write_text("Some article text.\n")
    (root / "a" / "link.md").symlink_to(elsewhere / "target.md")
    (root / "dirlink").symlink_to(elsewhere, target_is_directory=True)  # not followed
    (root / "broken.md").symlink_to(tmp_path / "missing.md")
    (root / "loop").symlink_to(root, target_is_directory=True)
    # A link leading out of the folder is reported, not taken, unless asked for.
    files, errors = expand_sources([str(root)])
    assert [(Path(p), "outside the folder" in e) for p, e in errors] == [(root / "a" / "link.md", True)]
    assert files == sorted([root / "one.md", root / "a" / "two.txt", root / "a" / "b" / "three.html"])
    files, errors = expand_sources([str(root)], follow_links=True)
    assert errors == []
    assert files == sorted([root / "one.md", root / "a" / "two.txt", root / "a" / "b" / "three.html",
                            elsewhere / "target.md"])
    # Through a symlinked folder given by the user, paths come out resolved.
    via = tmp_path / "via"
    via.symlink_to(root, target_is_directory=True)
    assert expand_sources([str(via)], follow_links=True)[0] == files
