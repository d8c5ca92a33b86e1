"""The JSON contract, byte for byte: every ``newsdesk`` command's ``--json``
output on a library of the shipped samples and the five seeds is exactly the
output recorded from the code before the domain redesign (issue #15).

``test_json_contract.py`` checks shapes (keys and kinds of value) and lets
values change; this file pins the values too, so a restructuring that is meant
to change nothing can prove it.  When a change to an output is on purpose,
re-record (and say why in the commit):

    uv run python tests/test_json_bytes.py --record

and to see what changed in an output stored as a hash, dump every output of
two checkouts outside the project and diff them:

    uv run python tests/test_json_bytes.py --dump /tmp/before   # on main
    uv run python tests/test_json_bytes.py --dump /tmp/after    # on the branch

What is normalised, and only that (it truly varies between runs):
- temporary folders (the library, the copies imported by ``add``) -> ``<TMP>``;
- the ids of articles imported from those temporary copies, which are derived
  from the file's path -> ``<id:FILE>``  (the main library's articles come in
  under stable origins, ``sample:FILE`` and ``seed:FILE``, so their ids are
  the same everywhere and are kept);
- timestamps of "now" (a note's ``created``, a feed's ``added``...): any
  ISO-8601 date-time or ``YYYY-MM-DD HH:MM[:SS]`` on or after the day before
  the run started -> ``<NOW>``.  Article dates are years older and are kept.

Fixtures (``fixtures/json_bytes/``): one file per command, its exit status on
the first line.  An output with no seed text in it is stored as it is
(``LABEL.json``: the samples are the project's own text).  An output that holds
any word of the seeds' text that the project's own text (samples, code) never
uses (a title, a snippet, most entity names) is stored only as the sha256 of
its normalised bytes (``LABEL.sha256``): the seeds' text must not be copied
into the project.  (A name the code also spells, "Kim Jong Un" in a comment,
may appear in a stored output; no run of the seeds' words does, a test checks.)
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:  # run as a script: conftest's helpers and key dir
    sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

from conftest import S000, S002, SAMPLES, SEEDS, need, seed_drafts  # noqa: E402

FIXTURES = HERE / "fixtures" / "json_bytes"
OPML = HERE / "fixtures" / "feeds" / "subscriptions.opml"
# Nothing listens on port 9 here: a refresh of this feed fails at once,
# without DNS or a real server.
DEAD_FEED = "http://127.0.0.1:9/feed.xml"


def _aid(origin: str) -> str:
    from articles.model import article_id

    return article_id(origin)


# Articles the commands name (ids from their stable origins).
HARALDSEN = _aid("sample:09-sample-wire-haraldsen-museum.md")
WALKOUT = _aid("sample:01-sample-wire-dockers-walk-out.md")
WALKOUT_GAZETTE = _aid("sample:02-gazette-dockers-walk-out.md")
REGATTA = _aid("sample:08-gazette-regatta.md")
SEEDGROUP = _aid(f"seed:{S000}")  # seeds 0 and 1: two versions of one story
SEED2 = _aid(f"seed:{S002}")


# -- running commands --------------------------------------------------------
def _run(argv) -> tuple[int, str]:
    """One command in this process, with --json: (exit status, stdout)."""
    import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main.main([str(a) for a in argv] + ["--json"])
    return code, out.getvalue()


def build_library(path: Path) -> None:
    """The samples and the seeds under stable origins, entities extracted."""
    from articles.library import Library

    with Library(path) as lib:
        lib.add_samples()
        lib.add_drafts(seed_drafts(), entities=True)


def _read_commands() -> list[tuple[str, list]]:
    """(label, argv) of commands that change nothing, on the built library."""
    return [
        ("list", ["list"]),
        ("list --sort title --limit 5", ["list", "--sort", "title", "--limit", "5"]),
        ("list --sort date-asc", ["list", "--sort", "date-asc"]),
        ("list --sort source", ["list", "--sort", "source"]),
        ("list --sort added --limit 4", ["list", "--sort", "added", "--limit", "4"]),
        ("search harbour", ["search", "harbour"]),
        ("search dockworkers strike --limit 3", ["search", "dockworkers strike", "--limit", "3"]),
        ("search --sort date", ["search", "harbour exhibition", "--sort", "date"]),
        ("search phrase", ["search", '"flood barrier"']),
        ("search title: field", ["search", "title:strike"]),
        ("search source: field", ["search", 'source:"Sample Wire"']),
        ("search date range", ["search", "port date:[2023-03-14 TO 2023-03-20]"]),
        ("search date:>", ["search", "date:>2023-04"]),
        ("search boolean", ["search", "(regatta OR seagrass) AND NOT barrier"]),
        ("search person: field", ["search", "person:Haraldsen"]),
        ("search seeds", ["search", "Kim summit"]),
        ("search (suggestion)", ["search", "dockworkrs"]),
        ("search (no hits)", ["search", "zzyzxquux"]),
        ("search (bad query)", ["search", "date:>notadate AND ("]),
        ("search (unknown field)", ["search", "foo:bar"]),
        ("show", ["show", HARALDSEN]),
        ("show (id prefix)", ["show", WALKOUT[:8]]),
        ("show seed", ["show", SEEDGROUP]),
        ("show (unknown id)", ["show", "ffffffff"]),
        ("stats", ["stats"]),
        ("check", ["check"]),
        ("entities", ["entities"]),
        ("entities --type person", ["entities", "--type", "person"]),
        ("entities --type place --limit 3", ["entities", "--type", "place", "--limit", "3"]),
        ("entities --type org", ["entities", "--type", "org"]),
        ("entities ID", ["entities", HARALDSEN]),
        ("entities ID --type person", ["entities", WALKOUT, "--type", "person"]),
        ("entities seed ID", ["entities", SEED2]),
        ("entities --extract", ["entities", "--extract"]),
        ("stories", ["stories"]),
        ("stories --grouped", ["stories", "--grouped"]),
        ("stories --versions", ["stories", "--versions", WALKOUT]),
        ("stories --versions seed", ["stories", "--versions", SEEDGROUP]),
        ("related", ["related", HARALDSEN]),
        ("related --limit 3", ["related", WALKOUT, "--limit", "3"]),
        ("related seed", ["related", SEED2]),
        ("quotes", ["quotes"]),
        ("quotes ID", ["quotes", WALKOUT]),
        ("quotes --speaker", ["quotes", "--speaker", "Priya Lindqvist"]),
        ("dossier", ["dossier", "Emil Haraldsen"]),
        ("dossier (alias)", ["dossier", "Carrow Bay Port Authority"]),
        ("dossier seed", ["dossier", "Kim Jong Un"]),
        ("dossier (unknown)", ["dossier", "Nobody Atall"]),
        ("follows (none)", ["follows"]),
        ("tags (none)", ["tags"]),
        ("highlights (none)", ["highlights"]),
        ("saved list (none)", ["saved", "list"]),
        ("feeds list (none)", ["feeds", "list"]),
        ("export query json", ["export", "harbour", "--format", "json"]),
        ("export story json", ["export", "--story", WALKOUT, "--format", "json"]),
        ("export article json", ["export", "--article", REGATTA, "--format", "json"]),
        ("export dossier json", ["export", "--dossier", "Emil Haraldsen", "--format", "json"]),
    ]


def _write_commands(tmp: Path) -> list[tuple[str, list]]:
    """(label, argv) of commands that change the library, in order, on a copy."""
    queries, out = tmp / "queries.txt", tmp / "export.json"  # collect() writes the queries
    return [
        ("mark --read --star", ["mark", HARALDSEN, "--read", "--star"]),
        ("mark --unstar", ["mark", HARALDSEN[:8], "--unstar"]),
        ("mark --read (second)", ["mark", WALKOUT, "--read"]),
        ("mark (unknown id)", ["mark", "ffffffff", "--read"]),
        ("list after mark", ["list", "--limit", "6"]),
        ("stats after mark", ["stats"]),
        ("tag", ["tag", HARALDSEN, "harbour", "museums"]),
        ("tag --story", ["tag", WALKOUT, "strike", "--story"]),
        ("tag --remove", ["tag", HARALDSEN, "museums", "--remove"]),
        ("tag seed", ["tag", SEED2, "korea"]),
        ("tags", ["tags"]),
        ("tags --rename", ["tags", "--rename", "strike", "port-strike"]),
        ("note", ["note", HARALDSEN, "check", "the", "museum's", "dates"]),
        ("note (second)", ["note", HARALDSEN, "ask the curator"]),
        ("note --remove", ["note", HARALDSEN, "--remove", "1"]),
        ("note (no text)", ["note", HARALDSEN]),
        ("highlight", ["highlight", HARALDSEN, "--text", "Haraldsen", "--note", "the name"]),
        ("highlight (second)", ["highlight", WALKOUT, "--text", "More than 900 dockworkers"]),
        ("highlight (not in text)", ["highlight", WALKOUT, "--text", "no such passage"]),
        ("highlights", ["highlights"]),
        ("highlight --remove", ["highlight", WALKOUT, "--remove", "2"]),
        ("show (notes and highlights)", ["show", HARALDSEN]),
        ("entities rename", ["entities", "rename", "Priya Lindqvist", "Mayor Priya Lindqvist"]),
        ("entities retype", ["entities", "retype", "Meridane Lines", "group"]),
        ("entities hide", ["entities", "hide", "Gazette"]),
        ("entities unhide", ["entities", "unhide", "Gazette"]),
        ("entities hide (again)", ["entities", "hide", "Westfold"]),
        ("entities merge", ["entities", "merge", "Port of Carrow Bay", "Carrow Bay Port Authority"]),
        ("entities merge (unknown)", ["entities", "merge", "Nobody Atall", "Carrow Bay"]),
        ("entities (wrong arity)", ["entities", "rename", "Carrow Bay"]),
        ("entities after corrections", ["entities", "--limit", "12"]),
        ("entities ID after corrections", ["entities", WALKOUT]),
        ("dossier after merge", ["dossier", "Port of Carrow Bay"]),
        ("stories split", ["stories", "split", WALKOUT_GAZETTE]),
        ("stories merge", ["stories", "merge", HARALDSEN, REGATTA]),
        ("stories after corrections", ["stories", "--grouped"]),
        ("stories regroup", ["stories", "regroup"]),
        ("stories after regroup", ["stories", "--grouped"]),
        ("stories (bad correction)", ["stories", "split"]),
        ("follow", ["follow", "Emil Haraldsen"]),
        ("follow seed", ["follow", "Kim Jong Un"]),
        ("follows", ["follows"]),
        ("unfollow", ["unfollow", "Emil Haraldsen"]),
        ("unfollow (not followed)", ["unfollow", "Emil Haraldsen"]),
        ("saved add", ["saved", "add", "harbour", "harbour"]),
        ("saved add (query language)", ["saved", "add", "march", "port", "date:2023-03"]),
        ("saved add (bad query)", ["saved", "add", "broken", '"unclosed']),
        ("saved list", ["saved", "list"]),
        ("export saved json", ["export", "--saved", "harbour", "--format", "json"]),
        ("export tag json", ["export", "--tag", "harbour", "--format", "json"]),
        ("export --output", ["export", "--tag", "harbour", "--format", "json", "--output", out]),
        ("saved remove", ["saved", "remove", "harbour"]),
        ("batch", ["batch", queries]),
        ("batch --limit 1", ["batch", queries, "--limit", "1"]),
        ("feeds add", ["feeds", "add", DEAD_FEED, "--tag", "local"]),
        ("feeds import", ["feeds", "import", OPML]),
        ("feeds list", ["feeds", "list"]),
        ("feeds list --tag", ["feeds", "list", "--tag", "local"]),
        ("refresh (dead feed)", ["refresh", DEAD_FEED, "--timeout", "2", "--no-entities"]),
        ("feeds remove", ["feeds", "remove", DEAD_FEED]),
        ("feeds list after remove", ["feeds", "list"]),
        ("reindex", ["reindex"]),
        ("check after writes", ["check"]),
        ("check --repair", ["check", "--repair"]),
        ("stats after writes", ["stats"]),
    ]


def collect(tmp: Path) -> dict[str, tuple[int, str]]:
    """{label: (exit status, normalised stdout)}, in the order run."""
    lib, lib2, fresh = tmp / "lib", tmp / "lib-written", tmp / "lib-added"
    results: dict[str, tuple[int, str]] = {}
    build_library(lib)
    # Imported by `add` from temporary copies: their ids come from the copies' paths.
    inbox = tmp / "inbox"
    shutil.copytree(SAMPLES, inbox / "samples")
    shutil.copytree(need(SEEDS), inbox / "seeds")
    path_ids: dict[str, str] = {}

    def run(label, argv, where):
        code, text = _run(list(argv) + ["--library", where])
        results[label] = (code, text)

    for label, argv in _read_commands():
        run(label, argv, lib)
    shutil.copytree(lib, lib2)
    (tmp / "queries.txt").write_text('harbour\n\n"unclosed\nregatta\n', encoding="utf-8")
    for label, argv in _write_commands(tmp):
        run(label, argv, lib2)
    # `add` itself, through the CLI, into a new library (entities skipped:
    # the main library has shown them, and the spaCy stage is the slow part).
    run("add", ["add", inbox / "samples", inbox / "seeds", "--no-entities"], fresh)
    run("add (again, unchanged)", ["add", inbox / "samples", "--no-entities"], fresh)
    run("add (missing file)", ["add", inbox / "nothing-here.md", "--no-entities"], fresh)
    from articles.model import article_id

    for p in sorted(inbox.rglob("*")):
        if p.is_file():
            path_ids[article_id("file:" + str(p.resolve()))] = f"<id:{p.name}>"
    return {label: (code, normalise(text, tmp, path_ids)) for label, (code, text) in results.items()}


# -- normalising ---------------------------------------------------------------
_STARTED = datetime.now()
# 2026-12-03T14:25:09(.123)(+00:00|Z)  or  2026-12-03 14:25(:09)
_TIMESTAMP = re.compile(r"\b(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?:Z|[+-]\d{2}:?\d{2})?")
# Seconds since the epoch, as JSON numbers (a feed's added_at, last_fetched).
_EPOCH = re.compile(r"(?<![\w.\"])\d{10}(?:\.\d+)?(?![\w.\"])")


def normalise(text: str, tmp: Path, path_ids: dict[str, str]) -> str:
    for root in sorted({str(tmp), os.path.realpath(tmp)}, key=len, reverse=True):
        text = text.replace(root, "<TMP>")
    for aid, name in path_ids.items():
        text = text.replace(aid, name)
    since = (_STARTED - timedelta(days=1)).date().isoformat()

    def now_or_kept(m: re.Match) -> str:
        return "<NOW>" if m.group(1) >= since else m.group()

    text = _TIMESTAMP.sub(now_or_kept, text)
    low, high = _STARTED.timestamp() - 86400, time.time() + 86400
    return _EPOCH.sub(lambda m: "<NOW>" if low <= float(m.group()) <= high else m.group(), text)


# -- what may be stored as it is ------------------------------------------------
_WORD = re.compile(r"[^\W\d_]{4,}")


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


def seed_only_words() -> set[str]:
    """Words of the seeds' text that the project's own text never uses: not
    the samples, not the code (JSON keys, statuses and messages are spelled
    there). A name the commands here give (a seed's entity) counts as the
    seeds'."""
    seeds = set().union(*(_words(p.read_text(encoding="utf-8", errors="replace"))
                          for p in need(SEEDS).glob("*.txt")))
    ours_files = [*SAMPLES.glob("*.md"), ROOT / "main.py", *(ROOT / "articles").rglob("*.py"),
                  *(ROOT / "index").rglob("*.py"), OPML]
    ours = set().union(*(_words(p.read_text(encoding="utf-8")) for p in ours_files))
    return seeds - ours


def holds_seed_text(text: str, seed_words: set[str]) -> bool:
    return bool(_words(text) & seed_words)


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def expected(label: str) -> tuple[int, str, str] | None:
    """(exit status, "json" or "sha256", the stored text) for a label, or None."""
    for kind in ("json", "sha256"):
        path = FIXTURES / f"{_slug(label)}.{kind}"
        if path.exists():
            head, _, body = path.read_text(encoding="utf-8").partition("\n")
            return int(head.removeprefix("exit ")), kind, body
    return None


def record(outputs: dict[str, tuple[int, str]], seed_words: set[str]) -> None:
    if FIXTURES.exists():
        shutil.rmtree(FIXTURES)
    FIXTURES.mkdir(parents=True)
    for label, (code, text) in outputs.items():
        # The first line: the exit status; then the output, or its hash.
        if holds_seed_text(text, seed_words):
            body = hashlib.sha256(text.encode("utf-8")).hexdigest() + "\n"
            (FIXTURES / f"{_slug(label)}.sha256").write_text(f"exit {code}\n{body}", encoding="utf-8")
        else:
            (FIXTURES / f"{_slug(label)}.json").write_text(f"exit {code}\n{text}", encoding="utf-8")


# -- the test ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("json-bytes")
    with pytest.MonkeyPatch.context() as mp:  # module-scoped: the autouse home fixture is not up yet
        mp.setenv("XDG_DATA_HOME", str(tmp / "xdg-data"))
        mp.setenv("XDG_CONFIG_HOME", str(tmp / "xdg-config"))
        mp.delenv("NEWSDESK_LIBRARY", raising=False)
        return collect(tmp), tmp


def test_every_command_prints_the_recorded_json_byte_for_byte(outputs):
    got, tmp = outputs
    labels = [_slug(label) for label in got]
    assert len(set(labels)) == len(labels), "two commands share a fixture name"
    stored = sorted(p.stem for p in FIXTURES.iterdir())
    assert sorted(labels) == stored, "the commands run differ from the recorded ones (re-record?)"
    problems = []
    for label, (code, text) in got.items():
        want_code, kind, body = expected(label)
        if kind == "sha256":
            same = hashlib.sha256(text.encode("utf-8")).hexdigest() == body.strip()
        else:
            same = text == body
        if not same or code != want_code:
            dump = tmp / "now" / f"{_slug(label)}.json"
            dump.parent.mkdir(exist_ok=True)
            dump.write_text(f"exit {code}\n{text}", encoding="utf-8")
            how = (f"diff {FIXTURES / _slug(label)}.json {dump}" if kind == "json" else
                   f"output now in {dump}; stored as a hash: compare with --dump on main")
            problems.append(f"{label}: exit {code} (was {want_code}), "
                            f"{'same output' if same else 'OUTPUT DIFFERS'}: {how}")
    assert not problems, "\n".join(problems)


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = [w.casefold() for w in re.findall(r"\w+", text)]
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_outputs_stored_as_they_are_hold_no_seed_text(outputs):
    """No stored output holds a run of five words of a seed's text (the rule
    that picks the hash is broader: any word only the seeds use); and the rule
    does pick the hash for the real outputs that show a seed."""
    got, _ = outputs
    seeds = set().union(*(_shingles(p.read_text(encoding="utf-8", errors="replace"))
                          for p in need(SEEDS).glob("*.txt")))
    seeds -= set().union(*(_shingles(p.read_text(encoding="utf-8")) for p in SAMPLES.glob("*.md")))
    assert _shingles(got["show seed"][1]) & seeds
    words = seed_only_words()
    assert holds_seed_text(got["show seed"][1], words)
    assert holds_seed_text(got["entities seed ID"][1], words)
    assert not holds_seed_text(got["show"][1], words)
    for p in FIXTURES.glob("*.json"):
        assert not _shingles(p.read_text(encoding="utf-8")) & seeds, p.name


def test_normalising_keeps_what_does_not_vary(tmp_path):
    now = datetime.now().isoformat(timespec="seconds")
    text = (f'"{tmp_path}/lib", "created": "{now}", "date": "2023-03-14", "at": "2019-05-01 10:00", '
            f'"x": "abc123", "added_at": {time.time()}, "n": 1500000000.5, "s": "{int(time.time())}"')
    assert normalise(text, tmp_path, {"abc123": "<id:a.md>"}) == (
        '"<TMP>/lib", "created": "<NOW>", "date": "2023-03-14", "at": "2019-05-01 10:00", '
        f'"x": "<id:a.md>", "added_at": <NOW>, "n": 1500000000.5, "s": "{int(time.time())}"')


if __name__ == "__main__":
    import tempfile

    args = sys.argv[1:]
    if args not in (["--record"],) and not (len(args) == 2 and args[0] == "--dump"):
        sys.exit("usage: test_json_bytes.py --record | --dump FOLDER")
    with tempfile.TemporaryDirectory() as tmpdir:
        os.environ["XDG_DATA_HOME"] = str(Path(tmpdir) / "xdg-data")
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmpdir) / "xdg-config")
        os.environ.pop("NEWSDESK_LIBRARY", None)
        started = time.monotonic()
        outs = collect(Path(tmpdir))
    if args[0] == "--record":
        record(outs, seed_only_words())
        print(f"recorded {len(outs)} outputs in {FIXTURES} ({time.monotonic() - started:.0f} s)")
    else:
        folder = Path(args[1])
        folder.mkdir(parents=True, exist_ok=True)
        for label, (code, text) in outs.items():
            (folder / f"{_slug(label)}.json").write_text(f"exit {code}\n{text}", encoding="utf-8")
        print(f"{len(outs)} outputs in {folder}")
