"""Hostile input never crashes or hangs: the text, Markdown, HTML and JSON
readers and the feed parser get random bytes, invalid encodings, NUL bytes,
terminal escape sequences, huge lines and deeply nested markup. Each input
either gives articles with safe text or fails with a clear reason, within a
time bound (an alarm, so a hang fails the test instead of stalling CI).

Hypothesis runs derandomized with a bounded number of examples, so every run
tries the same inputs and CI stays fast."""

import re
import signal
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.errors import FeedError
from articles.text.html import html_to_text
from articles.web.feedparse import parse_feed
from articles.library import Library
from articles.readers import ReadError, read_path

BOUND_S = 20  # per input; generous for a loaded 2-core CI box, far below "hung"
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")
SUFFIXES = [".txt", ".md", ".html", ".json", ".jsonl", ".text", ""]

_BASE = settings(derandomize=True, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))


def fuzz(examples: int) -> settings:
    return settings(_BASE, max_examples=examples)


class Hung(Exception):
    pass


@contextmanager
def time_bound(seconds: int = BOUND_S):
    def fire(signum, frame):
        raise Hung(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# -- inputs ----------------------------------------------------------------------
ESCAPES = ["\x1b[2J", "\x1b]0;pwned\x07", "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",
           "\x9b31m", "\x1bP1;2|x\x1b\\", "\x00", "\r", "\u202e", "\ufeff", "[bold red]x[/]",
           "\x07", "\x08\x08\x08", "\u2028"]
WORDS = ["Parliament", "storm", "the", "market", "é", "日本", "Zürich", "\t", "\n", "\n\n", " "]

text_pieces = st.one_of(st.sampled_from(ESCAPES), st.sampled_from(WORDS), st.text(max_size=30))
hostile_text = st.lists(text_pieces, max_size=60).map("".join)

invalid_encodings = st.one_of(
    st.binary(max_size=3000),
    hostile_text.map(lambda t: t.encode("utf-16")),
    hostile_text.map(lambda t: t.encode("utf-8") + b"\xff\xfe\xc3\x28\xa0\xa1"),
    hostile_text.map(lambda t: b"\xef\xbb\xbf" + t.encode("latin-1", "replace")),
    hostile_text.map(lambda t: t.encode("utf-8").replace(b"e", b"\x00")),
)


@st.composite
def huge_lines(draw):
    n = draw(st.integers(min_value=50_000, max_value=1_200_000))
    unit = draw(st.sampled_from(["a", "word ", "<b>", "\x1b[1m", "{", "[", "日本", "\t"]))
    head = draw(st.sampled_from(["Title\n\n", "", "# Heading\n", "<html><body><p>"]))
    return (head + unit * (n // len(unit))).encode("utf-8", "surrogatepass")


@st.composite
def nested_html(draw):
    depth = draw(st.integers(min_value=100, max_value=20_000))
    tag = draw(st.sampled_from(["div", "b", "table", "ul><li", "span", "p", "blockquote"]))
    close = draw(st.booleans())
    inner = draw(hostile_text)
    opening = f"<{tag}>" * depth
    closing = "".join(f"</{t}>" for t in reversed(tag.split("><"))) * depth if close else ""
    return f"<html><head><title>Deep {inner[:20]}</title></head><body>{opening}{inner} text"\
           f" of the article{closing}</body></html>".encode("utf-8", "surrogatepass")


@st.composite
def nested_json(draw):
    depth = draw(st.integers(min_value=100, max_value=100_000))
    kind = draw(st.sampled_from(["[", '{"a":']))
    return (kind * depth).encode()


def _check_drafts(drafts) -> None:
    for d in drafts:
        assert isinstance(d.title, str) and isinstance(d.body, str)
        for value in (d.title, d.body, d.author or "", d.source or ""):
            bad = UNSAFE.search(value)
            assert bad is None, f"control character {bad.group()!r} kept in {value[:80]!r}"
        assert "\n" not in d.title


def _read(tmp_path: Path, data: bytes, suffix: str) -> str:
    """'ok' or the failure reason; anything else raised is a reader bug."""
    path = tmp_path / f"input{suffix}"
    path.write_bytes(data)
    try:
        with time_bound():
            drafts = read_path(path)
    except ReadError as exc:
        reason = str(exc)
        assert reason.strip() and "Traceback" not in reason, repr(reason)
        return reason
    _check_drafts(drafts)
    return "ok"


COUNTS: dict[str, int] = {}


def _count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


# -- readers ---------------------------------------------------------------------
@fuzz(200)
@given(data=invalid_encodings, suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_and_invalid_encodings(tmp_path_factory, data, suffix):
    _count("bytes")
    _read(tmp_path_factory.mktemp("f"), data, suffix)


@fuzz(150)
@given(text=hostile_text, suffix=st.sampled_from(SUFFIXES),
       wrap=st.sampled_from(["{}", "Title line\n\n{}", "<html><title>{}</title><p>{}</p>", "# {}\n\n{}",
                             '{{"title": "t", "body": "{}"}}', '[{{"title": "{}", "text": "x"}}]']))
def test_nul_bytes_and_escape_sequences(tmp_path_factory, text, suffix, wrap):
    _count("escapes")
    _read(tmp_path_factory.mktemp("f"), wrap.format(text, text).encode("utf-8", "surrogatepass"), suffix)


@fuzz(15)
@given(data=huge_lines(), suffix=st.sampled_from([".txt", ".md", ".html", ".json"]))
def test_huge_lines(tmp_path_factory, data, suffix):
    _count("huge")
    _read(tmp_path_factory.mktemp("f"), data, suffix)


@fuzz(40)
@given(data=nested_html())
def test_deeply_nested_html(tmp_path_factory, data):
    _count("nested-html")
    _read(tmp_path_factory.mktemp("f"), data, ".html")


@fuzz(20)
@given(data=nested_json(), suffix=st.sampled_from([".json", ".jsonl"]))
def test_deeply_nested_json(tmp_path_factory, data, suffix):
    _count("nested-json")
    _read(tmp_path_factory.mktemp("f"), data, suffix)


# -- feeds -----------------------------------------------------------------------
def _feed(title: str, body: str, depth: int) -> bytes:
    nest = "<div>" * depth + body + "</div>" * depth
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}'
            f"</title><item><title>{title}</title><link>https://example.org/a</link>"
            f"<description><![CDATA[{nest}]]></description></item></channel></rss>"
            ).encode("utf-8", "surrogatepass")


@fuzz(150)
@given(data=st.one_of(
    invalid_encodings,
    st.builds(_feed, hostile_text, hostile_text, st.integers(min_value=0, max_value=3000)),
    st.builds(lambda b, t: b[:2000] + t.encode("utf-8", "surrogatepass"),
              st.builds(_feed, hostile_text, hostile_text, st.just(0)), hostile_text),
))
def test_feed_parser(data):
    _count("feeds")
    try:
        with time_bound():
            feed = parse_feed(data, "https://example.org/feed")
    except FeedError as exc:
        assert str(exc).strip()
        return
    for value in [feed.title or ""] + [e.title or "" for e in feed.entries] + \
            [e.body or "" for e in feed.entries]:
        assert UNSAFE.search(value) is None, repr(value[:80])


@fuzz(80)
@given(html=st.one_of(hostile_text, nested_html().map(lambda b: b.decode("utf-8", "replace"))))
def test_feed_html_to_text(html):
    _count("feed-html")
    with time_bound():
        out = html_to_text(html)
    assert isinstance(out, str)


# -- through the library ------------------------------------------------------------
HOSTILE_FILES = {
    "nul.txt": b"Title\x00 here\n\nbody \x00\x00 with NULs and words enough",
    "escapes.txt": b"\x1b]0;owned\x07Headline \x1b[31mred\x1b[0m\n\nBody \x1b[2J text \x9b1m here",
    "latin1.txt": "Caf\xe9 title\n\nna\xefve r\xe9sum\xe9 body text".encode("latin-1"),
    "binary.txt": bytes(range(256)) * 40,
    "deep.html": b"<html><body>" + b"<div>" * 50_000 + b"deep text of the article" + b"</div>" * 50_000,
    "huge-line.md": b"# Big\n\n" + b"word " * 400_000,
    "bad.json": b'{"title": "x", "body": ' + b"[" * 50_000,
    "empty.html": b"<html><body><script>alert(1)</script></body></html>",
    "markup.txt": b"[bold red]Not markup[/]\n\n[link=http://x]click[/link] body text words",
}


def test_hostile_files_import_or_fail_clearly_and_library_stays_sound(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in HOSTILE_FILES.items():
        (folder / name).write_bytes(data)
    with Library(tmp_path / "lib") as lib:
        with time_bound(120):
            report = lib.add([str(folder)], entities=False)
        failed = dict(report.failed)
        assert report.added + len(failed) == len(HOSTILE_FILES)
        for src, reason in failed.items():
            assert Path(src).name in HOSTILE_FILES and reason.strip()
            assert not reason.startswith(("RecursionError", "MemoryError", "TypeError",
                                          "AttributeError", "KeyError", "IndexError")), (src, reason)
        for art in lib.store.iter_articles():
            assert UNSAFE.search(art.title + art.body) is None, art.id
        assert lib.check().clean
        _count("library-files")


def test_zz_report_inputs_fuzzed():
    """Not a check: prints how many inputs this worker fuzzed (see -s)."""
    print(f"\nfuzzed inputs: {sum(COUNTS.values())} {COUNTS}")
